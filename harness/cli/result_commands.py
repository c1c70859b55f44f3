"""Commands that read runs: leaderboard (the paper's tables with our rows) and compare (two runs, or a run against the paper)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.app import app
from harness.cli.options import (
    IncludeOption,
    TasksOption,
    results_folder,
    split_names,
)
from harness.errors import HarnessError


@app.command("leaderboard")
def leaderboard_command(
    benchmark: Annotated[
        str,
        typer.Option(
            "--benchmark", help="A benchmark with a leaderboard layout (pceb, cpsyexam, psydt ...) or all"
        ),
    ] = "all",
    results_dir: Annotated[
        Path | None, typer.Option("--results-dir", help="Run folders to add as rows (default: results)")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="md, csv, tex or html (printed)")] = "md",
    out_dir: Annotated[
        Path | None, typer.Option("--output-dir", "--out-dir", help="Write every format and the figures here")
    ] = None,
    include_path: IncludeOption = None,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="How our rows are scored: benchmark (each benchmark's own code, as the paper's rows) or strict",
        ),
    ] = "benchmark",
    figure_all_runs: Annotated[
        bool,
        typer.Option(
            "--figure-all-runs",
            help="Draw partial and other unranked runs in Figure 1 too (left out by default)",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Break our runs down: level (PCEB exam levels), subject (CPsyExam subjects) or topic "
            "(CPsyCounE topics x dimensions, per judge); md or csv",
        ),
    ] = None,
) -> None:
    """Rebuild the paper's Tables 1 (PCEB), 2 (CPsyExam) and 5 (PsyDT), and any benchmark whose task
    file declares a leaderboard, with our runs beside them."""
    from harness.leaderboard.build import benchmark_names, build_leaderboards

    results_dir = results_folder(results_dir)
    if by is not None:
        from harness.leaderboard import breakdown

        if output_format not in ("md", "csv"):
            raise HarnessError(f"--by prints md or csv, not {output_format}")
        tables = breakdown.breakdowns(by, results_dir, tuple(include_path or ()), protocol)
        sys.stdout.write((breakdown.to_markdown if output_format == "md" else breakdown.to_csv)(tables))
        return

    includes = tuple(include_path or ())
    names = benchmark_names(includes) if benchmark == "all" else [benchmark]
    printed = build_leaderboards(
        names, results_dir, output_format, out_dir, includes, protocol, figure_all_runs
    )
    if printed:
        sys.stdout.write(printed)


@app.command("compare")
def compare_command(
    model_a: Annotated[str, typer.Argument(help="A run: MODEL (its latest run), MODEL/SPEC or a folder")],
    model_b: Annotated[
        str | None, typer.Argument(help="A run: MODEL (its latest run), MODEL/SPEC or a folder")
    ] = None,
    tasks: TasksOption = "pceb_mcq",
    results_dir: Annotated[Path, typer.Option("--results-dir")] = Path("results"),
    metric: Annotated[
        str, typer.Option("--metric", help="A declared metric: acc, acc_elastic, rouge1 ...")
    ] = "acc",
    include_path: IncludeOption = None,
    paper: Annotated[
        bool,
        typer.Option(
            "--paper",
            help="Set the run against the paper's row for the same model (its models.yaml display name): "
            "per column ours, the paper's, the difference, and whether the paper's value lies in our 95% interval",
        ),
    ] = False,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="benchmark (each benchmark's own reading, as the leaderboard: items both runs answered) or strict",
        ),
    ] = "benchmark",
) -> None:
    """Paired difference of two runs on their shared items (bootstrap interval, McNemar test), or
    with --paper one reproduced run against the paper's numbers."""
    from harness.console_tables import COMPARE_PROTOCOLS, print_against_paper, print_comparison
    from harness.leaderboard.compare import compare_runs, compare_with_paper

    if paper:
        if model_b is not None:
            raise HarnessError("compare --paper takes one run (it is set against the paper's row)")
        print_against_paper(model_a, compare_with_paper(results_dir, model_a, tuple(include_path or ())))
        return
    if model_b is None:
        raise HarnessError("compare needs two runs (or one with --paper)")
    if protocol not in COMPARE_PROTOCOLS:
        raise HarnessError(f"--protocol {protocol!r}: use {' or '.join(COMPARE_PROTOCOLS)}")

    comparison = compare_runs(
        results_dir, model_a, model_b, split_names(tasks), metric, tuple(include_path or ()), protocol
    )
    print_comparison(comparison, model_a, model_b, metric, COMPARE_PROTOCOLS[protocol])
