"""Files written whole or not at all, and text files read with one clear line when they cannot be."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from harness.errors import HarnessError


def write_text_atomically(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (see write_bytes_atomically)."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write through a uniquely named temporary file, flushed to disk, then rename: a reader (or a
    crash at any moment) sees the old file or the new one, never half of one, and two writers never
    share a temporary file. Temporary files of this path that a killed writer left are removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_orphaned_temporaries(path)
    prefix = f".{path.name}.{os.getpid()}."
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # as open() would make it (mkstemp makes 0600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask: from /proc on Linux (nothing changed), else read by setting it back."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def sweep_orphaned_temporaries(path: Path) -> None:
    """Remove `.NAME.<pid>.*.tmp` files beside `path` whose writing process no longer exists (killed
    mid-write); a live writer's file (another process writing the same path now) is left alone."""
    for candidate in path.parent.glob(f".{path.name}.*.tmp"):
        pid = candidate.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            candidate.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 text file, or a HarnessError naming it and `what` it is (missing, unreadable, not UTF-8)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise HarnessError(f"{path}: cannot read {what} ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise HarnessError(f"{path}: not UTF-8 text ({what}; invalid byte at offset {error.start})") from None
