"""The console tables of the CLI: a run's results, judged tasks, two runs compared, a run beside
the paper. They read the results as the runner returns them and print; nothing is computed here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.runs.results_schema import JudgedTask

COMPARE_PROTOCOLS = {
    "benchmark": "each benchmark's own protocol, as the leaderboard (items both runs answered)",
    "strict": "strict protocol (stated answers only; unanswered counts wrong)",
}


def print_against_paper(run: str, cells: list[Any]) -> None:
    """A reproduced run beside the paper's row, one table per benchmark."""
    from rich.table import Table

    from harness.leaderboard.rows import shown

    for name in dict.fromkeys(cell.benchmark for cell in cells):
        table = Table(
            "column",
            "ours",
            "our 95% interval",
            "paper",
            "ours - paper",
            "paper within",
            title=f"{run} vs the paper: {name} (ours by the benchmark's own protocol, as the paper's)",
        )
        for cell in (c for c in cells if c.benchmark == name):
            interval = f"[{cell.interval[0]:.2f}, {cell.interval[1]:.2f}]" if cell.interval else ""
            difference = cell.difference
            within = {True: "yes", False: "no", None: ""}[cell.paper_within]
            table.add_row(
                cell.column,
                shown(cell.ours),
                interval,
                shown(cell.paper),
                "" if difference is None else f"{float(difference):+.2f}",
                within,
            )
        console().print(table)


AGGREGATE_WORDS = {
    "macro": "macro",
    "micro": "micro",
    "pooled": "items pooled",
    "partial": "items pooled; partial: not every task of the group is in both runs",
}
AGGREGATE_NOTE = (
    "groups: macro = mean of task means, micro = items weighted by task size (each the group's own "
    "aggregate, as results.json and the leaderboard report it), items pooled where a group declares none; "
    "McNemar's test pools the items"
)


def compared_name(name: str, tasks: int, aggregate: str) -> str:
    if tasks == 1 and aggregate != "partial":
        return name
    return f"{name} ({tasks} task{'s' if tasks > 1 else ''}, {AGGREGATE_WORDS[aggregate]})"


def print_comparison(comparison: Any, model_a: str, model_b: str, metric: str, protocol_words: str) -> None:
    """Two runs compared, a row per task or group, with the notes on aggregates and what was left out."""
    from rich.table import Table

    table = Table(
        "tasks",
        "n",
        model_a,
        model_b,
        "difference",
        "95% interval",
        "only A right",
        "only B right",
        "McNemar p (items)",
        title=f"{model_a} vs {model_b}: {metric}, {protocol_words}",
    )
    for item in comparison.compared:
        result, factor = item.result, item.metric.factor
        p_value = "< 0.0001" if result.p_value < 1e-4 else f"{result.p_value:.4f}"
        table.add_row(
            compared_name(item.name, item.tasks, item.aggregate),
            str(result.n),
            f"{factor * result.mean_a:.2f}",
            f"{factor * result.mean_b:.2f}",
            f"{factor * result.difference:+.2f}",
            f"[{factor * result.interval[0]:+.2f}, {factor * result.interval[1]:+.2f}]",
            str(result.only_a_right),
            str(result.only_b_right),
            p_value if item.metric.scale == "fraction" else "",
        )
    console().print(table)
    if any(item.tasks > 1 for item in comparison.compared):
        console().print(AGGREGATE_NOTE)
    if comparison.skipped:
        console().print(f"left out: {'; '.join(comparison.skipped)}")
    if comparison.strict_tasks:
        console().print(f"no protocol of their own, compared strictly: {', '.join(comparison.strict_tasks)}")


