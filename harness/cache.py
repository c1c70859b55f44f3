"""The response cache: one SQLite file per run folder, one row per response, committed as it
arrives, so a crash or kill -9 loses nothing and a re-run generates only what is missing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def request_key(model_fingerprint: dict[str, Any], prompt: str, settings: dict[str, Any]) -> str:
    """A stable hash of everything that decides a response: model settings, prompt, decoding."""
    payload = json.dumps([model_fingerprint, prompt, settings], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, isolation_level=None)  # autocommit: each put is durable
        self.connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives the process being killed (only an OS crash can lose the last ones)
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created REAL)"
        )

    def get_many(self, keys: list[str]) -> dict[str, str]:
        """The cached responses among `keys`."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.connection.execute(
                f"SELECT key, response FROM responses WHERE key IN ({marks})", part
            )
            found.update(dict(rows.fetchall()))
        return found

    def put(self, key: str, response: str) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO responses (key, response, created) VALUES (?, ?, ?)",
            (key, response, time.time()),
        )

    def close(self) -> None:
        self.connection.close()
