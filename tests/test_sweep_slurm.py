"""`harness sweep --executor slurm` on a real single-node Slurm cluster started by the test
(Debian's slurm-wlm and munge): one job per step chained by afterok, a second run submits nothing
while the jobs are queued, a cancelled job and the jobs Slurm removed with it are submitted again by
the next run, and `harness sweep status` shows what the scheduler says."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA
from slurm_cluster import missing_programs, slurm_cluster
from test_sweep import write_sweep

from sweep.config import load_sweep
from sweep.plan import plan_sweep

pytest.importorskip("submitit")
MISSING = missing_programs()
pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        bool(MISSING), reason=f"Slurm is not installed here (apt-get install slurm-wlm munge): {MISSING}"
    ),
]
QUEUE_DRAINS_S = 900


def sweep_command(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "sweep", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


def submitted_jobs(stdout: str) -> dict[str, str]:
    """step label -> job id, from the lines of `harness sweep run`."""
    return dict(re.findall(r"^(\S+): submitted as job (\d+)", stdout, flags=re.MULTILINE))


def wait_until_the_queue_drains(env: dict[str, str]) -> None:
    deadline = time.monotonic() + QUEUE_DRAINS_S
    while time.monotonic() < deadline:
        queued = subprocess.run(
            ["squeue", "--noheader", "--format=%i"], capture_output=True, text=True, env=env
        )
        if queued.returncode == 0 and not queued.stdout.strip():
            return
        time.sleep(2)
    raise AssertionError("jobs still queued after 15 minutes")


def dependency_of(job: str, env: dict[str, str]) -> str:
    shown = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True, env=env).stdout
    found = re.search(r"Dependency=(\S+)", shown)
    return found.group(1) if found else ""


def test_a_sweep_runs_as_slurm_jobs_once_each_and_a_cancelled_job_resumes(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    path = write_sweep(tmp_path, tiny_model_dir)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "executor: {kind: slurm, slurm: {cpus_per_task: 1, mem_gb: 1, train_gpus: 0, eval_gpus: 0, timeout_min: 30}}\n",
        encoding="utf-8",
    )
    plan = plan_sweep(load_sweep(path))
    sft = next(step for step in plan.steps.values() if step.kind == "sft")
    after_sft = {step.label for step in plan.steps.values() if sft.digest in _upstream(plan, step)}
    with slurm_cluster(tmp_path / "cluster") as cluster:
        env = cluster | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)}
        first = sweep_command("run", str(path), env=env, cwd=tmp_path)
        assert first.returncode == 0, first.stderr[-3000:]
        jobs = submitted_jobs(first.stdout)
        assert sorted(jobs) == sorted(step.label for step in plan.steps.values())  # one job per step
        for step in plan.steps.values():
            needs = sorted(jobs[plan.steps[digest].label] for digest in step.needs)
            dependency = dependency_of(jobs[step.label], env)
            assert sorted(re.findall(r"\d+", dependency)) == needs, (step.label, dependency)

        cancelled = subprocess.run(["scancel", jobs[sft.label]], env=env)
        assert cancelled.returncode == 0
        again = sweep_command("run", str(path), env=env, cwd=tmp_path)  # while the others are queued
        assert again.returncode == 0, again.stderr[-3000:]
        resubmitted = submitted_jobs(again.stdout)
        assert set(resubmitted) <= {sft.label} | after_sft  # nothing queued is submitted twice
        assert "already" in again.stdout
        wait_until_the_queue_drains(env)

        third = sweep_command("run", str(path), env=env, cwd=tmp_path)
        assert third.returncode == 0, third.stderr[-3000:]
        # What the cancel (and Slurm's removal of the jobs that waited on it) left undone, only that.
        assert set(submitted_jobs(third.stdout)) | set(resubmitted) >= {sft.label}
        assert set(submitted_jobs(third.stdout)) <= {sft.label} | after_sft
        wait_until_the_queue_drains(env)

        status = sweep_command("status", str(path), env=env, cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert all(line.count(" done") == line.count(", ") + 1 for line in status.stdout.splitlines()), (
            status.stdout
        )
        last = sweep_command("run", str(path), env=env, cwd=tmp_path)
        assert last.returncode == 0 and not submitted_jobs(last.stdout), last.stdout
    report = sweep_command("report", str(path), env=env, cwd=tmp_path)
    assert report.returncode == 0 and (tmp_path / "out" / "report.md").exists(), report.stderr[-2000:]


def test_status_shows_a_failed_job_with_its_log(tmp_path: Path, tiny_model_dir: Path) -> None:
    path = write_sweep(tmp_path, tiny_model_dir, variants="variants:\n  Base: {sft: null, grpo: null}\n")
    broken = tmp_path / "broken-model"  # a folder, so the sweep is valid; no weights, so the job fails
    broken.mkdir()
    (broken / "config.json").write_text("{}", encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace(f"model: {tiny_model_dir}", f"model: {broken}")
    path.write_text(
        text[: text.index("report:")]  # one variant: no table to report
        + "executor: {kind: slurm, slurm: {cpus_per_task: 1, mem_gb: 1, eval_gpus: 0, timeout_min: 10}}\n",
        encoding="utf-8",
    )
    with slurm_cluster(tmp_path / "cluster") as cluster:
        env = cluster | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)}
        first = sweep_command("run", str(path), env=env, cwd=tmp_path)
        assert first.returncode == 0, first.stderr[-3000:]
        (job,) = submitted_jobs(first.stdout).values()
        wait_until_the_queue_drains(env)
        status = sweep_command("status", str(path), env=env, cwd=tmp_path)
        assert f"failed (job {job}, log " in status.stdout, status.stdout
        log = Path(status.stdout.split(", log ")[1].split(")")[0])
        assert log.exists() and "broken-model" in log.read_text(encoding="utf-8", errors="replace")


def _upstream(plan, step):  # type: ignore[no-untyped-def]
    """Every step digest that `step` waits on, directly or not."""
    seen: set[str] = set()
    todo = list(step.needs)
    while todo:
        digest = todo.pop()
        if digest not in seen:
            seen.add(digest)
            todo.extend(plan.steps[digest].needs)
    return seen
