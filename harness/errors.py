"""The one exception type for mistakes a user can make (bad files, settings, names)."""


class HarnessError(Exception):
    """A user-facing error: its message names the file, record or setting and what to do.

    The CLI prints it on one line and exits non-zero, without a traceback.
    """


class RunInterrupted(HarnessError):
    """Ctrl-C or SIGTERM during a run: the message says what was kept and how to resume."""

    exit_code = 130
