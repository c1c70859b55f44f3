"""The paper's tables as we transcribe them: CSV files whose `#` lines are comments (source,
footnotes). One reader for the leaderboard's Tables 1, 2, 5 and the sweeps' Tables 3, 4."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.errors import HarnessError


def read_reference_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a reference table, comment lines left out; an unreadable file is one line."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    except OSError as error:
        raise HarnessError(f"{path}: cannot read the reference table ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise HarnessError(f"{path}: not UTF-8 text (byte {error.start})") from None
    return list(csv.DictReader(lines))
