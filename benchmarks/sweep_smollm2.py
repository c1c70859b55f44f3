"""The shipped tiny sweep (sweep/configs/tiny.yaml) on SmolLM2, CPU: Table 3's training stages
(Base, +GRPO, +SFT, +SFT+GRPO), SFT 16 steps on 64 CPsyExam train questions, GRPO one step, each
variant evaluated on 8 items of the six PCEB multiple-choice tasks. Runs it twice in a temporary
folder: prints the first run's wall time and each step's, the second run's (everything reused),
the report's rows (with their difference to Base) and the load average.

    python benchmarks/sweep_smollm2.py [--keep FOLDER]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.config_files import copy_example  # noqa: E402

SHIPPED = REPO / "sweep" / "configs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--keep", type=Path, help="Keep the sweep folder here instead of a temporary one")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    sweep = folder / "tiny.yaml"  # a --keep folder run before keeps its copy (and its finished steps)
    if not sweep.exists():
        copy_example(SHIPPED, "tiny", folder)  # as `harness sweep init` does: output in runs/tiny
    env = os.environ | {"PSYCHE_DATA_DIR": str(args.data_dir.resolve())}
    print(f"tiny sweep in {folder} (load average {os.getloadavg()[0]:.2f})", flush=True)
    for attempt in ("first run", "second run"):
        start, cpu = time.perf_counter(), os.times()
        done = subprocess.run(
            [sys.executable, "-m", "harness", "sweep", "run", str(sweep)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        wall, used = time.perf_counter() - start, os.times()
        if done.returncode != 0:
            raise SystemExit(f"{attempt} failed: {done.stderr[-2000:]}")
        child_cpu = used.children_user + used.children_system - cpu.children_user - cpu.children_system
        ran = [line for line in done.stdout.splitlines() if ": done in " in line]
        print(f"{attempt}: {wall:.1f} s wall ({child_cpu:.0f} s CPU), {len(ran)} steps run", flush=True)
        for line in ran:
            print(f"  {line}")
    report = folder / "runs" / "tiny" / "report.md"
    ours = [line for line in report.read_text(encoding="utf-8").splitlines() if "| ours |" in line]
    print(f"report: {report} (load average {os.getloadavg()[0]:.2f})")
    print("\n".join(ours))


if __name__ == "__main__":
    main()
