"""A run planned before anything is asked: each task's docs (limit and labelled subset applied), a
generation request per doc keyed by content, the decoding settings and the frozen run spec."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.backends.base import GenerationRequest
from harness.data.records import DocRow
from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.runs.cache import request_key
from harness.runs.options import RunOptions
from harness.runs.spec import RunSpec, model_settings
from harness.tasks.catalog import LeafTask
from harness.tasks.subsets import Subset, load_subset


@dataclass
class PlannedTask:
    task: LeafTask
    docs: list[DocRow]
    requests: list[GenerationRequest] = field(default_factory=list)
    expected: int = 0  # the docs a complete run scores: the task's, or its labelled subset's
    subset: dict[str, str] | None = None


def plan_task(
    task: LeafTask,
    limit: int | None,
    render: Callable[[list[dict[str, str]]], str],
    spec: ModelSpec,
    settings: dict[str, Any],
    subset: Subset | None = None,
) -> PlannedTask:
    chosen = list(task.docs)
    if subset is not None and task.name in subset.doc_ids:
        chosen = [doc for doc in chosen if str(doc["doc_id"]) in subset.doc_ids[task.name]]
    docs = chosen[:limit] if limit else chosen
    plan = PlannedTask(task=task, docs=docs, expected=len(chosen))
    if subset is not None and task.name in subset.doc_ids:
        plan.subset = subset.record()
    fingerprint = spec.fingerprint()
    decoding = {**settings, "stop": list(task.stop)}
    for doc in docs:
        plan.requests.append(
            GenerationRequest.asking(
                task.messages(doc, spec.prompt_layout),
                render,
                settings,
                lambda prompt: request_key(fingerprint, prompt, decoding),
                task.stop,
            )
        )
    return plan


def generation_settings(spec: ModelSpec, options: RunOptions) -> dict[str, Any]:
    settings = spec.generation.model_dump()
    if options.max_new_tokens is not None:
        settings["max_new_tokens"] = options.max_new_tokens
    return settings


def run_spec_for(
    name: str,
    spec: ModelSpec | None,
    settings: dict[str, Any],
    options: RunOptions,
    source: str,
    subset: Subset | None = None,
) -> RunSpec:
    answer_key = None
    if options.answer_key:
        try:
            answer_key = hashlib.sha256(Path(options.answer_key).read_bytes()).hexdigest()
        except OSError as error:
            raise HarnessError(
                f"{options.answer_key}: cannot read the answer key ({error.strerror})"
            ) from None
    return RunSpec(
        model=name,
        model_settings=model_settings(spec),
        generation=settings,
        split=options.chosen_split,
        limit=options.limit,
        sample=options.sample,
        answer_key_sha256=answer_key,
        judges=options.judges,
        source=source,
        subset=subset.record() if subset else None,
    )


def chosen_subset(options: RunOptions, leaves: list[LeafTask]) -> Subset | None:
    if options.subset is None or options.labels is None:
        return None
    return load_subset(options.subset, options.labels, [leaf.name for leaf in leaves if not leaf.rubric])


def recorded_subset(folder: Path, recorded: dict[str, str] | None, leaves: list[LeafTask]) -> Subset | None:
    """The subset a run was restricted to, read again from its labels (unchanged since the run)."""
    if not recorded:
        return None
    subset = load_subset(recorded["name"], Path(recorded["labels"]), [leaf.name for leaf in leaves])
    if subset.sha256 != recorded["labels_sha256"]:
        raise HarnessError(
            f"{folder}: the labels in {recorded['labels']} changed since this run; run it again on the new labels"
        )
    return subset
