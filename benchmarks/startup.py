"""Start-up: wall time of `harness --help` and of `harness tasks` on the real data (target: under a
second each, as a ratio to 1 s). Prints the median of 5 runs of each.

    python benchmarks/startup.py [DATA_DIR]      # default ../shared/data
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.0


def median_wall_time(args: list[str], env: dict[str, str], runs: int = 5) -> tuple[float, float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "harness", *args], check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data")
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"PSYCHE_DATA_DIR": str(data), "PSYCHE_CACHE_DIR": cache}
        for args in (["--help"], ["tasks"]):
            median, low, high = median_wall_time(args, env)
            print(
                f"harness {' '.join(args)}: median {median:.3f} s over 5 runs (min {low:.3f}, max {high:.3f}); "
                f"{median / TARGET_S:.2f}x the {TARGET_S:.0f} s target"
            )
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "harness", "tasks", "--sizes"], check=True, capture_output=True, env=env
        )
        print(
            f"harness tasks --sizes (counts every doc once, then cached): {time.perf_counter() - start:.2f} s"
        )
        median, _, _ = median_wall_time(["tasks"], env)
        print(f"harness tasks with counts cached: median {median:.3f} s ({median / TARGET_S:.2f}x target)")


if __name__ == "__main__":
    main()
