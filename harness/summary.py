"""Per-task and per-group summaries of scored samples (pure functions; metrics in percent).

Coverage is explicit: every task says how many docs it should have (n_expected), how many it ran
(n, fewer under --limit), and how many of those were scored, failed or missing. A failed or missing
item is never dropped from a denominator: it counts as wrong (0) for every metric. A group has
aggregates only when every subtask is complete."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from harness.catalog import GroupSpec
from harness.scoring import OPEN_METRICS

MCQ_METRICS = ("acc", "acc_elastic")
SCORED, FAILED, MISSING = "scored", "failed", "missing"


def coverage(samples: Sequence[dict[str, Any]], n_expected: int) -> dict[str, Any]:
    """n_expected, n, n_scored, n_failed, n_missing and complete for a task's samples."""
    counts = {
        status: sum(1 for s in samples if s.get("status") == status) for status in (SCORED, FAILED, MISSING)
    }
    return {
        "n_expected": n_expected,
        "n": len(samples),
        "n_scored": counts[SCORED],
        "n_failed": counts[FAILED],
        "n_missing": counts[MISSING],
        "complete": len(samples) == n_expected and counts[SCORED] == len(samples),
    }


def summarize_task(scorer: str, samples: Sequence[dict[str, Any]], n_expected: int) -> dict[str, Any]:
    """Coverage and metrics of one task. MCQ accuracies are percentages over every item run
    (accuracies are None when the split withholds the answers) with their exact fractions."""
    summary = coverage(samples, n_expected)
    scored = [sample for sample in samples if sample.get("status") == SCORED]
    if scorer == "mcq":
        summary["n_unparsed"] = sum(1 for sample in scored if sample["extracted"] is None)
        with_gold = [sample for sample in samples if sample.get("gold")]
        exact: dict[str, list[int]] = {}
        for metric in MCQ_METRICS:
            if not with_gold:
                summary[metric] = None
                continue
            total = sum(
                (
                    exact_score(sample["scores"][metric])
                    for sample in with_gold
                    if sample.get("status") == SCORED
                ),
                Fraction(0),
            )
            value = total / len(with_gold)
            exact[metric] = [value.numerator, value.denominator]
            summary[metric] = 100.0 * float(value)
        if exact:
            summary["exact"] = exact
    else:
        for metric in OPEN_METRICS:
            values = [sample["scores"][metric] for sample in scored]
            summary[metric] = sum(values) / len(samples) if samples else None
    return summary


def exact_score(value: float) -> Fraction:
    """An item's score as an exact fraction (accuracies are k/m with small m: 1, 1/2, 2/3 ...)."""
    if math.isnan(value):
        return Fraction(0)
    return Fraction(value).limit_denominator(1000)


def task_fraction(task: dict[str, Any], metric: str) -> Fraction | None:
    """A task's metric as an exact fraction (from `exact`, else from its percentage)."""
    pair = (task.get("exact") or {}).get(metric)
    if isinstance(pair, list) and len(pair) == 2:
        return Fraction(int(pair[0]), int(pair[1]))
    value = task.get(metric)
    return Fraction(value).limit_denominator(10**6) / 100 if isinstance(value, (int, float)) else None


def with_coverage(task: dict[str, Any]) -> dict[str, Any]:
    """A task entry with `complete` (first-layout results lack it: complete when nothing failed and
    no limit applied)."""
    if "complete" in task:
        return task
    complete = not task.get("n_failed") and not task.get("limit")
    return task | {"complete": complete, "n_scored": task.get("n", 0) - task.get("n_failed", 0)}


def incomplete_reason(name: str, task: dict[str, Any] | None) -> str | None:
    """Why a task cannot stand in an aggregate (None when it is complete)."""
    if task is None:
        return f"{name}: not run"
    if task.get("complete", True):
        return None
    parts = [f"{task.get('n_scored', 0)} of {task.get('n_expected', task.get('n'))} items scored"]
    for key in ("n_failed", "n_missing"):
        if task.get(key):
            parts.append(f"{task[key]} {key[2:]}")
    return f"{name}: " + ", ".join(parts)


def summarize_group(group: GroupSpec, tasks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A group's aggregates (unweighted mean of subtasks, or micro mean by items), only when every
    subtask is complete; otherwise None with the reasons."""
    summary: dict[str, Any] = {
        "subtasks": list(group.subtasks),
        "n": sum(tasks[t]["n"] for t in group.subtasks if t in tasks),
    }
    reasons = [reason for t in group.subtasks if (reason := incomplete_reason(t, tasks.get(t)))]
    summary["complete"] = not reasons
    if reasons:
        summary["incomplete"] = reasons
    for metric, weighted in group.metrics:
        summary[f"{metric}_weighting"] = "micro (by items)" if weighted else "unweighted mean of subtasks"
        parts = [
            (task_fraction(tasks[name], metric), tasks[name]["n"]) for name in group.subtasks if name in tasks
        ]
        if reasons or not parts or any(value is None for value, _ in parts):
            summary[metric] = None
            continue
        known = [(value, n) for value, n in parts if value is not None]
        if weighted:
            total = sum(n for _, n in known)
            mean = sum((value * n for value, n in known), Fraction(0)) / total if total else None
        else:
            mean = sum((value for value, _ in known), Fraction(0)) / len(known)
        summary[metric] = None if mean is None else 100.0 * float(mean)
    return summary
