"""What several commands share: their common options and how they read them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.errors import HarnessError

TasksOption = Annotated[
    str, typer.Option("--tasks", help="Comma-separated tasks or groups, e.g. pceb,cpsyexam")
]
DataDirOption = Annotated[
    str | None,
    typer.Option("--data-dir", help="Folder holding PCEB/ and CPsyExam/ (default: $PSYCHE_DATA_DIR)"),
]
OutputOption = Annotated[Path, typer.Option("--output-dir", help="Where run folders are written")]
LimitOption = Annotated[int | None, typer.Option("--limit", help="Only the first N docs of each task")]
SplitOption = Annotated[
    str | None,
    typer.Option("--split", help="CPsyExam split: dev (default, scored), test (answers withheld) or train"),
]
JudgesOption = Annotated[
    str | None,
    typer.Option(
        "--judges",
        "--judge",
        help="Judge model(s) from models.yaml for psydt/cpsycoune, comma-separated; two or more also "
        "report their agreement (default: the task's judge, gpt-4o)",
    ),
]
IncludeOption = Annotated[
    list[Path] | None,
    typer.Option("--include-path", help="A folder of task files to add to the built-in ones (repeatable)"),
]
SampleOption = Annotated[
    int | None, typer.Option("--sample", help="PsyDT: size of the fixed-seed random sample (default 200)")
]


def judge_names(judges: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (judges or "").split(",") if name.strip())


def split_names(tasks: str) -> list[str]:
    names = [name.strip() for name in tasks.split(",") if name.strip()]
    if not names:
        raise HarnessError("--tasks is empty: name at least one task, e.g. --tasks pceb")
    return names


def results_folder(given: Path | None) -> Path:
    """The folder of run folders: `results` when none is named (it may not exist yet); a named one
    must be a folder that exists, or nothing would be shown as if there were no runs."""
    if given is None:
        return Path("results")
    if not given.exists():
        raise HarnessError(f"--results-dir {given}: no such folder (name the --output-dir of harness eval)")
    if not given.is_dir():
        raise HarnessError(f"--results-dir {given}: a file, not a folder of run folders")
    return given


def write_lines(lines: Any) -> None:
    """Stream lines to stdout; a reader that stops early (`harness docs ... | head`) ends the
    command quietly with status 0, as for any Unix filter."""
    import os

    try:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
