"""What every benchmark script prints the same way: min/median/max over rounds, and the load average
(another process's work on a 2-core machine shows in every timing)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence


def spread(values: Sequence[float], unit: str = "s", digits: int = 2) -> str:
    """ "min / median / max" of the rounds, e.g. "3.10 / 3.14 / 3.20 s"."""
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {middle:.{digits}f} / {high:.{digits}f} {unit}".rstrip()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
