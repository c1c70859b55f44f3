"""The `harness` command: the typer app, plugins, and the entry point that turns a user's mistake
into one line and an interrupt into a clean stop."""

from __future__ import annotations

import sys

import typer

from harness.errors import HarnessError
from harness.help_text import tidy_help

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Evaluate Chinese psychological LLMs (PCEB, CPsyExam)."
)


PLUGIN_GROUP = "psyche_harness.commands"


def _add_plugins() -> None:
    """Sub-commands from installed plugins (entry points in PLUGIN_GROUP), e.g. `harness train`.
    A plugin module must import nothing heavy at import time."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            plugin = entry.load()
        except Exception as error:  # noqa: BLE001 - a broken plugin must not break evaluation
            sys.stderr.write(f"warning: plugin {entry.name!r} could not be loaded ({error})\n")
            continue
        app.add_typer(plugin, name=entry.name)


def _names_a_builtin_command(arguments: list[str]) -> bool:
    """Whether the command line names one of the commands above: plugins (found by scanning every
    installed package's entry points) are loaded only for the others, and for --help."""
    builtin = {command.name for command in app.registered_commands}
    return bool(arguments) and arguments[0] in builtin


def main() -> None:
    """Entry point: user mistakes print one line and exit 2, without a traceback."""
    import logging
    import os
    import signal
    import sqlite3

    from harness.errors import RunInterrupted

    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)
    # Weight loading and downloads draw their own bars; the harness shows one progress display.
    # (Set before transformers is imported; a user's own setting wins.)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # OpenMP threads that wait by sleeping, not spinning: on a busy 2-core machine spinning threads
    # fight the other work and the README's job took twice as long (benchmarks/first_run.py --busy 2:
    # 287 s -> 144 s; no cost when idle, 79 vs 82 s). Read when torch loads, so set before it does.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    signal.signal(signal.SIGTERM, _interrupt)
    if not _names_a_builtin_command(sys.argv[1:]):
        _add_plugins()
    try:
        try:
            command = typer.main.get_command(app)
            tidy_help(command)
            command(prog_name="harness")
        except SystemExit as stop:
            # typer turns a KeyboardInterrupt (Ctrl-C, or SIGTERM below) into a silent exit 130
            if stop.code == RunInterrupted.exit_code and _interrupted(stop):
                raise KeyboardInterrupt from None
            raise
    except RunInterrupted as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(RunInterrupted.exit_code)
    except HarnessError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    except BrokenPipeError:  # the reader of our output went away (`| head`): nothing to say
        sys.exit(1)
    except OSError as error:  # a folder that is a file, read-only, a full disk: the system's words, one line
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"error: {where}{error.strerror or error}; files already written are whole\n")
        sys.exit(2)
    except sqlite3.DatabaseError as error:
        sys.stderr.write(
            f"error: a response cache (cache.sqlite) is damaged ({error}): move it away and re-run\n"
        )
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write(
            f"interrupted: `{' '.join(['harness', *sys.argv[1:]])}` stopped; every file on disk is whole "
            "(written completely or not at all): run the same command again to go on\n"
        )
        sys.exit(RunInterrupted.exit_code)


def _interrupted(stop: BaseException) -> bool:
    """Whether an exit was caused by a KeyboardInterrupt somewhere down its chain of causes."""
    seen: BaseException | None = stop
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a run like Ctrl-C: what was kept is reported, nothing half-written remains.
    It is turned into SIGINT, so that whoever handles Ctrl-C handles it: inside asyncio.run (the
    API backend) the running requests are cancelled and the loop closed before the interrupt
    surfaces, instead of a KeyboardInterrupt raised inside a task ("Task exception was never
    retrieved" and its traceback)."""
    import signal

    signal.raise_signal(signal.SIGINT)
