"""What Slurm says of a sweep's jobs: the job id each step was submitted as (job.json in the step's
folder) and the job's state, asked of the scheduler (squeue, then sacct where accounting is kept),
so a queued or running step is never submitted twice and a failed one is shown as failed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from harness.files import write_text_atomically

JOB_FILE = "job.json"
# States in which a job will still run (or is running): its step is not submitted again.
ACTIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING",
     "SUSPENDED", "STAGE_OUT", "SIGNALING"}
)  # fmt: skip
QUERY_TIMEOUT_S = 30


def record_job(folder: Path, job_id: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(folder / JOB_FILE, json.dumps({"job_id": job_id}))


def recorded_job(folder: Path) -> str | None:
    """The job id the step in `folder` was last submitted as, if any."""
    try:
        return str(json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))["job_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def job_states(job_ids: Iterable[str]) -> dict[str, str]:
    """Each job's state as Slurm names it (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...); a
    job the scheduler no longer knows (or a scheduler that cannot be asked) is left out."""
    wanted = {str(job_id) for job_id in job_ids}
    if not wanted:
        return {}
    states = _ask(["squeue", "--noheader", "--states=all", "--format=%i|%T"], wanted)
    unknown = wanted - set(states)
    if unknown:  # gone from the controller's memory: accounting may still know it
        states |= _ask(
            ["sacct", "--noheader", "--parsable2", "-X", "--format=JobID,State", "-j", ",".join(unknown)],
            unknown,
        )
    return states


def _ask(command: list[str], wanted: set[str]) -> dict[str, str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=QUERY_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    states: dict[str, str] = {}
    for line in done.stdout.splitlines():
        job_id, _, state = line.strip().partition("|")
        if job_id in wanted and state:
            states[job_id] = state.split()[0]  # "CANCELLED by 0" -> CANCELLED
    return states
