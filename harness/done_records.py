"""'Done when the digest matches': the one way a step of work (a sweep step, a synthesis stage)
marks itself finished. Its record is written last and atomically, naming the digest of everything
that decided its output; a record with another digest, or none, or a damaged one, means not done."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.files import write_text_atomically


def read_record(path: Path) -> dict[str, Any] | None:
    """The record as written (whatever its digest), or None when there is none or it is damaged."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def done_record(path: Path, digest: str) -> dict[str, Any] | None:
    """The record when it names `digest` (the work is done and current), else None."""
    record = read_record(path)
    return record if record is not None and record.get("digest") == digest else None


def mark_done(path: Path, digest: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Write the record (the digest first) atomically; returns what was written."""
    written = {"digest": digest, **{key: value for key, value in record.items() if key != "digest"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, json.dumps(written, ensure_ascii=False, indent=1))
    return written
