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


def installed_package_file(path: Path) -> bool:
    """Whether a file lies inside an installed package (site-packages), where nothing is written."""
    import sysconfig

    resolved = path.resolve()
    roots = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    return any(resolved.is_relative_to(root) for root in roots)


def output_folder(config_file: Path, output_dir: str) -> Path:
    """A config's output_dir as it means it: relative to the config file, except for an example
    config read from an installed package, whose outputs go under the current folder (the same
    path without its leading '..' parts), never into site-packages."""
    if installed_package_file(config_file) and not Path(output_dir).is_absolute():
        kept = [part for part in Path(output_dir).parts if part not in ("..", ".")]
        return (Path.cwd() / Path(*kept)).resolve() if kept else Path.cwd().resolve()
    return (config_file.parent / output_dir).resolve()
