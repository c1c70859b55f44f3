"""The one exception type for mistakes a user can make (bad files, settings, names)."""


class HarnessError(Exception):
    """A user-facing error: its message names the file, record or setting and what to do.

    The CLI prints it on one line and exits non-zero, without a traceback.
    """
