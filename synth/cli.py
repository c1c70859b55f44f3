"""`harness synth run|status|report|review`, added to the harness command through the
`psyche_harness.commands` entry point. Imports nothing heavy until a command runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.errors import HarnessError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Synthesise training data (D_sft, D_grpo) with the paper's pipeline (optional extra).",
)
review_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Human review of the questions.")
app.add_typer(review_app, name="review")
ConfigOption = Annotated[
    Path, typer.Option("--config", help="Synthesis configuration (YAML); see synth/configs/")
]


def _load(config: Path, max_cost: float | None = None):  # type: ignore[no-untyped-def]
    missing = [n for n in ("datasketch", "emoji", "rapidfuzz") if importlib.util.find_spec(n) is None]
    if missing:
        from harness.packages import install_hint

        raise HarnessError(
            f"synthesis needs the synth extra ({', '.join(missing)} missing): {install_hint('synth')}"
        )
    from synth.config import load_synth_config

    if max_cost is not None and not max_cost >= 0:
        raise HarnessError(f"--max-cost must be an amount of USD, 0 or more; got {max_cost}")
    loaded = load_synth_config(config)
    if max_cost is not None:
        loaded.max_cost = max_cost
    return loaded


@app.command("init")
def init_command(
    example: Annotated[str, typer.Argument(help="smoke (SmolLM2, inputs shipped) or paper")] = "smoke",
    to: Annotated[Path, typer.Option("--to", help="The folder to copy into")] = Path("."),
) -> None:
    """Copy a shipped synthesis config and the example inputs it names into a folder of yours."""
    from harness.config_files import init_from_example

    init_from_example(Path(__file__).resolve().parent / "configs", example, to, "synth")


@app.command("run")
def run_command(
    config: ConfigOption,
    max_cost: Annotated[
        float | None, typer.Option("--max-cost", help="Stop cleanly once this many USD are spent")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count inputs and estimate calls and cost; call nothing")
    ] = False,
) -> None:
    """Run or resume the pipeline; finished stages and answered calls are reused."""
    settings = _load(config, max_cost)
    if dry_run:
        from synth.pipeline import model_resolver
        from synth.preflight import check_before_any_call

        # models, inputs and the cost limit checked as the run checks them (endpoints are not dialled)
        resolve = model_resolver(settings)
        check_before_any_call(settings, resolve, endpoints=False)
        from synth.estimate import estimate, render_estimate

        window = resolve(settings.models.generate).context_window
        sys.stdout.write(render_estimate(estimate(settings, window), settings))
        return
    from harness.progress import ProgressDisplay
    from synth.pipeline import run_pipeline
    from synth.report import write_report

    with ProgressDisplay() as progress:
        result = run_pipeline(settings, progress)
    report = write_report(settings)
    counts = result.dataset.counts
    errors = sum(output.errors for output in result.outputs.values())
    sys.stdout.write(
        f"dataset: {result.dataset.folder} (D_sft {counts['D_pr'] + counts['D_em'] + counts['D_ps']}, "
        f"D_grpo {counts['D_pc'] + counts['D_cp']}); funnel: {report}\n"
    )
    if errors:
        raise HarnessError(
            f"{errors} item(s) ended in error (listed in the report); re-run to retry only those"
        )


@app.command("status")
def status_command(config: ConfigOption) -> None:
    """Each stage: finished or not, items in and out, errors; calls made so far."""
    settings = _load(config)  # first: without the extra, one line saying how to add it
    from synth.pipeline import stage_manifests
    from synth.report import usage_by_stage

    usage = usage_by_stage(settings)
    for name, manifest in stage_manifests(settings).items():
        calls = sum(v["calls"] for (stage, _), v in usage.items() if stage == name)
        hits = sum(v["cache_hits"] for (stage, _), v in usage.items() if stage == name)
        if manifest is None:
            state = f"pending ({calls} calls made)" if calls else "pending"
        else:
            state = f"{manifest['in']} in, {manifest['out']} out, {manifest['errors']} in error"
            state = ("finished: " if not manifest["errors"] else "incomplete: ") + state
        sys.stdout.write(f"{name:26s} {state}; calls {calls}, cache hits {hits}\n")


@app.command("report")
def report_command(config: ConfigOption) -> None:
    """Write the funnel report (Markdown, JSON, PNG) into the run folder."""
    settings = _load(config)
    from synth.report import write_report

    sys.stdout.write(f"{write_report(settings)}\n")


@app.command("label")
def label_command(
    config: ConfigOption,
    tasks: Annotated[str, typer.Option("--tasks", help="Benchmark tasks or groups to label, e.g. pceb")],
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N items of each task")] = None,
) -> None:
    """Label a benchmark's items challenging or not with the cross-selection panel (Figure 4's split)."""
    settings = _load(config)
    from harness.progress import ProgressDisplay
    from synth.labels import label_tasks

    names = [name.strip() for name in tasks.split(",") if name.strip()]
    with ProgressDisplay() as progress:
        written = label_tasks(settings, names, limit, progress)
    for labels in written:
        sys.stdout.write(
            f"{labels.task}: {labels.challenging} of {labels.total} challenging"
            f"{f', {labels.errors} in error' if labels.errors else ''} -> {labels.path}\n"
        )
    if any(labels.errors for labels in written):
        raise HarnessError("some items ended in error; re-run to retry only those")


@review_app.command("export")
def review_export(
    config: ConfigOption,
    out: Annotated[Path, typer.Option("--out", help="The review sheet to write (CSV)")],
) -> None:
    """Write the questions that passed the model's control as a CSV sheet (decision: keep)."""
    settings = _load(config)
    from synth.pipeline import stage_folder
    from synth.records import Question
    from synth.stages.control import write_review_sheet

    stored = stage_folder(settings, "control")
    if stored.manifest() is None:
        raise HarnessError(
            f"{stored.folder}: the control stage has not finished; run `harness synth run` first"
        )
    questions = [record for record in stored.kept() if isinstance(record, Question)]
    write_review_sheet(out, questions)
    sys.stdout.write(
        f"{out}: {len(questions)} questions; write drop in the decision column to remove one, "
        "then set stages: {review: {review_file: ...}} in the config and run again\n"
    )
