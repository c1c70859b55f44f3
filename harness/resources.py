"""Where the files that ship with the harness are: the built-in task folder (task files, few-shot
exemplars, the paper's reference tables) and the default models file. An installed wheel carries
them inside the package (harness/_bundled/, see setup.py); a checkout has them at its root."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path:
    bundled = Path(str(files("harness").joinpath("_bundled", name)))
    return bundled if bundled.exists() else PROJECT_ROOT / name


def builtin_tasks_dir() -> Path:
    """The folder of the built-in task files."""
    return _shipped("tasks")


def default_models_file() -> Path:
    """models.yaml as shipped."""
    return _shipped("models.yaml")


def checkout_root() -> Path | None:
    """The git checkout the harness runs from, if it runs from one (for provenance)."""
    return PROJECT_ROOT if (PROJECT_ROOT / ".git").exists() else None
