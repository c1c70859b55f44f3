"""How many docs each task has, counted once and cached under a fingerprint of what decides it
(the resolved task file, the run settings the loader reads, and the size and date of every data
file), so that `harness tasks` lists sizes without loading any data."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.data.fetch import cache_root
from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.tasks.index import TaskEntry

SIZES_FILE = "task_sizes.json"
# Environment variables a loader reads beside its settings: a change must not reuse a count.
LOADER_ENV = ("PSYCHE_PSYDT_FILE", "PSYCHE_CPSYEXAM_EXEMPLARS", "PSYCHE_CPSYEXAM_SPLIT")


def data_fingerprint(data_dir: str | None) -> str:
    """A hash of every file's path, size and modification time under the data directory (the one
    named, else a fetched copy if there is one), and of the loader environment."""
    chosen = Path(data_dir) if data_dir else cache_root() / "data"
    digest = hashlib.sha256(str(chosen.resolve()).encode())
    if chosen.is_dir():
        for path in sorted(chosen.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(chosen)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for name in LOADER_ENV:
        digest.update(f"{name}={os.environ.get(name, '')}\n".encode())
    return digest.hexdigest()


def size_key(entry: TaskEntry, metadata: Mapping[str, Any], fingerprint: str) -> str:
    payload = json.dumps([entry.name, entry.config_hash, dict(metadata), fingerprint], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def read_sizes(path: Path | None = None) -> dict[str, int]:
    """The cached counts (an unreadable cache is treated as empty: it is only a cache)."""
    path = path or cache_root() / SIZES_FILE
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {key: value for key, value in loaded.items() if isinstance(value, int)}
        if isinstance(loaded, dict)
        else {}
    )


def store_sizes(sizes: Mapping[str, int], path: Path | None = None) -> None:
    """Add counts to the cache (written atomically)."""
    path = path or cache_root() / SIZES_FILE
    merged = read_sizes(path) | dict(sizes)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, json.dumps(merged, sort_keys=True))
    except (OSError, HarnessError):
        pass  # a cache that cannot be written costs a recount, nothing more
