"""The `harness` command line: one module per family of commands, each registering its commands on
the app in harness/cli/app.py (which also loads plugins and is the entry point)."""

# The order of registration is the order of `harness --help`: making runs, the tasks, reading runs.
# isort: off
from harness.cli import run_commands, task_commands, result_commands
from harness.cli.app import app, main

# isort: on

__all__ = ["app", "main", "result_commands", "run_commands", "task_commands"]
