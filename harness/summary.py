"""Per-task and per-group summaries of scored samples (pure functions; metrics in percent)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from harness.catalog import GroupSpec
from harness.scoring import OPEN_METRICS


def summarize_task(scorer: str, samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """n, failures and mean metrics of one task. MCQ accuracies and text metrics are percentages;
    accuracies are None when the split withholds the answers."""
    done = [sample for sample in samples if sample.get("response") is not None]
    summary: dict[str, Any] = {"n": len(samples), "n_failed": len(samples) - len(done)}
    if scorer == "mcq":
        summary["n_unparsed"] = sum(1 for sample in done if sample["extracted"] is None)
        for metric in ("acc", "acc_elastic"):
            values = [sample["scores"][metric] for sample in done if not math.isnan(sample["scores"][metric])]
            summary[metric] = 100.0 * sum(values) / len(values) if values else None
    else:
        for metric in OPEN_METRICS:
            values = [sample["scores"][metric] for sample in done]
            summary[metric] = sum(values) / len(values) if values else None
    return summary


def summarize_group(group: GroupSpec, tasks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A group's aggregates: unweighted mean of subtask values, or size-weighted (micro) mean."""
    summary: dict[str, Any] = {
        "subtasks": list(group.subtasks),
        "n": sum(tasks[t]["n"] for t in group.subtasks if t in tasks),
    }
    for metric, weighted in group.metrics:
        pairs = [
            (tasks[name][metric], tasks[name]["n"])
            for name in group.subtasks
            if name in tasks and tasks[name].get(metric) is not None
        ]
        if not pairs:
            summary[metric] = None
            continue
        if weighted:
            total = sum(n for _, n in pairs)
            summary[metric] = sum(value * n for value, n in pairs) / total if total else None
        else:
            summary[metric] = sum(value for value, _ in pairs) / len(pairs)
        summary[f"{metric}_weighting"] = "micro (by items)" if weighted else "unweighted mean of subtasks"
    return summary
