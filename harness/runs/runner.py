"""A run: one plan (tasks, docs, requests, frozen spec, run folder), one source of responses (a
model, a predictions file, or the samples a run folder holds) and the judges of judge-scored tasks,
scored and written the same way whichever the source (`run`). `evaluate`, `score_predictions` and
`rescore_run` only build the plan and the source for `harness eval` and `harness score`.

Responses are cached as they arrive (per model, keyed by content); scoring reads them afterwards,
so a crash resumes where it stopped and `harness score` re-scores without a model."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, GenerationRequest
from harness.errors import HarnessError, RunInterrupted
from harness.files import write_text_atomically
from harness.judge.stage import (
    Judge,
    ResponseFor,
    Verdicts,
    describe_judges,
    failed_calls,
    judge_names,
    judge_tasks,
    judges_besides,
    load_judges,
)
from harness.models import ModelSpec
from harness.provenance import command_line
from harness.runs.cache import ResponseCache
from harness.runs.options import RunOptions
from harness.runs.planning import (
    PlannedTask,
    chosen_subset,
    generation_settings,
    plan_task,
    recorded_subset,
    run_spec_for,
)
from harness.runs.predictions import match_predictions, predictions_model
from harness.runs.responses import ProgressFactory
from harness.runs.results import (
    check_existing_files,
    check_writable,
    model_dir,
    prepare_folder,
    read_results_file,
    read_samples,
    run_dir,
)
from harness.runs.sources import (
    ModelResponses,
    PredictionResponses,
    ResponseSource,
    StoredResponses,
    check_stored_samples,
    warn_if_long,
)
from harness.runs.spec import RunSpec
from harness.runs.writing import PhaseClock, now, score_and_write
from harness.tasks.catalog import GroupSpec, LeafTask, load_tasks

__all__ = ["RunOptions", "RunPlan", "evaluate", "rescore_run", "run", "score_predictions", "warn_if_long"]

log = logging.getLogger("harness")


@dataclass(frozen=True)
class RunPlan:
    """What a run scores and where it writes: the model's record, each task's docs and requests,
    the frozen spec and the folder it names. `in_place`: a re-score rewrites the folder it read."""

    spec: ModelSpec
    run_spec: RunSpec
    folder: Path
    planned: list[PlannedTask]
    groups: list[GroupSpec]
    options: RunOptions
    started: str = field(default_factory=now)
    clock: PhaseClock = field(default_factory=PhaseClock)
    in_place: bool = False


def run(
    plan: RunPlan, source: ResponseSource, judges: list[Judge], progress: ProgressFactory | None = None
) -> dict[str, Any]:
    """The responses `source` gives for the plan, judged where a task is judge-scored, scored and
    written into the plan's folder; returns the results dict. Failures that remain (a request or a
    judge call that failed for good) stop it with one line after everything else is written."""
    # the model's response cache holds generations and judge answers; checked before any write
    judged = bool(judges) and any(task.task.rubric for task in plan.planned)
    cache_path = model_dir(plan.options.output_dir, plan.spec.name) / "cache.sqlite"
    cache = ResponseCache(cache_path) if source.generates or judged else None
    if not plan.in_place:
        _open_run(plan.folder, plan.run_spec)
    try:
        plan.clock.lap("setup")
        try:
            answers = source.answers(plan, cache, progress)
            if source.generates:
                plan.clock.lap("generation")
            verdicts = _judge(judges, plan.planned, answers.response_for, cache, plan.options, progress)
            plan.clock.lap("judging")
        except KeyboardInterrupt:
            if cache is None:
                raise
            raise _interrupted(cache, source.asked(plan), plan.folder) from None
    finally:
        if cache is not None:
            cache.close()
    rubrics = [task.task.rubric for task in plan.planned if task.task.rubric]
    extra = source.describe() | ({"judges": describe_judges(judges, rubrics)} if judges else {})
    results = score_and_write(
        plan.folder,
        plan.planned,
        plan.groups,
        answers.response_for,
        plan.spec,
        plan.run_spec,
        plan.started,
        plan.options,
        verdicts,
        extra,
        status_if_absent=source.absent,
        clock=plan.clock,
    )
    _raise_for_failures(plan.folder, answers.failures, failed_calls(verdicts))
    return results


def evaluate(
    spec: ModelSpec, task_names: list[str], options: RunOptions, progress: ProgressFactory | None = None
) -> dict[str, Any]:
    """Run a model on tasks and write its run folder; returns the results dict."""
    started, clock = now(), PhaseClock()
    leaves, groups = load_tasks(task_names, options.metadata(), options.include_paths)
    subset = chosen_subset(options, leaves)
    settings = generation_settings(spec, options)
    run_spec = run_spec_for(spec.name, spec, settings, options, "model", subset)
    folder = run_dir(options.output_dir, spec.name, run_spec.digest)
    check_writable(folder)
    from harness.backends import make_backend

    # Every other judge is checked (settings, API key) before the evaluated model loads; a model
    # judging itself is loaded once.
    early = _judges_for(leaves, options, besides=spec)
    backend = make_backend(spec)
    judges = _judges_for(leaves, options, (spec, backend), early)
    planned = [plan_task(task, options.limit, backend.render, spec, settings, subset) for task in leaves]
    plan = RunPlan(spec, run_spec, folder, planned, groups, options, started, clock)
    return run(plan, ModelResponses(backend), judges, progress)


def score_predictions(
    model_name: str,
    task_names: list[str],
    predictions: list[dict[str, Any]],
    options: RunOptions,
    progress: ProgressFactory | None = None,
    decoding: str | None = None,
) -> dict[str, Any]:
    """Score responses produced elsewhere ({"doc_id", "response", "task"?} rows) into a run folder.
    The predictions are checked against the docs (unknown and repeated doc_ids stop it) before
    anything is written. The run records the decoding that produced them as `decoding` says (the
    user's note) or "unknown": the harness did not produce them and invents no settings."""
    started, clock = now(), PhaseClock()
    leaves, groups = load_tasks(task_names, options.metadata(), options.include_paths)
    spec = predictions_model(model_name, options)
    settings = generation_settings(spec, options)
    planned = [
        plan_task(task, options.limit, lambda m: json.dumps(m, ensure_ascii=False), spec, settings)
        for task in leaves
    ]
    matched = match_predictions(planned, predictions)
    digest = hashlib.sha256(json.dumps(predictions, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    recorded = {"decoding": decoding.strip() if decoding and decoding.strip() else "unknown"}
    run_spec = run_spec_for(model_name, None, recorded, options, f"predictions:{digest[:16]}")
    folder = run_dir(options.output_dir, model_name, run_spec.digest)
    check_writable(folder)
    judges = _judges_for(leaves, options)
    plan = RunPlan(spec, run_spec, folder, planned, groups, options, started, clock)
    return run(plan, PredictionResponses(matched), judges, progress)


def rescore_run(folder: Path, options: RunOptions, progress: ProgressFactory | None = None) -> dict[str, Any]:
    """Score a run folder again from its stored responses (after an extraction or metric change),
    in place: same spec, same responses, current scoring. Judge-scored tasks are kept as they are."""
    folder = folder.resolve()  # a `latest` link names the run it points at, not itself
    results = read_results_file(folder / "results.json")
    spec_record = results.spec
    stored = results.scored()
    if not stored:
        raise HarnessError(f"{folder}: no task scored by extraction to re-score")
    rerun = RunOptions(
        data_dir=options.data_dir,
        output_dir=folder.parent.parent,
        limit=spec_record.get("limit"),
        split=spec_record.get("split"),
        sample=spec_record.get("sample"),
        answer_key=options.answer_key,
        include_paths=options.include_paths,
    )
    leaves, groups = load_tasks(sorted(stored), rerun.metadata(), rerun.include_paths)
    responses: dict[tuple[str, str], str] = {}
    prompts: dict[tuple[str, str], str] = {}  # as the model saw them (rendered by its backend)
    for leaf in leaves:
        path = folder / "samples" / f"{leaf.name}.jsonl"
        samples = read_samples(path)
        check_stored_samples(path, samples, leaf, stored[leaf.name])
        for sample in samples:
            key = (leaf.name, sample.doc_id)
            if sample.response is not None:
                responses[key] = sample.response
            if sample.prompt:
                prompts[key] = sample.prompt
    if not results.model or not spec_record:
        raise HarnessError(f"{folder}/results.json: written by an older harness without a spec; run it again")
    spec = ModelSpec.model_validate(results.model)
    # the recorded decoding; a predictions run records none the harness used ({"decoding": ...})
    settings = generation_settings(spec, rerun) | results.generation
    subset = recorded_subset(folder, spec_record.get("subset"), leaves)
    planned = [
        plan_task(task, rerun.limit, lambda m: json.dumps(m, ensure_ascii=False), spec, settings, subset)
        for task in leaves
    ]
    for task in planned:
        task.requests = [
            replace(request, prompt=prompts.get((task.task.name, str(doc["doc_id"])), request.prompt))
            for doc, request in zip(task.docs, task.requests, strict=True)
        ]
    run_spec = RunSpec(**{**spec_record, "judges": tuple(spec_record.get("judges", ()))})
    recorded: dict[str, Any] = results.to_json()
    recorded = {key: recorded[key] for key in ("backend", "judges") if key in recorded}
    plan = RunPlan(spec, run_spec, folder, planned, groups, rerun, in_place=True)
    return run(plan, StoredResponses(responses, recorded), [], progress)


def _open_run(folder: Path, run_spec: RunSpec) -> None:
    """The run folder made, its existing files checked, spec.json in place."""
    prepare_folder(folder)
    check_existing_files(folder)
    spec_path = folder / "spec.json"
    expected = json.dumps(run_spec.to_json(), ensure_ascii=False, indent=2) + "\n"
    if not spec_path.exists():
        write_text_atomically(spec_path, expected)
        return
    try:
        intact = json.loads(spec_path.read_text(encoding="utf-8")) == json.loads(expected)
    except (ValueError, UnicodeDecodeError):
        intact = False
    if not intact:  # the folder is named by this spec's hash: what spec.json must say is known
        log.warning(f"{spec_path}: damaged or edited; written again from the run's spec")
        write_text_atomically(spec_path, expected)


def _interrupted(cache: ResponseCache, requests: list[GenerationRequest], folder: Path) -> RunInterrupted:
    keys = list({request.key for request in requests})
    kept = len(cache.get_many(keys)) if keys else 0
    command = command_line()
    kept_text = f"{kept} of {len(keys)} responses are kept" if keys else "every judge answer so far is kept"
    return RunInterrupted(
        f"interrupted: {kept_text} in {cache.path}, nothing in {folder} was changed; resume with: {command}"
    )


def _judges_for(
    leaves: list[LeafTask],
    options: RunOptions,
    loaded: tuple[ModelSpec, Backend] | None = None,
    ready: list[Judge] | None = None,
    besides: ModelSpec | None = None,
) -> list[Judge]:
    if not any(leaf.rubric for leaf in leaves):
        return []
    names = judge_names([leaf.rubric for leaf in leaves if leaf.rubric], options.judges)
    files = list(options.models_files) if options.models_files else None
    if besides is not None:
        return judges_besides(names, files, besides)
    return load_judges(names, files, loaded, ready or [])


def _judge(
    judges: list[Judge],
    planned: list[PlannedTask],
    response_for: ResponseFor,
    cache: ResponseCache | None,
    options: RunOptions,
    progress: ProgressFactory | None,
) -> Verdicts:
    judged = [(plan.task.rubric, plan.docs, plan.requests) for plan in planned if plan.task.rubric]
    if not judges or not judged or cache is None:
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
            "; ".join(parts) + f"; results for the rest are in {folder} (marked incomplete); "
            "re-run the same command to retry only the failed ones"
        )
