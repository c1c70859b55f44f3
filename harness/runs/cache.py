"""The response cache: one SQLite file per model folder, one row per response keyed by a hash of
everything that decides it, committed as it arrives, so a crash or kill -9 loses nothing, a re-run
generates only what is missing, and runs of the same model with other settings share what they can."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

BUSY_TIMEOUT_S = 60.0  # another process writing the same cache waits, it does not fail


def request_key(model_fingerprint: dict[str, Any], prompt: str, settings: dict[str, Any]) -> str:
    """A stable hash of everything that decides a response: model settings, prompt, decoding."""
    payload = json.dumps([model_fingerprint, prompt, settings], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
            self._check_schema()
            self._prepare()
        except sqlite3.DatabaseError as error:
            raise HarnessError(
                f"{path}: not a usable response cache ({error}); move it away and re-run "
                "(its responses are then generated again)"
            ) from None

    def _check_schema(self) -> None:
        """Another program's SQLite file is refused before anything in it is changed: the cache
        holds one table, `responses (key, response, created)`, or nothing yet."""
        tables = {
            row[0] for row in self.connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        columns = [row[1] for row in self.connection.execute("PRAGMA table_info(responses)")]
        if (tables - {"responses"}) or (tables and columns != ["key", "response", "created"]):
            self.connection.close()
            raise HarnessError(
                f"{self.path}: an SQLite file that is not a response cache (tables: {', '.join(sorted(tables))}); "
                "it was left as it is: move it away or name another --output-dir"
            )

    def _prepare(self) -> None:
        """WAL mode and the table. Switching a new file to WAL while another process does the same
        can fail with "database is locked" without waiting for the busy timeout: retried."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.connection.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a commit survives the process being killed (only an OS crash can lose the last ones)
                self.connection.execute("PRAGMA synchronous=NORMAL")
                self.connection.execute(
                    "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created REAL)"
                )
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

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
