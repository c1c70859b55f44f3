"""What `harness compare` does: two runs paired item by item (bootstrap interval, McNemar), or
one reproduced run against the paper's row for the same model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from harness.errors import HarnessError
from harness.leaderboard.build import in_table_order
from harness.leaderboard.headers import shown_columns
from harness.leaderboard.layout import benchmarks
from harness.leaderboard.rows import reference_rows, run_row
from harness.runs.results import read_protocol_readings, read_results_file, read_sample_scores, resolve_run
from harness.scoring.metric_registry import MetricSpec
from harness.scoring.stats import PairedComparison, compare_paired, compare_paired_tasks
from harness.tasks.index import TaskIndex, index_tasks


@dataclass(frozen=True)
class Compared:
    """One task's (or group's) paired comparison, with the metric it compared. A group compares
    the aggregate the leaderboard and results.json report for it (`aggregate`: "macro" mean of its
    tasks, "micro" weighted by their sizes, "pooled" items where the group declares none for the
    metric, or "partial": items pooled over the tasks both runs have, when one lacks some) over its
    `tasks` leaf tasks."""

    name: str
    metric: MetricSpec
    result: PairedComparison
    tasks: int = 1
    aggregate: str = "items"


@dataclass(frozen=True)
class Comparison:
    compared: list[Compared]
    skipped: list[str]  # leaf tasks left out, and why (they do not report the metric)
    strict_tasks: list[str] = field(default_factory=list)  # asked for "benchmark", read strictly


def compare_runs(
    results_dir: Path,
    model_a: str,
    model_b: str,
    tasks: list[str],
    metric: str,
    include_paths: Sequence[Path] = (),
    protocol: str = "strict",
) -> Comparison:
    """For each task or group (groups expand to their leaf tasks), pair the two runs' per-item
    scores by doc id; leaf tasks that do not report the metric are left out and named. Under the
    "benchmark" protocol a task with one of its own pairs the items both runs answered, with the
    benchmark's credit (a task without one: strict, named in `strict_tasks`)."""
    index = index_tasks(include_paths)
    spec = index.registry[metric]
    folders = [resolve_run(results_dir, model_a), resolve_run(results_dir, model_b)]
    compared: list[Compared] = []
    skipped: list[str] = []
    strict_tasks: list[str] = []
    for name in tasks:
        leaves: list[str] = []
        for entry in index.leaves(name):
            reported = [m.name for m in index.metrics_of(entry.name)]
            if metric in reported:
                leaves.append(entry.name)
            else:
                skipped.append(
                    f"{entry.name} (reports {', '.join(reported) or 'judge dimensions'}, not {metric})"
                )
        if not leaves:
            continue
        expected = len(leaves)
        for leaf in list(leaves):  # a task one run never evaluated is left out, and named
            lacking = [
                model
                for model, folder in zip((model_a, model_b), folders, strict=True)
                if not (folder / "samples" / f"{leaf}.jsonl").exists()
            ]
            if lacking:
                leaves.remove(leaf)
                skipped.append(f"{leaf} (not in the run of {' and '.join(lacking)})")
        if not leaves:
            continue
        per_task: list[tuple[list[float], list[float]]] = []
        for leaf in leaves:
            read = [_item_scores(folder, leaf, metric, protocol) for folder in folders]
            if read[0] is None or read[1] is None:  # no protocol of its own: strict
                strict_tasks.append(leaf)
                read = [_sample_scores(folder, leaf, metric) for folder in folders]
            first, second = (scores or {} for scores in read)
            shared = sorted(set(first) & set(second))
            if shared:
                per_task.append(([first[k] for k in shared], [second[k] for k in shared]))
        if not per_task:
            raise HarnessError(f"runs {model_a} and {model_b} share no scored items on {name}")
        aggregate = _group_aggregate(index, name, metric)
        if len(leaves) < expected:  # not the group's aggregate: only the tasks both runs have
            aggregate = "partial"
            result = compare_paired([x for a, _ in per_task for x in a], [y for _, b in per_task for y in b])
        elif aggregate in ("macro", "micro") and len(per_task) == len(leaves):
            weights = [1 if aggregate == "macro" else len(a) for a, _ in per_task]
            result = compare_paired_tasks(per_task, weights)
        else:
            aggregate = "items" if len(leaves) == 1 else "pooled"
            result = compare_paired([x for a, _ in per_task for x in a], [y for _, b in per_task for y in b])
        compared.append(Compared(name, spec, result, len(leaves), aggregate))
    if not compared:
        raise HarnessError(f"no task among {', '.join(tasks)} reports {metric}: {'; '.join(skipped)}")
    return Comparison(compared, skipped, strict_tasks)


