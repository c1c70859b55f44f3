"""The judging stage of a run: which judges, their backends, and a verdict per judge and response."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, GenerationRequest
from harness.data.records import DocRow
from harness.judge.rubric import Rubric
from harness.judge.run import JudgeItem, Verdict, judge_settings, run_judge
from harness.models import ModelSpec, resolve_model
from harness.runs.cache import ResponseCache

Verdicts = dict[str, dict[str, Verdict]]  # judge name -> "<task>/<doc_id>" -> verdict
ResponseFor = Callable[[str, GenerationRequest, DocRow], str | None]


@dataclass
class Judge:
    spec: ModelSpec
    backend: Backend


def judge_names(rubrics: list[Rubric], requested: tuple[str, ...]) -> tuple[str, ...]:
    """The judges asked for, else each judged task's default judge (in task order)."""
    if requested:
        return requested
    defaults = [rubric.default_judge for rubric in rubrics]
    return tuple(dict.fromkeys(defaults))


def load_judges(
    names: tuple[str, ...],
    models_files: list[Path] | None,
    loaded: tuple[ModelSpec, Backend] | None,
    ready: Sequence[Judge] = (),
) -> list[Judge]:
    """Each judge's models.yaml entry and backend (an API judge checks its key here, before any
    generation starts); a model already `loaded` (the evaluated one) or `ready` (built before) is
    not loaded again."""
    from harness.backends import make_backend

    built = {judge.spec.name: judge for judge in ready}
    judges = []
    for name in names:
        spec = resolve_model(name, models_files)
        if spec.name in built and built[spec.name].spec == spec:
            judges.append(built[spec.name])
        else:
            judges.append(Judge(spec, loaded[1] if loaded and loaded[0] == spec else make_backend(spec)))
    return judges


def judges_besides(
    names: tuple[str, ...], models_files: list[Path] | None, evaluated: ModelSpec
) -> list[Judge]:
    """The judges other than the evaluated model, built (API keys checked) before it loads."""
    others = tuple(name for name in names if resolve_model(name, models_files) != evaluated)
    return load_judges(others, models_files, None)


def judge_tasks(
    judges: list[Judge],
    tasks: list[tuple[Rubric, list[DocRow], list[GenerationRequest]]],
    response_for: ResponseFor,
    cache: ResponseCache,
    use_cache: bool,
    progress: Callable[[int, str], Callable[[], None]] | None,
) -> Verdicts:
    """Every judge's verdict on every response of the judged tasks (all tasks in one concurrent pool)."""
    items = []
    for rubric, docs, requests in tasks:
        for doc, request in zip(docs, requests, strict=True):
            response = response_for(rubric.task, request, doc)
            if response is not None:
                messages = rubric.messages(doc["history"], response)
                items.append(JudgeItem(f"{rubric.task}/{doc['doc_id']}", rubric, messages))
    return {
        judge.spec.name: run_judge(judge.spec, judge.backend, items, cache, use_cache, progress)
        for judge in judges
    }


def describe_judges(judges: list[Judge], rubrics: list[Rubric]) -> dict[str, Any]:
    """What results.json records about each judge: model id, endpoint, settings, rubric hashes."""
    described = {}
    for judge in judges:
        described[judge.spec.name] = {
            "model": {
                key: value
                for key, value in judge.spec.recorded().items()
                if key in ("name", "display_name", "backend", "weights", "api_model", "base_url")
            },
            "backend": judge.backend.describe(),
            "settings": {rubric.task: judge_settings(rubric) for rubric in rubrics},
            "max_attempts": {rubric.task: rubric.max_attempts for rubric in rubrics},
            "rubric_hash": {rubric.task: rubric.digest() for rubric in rubrics},
        }
    return described


def failed_calls(verdicts: Verdicts) -> list[str]:
    """Reasons of judge calls that failed outright (retried on the next run)."""
    return [v.reason for per_item in verdicts.values() for v in per_item.values() if v.status == "error"]
