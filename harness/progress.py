"""The one progress display of every command: a rich bar with an ETA on a terminal, plain lines
every few seconds when the output is not one (a log file, CI)."""

from __future__ import annotations

import sys
from typing import Any


class ProgressDisplay:
    """Progress over the responses still to generate: a rich bar with an ETA on a terminal; when the
    output is not a terminal (a log file, CI), a plain line every `interval_s` seconds and at the end."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self.bar: Any = None

    def __enter__(self) -> Any:
        import time

        if not sys.stderr.isatty():

            def lines(total: int, what: str) -> Any:
                state = {"done": 0, "started": time.monotonic(), "said": time.monotonic()}

                def advance() -> None:
                    state["done"] += 1
                    now = time.monotonic()
                    if state["done"] == total or now - state["said"] >= self.interval_s:
                        state["said"] = now
                        elapsed = int(now - state["started"])
                        sys.stderr.write(f"{what}: {int(state['done'])}/{total} ({elapsed} s)\n")
                        sys.stderr.flush()

                return advance

            return lines
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        )
        self.bar.start()

        def factory(total: int, what: str) -> Any:
            task = self.bar.add_task(what, total=total)
            return lambda: self.bar.advance(task)

        return factory

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
