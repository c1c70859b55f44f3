"""Summaries of judged samples: per-dimension means with bootstrap 95% intervals, judge failures
counted, CPsyCounE-style dialogue-then-topic averaging, and agreement between judges."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import combinations
from statistics import fmean
from typing import Any

from harness.judge.agreement import agreement
from harness.judge.rubric import Rubric
from harness.runs.sample import Sample


def summarize_judged(rubric: Rubric, samples: Sequence[Sample], judges: Sequence[str]) -> dict[str, Any]:
    """The task summary: the first judge's scores at the top level, every judge under by_judge,
    and pairwise agreement when there are several."""
    done = [sample for sample in samples if sample.response is not None]
    summary: dict[str, Any] = {
        "n": len(samples),
        "n_failed": len(samples) - len(done),
        "judge": judges[0],
        "dimensions": list(rubric.keys),
        "aggregate": rubric.aggregate,
    }
    by_judge = {name: _one_judge(rubric, done, name) for name in judges}
    summary |= by_judge[judges[0]]
    if len(judges) > 1:
        summary["by_judge"] = by_judge
        summary["agreement"] = {
            f"{a}|{b}": _agreement(rubric, done, a, b) for a, b in combinations(judges, 2)
        }
    return summary


def _one_judge(rubric: Rubric, samples: Sequence[Sample], judge: str) -> dict[str, Any]:
    from harness.scoring.stats import (  # numpy: judged runs only
        bootstrap_interval,
        clustered_bootstrap_interval,
    )

    verdicts = [sample.verdict(judge) for sample in samples]
    statuses = Counter(verdict["status"] if verdict else "missing" for verdict in verdicts)
    judged = [
        sample
        for sample, verdict in zip(samples, verdicts, strict=True)
        if verdict and verdict["status"] == "ok"
    ]
    summary: dict[str, Any] = {
        "n_judged": len(judged),
        "n_judge_failed": len(samples) - len(judged),
        "judge_failures": {status: count for status, count in statuses.items() if status != "ok"},
    }
    if rubric.aggregate == "dialogue_then_topic":
        # The estimate is a mean of topic means of dialogue means: the interval resamples topics,
        # then dialogues within each topic, as the estimate averages them.
        dialogues_by_topic, topics = _dialogue_means(rubric, judged, judge)
        summary["n_dialogues"] = sum(len(members) for members in dialogues_by_topic.values())
        summary["by_topic"] = topics
        for key in rubric.keys:
            clusters = [[means[key] for means in members] for members in dialogues_by_topic.values()]
            summary[key] = fmean(topic[key] for topic in topics.values()) if clusters else None
            summary[f"{key}_ci95"] = list(clustered_bootstrap_interval(clusters)) if clusters else None
        return summary
    for key in rubric.keys:
        values = [float(_scores(sample, judge)[key]) for sample in judged]
        summary[key] = fmean(values) if values else None
        summary[f"{key}_ci95"] = list(bootstrap_interval(values)) if values else None
    return summary


def _dialogue_means(
    rubric: Rubric, judged: Sequence[Sample], judge: str
) -> tuple[dict[str, list[dict[str, float]]], dict[str, dict[str, float]]]:
    """Turn scores averaged per dialogue (grouped by topic), then dialogue means averaged per topic."""
    turns: dict[tuple[str, str], list[dict[str, int]]] = defaultdict(list)
    for sample in judged:
        turns[(str(sample.topic), str(sample.dialogue_id))].append(_scores(sample, judge))
    dialogues = {
        ident: {key: fmean(scores[key] for scores in turn_scores) for key in rubric.keys}
        for ident, turn_scores in turns.items()
    }
    by_topic: dict[str, list[dict[str, float]]] = defaultdict(list)
    for (topic, _), means in sorted(dialogues.items()):
        by_topic[topic].append(means)
    topics = {
        topic: {key: fmean(means[key] for means in members) for key in rubric.keys}
        | {"n_dialogues": len(members)}
        for topic, members in by_topic.items()
    }
    return dict(by_topic), topics


def _agreement(rubric: Rubric, samples: Sequence[Sample], first: str, second: str) -> dict[str, Any]:
    both = [
        (_scores(sample, first), _scores(sample, second))
        for sample in samples
        if all((sample.verdict(name) or {}).get("status") == "ok" for name in (first, second))
    ]
    return {
        dimension.key: agreement(
            dimension, [a[dimension.key] for a, _ in both], [b[dimension.key] for _, b in both]
        )
        for dimension in rubric.dimensions
    }


def _scores(sample: Sample, judge: str) -> dict[str, int]:
    """A judge's valid scores of a sample (its verdict's status is ok)."""
    return dict((sample.verdict(judge) or {})["scores"])
