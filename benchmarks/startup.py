"""Start-up: wall time of `harness --help` (target: well under a second). Prints the median of 5."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def main() -> None:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "harness", "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    print(
        f"harness --help: median {statistics.median(times):.3f} s over 5 runs (min {min(times):.3f}, max {max(times):.3f})"
    )


if __name__ == "__main__":
    main()
