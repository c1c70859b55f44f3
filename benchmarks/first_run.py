"""The README's first command as a newcomer meets it: a fresh clone in a temporary folder, a new
virtual environment, the install, then the main job; prints the wall and CPU time of each phase and
the main job against its promise (the README's words: 3 minutes on 2 cores, even when busy).

    python benchmarks/first_run.py [--data-dir ../shared/data] [--busy 2] [--job-only]

The command is read from the README (the first bash block of "Two commands"), so the two cannot
drift. `--busy N` keeps N other processes spinning during the main job (a loaded machine, as a
shared 2-core box is); `--job-only` runs only the main job in this environment (no install). The
data folder is given as PSYCHE_DATA_DIR, as the README's command does; the model cache starts empty
(PSYCHE_CACHE_DIR in the temporary folder), so the one-time unpacking of the model counts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
JOB_PROMISE_S = 180.0


def readme_phases() -> list[tuple[str, str]]:
    """The README's first command, cut into venv / torch / project / main job."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Two commands") :]
    command = re.search(r"```bash\n(.+?)\n```", section, re.S).group(1).strip()  # type: ignore[union-attr]
    parts = [part.strip() for part in command.split(" && ")]
    activate = ". .venv/bin/activate"
    job = parts[-1].removeprefix("PSYCHE_DATA_DIR=../shared/data ")
    return [
        ("venv", parts[0]),
        ("torch", f"{activate} && {next(p for p in parts if p.startswith('pip install torch'))} -q"),
        (
            "project",
            f"{activate} && " + " && ".join(f"{p} -q" for p in parts if p.startswith("pip install -")),
        ),
        ("main job", f"{activate} && {job}"),
    ]


def spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--busy", type=int, default=0, help="Processes kept spinning during the main job")
    parser.add_argument("--job-only", action="store_true", help="Only the main job, in this environment")
    args = parser.parse_args()
    phases = readme_phases()
    if args.job_only:
        phases = [("main job", phases[-1][1].split(" && ", 1)[1])]
    with tempfile.TemporaryDirectory() as scratch:
        clone = Path(scratch) / "psyche-harness"
        subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
        env = os.environ | {
            "PSYCHE_DATA_DIR": str(args.data_dir.resolve()),
            "PSYCHE_CACHE_DIR": str(Path(scratch) / "cache"),
        }
        if not args.job_only:
            env.pop("VIRTUAL_ENV", None)
        times = {}
        for name, command in phases:
            spinners = []
            if name == "main job":
                spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
                for spinner in spinners:
                    spinner.start()
            start, before = time.perf_counter(), os.times()
            done = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True)
            after = os.times()
            times[name] = time.perf_counter() - start
            for spinner in spinners:
                spinner.kill()
            if done.returncode != 0:
                sys.exit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
            cpu = after.children_user + after.children_system - before.children_user - before.children_system
            print(f"{name:10s} {times[name]:7.1f} s wall, {cpu:7.1f} s CPU", flush=True)
        job = times["main job"]
        print(
            f"main job   {job:7.1f} s = {job / JOB_PROMISE_S:.2f}x the README's {JOB_PROMISE_S:.0f} s "
            f"({args.busy} other busy processes); {load_average()}"
        )
        if not args.job_only:
            print(f"install    {sum(v for k, v in times.items() if k != 'main job'):7.1f} s")


if __name__ == "__main__":
    main()
