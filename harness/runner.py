"""evaluate(model, tasks) -> a run folder. Responses are cached as they arrive; scoring reads
them afterwards, so a crash resumes where it stopped and `harness score` re-scores without a model."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, GenerationRequest
from harness.cache import ResponseCache, request_key
from harness.catalog import GroupSpec, LeafTask, load_tasks
from harness.errors import HarnessError
from harness.generation import ProgressFactory, fetch_responses
from harness.judge.stage import (
    Judge,
    Verdicts,
    describe_judges,
    failed_calls,
    judge_names,
    judge_tasks,
    load_judges,
)
from harness.judge.summary import summarize_judged
from harness.models import REPO_ROOT, ModelSpec
from harness.provenance import collect
from harness.results import SCHEMA_VERSION, run_dir, write_results, write_samples
from harness.scoring import SCORERS
from harness.summary import summarize_group, summarize_task


@dataclass(frozen=True)
class RunOptions:
    """How to run: where data and results live, and what to limit or override."""

    data_dir: str | None = None
    output_dir: Path = Path("results")
    limit: int | None = None
    use_cache: bool = True
    split: str | None = None
    answer_key: str | None = None
    max_new_tokens: int | None = None
    sample: int | None = None  # PsyDT: size of the fixed-seed sample (task default 200)
    judges: tuple[str, ...] = ()  # judge models for judge-scored tasks (default: the task's)
    models_files: tuple[Path, ...] | None = None  # where judge names are looked up

    def metadata(self) -> dict[str, Any]:
        """What the task files' custom_dataset receives."""
        extra = {
            "data_dir": self.data_dir,
            "split": self.split,
            "answer_key": self.answer_key,
            "sample_size": self.sample,
        }
        return {key: value for key, value in extra.items() if value is not None}


@dataclass
class PlannedTask:
    task: LeafTask
    docs: list[dict[str, Any]]
    requests: list[GenerationRequest] = field(default_factory=list)


def evaluate(
    spec: ModelSpec, task_names: list[str], options: RunOptions, progress: ProgressFactory | None = None
) -> dict[str, Any]:
    """Run a model on tasks and write its run folder; returns the results dict."""
    started = _now()
    leaves, groups = load_tasks(task_names, options.metadata())
    from harness.backends import make_backend

    backend = make_backend(spec)
    judges = _judges_for(leaves, options, (spec, backend))  # a model judging itself is loaded once
    settings = _generation_settings(spec, options)
    planned = [_plan(task, options.limit, backend.render, spec, settings) for task in leaves]

    folder = run_dir(options.output_dir, spec.name)
    cache = ResponseCache(folder / "cache.sqlite")
    try:
        every = [request for plan in planned for request in plan.requests]
        responses, failures = fetch_responses(
            backend, every, cache, options.use_cache, progress, "generating"
        )

        def response_for(task: str, request: GenerationRequest, doc: dict[str, Any]) -> str | None:
            return responses.get(request.key)

        verdicts = _judge(judges, planned, response_for, cache, options, progress)
    finally:
        cache.close()

    results = _score_and_write(
        folder, planned, groups, response_for, spec, settings, started, options, verdicts
    )
    results["backend"] = backend.describe()
    if judges:
        results["judges"] = describe_judges(judges, leaves)
    write_results(folder, results)
    _raise_for_failures(folder, list(failures.values()), failed_calls(verdicts))
    return results


