"""`harness sweep run|status|report`, added to the harness command through the
`psyche_harness.commands` entry point. Imports nothing heavy until a command runs."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.errors import HarnessError

if TYPE_CHECKING:
    from sweep.config import SweepFile

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
        sys.stdout.write(f"report: {_write_report(sweep)}\n")


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
    sys.stdout.write(f"{_write_report(_load(_sweep_file(sweep_file, config)))}\n")


def _write_report(sweep: SweepFile) -> Path:
    from harness.files import write_text_atomically
    from sweep.plan import plan_sweep
    from sweep.report import build_table, read_reference, read_run, to_csv, to_html, to_latex, to_markdown
    from sweep.steps import done_record

    if sweep.report.kind == "none":
        raise HarnessError(f"{sweep.path}: no report kind (report: {{kind: table3 | table4}})")
    plan = plan_sweep(sweep)
    runs = {}
    for name, digest in plan.evals.items():
        record = done_record(sweep.output_path, plan.steps[digest])
        if record is not None:
            runs[name] = read_run(Path(record["outputs"]["run"]))
    unfinished = [name for name in plan.evals if name not in runs]
    partial = (
        f"Partial report: {len(unfinished)} of {len(plan.evals)} variants have no finished eval yet and "
        f"are left out ({', '.join(unfinished)}); `harness sweep report` again once they finish."
        if unfinished
        else ""
    )
    if partial:
        logger.warning(partial)
    path = sweep.output_path / "report.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if sweep.report.kind in ("figure3", "figure4"):
        from sweep.figures import figure3, figure4, read_labels

        figure = sweep.output_path / sweep.report.kind
        if sweep.report.kind == "figure3":
            body = figure3(runs, figure)
        else:
            if not sweep.report.labels:
                raise HarnessError(
                    f"{sweep.path}: report.labels: name the folder `harness synth label` wrote"
                )
            body = figure4(runs, read_labels(sweep.resolve(sweep.report.labels)), figure)
        top = f"{partial}\n\n" if partial else ""
        write_text_atomically(
            path, f"# {sweep.report.kind}\n\n{top}![{sweep.report.kind}]({figure.name}.png)\n\n{body}"
        )
        return path
    reference_file = sweep.report.reference or f"{sweep.report.kind}_paper.csv"
    reference_path = sweep.resolve(reference_file)
    if not reference_path.exists():
        from sweep.configs import SHIPPED

        reference_path = SHIPPED / reference_file
    reference = read_reference(reference_path)
    table = build_table(sweep.report.kind, runs, sweep.report.base, reference, list(sweep.report.pairs))
    if partial:
        table = replace(table, notes=(partial, *table.notes))
    for suffix, render in ((".csv", to_csv), (".tex", to_latex), (".html", to_html)):
        write_text_atomically(path.with_name(sweep.report.kind + suffix), render(table))
    write_text_atomically(path, to_markdown(table))
    return path
