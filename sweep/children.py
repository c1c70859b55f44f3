"""Processes a sweep starts (API eval steps side by side, `accelerate launch`) die with it, however
it dies: on Linux each child asks the kernel for SIGTERM when its parent exits (PR_SET_PDEATHSIG),
kill -9 included, so no step goes on unseen and a re-run never runs one twice."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def dies_with_this_process() -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that ties the child to this process (None where the
    kernel has no such call)."""
    if not os.uname().sysname == "Linux":
        return None
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    parent = os.getpid()

    def tie() -> None:
        libc = ctypes.CDLL(library, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the tie was made
            os.kill(os.getpid(), signal.SIGTERM)

    return tie
