"""Which scorer scores a task, from its file: `process_results: !function module.name` naming a
scorer object (harness/scoring/scorers.py) says it once for stock lm-eval and the harness alike;
`metadata.scorer` may name a built-in scorer, `judge`, or `process_results` (the task's own plain
lm-eval function, scoring the metrics of its metric_list). Where both are set they must agree, or
stock lm-eval and the harness would score the task differently: one line naming the file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.errors import HarnessError, did_you_mean
from harness.scoring.scorers import (
    BUILTIN_SCORERS,
    JUDGE,
    MCQ_SCORER,
    OWN_PROCESS_RESULTS,
    SCORER_NAMES,
    Scorer,
    process_results_scorer,
)
from harness.tasks.index import FunctionTag, TaskEntry


def scorer_of(entry: TaskEntry) -> Scorer | None:
    """The task's scorer (None for judge-scored tasks), its metric_list checked against it."""
    declared = entry.metadata.get("scorer")
    hook_tag = entry.config.get("process_results")
    hook = _imported(hook_tag) if isinstance(hook_tag, FunctionTag) else None
    if declared == JUDGE:
        return None
    if declared == OWN_PROCESS_RESULTS:
        if hook is None:
            raise HarnessError(
                f"{entry.path}: metadata.scorer {OWN_PROCESS_RESULTS} needs process_results: !function module.name"
            )
        chosen = hook if isinstance(hook, Scorer) else process_results_scorer(hook)
    elif isinstance(declared, FunctionTag):
        named = _imported(declared)
        if not isinstance(named, Scorer):
            raise HarnessError(
                f"{entry.path}: metadata.scorer {declared.reference} is not a scorer: define it with "
                "@scorer(metrics=[...]) from harness.scoring.scorers"
            )
        chosen = named
    elif declared is not None:
        builtin = BUILTIN_SCORERS.get(str(declared))
        if builtin is None:
            raise HarnessError(
                f"{entry.path}: metadata.scorer {declared!r}{did_you_mean(str(declared), SCORER_NAMES)}: use "
                f"{', '.join(SCORER_NAMES)} ({OWN_PROCESS_RESULTS}: the task's own process_results computes its "
                "metrics), or leave it out and name a scorer as process_results"
            )
        chosen = builtin
    elif hook is not None:
        chosen = hook if isinstance(hook, Scorer) else process_results_scorer(hook)
    else:
        chosen = MCQ_SCORER
    if hook is not None and declared not in (None, OWN_PROCESS_RESULTS) and hook is not chosen:
        assert isinstance(hook_tag, FunctionTag)
        raise HarnessError(
            f"{entry.path}: process_results {hook_tag.reference} is not scorer {chosen.name!r} "
            f"(metadata.scorer), so stock lm-eval and the harness would score it differently: leave "
            "metadata.scorer out to score with process_results, or name the scorer there"
        )
    _check_metrics(entry, chosen)
    return chosen


def _imported(tag: FunctionTag) -> Callable[..., Any]:
    from harness.tasks.direct import imported_function

    return imported_function(tag)


def _check_metrics(entry: TaskEntry, chosen: Scorer) -> None:
    if chosen.metrics is None:
        return  # a plain process_results computes whatever the metric_list names
    uncomputed = [metric for metric in entry.metrics if metric not in chosen.metrics]
    if uncomputed:
        raise HarnessError(
            f"{entry.path}: metric {uncomputed[0]!r} is not computed by scorer {chosen.name!r} (it computes "
            f"{', '.join(chosen.metrics)}); name a scorer that does as process_results, or set "
            f"metadata.scorer: {OWN_PROCESS_RESULTS} to score with the task's own process_results"
        )
