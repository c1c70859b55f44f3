"""`harness sweep run|status|report`, added to the harness command through the
`psyche_harness.commands` entry point. Imports nothing heavy until a command runs."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.errors import HarnessError

logger = logging.getLogger("harness")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ablation sweeps: train variants, evaluate them, regenerate Tables 3 and 4 (optional extra).",
)
SweepArgument = Annotated[
    Path | None, typer.Argument(help="The sweep file, as --config gives it", show_default=False)
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="The sweep file (YAML); see sweep/configs/ or `harness sweep init`"),
]


def _sweep_file(positional: Path | None, config: Path | None) -> Path:
    """--config FILE, as synth and train take theirs (the file as a bare argument still works)."""
    if positional is not None and config is not None and positional != config:
        raise HarnessError(f"two sweep files given ({positional} and --config {config}): give one")
    chosen = config or positional
    if chosen is None:
        raise HarnessError("give the sweep file: --config FILE (e.g. --config sweep/configs/tiny.yaml)")
    return chosen


def _load(path: Path):  # type: ignore[no-untyped-def]
    from sweep.config import load_sweep

    return load_sweep(path)


@app.command("run")
def run_command(
    sweep_file: SweepArgument = None,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the steps that would run; run nothing")
    ] = False,
    executor: Annotated[
        str | None, typer.Option("--executor", help="local or slurm (default: the sweep file's)")
    ] = None,
) -> None:
    """Run every step not yet done (shared steps once); a re-run goes on where the last one stopped."""
    from sweep.execute import run_sweep
    from sweep.report import write_report

    sweep_file = _sweep_file(sweep_file, config)
    sweep = _load(sweep_file)

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    chosen = executor or sweep.executor.kind
    if chosen not in ("local", "slurm"):
        raise HarnessError(f"--executor {chosen!r}: use local or slurm")
    if chosen == "slurm" and not dry_run:
        _submit(sweep, say)
        sys.stdout.write(f"follow with: harness sweep status --config {sweep_file}\n")
        return
    run_sweep(sweep, say, dry_run)
    if not dry_run and sweep.report.kind != "none":
        sys.stdout.write(f"report: {write_report(sweep)}\n")


def _submit(sweep, say) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from harness.errors import describe_validation_error
    from sweep.slurm import SlurmSettings, submit_sweep

    try:
        settings = SlurmSettings.model_validate(sweep.executor.slurm)
    except ValidationError as error:
        raise HarnessError(f"{sweep.path}: executor.slurm: {describe_validation_error(error)}") from None
    submit_sweep(sweep, settings, say)


@app.command("init")
def init_command(
    example: Annotated[str, typer.Argument(help="tiny, table3, table4, figure3 or figure4")] = "tiny",
    to: Annotated[Path, typer.Option("--to", help="The folder to copy into")] = Path("."),
) -> None:
    """Copy a shipped sweep file and the configs it names into a folder of yours, to edit and run."""
    from harness.config_files import init_from_example

    init_from_example(Path(__file__).resolve().parent / "configs", example, to, "sweep")


@app.command("step", hidden=True)
def step_command(sweep_file: Path, digest: Annotated[str, typer.Argument()]) -> None:
    """Run one step of a sweep (what the local executor starts for steps it runs side by side)."""
    from sweep.execute import run_marked
    from sweep.plan import plan_sweep

    sweep = _load(sweep_file)
    plan = plan_sweep(sweep)
    if digest not in plan.steps:
        raise HarnessError(f"{sweep_file}: no step {digest[:12]} in this sweep")
    run_marked(sweep.output_path, plan, plan.steps[digest])


@app.command("status")
def status_command(sweep_file: SweepArgument = None, config: ConfigOption = None) -> None:
    """Each variant's steps: done, running, failed or pending."""
    from sweep.execute import state
    from sweep.plan import plan_sweep
    from sweep.scheduler import job_states, recorded_job
    from sweep.steps import step_folder

    sweep = _load(_sweep_file(sweep_file, config))
    plan = plan_sweep(sweep)
    jobs = [recorded_job(step_folder(sweep.output_path, step)) for step in plan.steps.values()]
    scheduler = job_states(job for job in jobs if job)  # asked once for every step
    for name, chain in plan.chains.items():
        steps = ", ".join(
            f"{plan.steps[d].label} {state(sweep.output_path, plan.steps[d], scheduler)}" for d in chain
        )
        sys.stdout.write(f"{name}: {steps}\n")


@app.command("report")
def report_command(sweep_file: SweepArgument = None, config: ConfigOption = None) -> None:
    """Write the sweep's table or figure (report.md, and the table as CSV, LaTeX and HTML) from the
    finished eval steps."""
    from sweep.report import write_report

    sys.stdout.write(f"{write_report(_load(_sweep_file(sweep_file, config)))}\n")
