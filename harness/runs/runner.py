"""evaluate(model, tasks) -> a run folder named by the run's frozen spec. Responses are cached as
they arrive (per model, keyed by content); scoring reads them afterwards, so a crash resumes where it
stopped and `harness score` re-scores without a model."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, GenerationRequest
from harness.data.location import DATA_DIR_ENV
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
from harness.judge.summary import summarize_judged
from harness.models import ModelSpec
from harness.provenance import collect, command_line
from harness.resources import checkout_root
from harness.runs.cache import ResponseCache, request_key
from harness.runs.lm_eval_format import FILE_NAME as LM_EVAL_FILE
from harness.runs.lm_eval_format import lm_eval_results
from harness.runs.responses import ProgressFactory, fetch_responses
from harness.runs.results import (
    check_existing_files,
    check_writable,
    locked,
    merge_results,
    model_dir,
    point_latest,
    prepare_folder,
    read_results,
    read_samples,
    run_dir,
    write_samples,
)
from harness.runs.results_schema import SCHEMA_VERSION
from harness.runs.sample import Sample
from harness.runs.spec import RunSpec, model_settings
from harness.runs.submissions import READERS, submission_writer
from harness.scoring.metric_registry import BUILTIN_METRICS
from harness.scoring.protocols import benchmark_credit, subject_keys
from harness.scoring.scorers import SCORING_VERSIONS
from harness.scoring.summary import FAILED, MISSING, SCORED, coverage, summarize_group, summarize_task
from harness.tasks.catalog import GroupSpec, LeafTask, load_tasks
from harness.tasks.subsets import Subset, load_subset

SPLITS = ("dev", "test", "train")
SPLIT_ENV = "PSYCHE_CPSYEXAM_SPLIT"
MAX_COUNT = 10_000_000  # beyond any benchmark's size: a larger --limit is a typo
log = logging.getLogger("harness")


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
    include_paths: tuple[Path, ...] = ()  # task folders beyond the built-in ones (--include-path)
    subset: str | None = None  # challenging / non-challenging (harness.tasks.subsets), with `labels`
    labels: Path | None = None

    def __post_init__(self) -> None:
        for name, value in (
            ("--limit", self.limit),
            ("--max-new-tokens", self.max_new_tokens),
            ("--sample", self.sample),
        ):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_COUNT
            ):
                raise HarnessError(f"{name} must be a whole number from 1 to {MAX_COUNT:,}, got {value!r}")
        if self.split is not None and self.split not in SPLITS:
            raise HarnessError(f"--split {self.split!r}: use one of {', '.join(SPLITS)}")
        if (self.subset is None) != (self.labels is None):
            raise HarnessError("--subset and --labels go together: --subset challenging --labels DIR")
        env = os.environ.get(SPLIT_ENV)
        if self.split is None and env is not None and env not in SPLITS:
            raise HarnessError(f"{SPLIT_ENV}={env!r}: use one of {', '.join(SPLITS)}")

    @property
    def chosen_split(self) -> str:
        """The split that tasks reading the run's split (CPsyExam) load and record (one decision,
        made here)."""
        return self.split or os.environ.get(SPLIT_ENV) or "dev"

    @property
    def data_path(self) -> str | None:
        """The data directory as an absolute path (None: PSYCHE_DATA_DIR or a fetch decides)."""
        chosen = self.data_dir or os.environ.get(DATA_DIR_ENV)
        return str(Path(chosen).expanduser().resolve()) if chosen else None

    def metadata(self) -> dict[str, Any]:
        """What the task files' custom_dataset receives."""
        extra = {
            "data_dir": self.data_dir,
            "split": self.chosen_split,
            "answer_key": self.answer_key,
            "sample_size": self.sample,
        }
        return {key: value for key, value in extra.items() if value is not None}


@dataclass
class PlannedTask:
    task: LeafTask
    docs: list[dict[str, Any]]
    requests: list[GenerationRequest] = field(default_factory=list)
    expected: int = 0  # the docs a complete run scores: the task's, or its labelled subset's
    subset: dict[str, str] | None = None


