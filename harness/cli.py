"""The `harness` command: parses arguments, calls one function per command, prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.errors import HarnessError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Evaluate Chinese psychological LLMs (PCEB, CPsyExam)."
)

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
    str | None, typer.Option("--split", help="CPsyExam split: dev (default, scored) or test")
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
SampleOption = Annotated[
    int | None, typer.Option("--sample", help="PsyDT: size of the fixed-seed random sample (default 200)")
]


@app.command("eval")
def eval_command(
    model: Annotated[
        str, typer.Option("--model", help="A models.yaml name or a local model folder")
    ] = "smollm2-135m",
    tasks: TasksOption = "pceb",
    data_dir: DataDirOption = None,
    output_dir: OutputOption = Path("results"),
    limit: LimitOption = None,
    max_new_tokens: Annotated[
        int | None, typer.Option("--max-new-tokens", help="Override the model's setting")
    ] = None,
    split: SplitOption = None,
    answer_key: Annotated[
        str | None, typer.Option("--answer-key", help="CPsyExam test answer key (official format)")
    ] = None,
    judges: JudgesOption = None,
    sample: SampleOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Regenerate every response")] = False,
    models_file: Annotated[Path | None, typer.Option("--models-file", help="Instead of models.yaml")] = None,
) -> None:
    """Run a model on tasks; writes <output-dir>/<model>/results.json and samples/."""
    from harness.models import resolve_model
    from harness.runner import RunOptions, evaluate

    spec = resolve_model(model, [models_file] if models_file else None)
    options = RunOptions(
        data_dir=data_dir,
        output_dir=output_dir,
        limit=limit,
        use_cache=not no_cache,
        split=split,
        answer_key=answer_key,
        max_new_tokens=max_new_tokens,
        sample=sample,
        judges=_judge_names(judges),
        models_files=(models_file,) if models_file else None,
    )
    with _ProgressBar() as progress:
        results = evaluate(spec, _split_names(tasks), options, progress)
    _print_table(results, spec.name)


@app.command("score")
def score_command(
    tasks: Annotated[
        str | None, typer.Option("--tasks", help="Comma-separated tasks or groups (with --predictions)")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help='JSONL lines {"doc_id": ..., "response": ...}')
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Re-score a run from its stored responses: MODEL, MODEL/SPEC or a folder"),
    ] = None,
    model_name: Annotated[str, typer.Option("--model-name", help="Name of the run folder")] = "external",
    data_dir: DataDirOption = None,
    output_dir: OutputOption = Path("results"),
    limit: LimitOption = None,
    split: SplitOption = None,
    answer_key: Annotated[str | None, typer.Option("--answer-key")] = None,
    judges: JudgesOption = None,
    sample: SampleOption = None,
    models_file: Annotated[Path | None, typer.Option("--models-file", help="Instead of models.yaml")] = None,
) -> None:
    """Score responses produced elsewhere (--predictions), or re-score a run (--run), and write the
    same results files."""
    from harness.results import read_predictions, resolve_run
    from harness.runner import RunOptions, rescore_run, score_predictions

    options = RunOptions(
        data_dir=data_dir,
        output_dir=output_dir,
        limit=limit,
        split=split,
        answer_key=answer_key,
        sample=sample,
        judges=_judge_names(judges),
        models_files=(models_file,) if models_file else None,
    )
    if run is not None:
        folder = resolve_run(output_dir, run)
        with _ProgressBar() as progress:
            results = rescore_run(folder, options, progress)
        _print_table(results, str(folder))
        return
    if tasks is None or predictions is None:
        raise HarnessError("harness score needs --tasks and --predictions, or --run to re-score a run")
    rows = read_predictions(predictions)
    with _ProgressBar() as progress:
        results = score_predictions(model_name, _split_names(tasks), rows, options, progress)
    _print_table(results, model_name)


@app.command("runs")
def runs_command(
    results_dir: Annotated[Path, typer.Option("--results-dir", help="Where run folders are")] = Path(
        "results"
    ),
) -> None:
    """List the runs: model, spec, tasks, split, coverage (complete or not), scoring, date."""
    from rich.table import Table

    from harness.runs import list_runs

    table = Table("model", "run", "tasks", "split", "limit", "coverage", "scoring", "finished")
    for run in list_runs(results_dir):
        table.add_row(
            run.model, run.name, run.tasks, run.split, run.limit, run.coverage, run.scoring, run.finished
        )
    _console().print(table)


@app.command("tasks")
def tasks_command(data_dir: DataDirOption = None, split: SplitOption = None) -> None:
    """List tasks and groups with their sizes (a benchmark whose data is missing says so)."""
    from rich.table import Table

    from harness.catalog import load_tasks
    from harness.runner import RunOptions

    metadata = RunOptions(data_dir=data_dir, split=split).metadata()
    table = Table("task", "docs", "scorer", "version")
    for name in ("pceb", "cpsyexam", "cpsyexam_5shot", "cpsycoune", "psydt"):
        try:
            leaves, groups = load_tasks([name], metadata)
        except HarnessError as error:
            table.add_row(name, "", "unavailable", str(error))
            continue
        sizes = {leaf.name: len(leaf.docs) for leaf in leaves}
        for leaf in leaves:
            table.add_row(leaf.name, str(len(leaf.docs)), leaf.scorer, leaf.version)
        for group in groups:
            table.add_row(
                f"[bold]{group.name}[/] (group)", str(sum(sizes.get(t, 0) for t in group.subtasks)), "", ""
            )
    _console().print(table)


@app.command("docs")
def docs_command(
    tasks: TasksOption, data_dir: DataDirOption = None, limit: LimitOption = None, split: SplitOption = None
) -> None:
    """Print each doc's id, rendered prompt (chat messages) and gold as JSONL."""
    import json

    from harness.catalog import load_tasks
    from harness.runner import RunOptions

    leaves, _ = load_tasks(_split_names(tasks), RunOptions(data_dir=data_dir, split=split).metadata())
    for leaf in leaves:
        for doc in leaf.docs[:limit] if limit else leaf.docs:
            row = {
                "task": leaf.name,
                "doc_id": doc["doc_id"],
                "messages": leaf.messages(doc),
                "gold": doc.get("answer") or doc.get("reference") or None,
            }
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