def _item_scores(folder: Path, task: str, metric: str, protocol: str) -> dict[str, float] | None:
    """doc_id -> score: strict from the samples' scores; under "benchmark", the benchmark's credit
    of each answered item (None: the task has no protocol of its own, or not for this metric)."""
    if protocol != "benchmark":
        return _sample_scores(folder, task, metric)
    readings = read_protocol_readings(folder / "samples" / f"{task}.jsonl")
    if not readings or metric not in ("acc", "acc_elastic"):
        return None
    return {doc_id: reading.credit(metric) for doc_id, reading in readings if reading.answered}


def _sample_scores(folder: Path, task: str, metric: str) -> dict[str, float]:
    path = folder / "samples" / f"{task}.jsonl"
    if not path.exists():
        raise HarnessError(f"{path}: no samples for task {task} in run {folder.name}")
    return read_sample_scores(path, metric)


def _group_aggregate(index: TaskIndex, name: str, metric: str) -> str | None:
    """How a group aggregates the metric (its aggregate_metric_list, as lm-eval, results.json and
    the leaderboard read it): "macro", "micro", or None for a leaf task or a group without one."""
    entry = index.entry(name)
    if not entry.is_group:
        return None
    weighted = dict(entry.aggregates).get(metric)
    return None if weighted is None else "micro" if weighted else "macro"


@dataclass(frozen=True)
class AgainstPaper:
    """One column of a reproduced run beside the paper's row for the same model."""

    benchmark: str
    column: str  # its header, group levels included
    ours: Fraction | None
    paper: Fraction | None
    interval: tuple[float, float] | None  # our 95% bootstrap interval

    @property
    def difference(self) -> Fraction | None:
        return None if self.ours is None or self.paper is None else self.ours - self.paper

    @property
    def paper_within(self) -> bool | None:
        """Whether the paper's value lies within our interval (None without both)."""
        if self.paper is None or self.interval is None:
            return None
        return self.interval[0] <= float(self.paper) <= self.interval[1]


def compare_with_paper(
    results_dir: Path, run: str, include_paths: Sequence[Path] = (), protocol: str = "benchmark"
) -> list[AgainstPaper]:
    """A run of a model the paper reports (its display name is a paper row's name, as models.yaml
    gives it) against that row, column by column, in every benchmark that has the row and that the
    run touched. Our values follow `protocol` (the benchmark's own, as the paper's, by default)."""
    folder = resolve_run(results_dir, run)
    results = read_results_file(folder / "results.json")
    model = results.model
    label = str(model.get("display_name") or model.get("name", ""))
    found: list[AgainstPaper] = []
    for bench in in_table_order(benchmarks(index_tasks(include_paths))):
        paper = next((row for row in reference_rows(bench) if row.label.lower() == label.lower()), None)
        if paper is None or not {c.task for c in bench.columns} & set(results.tasks):
            continue
        ours = run_row(bench, folder, results, protocol)
        for column in shown_columns(bench):
            found.append(
                AgainstPaper(
                    bench.name,
                    column.flat_header,
                    ours.values.get(column.key),
                    paper.values.get(column.key),
                    ours.intervals.get(column.key),
                )
            )
    if not found:
        raise HarnessError(
            f"run {run}: its model {label!r} has no row in the paper's tables of the benchmarks it ran "
            "(the models.yaml display_name must be the paper's name, e.g. Qwen2.5-7B)"
        )
    return found