def evaluate(
    spec: ModelSpec, task_names: list[str], options: RunOptions, progress: ProgressFactory | None = None
) -> dict[str, Any]:
    """Run a model on tasks and write its run folder; returns the results dict."""
    started, clock = _now(), PhaseClock()
    leaves, groups = load_tasks(task_names, options.metadata(), options.include_paths)
    subset = _subset(options, leaves)
    settings = _generation_settings(spec, options)
    run_spec = _run_spec(spec.name, spec, settings, options, "model", subset)
    folder = run_dir(options.output_dir, spec.name, run_spec.digest)
    check_writable(folder)
    from harness.backends import make_backend

    # Every other judge is checked (settings, API key) before the evaluated model loads; a model
    # judging itself is loaded once.
    early = _judges_for(leaves, options, besides=spec)
    backend = make_backend(spec)
    judges = _judges_for(leaves, options, (spec, backend), early)
    planned = [_plan(task, options.limit, backend.render, spec, settings, subset) for task in leaves]
    # What this spec's folder already holds: an item answered before is never replaced by a failure.
    answered_before = stored_answers(folder, planned)
    cache = ResponseCache(
        model_dir(options.output_dir, spec.name) / "cache.sqlite"
    )  # checked before any write
    _open_run(folder, run_spec)
    try:
        every = [request for plan in planned for request in plan.requests]
        clock.lap("setup")
        try:
            responses, failures = fetch_responses(
                backend,
                every,
                cache,
                options.use_cache,
                progress,
                "generating",
                before_asking=lambda missing: warn_if_long(backend, missing),
            )
            clock.lap("generation")
            kept = {key: failures.pop(key) for key in list(failures) if key in answered_before}
            responses |= {key: answered_before[key] for key in kept}
            if kept:
                log.warning(
                    f"{len(kept)} request(s) failed this time (first: {next(iter(kept.values()))}); "
                    f"the answers {folder} already held for them were kept"
                )

            def response_for(task: str, request: GenerationRequest, doc: dict[str, Any]) -> str | None:
                return responses.get(request.key)

            verdicts = _judge(judges, planned, response_for, cache, options, progress)
            clock.lap("judging")
        except KeyboardInterrupt:
            raise _interrupted(cache, every, folder) from None
    finally:
        cache.close()

    extra = {"backend": backend.describe()} | (
        {"judges": describe_judges(judges, [leaf.rubric for leaf in leaves if leaf.rubric])} if judges else {}
    )
    results = _score_and_write(
        folder, planned, groups, response_for, spec, run_spec, started, options, verdicts, extra, clock=clock
    )
    _raise_for_failures(folder, list(failures.values()), failed_calls(verdicts))
    return results


# New tokens a local model on a CPU writes in well under an hour on 2 cores (SmolLM2-135M: about 15
# per second there, counting the prompts it reads).
CPU_TOKENS_PER_HOUR = 50_000