@app.command("leaderboard")
def leaderboard_command(
    benchmark: Annotated[str, typer.Option("--benchmark", help="pceb, cpsyexam, psydt or all")] = "all",
    results_dir: Annotated[Path, typer.Option("--results-dir", help="Run folders to add as rows")] = Path(
        "results"
    ),
    output_format: Annotated[str, typer.Option("--format", help="md, csv, tex or html (printed)")] = "md",
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write every format and Figure 1 here")
    ] = None,
) -> None:
    """Rebuild the paper's Tables 1 (PCEB), 2 (CPsyExam) and 5 (PsyDT) with our runs beside them."""
    from harness.leaderboard.build import build_leaderboards

    names = ["pceb", "cpsyexam", "psydt"] if benchmark == "all" else [benchmark]
    printed = build_leaderboards(names, results_dir, output_format, out_dir)
    if printed:
        sys.stdout.write(printed)


@app.command("compare")
def compare_command(
    model_a: Annotated[str, typer.Argument(help="A run: MODEL (its latest run), MODEL/SPEC or a folder")],
    model_b: Annotated[str, typer.Argument(help="A run: MODEL (its latest run), MODEL/SPEC or a folder")],
    tasks: TasksOption = "pceb_mcq",
    results_dir: Annotated[Path, typer.Option("--results-dir")] = Path("results"),
    metric: Annotated[str, typer.Option("--metric", help="acc or acc_elastic")] = "acc",
) -> None:
    """Paired difference of two runs on their shared items: bootstrap interval and McNemar test."""
    from rich.table import Table

    from harness.leaderboard.build import compare_runs

    table = Table(
        "tasks",
        "n",
        model_a,
        model_b,
        "difference",
        "95% interval",
        "only A right",
        "only B right",
        "McNemar p",
    )
    for name, result in compare_runs(results_dir, model_a, model_b, _split_names(tasks), metric):
        table.add_row(
            name,
            str(result.n),
            f"{100 * result.mean_a:.2f}",
            f"{100 * result.mean_b:.2f}",
            f"{100 * result.difference:+.2f}",
            f"[{100 * result.interval[0]:+.2f}, {100 * result.interval[1]:+.2f}]",
            str(result.only_a_right),
            str(result.only_b_right),
            f"{result.p_value:.4f}",
        )
    _console().print(table)


