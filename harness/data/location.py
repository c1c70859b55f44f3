"""Where the benchmark files are: --data-dir, else PSYCHE_DATA_DIR."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import HarnessError

DATA_DIR_ENV = "PSYCHE_DATA_DIR"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory named on the command line or in PSYCHE_DATA_DIR; it must exist."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV)
    if not chosen:
        from harness.data.fetch import fetch_public_data

        return fetch_public_data()
    path = Path(chosen).expanduser()
    if not path.is_dir():
        source = "--data-dir" if explicit else DATA_DIR_ENV
        raise HarnessError(f"data directory {path} (from {source}) does not exist")
    return path
