"""The local executor: the plan's steps in order, one at a time, each skipped when finished (its
digest matches a done step); a failure is recorded in the step's folder and stops the run, and a
re-run goes on from there. `state` tells done / running / failed / pending for `sweep status`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, RunInterrupted
from harness.files import write_text_atomically
from sweep.children import dies_with_this_process
from sweep.config import SweepFile
from sweep.plan import Plan, Step, plan_sweep
from sweep.scheduler import ACTIVE_STATES, recorded_job
from sweep.steps import done_record, run_step, step_folder


def state(output: Path, step: Step, scheduler: dict[str, str] | None = None) -> str:
    """done / running / failed / pending; for a step submitted to Slurm, its job's state as the
    scheduler gives it (`scheduler`: job id -> Slurm state), with the job's log where it failed."""
    if done_record(output, step) is not None:
        return "done"
    folder = step_folder(output, step)
    job = recorded_job(folder)
    if job is not None and job in (scheduler := scheduler or {}):
        slurm_state = scheduler[job]
        if slurm_state in ACTIVE_STATES:
            return f"{'queued' if slurm_state == 'PENDING' else 'running'} (job {job})"
        if slurm_state != "COMPLETED":
            return f"{slurm_state.lower()} (job {job}, log {folder / 'slurm' / f'{job}_0_log.err'})"
    running = folder / "running.json"
    if running.exists():
        try:
            os.kill(int(json.loads(running.read_text(encoding="utf-8"))["pid"]), 0)
            return "running"
        except (OSError, ValueError, KeyError):
            pass  # its process is gone: killed mid-step
    if (folder / "failed.json").exists():
        return f"failed (job {job}, log {folder / 'slurm' / f'{job}_0_log.err'})" if job else "failed"
    return "pending"


def run_sweep(sweep: SweepFile, say: Callable[[str], None], dry_run: bool = False) -> Plan:
    plan = plan_sweep(sweep)
    output = sweep.output_path
    if not dry_run:
        _api_evals_at_once(sweep, plan, say)
    for step in plan.steps.values():
        users = ", ".join(plan.users(step.digest))
        if done_record(output, step) is not None:
            say(f"{step.label}: done ({users})")
            continue
        if dry_run:
            say(f"{step.label}: would run ({users}): {_describe(step)}")
            continue
        say(f"{step.label}: running ({users})")
        record = run_marked(output, plan, step)
        say(f"{step.label}: done in {record['seconds']} s")
    return plan


def run_marked(output: Path, plan: Plan, step: Step) -> dict[str, Any]:
    """Run a step with running.json while it runs and failed.json if it fails."""
    folder = step_folder(output, step)
    folder.mkdir(parents=True, exist_ok=True)
    other = _running_elsewhere(folder)
    if other is not None:
        raise HarnessError(
            f"step {step.label} is already running in process {other} (another `harness sweep run`?); "
            "it is not started twice: wait for it, or stop it and re-run"
        )
    (folder / "failed.json").unlink(missing_ok=True)
    write_text_atomically(folder / "running.json", json.dumps({"pid": os.getpid()}))
    try:
        return run_step(output, plan, step)
    except RunInterrupted:
        raise  # stopped, not failed: a re-run goes on from what it kept
    except (HarnessError, Exception) as error:
        write_text_atomically(
            folder / "failed.json", json.dumps({"error": str(error)[:2000]}, ensure_ascii=False)
        )
        users = ", ".join(plan.users(step.digest))
        raise HarnessError(
            f"step {step.label} ({users}) failed: {str(error)[:600]}; fix it and re-run"
        ) from error
    finally:
        (folder / "running.json").unlink(missing_ok=True)


def _running_elsewhere(folder: Path) -> int | None:
    """The pid of another live process that is running the step in `folder`, if any."""
    try:
        pid = int(json.loads((folder / "running.json").read_text(encoding="utf-8"))["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if pid != os.getpid() else None


def _api_evals_at_once(sweep: SweepFile, plan: Plan, say: Callable[[str], None]) -> None:
    """Eval steps of untrained API models need nothing but the endpoint: they run together, each
    in a process of its own (`harness sweep step`), before the rest."""
    import subprocess
    import sys

    from harness.models import resolve_model

    ready = [
        step
        for step in plan.steps.values()
        if step.kind == "eval"
        and not step.needs
        and done_record(sweep.output_path, step) is None
        and _running_elsewhere(step_folder(sweep.output_path, step)) is None
        and resolve_model(step.settings["model"]["base"]).backend == "openai"
    ]
    if len(ready) < 2:
        return
    say(f"{len(ready)} API eval steps at once: {', '.join(step.label for step in ready)}")
    command = [sys.executable, "-m", "harness", "sweep", "step", sweep.path]
    running = [
        (step, subprocess.Popen([*command, step.digest], preexec_fn=dies_with_this_process()))  # noqa: PLW1509
        for step in ready
    ]
    for step, process in running:
        process.wait()
        state = "done" if done_record(sweep.output_path, step) else f"failed (exit {process.returncode})"
        say(f"{step.label}: {state} ({', '.join(plan.users(step.digest))})")


def _describe(step: Step) -> str:
    """What a step would do, in units of work: training steps or epochs, generations to make."""
    settings = step.settings
    if step.kind in ("sft", "grpo"):
        import yaml

        config = yaml.safe_load(Path(settings["config"]).read_text(encoding="utf-8")) | dict(
            settings["overrides"]
        )
        length = (
            f"{config['max_steps']} optimizer steps"
            if int(config.get("max_steps", -1)) > 0
            else f"{config.get('num_train_epochs', 2)} epochs over its data"
        )
        return f"{Path(settings['config']).name}, {length} at effective batch {config.get('effective_batch_size')}"
    if step.kind == "eval":
        per_task = f"{settings['limit']} items" if settings["limit"] else "every item"
        return f"{len(settings['tasks'])} tasks x {per_task}: {','.join(settings['tasks'])}"
    if step.kind == "data":
        return f"{step.settings['for']} data from the synthesis dataset's parts"
    return f"synthesis pipeline {Path(settings['config']).name} (see harness synth run --dry-run)"