def _judge_names(judges: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (judges or "").split(",") if name.strip())


def _split_names(tasks: str) -> list[str]:
    names = [name.strip() for name in tasks.split(",") if name.strip()]
    if not names:
        raise HarnessError("--tasks is empty: name at least one task, e.g. --tasks pceb")
    return names


class _ProgressBar:
    """A rich progress bar over the responses still to generate."""

    def __enter__(self) -> Any:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        )
        self.bar.start()

        def factory(total: int, what: str) -> Any:
            task = self.bar.add_task(what, total=total)
            return lambda: self.bar.advance(task)

        return factory

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def _print_table(results: dict[str, Any], name: str) -> None:
    from rich.table import Table

    def cell(value: Any) -> str:
        return "" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)

    table = Table(
        "task",
        "scored/expected",
        "acc",
        "acc_elastic",
        "unparsed",
        "R-1",
        "R-L",
        "B-4",
        "failed",
        "missing",
        title=f"results: {name}",
    )
    rows = [(task, values) for task, values in results["tasks"].items() if "dimensions" not in values]
    rows += [(f"{group} (avg)", values) for group, values in results["groups"].items()]
    judged = [(task, values) for task, values in results["tasks"].items() if "dimensions" in values]
    for task, values in judged:
        _print_judged(task, values, name)
    if not rows:
        return
    for task, values in rows:
        scored = f"{values.get('n_scored', values.get('n'))}/{values.get('n_expected', values.get('n'))}"
        table.add_row(
            task,
            scored if "subtasks" not in values else cell(values.get("n")),
            cell(values.get("acc")),
            cell(values.get("acc_elastic")),
            cell(values.get("n_unparsed")),
            cell(values.get("rouge1")),
            cell(values.get("rougeL")),
            cell(values.get("bleu4")),
            cell(values.get("n_failed")),
            cell(values.get("n_missing")),
        )
    _console().print(table)
    for group, values in results["groups"].items():
        if values.get("incomplete"):
            _console().print(f"{group}: no aggregate, incomplete ({'; '.join(values['incomplete'][:3])})")


def _print_judged(task: str, values: dict[str, Any], name: str) -> None:
    """One judged task: each dimension's mean and 95% interval, per judge, and judge failures."""
    from rich.table import Table

    by_judge = values.get("by_judge") or {values["judge"]: values}
    table = Table("judge", "judged", "judge failed", *values["dimensions"], title=f"{task}: {name}")
    for judge, summary in by_judge.items():
        cells = []
        for key in values["dimensions"]:
            mean, interval = summary.get(key), summary.get(f"{key}_ci95")
            cells.append("" if mean is None else f"{mean:.2f} [{interval[0]:.2f}, {interval[1]:.2f}]")
        failed = ", ".join(f"{k} {v}" for k, v in summary["judge_failures"].items())
        table.add_row(judge, f"{summary['n_judged']}/{values['n']}", failed or "0", *cells)
    _console().print(table)
    for pair, dimensions in (values.get("agreement") or {}).items():
        agreement = Table("dimension", "n", "Spearman", "quadratic kappa", title=f"judge agreement {pair}")
        for key, stats in dimensions.items():
            agreement.add_row(
                key,
                str(stats["n"]),
                *("" if stats[s] is None else f"{stats[s]:.3f}" for s in ("spearman", "qwk")),
            )
        _console().print(agreement)


def _console() -> Any:
    """A console wide enough for the tables, also when the output is piped to a file."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


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


_add_plugins()


def main() -> None:
    """Entry point: user mistakes print one line and exit 2, without a traceback."""
    import logging
    import signal

    from harness.errors import RunInterrupted

    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except RunInterrupted as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(RunInterrupted.exit_code)
    except HarnessError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: every file on disk is whole (written completely or not at all)\n")
        sys.exit(RunInterrupted.exit_code)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a run like Ctrl-C: what was kept is reported, nothing half-written remains."""
    raise KeyboardInterrupt
