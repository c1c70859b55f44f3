"""Per-task and per-group summaries of scored samples (pure functions; each metric in the unit its
declaration reports: fractions in percent).

Coverage is explicit: every task says how many docs it should have (n_expected), how many it ran
(n, fewer under --limit), and how many of those were scored, failed or missing. A failed or missing
item is never dropped from a denominator: it counts as wrong (0) for every metric. A group has
aggregates only when every subtask is complete."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from harness.runs.results_schema import BenchmarkBlock, GroupResult, JudgedTask, ScoredTask, TaskRecord
from harness.runs.sample import FAILED, MISSING, SCORED, Sample
from harness.scoring.metric_registry import MetricSpec
from harness.scoring.protocols import BenchmarkCredit, official_numbers, summarize_protocol
from harness.tasks.catalog import GroupSpec

__all__ = ["FAILED", "MISSING", "SCORED"]


def coverage(samples: Sequence[Sample], n_expected: int) -> dict[str, Any]:
    """n_expected, n, n_scored, n_failed, n_missing and complete for a task's samples."""
    counts = {status: sum(1 for s in samples if s.status == status) for status in (SCORED, FAILED, MISSING)}
    return {
        "n_expected": n_expected,
        "n": len(samples),
        "n_scored": counts[SCORED],
        "n_failed": counts[FAILED],
        "n_missing": counts[MISSING],
        "complete": len(samples) == n_expected and counts[SCORED] == len(samples),
    }


def summarize_task(
    metrics: Sequence[MetricSpec],
    samples: Sequence[Sample],
    n_expected: int,
    protocol: Mapping[str, Any] | None = None,
    keys: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Coverage and each declared metric of one task, in its reported unit (fractions in percent).
    A mean runs over every item with a gold answer (None when the split withholds them all), failed
    and missing items counting 0; exact metrics also keep the exact fraction under `exact`."""
    summary = coverage(samples, n_expected)
    summary["metrics"] = [metric.name for metric in metrics]
    scored = [sample for sample in samples if sample.status == SCORED and sample.scores is not None]
    with_gold = [sample for sample in samples if sample.gold is not None]
    exact: dict[str, list[int]] = {}
    for metric in metrics:
        if metric.over_items == "sum":
            total = sum(_score(sample, metric.name) for sample in scored)
            summary[metric.name] = int(total) if metric.scale == "count" and total == int(total) else total
            continue
        if not with_gold:
            summary[metric.name] = None
            continue
        items = [_score(sample, metric.name) for sample in with_gold if sample.status == SCORED]
        if metric.exact:
            value = sum((exact_score(item) for item in items), Fraction(0)) / len(with_gold)
            exact[metric.name] = [value.numerator, value.denominator]
            summary[metric.name] = metric.factor * float(value)
        else:
            summary[metric.name] = metric.factor * sum(items) / len(with_gold)
    if exact:
        summary["exact"] = exact
    if protocol:
        credits = [
            BenchmarkCredit.from_json(sample.benchmark) if sample.benchmark is not None else None
            for sample in samples
        ]
        summary["benchmark"] = summarize_protocol(
            credits, str(protocol["name"]), keys, has_gold=bool(with_gold)
        )
    return summary


def _score(sample: Sample, metric: str) -> float:
    return float((sample.scores or {})[metric])


def exact_score(value: float) -> Fraction:
    """An item's score as an exact fraction (accuracies are k/m with small m: 1, 1/2, 2/3 ...)."""
    if math.isnan(value):
        return Fraction(0)
    return Fraction(value).limit_denominator(1000)


def task_value(
    record: ScoredTask | JudgedTask | BenchmarkBlock, metric: str, factor: int = 100
) -> Fraction | None:
    """A task's (or its benchmark block's) metric in its reported unit, exactly: from `exact` (a
    fraction, times `factor`) where the run kept it, else from the stored number."""
    pair = None if isinstance(record, JudgedTask) else record.exact.get(metric)
    if pair is not None and pair[1]:
        return Fraction(int(pair[0]), int(pair[1])) * factor
    value = record.value(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Fraction(value).limit_denominator(10**8)


def mean_of(parts: Sequence[tuple[Fraction | None, int]], weighted: bool) -> Fraction | None:
    """The exact mean of (value, size) parts: weighted by size (micro) or not (macro). None when a
    part is missing, there are none, or the sizes weigh nothing."""
    if not parts or any(value is None for value, _ in parts):
        return None
    values = [(value, size) for value, size in parts if value is not None]
    if not weighted:
        return sum((value for value, _ in values), Fraction(0)) / len(values)
    total = sum(size for _, size in values)
    return sum((value * size for value, size in values), Fraction(0)) / total if total else None


def incomplete_reason(name: str, task: TaskRecord | None) -> str | None:
    """Why a task cannot stand in an aggregate (None when it is complete)."""
    if task is None:
        return f"{name}: not run"
    if task.complete:
        return None
    parts = [f"{task.n_scored} of {task.n_expected} items scored"]
    parts += [
        f"{count} {what}" for count, what in ((task.n_failed, "failed"), (task.n_missing, "missing")) if count
    ]
    return f"{name}: " + ", ".join(parts)


def summarize_group(group: GroupSpec, tasks: Mapping[str, TaskRecord]) -> GroupResult:
    """A group's aggregates (unweighted mean of subtasks, or micro mean by items), only when every
    subtask is complete; otherwise None with the reasons."""
    summary: dict[str, Any] = {
        "subtasks": list(group.subtasks),
        "n": sum(tasks[t].n for t in group.subtasks if t in tasks),
    }
    reasons = [reason for t in group.subtasks if (reason := incomplete_reason(t, tasks.get(t)))]
    summary["complete"] = not reasons
    if reasons:
        summary["incomplete"] = reasons
    for metric, weighted in group.metrics:
        name = metric.name
        summary[f"{name}_weighting"] = "micro (by items)" if weighted else "unweighted mean of subtasks"
        parts = [
            (task_value(tasks[task], name, metric.factor), tasks[task].n)
            for task in group.subtasks
            if task in tasks
        ]
        mean = None if reasons else mean_of(parts, weighted)
        summary[name] = None if mean is None else float(mean)
    blocks = [
        task.benchmark
        for name in group.subtasks
        if isinstance(task := tasks.get(name), ScoredTask) and task.benchmark is not None
    ]
    if blocks and len(blocks) == len(group.subtasks) and not reasons:
        summary["benchmark"] = _benchmark_over(group, blocks)
    return GroupResult(**summary)


def _benchmark_over(group: GroupSpec, blocks: list[BenchmarkBlock]) -> dict[str, Any]:
    """A group's benchmark-protocol aggregates, weighted as its strict ones (micro: by answered
    items, the protocol's denominators)."""
    summary: dict[str, Any] = {"protocol": blocks[0].protocol}
    for metric, weighted in group.metrics:
        parts = [(task_value(block, metric.name, metric.factor), block.n_answered) for block in blocks]
        mean = mean_of(parts, weighted)
        summary[metric.name] = None if mean is None else float(mean)
    subjects = {name: list(counts) for block in blocks for name, counts in (block.by_subject or {}).items()}
    if subjects:
        summary["official"] = official_numbers(subjects)
    return summary
