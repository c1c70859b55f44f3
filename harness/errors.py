"""The one exception type for mistakes a user can make (bad files, settings, names), and the one
way a pydantic validation error is told to the user."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class HarnessError(Exception):
    """A user-facing error: its message names the file, record or setting and what to do.

    The CLI prints it on one line and exits non-zero, without a traceback.
    """


class RunInterrupted(HarnessError):
    """Ctrl-C or SIGTERM during a run: the message says what was kept and how to resume."""

    exit_code = 130


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' when a known name is close to a mistyped one, else ''."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=2, cutoff=0.75)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def describe_validation_error(error: ValidationError) -> str:
    """A pydantic error as one line: where (dotted setting path) and what is wrong with it."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
    if problem["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"unknown setting {where!r}"
    if problem["type"] == "missing":
        return f"missing setting {where!r}"
    return f"setting {where!r}: {problem['msg']}"
