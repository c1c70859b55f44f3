"""The Slurm executor (submitit): one job per step not yet done, each depending (afterok) on the jobs
of the steps it reads, logs in the step's folder; a job preempted or timed out is requeued
(submitit's checkpointing), and a requeued step starts again (an eval step resumes from its cache).
A step whose job is still queued or running is not submitted again (the job id is kept in the step's
folder and its state asked of Slurm); a job whose dependency failed is removed by Slurm
(kill-on-invalid-dep), and a re-run submits what failed, was cancelled or was removed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from sweep.config import SweepFile
from sweep.plan import Plan, plan_sweep
from sweep.scheduler import ACTIVE_STATES, job_states, record_job, recorded_job
from sweep.steps import done_record, step_folder


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
        from sweep.execute import run_marked

        step = self.plan.steps[self.digest]
        return done_record(self.output, step) or run_marked(self.output, self.plan, step)

    def checkpoint(self) -> Any:
        import submitit

        return submitit.helpers.DelayedSubmission(StepJob(self.output, self.plan, self.digest))


def submit_sweep(sweep: SweepFile, settings: SlurmSettings, say: Callable[[str], None]) -> dict[str, str]:
    """Submit every step not yet done; returns step label -> job id."""
    try:
        import submitit
    except ImportError:
        from harness.packages import install_hint

        raise HarnessError(f"the slurm executor needs submitit: {install_hint('sweep')}") from None
    plan = plan_sweep(sweep)
    output = sweep.output_path
    recorded = {digest: recorded_job(step_folder(output, step)) for digest, step in plan.steps.items()}
    states = job_states(job for job in recorded.values() if job)
    jobs: dict[str, str] = {}
    submitted: dict[str, str] = {}
    for step in plan.steps.values():
        if done_record(output, step) is not None:
            say(f"{step.label}: done")
            continue
        earlier = recorded[step.digest]
        if earlier is not None and states.get(earlier) in ACTIVE_STATES:
            jobs[step.digest] = earlier
            say(f"{step.label}: already {states[earlier].lower()} as job {earlier}")
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
            # A job whose dependency failed is removed, not left pending forever.
            slurm_additional_parameters={"kill-on-invalid-dep": "yes"} | dict(settings.additional),
        )
        job = executor.submit(StepJob(output, plan, step.digest))
        record_job(step_folder(output, step), str(job.job_id))
        jobs[step.digest] = str(job.job_id)
        submitted[step.label] = str(job.job_id)
        say(f"{step.label}: submitted as job {job.job_id}" + (f" after {', '.join(after)}" if after else ""))
    return submitted