def warn_if_long(backend: Backend, missing: Sequence[GenerationRequest]) -> None:
    """Before a long run of a local model on a CPU starts: one line saying so, and how to try a few."""
    bound = sum(request.max_new_tokens for request in missing)
    if bound <= CPU_TOKENS_PER_HOUR or str(backend.describe().get("device", "")) != "cpu":
        return
    log.warning(
        "%d answers of up to %d new tokens each from a local model on a CPU: up to %d new tokens, "
        "likely more than an hour here; --limit 4 tries four items of each task first, --max-new-tokens "
        "caps each answer",
        len(missing),
        max(request.max_new_tokens for request in missing),
        bound,
    )


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
    started, clock = _now(), PhaseClock()
    leaves, groups = load_tasks(task_names, options.metadata(), options.include_paths)
    spec = _predictions_model(model_name, options)
    settings = _generation_settings(spec, options)
    planned = [
        _plan(task, options.limit, lambda m: json.dumps(m, ensure_ascii=False), spec, settings)
        for task in leaves
    ]
    matched = match_predictions(planned, predictions)
    digest = hashlib.sha256(json.dumps(predictions, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    recorded = {"decoding": decoding.strip() if decoding and decoding.strip() else "unknown"}
    run_spec = _run_spec(model_name, None, recorded, options, f"predictions:{digest[:16]}")
    folder = run_dir(options.output_dir, model_name, run_spec.digest)
    check_writable(folder)
    judges = _judges_for(leaves, options)
    _open_run(folder, run_spec)

    def lookup(task: str, request: GenerationRequest, doc: dict[str, Any]) -> str | None:
        return matched.get((task, str(doc["doc_id"]), str(doc.get("subject") or "")))

    cache = ResponseCache(model_dir(options.output_dir, model_name) / "cache.sqlite")
    clock.lap("setup")
    try:
        try:
            verdicts = _judge(judges, planned, lookup, cache, options, progress)
            clock.lap("judging")
        except KeyboardInterrupt:
            raise _interrupted(cache, [], folder) from None
    finally:
        cache.close()
    extra = (
        {"judges": describe_judges(judges, [leaf.rubric for leaf in leaves if leaf.rubric])} if judges else {}
    )
    results = _score_and_write(
        folder,
        planned,
        groups,
        lookup,
        spec,
        run_spec,
        started,
        options,
        verdicts,
        extra,
        status_if_absent=MISSING,
        clock=clock,
    )
    _raise_for_failures(folder, [], failed_calls(verdicts))
    return results


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


def rescore_run(folder: Path, options: RunOptions, progress: ProgressFactory | None = None) -> dict[str, Any]:
    """Score a run folder again from its stored responses (after an extraction or metric change),
    in place: same spec, same responses, current scoring. Judge-scored tasks are kept as they are."""
    folder = folder.resolve()  # a `latest` link names the run it points at, not itself
    results = read_results(folder / "results.json")
    spec_record = results.get("spec") or {}
    stored = {name for name, task in results["tasks"].items() if "dimensions" not in task}
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
        check_stored_samples(path, samples, leaf, results["tasks"][leaf.name])
        for sample in samples:
            key = (leaf.name, sample.doc_id)
            if sample.response is not None:
                responses[key] = sample.response
            if sample.prompt:
                prompts[key] = sample.prompt
    if not results.get("model") or not spec_record:
        raise HarnessError(f"{folder}/results.json: written by an older harness without a spec; run it again")
    spec = ModelSpec.model_validate(results["model"])
    # the recorded decoding; a predictions run records none the harness used ({"decoding": ...})
    settings = _generation_settings(spec, rerun) | dict(results.get("generation") or {})
    subset = _recorded_subset(folder, spec_record.get("subset"), leaves)
    planned = [
        _plan(task, rerun.limit, lambda m: json.dumps(m, ensure_ascii=False), spec, settings, subset)
        for task in leaves
    ]
    for plan in planned:
        plan.requests = [
            replace(request, prompt=prompts.get((plan.task.name, str(doc["doc_id"])), request.prompt))
            for doc, request in zip(plan.docs, plan.requests, strict=True)
        ]

    def lookup(task: str, request: GenerationRequest, doc: dict[str, Any]) -> str | None:
        return responses.get((task, str(doc["doc_id"])))

    run_spec = RunSpec(**{**spec_record, "judges": tuple(spec_record.get("judges", ()))})
    extra: dict[str, Any] = {key: results[key] for key in ("backend", "judges") if key in results}
    return _score_and_write(
        folder, planned, groups, lookup, spec, run_spec, _now(), rerun, {}, extra, status_if_absent=FAILED
    )


def check_stored_samples(path: Path, samples: list[Sample], task: LeafTask, recorded: dict[str, Any]) -> None:
    """Before a re-score rewrites anything: the stored samples must be the ones results.json
    counted, each for a doc of the task as the data stands (else one line, nothing rewritten)."""
    known = {str(doc["doc_id"]) for doc in task.docs}
    strangers = [sample.doc_id for sample in samples if sample.doc_id not in known]
    if strangers:
        raise HarnessError(
            f"{path}: {len(strangers)} sample(s) for docs the task {task.name} does not have (first: "
            f"{strangers[0]!r}): the samples do not match the data; nothing was re-scored or rewritten"
        )
    counted = recorded.get("n")
    if isinstance(counted, int) and len(samples) != counted:
        raise HarnessError(
            f"{path}: holds {len(samples)} samples where results.json counted {counted} (cut short or "
            "edited?); nothing was re-scored or rewritten"
        )


def _predictions_model(model_name: str, options: RunOptions) -> ModelSpec:
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


def _recorded_subset(folder: Path, recorded: dict[str, str] | None, leaves: list[LeafTask]) -> Subset | None:
    """The subset a run was restricted to, read again from its labels (unchanged since the run)."""
    if not recorded:
        return None
    subset = load_subset(recorded["name"], Path(recorded["labels"]), [leaf.name for leaf in leaves])
    if subset.sha256 != recorded["labels_sha256"]:
        raise HarnessError(
            f"{folder}: the labels in {recorded['labels']} changed since this run; run it again on the new labels"
        )
    return subset


def _subset(options: RunOptions, leaves: list[LeafTask]) -> Subset | None:
    if options.subset is None or options.labels is None:
        return None
    return load_subset(options.subset, options.labels, [leaf.name for leaf in leaves if not leaf.rubric])


def _run_spec(
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
    cache: ResponseCache,
    options: RunOptions,
    progress: ProgressFactory | None,
) -> Verdicts:
    judged = [(plan.task.rubric, plan.docs, plan.requests) for plan in planned if plan.task.rubric]
    if not judges or not judged:
        return {}
    return judge_tasks(judges, judged, response_for, cache, options.use_cache, progress)


def stored_answers(folder: Path, planned: list[PlannedTask]) -> dict[str, str]:
    """Request key -> the response the run folder already holds for it (same spec, same prompt),
    read before anything is written; samples that cannot be read lend nothing."""
    answers: dict[str, str] = {}
    for plan in planned:
        path = folder / "samples" / f"{plan.task.name}.jsonl"
        if not path.exists():
            continue
        try:
            stored = {sample.doc_id: sample for sample in read_samples(path)}
        except HarnessError:
            continue
        for doc, request in zip(plan.docs, plan.requests, strict=True):
            sample = stored.get(str(doc["doc_id"]))
            if sample is not None and sample.response is not None and sample.prompt == request.prompt:
                answers[request.key] = sample.response
    return answers


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


def _plan(
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


def _score_and_write(
    folder: Path,
    planned: list[PlannedTask],
    groups: list[GroupSpec],
    response_for: ResponseFor,
    spec: ModelSpec,
    run_spec: RunSpec,
    started: str,
    options: RunOptions,
    verdicts: Verdicts,
    extra: dict[str, Any],
    status_if_absent: str = FAILED,
    clock: PhaseClock | None = None,
) -> dict[str, Any]:
    clock = clock or PhaseClock()
    provenance = collect(checkout_root()) | {"data_dir": options.data_path}
    file_hashes: dict[str, str] = {}
    task_summaries: dict[str, dict[str, Any]] = {}
    scored_samples: dict[str, list[Sample]] = {}
    for plan in planned:
        samples = []
        for doc, request in zip(plan.docs, plan.requests, strict=True):
            response = response_for(plan.task.name, request, doc)
            status = SCORED if response is not None else status_if_absent
            if plan.task.rubric:
                samples.append(_judged_sample(plan.task.name, doc, request, response, verdicts, status))
            else:
                samples.append(_scored_sample(plan.task, doc, request, response, status))
        scored_samples[plan.task.name] = samples
        if plan.task.rubric:
            summary = coverage(samples, plan.expected) | summarize_judged(
                plan.task.rubric, samples, list(verdicts)
            )
            if summary.get("judge_failures", {}).get("error"):
                summary["complete"] = False
        else:
            protocol = plan.task.benchmark_protocol
            keys = subject_keys(protocol, plan.docs) if protocol else None
            summary = summarize_task(plan.task.metrics, samples, plan.expected, protocol, keys)
        summary |= {
            "version": plan.task.version,
            "n_shot": plan.task.shots,
            "prompt_hash": _prompt_hash(plan, run_spec.generation),
            "docs_hash": _docs_hash(plan.task.docs),
            "data_files": _data_files(plan.task.docs, options.data_path, file_hashes),
            "scoring": dict(SCORING_VERSIONS),
            "split": plan.task.split,
            "limit": options.limit,
            **({"subset": plan.subset} if plan.subset else {}),
            "finished_at": _now(),
            "provenance": provenance,
        }
        task_summaries[plan.task.name] = summary
    clock.lap("scoring")
    for plan in planned:  # a submission file already there is checked before anything is written
        if plan.task.submission and plan.task.split == "test" and plan.task.submission in READERS:
            READERS[plan.task.submission](folder)
    for name, samples in scored_samples.items():
        write_samples(folder, name, samples)
    with locked(folder):
        for plan in planned:
            if plan.task.submission and plan.task.split == "test":
                write = submission_writer(plan.task.submission, plan.task.name)
                write(folder, plan.task.name, plan.task.shots, plan.docs, scored_samples[plan.task.name])
    clock.lap("writing")
    results = {
        "schema_version": SCHEMA_VERSION,
        "spec_hash": run_spec.digest,
        "spec": run_spec.to_json(),
        "model": spec.recorded(),
        "generation": run_spec.generation,
        "tasks": task_summaries,
        "groups": {},
        "provenance": provenance,
        "started_at": started,
        "finished_at": _now(),
        "timings": clock.laps,
    } | extra
    # Groups are computed over every task the run folder holds (this write's and earlier ones').
    results = merge_results(folder, results, lambda tasks: _groups_over(groups, tasks))
    metrics = {metric.name: metric for plan in planned for metric in plan.task.metrics}
    write_text_atomically(
        folder / LM_EVAL_FILE,
        json.dumps(lm_eval_results(results, {**BUILTIN_BY_NAME, **metrics}), ensure_ascii=False, indent=2)
        + "\n",
    )
    point_latest(folder)
    return results


BUILTIN_BY_NAME = {metric.name: metric for metric in BUILTIN_METRICS}


def _groups_over(groups: list[GroupSpec], tasks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {group.name: summarize_group(group, tasks) for group in groups if group.metrics}


def _scored_sample(
    task: LeafTask, doc: dict[str, Any], request: GenerationRequest, response: str | None, status: str
) -> Sample:
    scored = task.scoring.score(doc, response) if response is not None and task.scoring else None
    benchmark = None
    if task.benchmark_protocol and response is not None:
        benchmark = benchmark_credit(task.benchmark_protocol, doc, response).to_json()
    return Sample(
        doc_id=str(doc["doc_id"]),
        prompt=request.prompt,
        response=response,
        gold=None if doc.get("answer_withheld") else str(doc.get("answer") or ""),
        status=status,
        extracted=scored.extracted if scored else None,
        scores=scored.metrics if scored else None,
        benchmark=benchmark,
    )


def _judged_sample(
    task: str,
    doc: dict[str, Any],
    request: GenerationRequest,
    response: str | None,
    verdicts: Verdicts,
    status: str,
) -> Sample:
    """A dialogue sample with each judge's verdict; `scores` are the first judge's valid scores."""
    item = f"{task}/{doc['doc_id']}"
    judges = (
        {name: per_item[item].to_json() for name, per_item in verdicts.items() if item in per_item}
        if response is not None
        else {}
    )
    first = next(iter(judges.values()), None)
    return Sample(
        doc_id=str(doc["doc_id"]),
        prompt=request.prompt,
        response=response,
        gold=doc.get("reference") or None,
        status=status,
        scores=first["scores"] if first and first["status"] == "ok" else None,
        topic=doc["topic"],
        dialogue_id=doc["dialogue_id"],
        turn=doc["turn"],
        judges=judges,
    )


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


def _docs_hash(docs: list[dict[str, Any]]) -> str:
    """A hash of every doc of the task, gold answers included: a data change shows in results. Where
    a doc was read from is not part of it (the same data elsewhere hashes the same)."""
    digest = hashlib.sha256()
    for doc in docs:
        content = {key: value for key, value in doc.items() if key != "source"}
        digest.update(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()[:16]


def _data_files(docs: list[dict[str, Any]], data_dir: str | None, hashes: dict[str, str]) -> dict[str, str]:
    """The sha256 of each file the task's docs were read from, by path (relative to the data
    directory where the file lies under it); `hashes` keeps each file's digest for the run."""
    found = {}
    for source in sorted({str(doc["source"]) for doc in docs if doc.get("source")}):
        if source not in hashes:
            try:
                hashes[source] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
            except OSError as error:
                hashes[source] = f"unreadable ({error.strerror})"
        path = Path(source).resolve()
        shown = (
            path.relative_to(data_dir).as_posix() if data_dir and path.is_relative_to(data_dir) else source
        )
        found[shown] = hashes[source]
    return found


class PhaseClock:
    """Seconds per phase of a command, each lap from the end of the one before."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps[phase] = round(now - self._last, 4)
        self._last = now


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
