"""The Slurm executor (submitit): one job per step not yet done, each depending (afterok) on the jobs
of the steps it reads, logs in the step's folder; a job preempted or timed out is requeued
(submitit's checkpointing), and a requeued step starts again (an eval step resumes from its cache)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from sweep.config import SweepFile
from sweep.plan import Plan, plan_sweep
from sweep.steps import done_record, run_step, step_folder


class SlurmSettings(BaseModel):
    """Job settings; training steps add `train_gpus` GPUs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    partition: str | None = None
    timeout_min: int = Field(24 * 60, gt=0)
    cpus_per_task: int = Field(8, gt=0)
    mem_gb: int = Field(64, gt=0)
    train_gpus: int = Field(1, ge=0)
    eval_gpus: int = Field(1, ge=0)
    additional: dict[str, Any] = {}  # any other sbatch option, e.g. {account: psy, qos: high}


class StepJob:
    """A step as a submitit job; requeued (and started again) when preempted or out of time."""

    def __init__(self, output: Path, plan: Plan, digest: str) -> None:
        self.output, self.plan, self.digest = output, plan, digest

    def __call__(self) -> dict[str, Any]:
        step = self.plan.steps[self.digest]
        return done_record(self.output, step) or run_step(self.output, self.plan, step)

    def checkpoint(self) -> Any:
        import submitit

        return submitit.helpers.DelayedSubmission(StepJob(self.output, self.plan, self.digest))


def submit_sweep(sweep: SweepFile, settings: SlurmSettings, say: Callable[[str], None]) -> dict[str, str]:
    """Submit every step not yet done; returns step label -> job id."""
    try:
        import submitit
    except ImportError:
        raise HarnessError("the slurm executor needs submitit: pip install -e '.[sweep]'") from None
    plan = plan_sweep(sweep)
    output = sweep.output_path
    jobs: dict[str, str] = {}
    submitted: dict[str, str] = {}
    for step in plan.steps.values():
        if done_record(output, step) is not None:
            say(f"{step.label}: done")
            continue
        try:
            executor = submitit.AutoExecutor(folder=step_folder(output, step) / "slurm", cluster="slurm")
        except RuntimeError as error:  # submitit finds no srun: not a Slurm login node
            raise HarnessError(f"the slurm executor cannot run here: {error}") from None
        after = [jobs[digest] for digest in step.needs if digest in jobs]
        gpus = (
            settings.train_gpus
            if step.kind in ("sft", "grpo")
            else settings.eval_gpus
            if step.kind == "eval"
            else 0
        )
        executor.update_parameters(
            name=f"{sweep.name}-{step.label}",
            timeout_min=settings.timeout_min,
            cpus_per_task=settings.cpus_per_task,
            mem_gb=settings.mem_gb,
            gpus_per_node=gpus,
            slurm_partition=settings.partition,
            slurm_dependency=f"afterok:{':'.join(after)}" if after else None,
            slurm_additional_parameters=dict(settings.additional),
        )
        job = executor.submit(StepJob(output, plan, step.digest))
        jobs[step.digest] = str(job.job_id)
        submitted[step.label] = str(job.job_id)
        say(f"{step.label}: submitted as job {job.job_id}" + (f" after {', '.join(after)}" if after else ""))
    return submitted
