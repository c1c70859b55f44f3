"""The one progress display of every command: a rich bar with an ETA on a terminal, plain lines
every few seconds when the output is not one (a log file, CI)."""

from __future__ import annotations

import os
import sys
from typing import Any

HEARTBEAT_ENV = "PSYCHE_PROGRESS_S"  # seconds between progress lines off a terminal at most


class ProgressDisplay:
    """Progress over the responses still to generate: a rich bar with an ETA on a terminal; when the
    output is not a terminal (a log file, CI), a plain line every `interval_s` seconds and at the end,
    and a heartbeat line every `heartbeat_s` seconds while nothing finishes (a slow model's one long
    answer never leaves a log silent)."""

    def __init__(self, interval_s: float = 5.0, heartbeat_s: float | None = None) -> None:
        """`heartbeat_s` None: $PSYCHE_PROGRESS_S, else 15 s."""
        if heartbeat_s is None:
            heartbeat_s = _seconds_from_environment(HEARTBEAT_ENV, 15.0)
        self.interval_s, self.heartbeat_s = min(interval_s, heartbeat_s), heartbeat_s
        self.bar: Any = None
        self._open: list[dict[str, Any]] = []  # plain-line progresses not yet complete
        self._stop: Any = None

    def __enter__(self) -> Any:
        import threading
        import time

        if not sys.stderr.isatty():
            lock = threading.Lock()

            def say(state: dict[str, Any], now: float, note: str = "") -> None:
                state["said"] = now
                elapsed = now - state["started"]
                left = _time_left(elapsed, state["done"], state["total"])
                sys.stderr.write(
                    f"{state['what']}: {state['done']}/{state['total']} ({int(elapsed)} s{left}{note})\n"
                )
                sys.stderr.flush()

            def lines(total: int, what: str) -> Any:
                now = time.monotonic()
                state: dict[str, Any] = {"what": what, "total": total, "done": 0, "started": now, "said": now}
                with lock:
                    self._open.append(state)

                def advance() -> None:
                    with lock:
                        state["done"] += 1
                        now = time.monotonic()
                        if state["done"] == total or now - state["said"] >= self.interval_s:
                            say(state, now)
                        if state["done"] >= total and state in self._open:
                            self._open.remove(state)

                return advance

            self._stop = threading.Event()

            def heartbeat() -> None:
                while not self._stop.wait(min(1.0, self.heartbeat_s)):
                    with lock:
                        now = time.monotonic()
                        for state in self._open:
                            if now - state["said"] >= self.heartbeat_s:
                                say(state, now, ", still working")

            threading.Thread(target=heartbeat, name="progress-heartbeat", daemon=True).start()
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
        if self._stop is not None:
            self._stop.set()
        if self.bar is not None:
            self.bar.stop()


def _time_left(elapsed: float, done: int, total: int) -> str:
    """', about N min left' at the pace so far (nothing before the first answer or at the end)."""
    if done == 0 or done >= total:
        return ""
    seconds = elapsed / done * (total - done)
    if seconds < 90:
        return f", about {max(1, round(seconds))} s left"
    if seconds < 5400:
        return f", about {round(seconds / 60)} min left"
    return f", about {seconds / 3600:.1f} h left"


def _seconds_from_environment(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default
