"""A run scored and written: a sample per doc (scored by the task's scorer or judged), a summary per
task and group, results.json merged under a lock, samples, submission files and lm-eval's results
file, each written atomically, and the `latest` link moved last."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.backends.base import GenerationRequest
from harness.data.records import DocRow
from harness.errors import HarnessError, describe_validation_error
from harness.files import write_text_atomically
from harness.judge.stage import ResponseFor, Verdicts
from harness.judge.summary import summarize_judged
from harness.models import ModelSpec
from harness.provenance import collect
from harness.resources import checkout_root
from harness.runs.lm_eval_format import FILE_NAME as LM_EVAL_FILE
from harness.runs.lm_eval_format import lm_eval_results
from harness.runs.options import RunOptions
from harness.runs.planning import PlannedTask
from harness.runs.results import locked, merge_results, point_latest, write_samples
from harness.runs.results_schema import (
    SCHEMA_VERSION,
    GroupResult,
    JudgedTask,
    ResultsFile,
    ScoredTask,
    TaskRecord,
)
from harness.runs.sample import Sample
from harness.runs.spec import RunSpec
from harness.runs.submissions import READERS, submission_writer
from harness.scoring.metric_registry import BUILTIN_METRICS
from harness.scoring.protocols import benchmark_credit, subject_keys
from harness.scoring.scorers import SCORING_VERSIONS
from harness.scoring.summary import FAILED, SCORED, coverage, summarize_group, summarize_task
from harness.tasks.catalog import GroupSpec, LeafTask


def score_and_write(
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
    task_records: dict[str, TaskRecord] = {}
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
            "finished_at": now(),
            "provenance": provenance,
        }
        record = JudgedTask if plan.task.rubric else ScoredTask
        try:
            task_records[plan.task.name] = record(**summary)
        except ValidationError as error:  # a task's own scorer gave what results.json cannot hold
            raise HarnessError(
                f"{plan.task.name}: its results cannot be recorded ({describe_validation_error(error)}); "
                "nothing was written"
            ) from None
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
    built = ResultsFile(
        schema_version=SCHEMA_VERSION,
        spec_hash=run_spec.digest,
        spec=run_spec.to_json(),
        model=spec.recorded(),
        generation=run_spec.generation,
        tasks=task_records,
        provenance=provenance,
        started_at=started,
        finished_at=now(),
        timings=clock.laps,
        **extra,
    )
    # Groups are computed over every task the run folder holds (this write's and earlier ones').
    results = merge_results(folder, built, lambda tasks: _groups_over(groups, tasks)).to_json()
    metrics = {metric.name: metric for plan in planned for metric in plan.task.metrics}
    write_text_atomically(
        folder / LM_EVAL_FILE,
        json.dumps(lm_eval_results(results, {**BUILTIN_BY_NAME, **metrics}), ensure_ascii=False, indent=2)
        + "\n",
    )
    point_latest(folder)
    return results


BUILTIN_BY_NAME = {metric.name: metric for metric in BUILTIN_METRICS}


def _groups_over(groups: list[GroupSpec], tasks: dict[str, TaskRecord]) -> dict[str, GroupResult]:
    return {group.name: summarize_group(group, tasks) for group in groups if group.metrics}


def _scored_sample(
    task: LeafTask, doc: DocRow, request: GenerationRequest, response: str | None, status: str
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
    doc: DocRow,
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


def _prompt_hash(plan: PlannedTask, settings: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps([settings, list(plan.task.stop)], sort_keys=True).encode())
    for request in plan.requests:
        digest.update(json.dumps(request.messages, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def _docs_hash(docs: list[DocRow]) -> str:
    """A hash of every doc of the task, gold answers included: a data change shows in results. Where
    a doc was read from is not part of it (the same data elsewhere hashes the same)."""
    digest = hashlib.sha256()
    for doc in docs:
        content = {key: value for key, value in doc.items() if key != "source"}
        digest.update(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()[:16]


def _data_files(docs: list[DocRow], data_dir: str | None, hashes: dict[str, str]) -> dict[str, str]:
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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