def print_results(results: dict[str, Any], name: str, include_paths: tuple[Path, ...] = ()) -> None:
    """The run's tasks and groups, one column per declared metric they report; task names are never
    cut (the number columns wrap their headers instead)."""
    from rich.table import Column, Table

    from harness.runs.results_schema import GroupResult, ScoredTask, parse_results
    from harness.tasks.index import index_tasks

    def cell(value: Any) -> str:
        return "" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)

    def benchmark(values: ScoredTask | GroupResult) -> dict[str, Any]:
        if isinstance(values, ScoredTask):
            return values.benchmark.model_dump() if values.benchmark else {}
        return dict(values.value("benchmark") or {})

    run = parse_results(results, name)
    rows: list[tuple[str, ScoredTask | GroupResult]] = [*run.scored().items()]
    rows += [(f"{group} (avg)", values) for group, values in run.groups.items()]
    for task, judged in run.judged().items():
        print_judged(task, judged, name)
    if not rows:
        return
    registry = index_tasks(include_paths).registry
    reported = [
        metric
        for _, values in rows
        for metric in (values.metrics if isinstance(values, ScoredTask) else values.model_extra or {})
        if metric in registry
    ]
    metrics = registry.in_order(reported)
    protocol = [m for m in metrics if any(m.name in benchmark(values) for _, values in rows)]
    longest = max(len(task) for task, _ in rows)
    table = Table(
        Column("task", no_wrap=True, min_width=longest),
        "scored/expected",
        *(m.header for m in metrics),
        *(f"{m.header} (bench.)" for m in protocol),
        *(["answered (bench.)"] if protocol else []),
        "failed",
        "missing",
        title=f"results: {name} (bench.: the benchmark's own protocol; the rest strict)"
        if protocol
        else f"results: {name}",
    )
    for task, values in rows:
        table.add_row(
            task,
            f"{values.n_scored}/{values.n_expected}" if isinstance(values, ScoredTask) else cell(values.n),
            *(cell(values.value(m.name)) for m in metrics),
            *(cell(benchmark(values).get(m.name)) for m in protocol),
            *([cell(benchmark(values).get("n_answered"))] if protocol else []),
            cell(values.n_failed if isinstance(values, ScoredTask) else None),
            cell(values.n_missing if isinstance(values, ScoredTask) else None),
        )
    console().print(table)
    for group, values in run.groups.items():
        official = benchmark(values).get("official")
        if official:
            console().print(
                f"{group}, as CPsyExam's evaluate_submission.py scores it: MCQA {official['MCQA']:.2f}, "
                f"MRQA {official['MRQA']:.2f}, Avg {official['Avg']:.2f} (over {len(official['by_subject'])} subjects)"
            )
        if values.incomplete:
            console().print(f"{group}: no aggregate, incomplete ({'; '.join(values.incomplete[:3])})")


def print_judged(task: str, values: JudgedTask, name: str) -> None:
    """One judged task: each dimension's mean and 95% interval, per judge, and judge failures."""
    from rich.table import Table

    by_judge = values.value("by_judge") or {values.judge: values.to_summary()}
    table = Table("judge", "judged", "judge failed", *values.dimensions, title=f"{task}: {name}")
    for judge, summary in by_judge.items():
        cells = []
        for key in values.dimensions:
            mean, interval = summary.get(key), summary.get(f"{key}_ci95")
            cells.append("" if mean is None else f"{mean:.2f} [{interval[0]:.2f}, {interval[1]:.2f}]")
        failed = ", ".join(f"{k} {v}" for k, v in summary["judge_failures"].items())
        table.add_row(judge, f"{summary['n_judged']}/{values.n}", failed or "0", *cells)
    console().print(table)
    for pair, dimensions in (values.value("agreement") or {}).items():
        agreement = Table("dimension", "n", "Spearman", "quadratic kappa", title=f"judge agreement {pair}")
        for key, stats in dimensions.items():
            agreement.add_row(
                key,
                str(stats["n"]),
                *("" if stats[s] is None else f"{stats[s]:.3f}" for s in ("spearman", "qwk")),
            )
        console().print(agreement)


def console() -> Any:
    """A console wide enough for the tables, also when the output is piped to a file."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)
