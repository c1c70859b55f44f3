"""Responses produced elsewhere, matched to the planned docs before anything is written, and the
model record such a run carries."""

from __future__ import annotations

import logging
from typing import Any

from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.runs.options import RunOptions
from harness.runs.planning import PlannedTask

log = logging.getLogger("harness")

PredictionKey = tuple[str, str, str]  # (task, doc_id, subject or "")


def match_predictions(
    planned: list[PlannedTask], predictions: list[dict[str, Any]]
) -> dict[PredictionKey, str]:
    """(task, doc_id, subject) -> response for the planned docs, checked before anything is written:
    a row names its doc by doc_id, and by task and subject where it gives them (a CPsyExam question
    id can sit in two subjects, each copy with its own answer). A doc given two different responses,
    or predictions matching no doc at all, stop with counts; the same response given twice (a
    question repeated within its subject, as `harness docs` lists it) is kept once. Unknown doc_ids
    and rows of tasks not asked for are reported and left out; docs without a prediction are
    reported and count as missing (wrong)."""
    task_names = {plan.task.name for plan in planned}
    docs_of: dict[str, list[PredictionKey]] = {}
    for plan in planned:
        for doc in plan.task.docs:
            key = (plan.task.name, str(doc["doc_id"]), str(doc.get("subject") or ""))
            if key not in docs_of.setdefault(key[1], []):
                docs_of[key[1]].append(key)
    matched: dict[PredictionKey, str] = {}
    clashing: list[PredictionKey] = []
    unknown: list[str] = []
    other_tasks = 0
    for row in predictions:
        doc_id = str(row["doc_id"])
        if row.get("task") and str(row["task"]) not in task_names:
            other_tasks += 1
            continue
        keys = [
            key
            for key in docs_of.get(doc_id, [])
            if (not row.get("task") or key[0] == str(row["task"]))
            and (not row.get("subject") or key[2] == str(row["subject"]))
        ]
        if not keys:
            unknown.append(doc_id)
        for key in keys:
            if key in matched and matched[key] != row["response"]:
                clashing.append(key)
            matched[key] = row["response"]
    if clashing:
        task, doc_id, subject = clashing[0]
        raise HarnessError(
            f"predictions: {len(clashing)} doc(s) given two different responses (first: {doc_id!r} in {task}"
            + (f", subject {subject}" if subject else "")
            + "); nothing was written: keep one response per doc (name the subject where a doc_id repeats)"
        )
    selected = {
        (plan.task.name, str(doc["doc_id"]), str(doc.get("subject") or ""))
        for plan in planned
        for doc in plan.docs
    }
    matched = {key: value for key, value in matched.items() if key in selected}
    if not matched:
        raise HarnessError(
            f"no prediction matched a doc of the requested tasks ({len(unknown)} unknown doc_id(s), first: "
            f"{unknown[0] if unknown else None!r}); nothing was written (see the doc_id values with `harness docs`)"
        )
    if unknown:
        log.warning(
            f"predictions: {len(unknown)} doc_id(s) match no doc of the requested tasks and were left out "
            f"(first: {unknown[0]!r})"
        )
    missing = len(selected) - len(matched)
    if missing:
        log.warning(f"predictions: {missing} of {len(selected)} docs have no prediction; they count as wrong")
    if other_tasks:
        log.warning(f"predictions: {other_tasks} row(s) of tasks not asked for were left out")
    return matched


def predictions_model(model_name: str, options: RunOptions) -> ModelSpec:
    """The run's model when responses come from a file: a models.yaml entry of that name lends its
    display name, category and size (so the leaderboard places it); nothing here generated them."""
    from harness.models import load_models

    known = load_models(list(options.models_files) if options.models_files else None).get(model_name)
    return ModelSpec(
        name=model_name,
        display_name=known.display_name if known else "",
        backend="mock",
        category=known.category if known else "candidate",
        params_b=known.params_b if known else None,
        notes="scored from a predictions file",
    )
