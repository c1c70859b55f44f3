"""Start-up: wall time of `harness --help` and `harness tasks` on the real data (target: under a second
each), rounds interleaved; then `harness tasks --sizes` once (it counts every doc, then caches the
counts) and `harness tasks` with the counts cached. (The API path's start-up to its first request is
printed by api_throughput.py.)

    python benchmarks/startup.py [--data-dir ../shared/data] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average, spread  # noqa: E402

TARGET_S = 1.0
COMMANDS = (["--help"], ["tasks"])


def wall_time(arguments: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "harness", *arguments], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"PSYCHE_DATA_DIR": str(args.data_dir.resolve()), "PSYCHE_CACHE_DIR": cache}
        times: dict[str, list[float]] = {" ".join(command): [] for command in COMMANDS}
        for _ in range(args.rounds):
            for command in COMMANDS:
                times[" ".join(command)].append(wall_time(command, env))
        for name, values in times.items():
            print(
                f"harness {name}: {spread(values, 's', 3)} (min / median / max of {args.rounds}); "
                f"median {statistics.median(values) / TARGET_S:.2f}x the {TARGET_S:.0f} s target"
            )
        print(
            f"harness tasks --sizes (counts every doc once, then cached): {wall_time(['tasks', '--sizes'], env):.2f} s"
        )
        cached = [wall_time(["tasks"], env) for _ in range(args.rounds)]
        print(f"harness tasks with counts cached: {spread(cached, 's', 3)}")
    print(load_average())


if __name__ == "__main__":
    main()
