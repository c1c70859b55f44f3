"""Where the files that ship with the harness are: the built-in task folder (task files, few-shot
exemplars, the paper's reference tables) and the default models file."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def builtin_tasks_dir() -> Path:
    """The folder of the built-in task files."""
    return PROJECT_ROOT / "tasks"


def default_models_file() -> Path:
    """models.yaml as shipped."""
    return PROJECT_ROOT / "models.yaml"