def score_predictions(
    model_name: str,
    task_names: list[str],
    predictions: list[dict[str, Any]],
    options: RunOptions,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Score responses produced elsewhere ({"doc_id", "response", "task"?} rows) into a run folder."""
    started = _now()
    leaves, groups = load_tasks(task_names, options.metadata())
    judges = _judges_for(leaves, options)
    by_task: dict[tuple[str, str], str] = {}
    by_doc: dict[str, str] = {}
    for row in predictions:
        if row.get("task"):
            by_task[(str(row["task"]), str(row["doc_id"]))] = row["response"]
        else:
            by_doc[str(row["doc_id"])] = row["response"]
    spec = ModelSpec(
        name=model_name, backend="mock", category="candidate", notes="scored from a predictions file"
    )
    settings = _generation_settings(spec, options)
    planned = [
        _plan(task, options.limit, lambda m: json.dumps(m, ensure_ascii=False), spec, settings)
        for task in leaves
    ]

    def lookup(task: str, request: GenerationRequest, doc: dict[str, Any]) -> str | None:
        return by_task.get((task, doc["doc_id"]), by_doc.get(doc["doc_id"]))

    folder = run_dir(options.output_dir, model_name)
    cache = ResponseCache(folder / "cache.sqlite")
    try:
        verdicts = _judge(judges, planned, lookup, cache, options, progress)
    finally:
        cache.close()
    results = _score_and_write(folder, planned, groups, lookup, spec, settings, started, options, verdicts)
    if judges:
        results["judges"] = describe_judges(judges, leaves)
    matched = sum(
        results["tasks"][plan.task.name]["n"] - results["tasks"][plan.task.name]["n_failed"]
        for plan in planned
    )
    if matched == 0:
        raise HarnessError(
            "no prediction matched a doc of the requested tasks (check the doc_id values with `harness docs`)"
        )
    write_results(folder, results)
    _raise_for_failures(folder, [], failed_calls(verdicts))
    return results


def _judges_for(
    leaves: list[LeafTask], options: RunOptions, loaded: tuple[ModelSpec, Backend] | None = None
) -> list[Judge]:
    if not any(leaf.rubric for leaf in leaves):
        return []
    names = judge_names(leaves, options.judges)
    return load_judges(names, list(options.models_files) if options.models_files else None, loaded)


def _judge(
    judges: list[Judge],
    planned: list[PlannedTask],
    response_for: Callable[[str, GenerationRequest, dict[str, Any]], str | None],
    cache: ResponseCache,
    options: RunOptions,
    progress: ProgressFactory | None,
) -> Verdicts:
    judged = [(plan.task, plan.docs, plan.requests) for plan in planned if plan.task.rubric]
    if not judges or not judged:
        return {}
    return judge_tasks(judges, judged, response_for, cache, options.use_cache, progress)


def _raise_for_failures(folder: Path, generation: list[str], judging: list[str]) -> None:
    """After the results are written: one line on what failed for good in this run."""
    parts = []
    if generation:
        parts.append(f"{len(generation)} request(s) failed after retries (first: {generation[0]})")
    if judging:
        parts.append(f"{len(judging)} judge call(s) failed after retries (first: {judging[0]})")
    if parts:
        raise HarnessError(
            "; ".join(parts) + f"; results for the rest are in {folder}; "
            "re-run the same command to retry only the failed ones"
        )


def _plan(
    task: LeafTask,
    limit: int | None,
    render: Callable[[list[dict[str, str]]], str],
    spec: ModelSpec,
    settings: dict[str, Any],
) -> PlannedTask:
    docs = task.docs[:limit] if limit else list(task.docs)
    plan = PlannedTask(task=task, docs=docs)
    fingerprint = spec.fingerprint()
    for doc in docs:
        messages = task.messages(doc)
        prompt = render(messages)
        decoding = {**settings, "stop": list(task.stop)}
        plan.requests.append(
            GenerationRequest(
                key=request_key(fingerprint, prompt, decoding),
                messages=tuple((m["role"], m["content"]) for m in messages),
                prompt=prompt,
                stop=task.stop,
                max_new_tokens=settings["max_new_tokens"],
                temperature=settings["temperature"],
                top_p=settings["top_p"],
            )
        )
    return plan


def _score_and_write(
    folder: Path,
    planned: list[PlannedTask],
    groups: list[GroupSpec],
    response_for: Callable[[str, GenerationRequest, dict[str, Any]], str | None],
    spec: ModelSpec,
    settings: dict[str, Any],
    started: str,
    options: RunOptions,
    verdicts: Verdicts,
) -> dict[str, Any]:
    task_summaries: dict[str, dict[str, Any]] = {}
    for plan in planned:
        samples = []
        for doc, request in zip(plan.docs, plan.requests, strict=True):
            response = response_for(plan.task.name, request, doc)
            if plan.task.rubric:
                sample = _judged_sample(plan.task.name, doc, request, response, verdicts)
            else:
                sample = _scored_sample(plan.task.scorer, doc, request, response)
            samples.append(sample)
        write_samples(folder, plan.task.name, samples)
        if plan.task.rubric:
            summary = summarize_judged(plan.task.rubric, samples, list(verdicts))
        else:
            summary = summarize_task(plan.task.scorer, samples)
        summary |= {
            "version": plan.task.version,
            "prompt_hash": _prompt_hash(plan, settings),
            "split": _split_of(plan.task.name, options),
            "limit": options.limit,
        }
        task_summaries[plan.task.name] = summary
        if plan.task.name.startswith("cpsyexam") and any(not doc.get("answer") for doc in plan.docs):
            _write_submission(folder, plan, samples)
    group_summaries = {
        group.name: summarize_group(group, task_summaries) for group in groups if group.metrics
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "model": spec.model_dump(mode="json"),
        "generation": settings,
        "tasks": task_summaries,
        "groups": group_summaries,
        "provenance": collect(REPO_ROOT) | {"data_dir": options.data_dir},
        "started_at": started,
        "finished_at": _now(),
    }


def _scored_sample(
    scorer: str, doc: dict[str, Any], request: GenerationRequest, response: str | None
) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "doc_id": doc["doc_id"],
        "prompt": request.prompt,
        "response": response,
        "gold": doc.get("answer") or None,
    }
    if response is not None:
        scored = SCORERS[scorer](doc, response)
        sample["extracted"] = scored.extracted
        sample["scores"] = scored.metrics
    return sample


def _judged_sample(
    task: str, doc: dict[str, Any], request: GenerationRequest, response: str | None, verdicts: Verdicts
) -> dict[str, Any]:
    """A dialogue sample with each judge's verdict; `scores` are the first judge's valid scores."""
    sample: dict[str, Any] = {
        "doc_id": doc["doc_id"],
        "topic": doc["topic"],
        "dialogue_id": doc["dialogue_id"],
        "turn": doc["turn"],
        "prompt": request.prompt,
        "response": response,
        "gold": doc.get("reference") or None,
    }
    if response is None:
        return sample
    item = f"{task}/{doc['doc_id']}"
    sample["judges"] = {
        name: per_item[item].to_json() for name, per_item in verdicts.items() if item in per_item
    }
    first = next(iter(sample["judges"].values()), None)
    if first and first["status"] == "ok":
        sample["scores"] = first["scores"]
    return sample


def _write_submission(folder: Path, plan: PlannedTask, samples: list[dict[str, Any]]) -> None:
    """CPsyExam's official submission format: {"zero_shot"|"five_shot": {subject: [{question_id, prediction}]}}."""
    path = folder / "cpsyexam_submission.json"
    submission: dict[str, dict[str, list[dict[str, str]]]] = {}
    if path.exists():
        submission = json.loads(path.read_text(encoding="utf-8"))
    setting = "five_shot" if "_5shot" in plan.task.name else "zero_shot"
    subjects = submission.setdefault(setting, {})
    for doc, sample in zip(plan.docs, samples, strict=True):
        predicted = sample.get("extracted") or ""
        entries = [e for e in subjects.get(doc["subject"], []) if e["question_id"] != doc["doc_id"]]
        subjects[doc["subject"]] = [*entries, {"question_id": doc["doc_id"], "prediction": predicted}]
    path.write_text(json.dumps(submission, ensure_ascii=False, indent=1), encoding="utf-8")


def _generation_settings(spec: ModelSpec, options: RunOptions) -> dict[str, Any]:
    settings = spec.generation.model_dump()
    if options.max_new_tokens is not None:
        settings["max_new_tokens"] = options.max_new_tokens
    return settings


def _prompt_hash(plan: PlannedTask, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps([settings, list(plan.task.stop)], sort_keys=True).encode())
    for request in plan.requests:
        digest.update(json.dumps(request.messages, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def _split_of(task_name: str, options: RunOptions) -> str:
    if task_name.startswith("cpsyexam"):
        return options.split or "dev"
    return "test"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
