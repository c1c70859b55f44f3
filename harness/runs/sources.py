"""Where a run's responses come from: a model (its backend, through the response cache), a
predictions file (responses produced elsewhere), or the samples a run folder already holds (a
re-score). Each gives the run one way to look a doc's response up; the run is the same after that
(harness/runs/runner.py: run)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.backends.base import Backend, GenerationRequest
from harness.data.records import DocRow
from harness.errors import HarnessError
from harness.judge.stage import ResponseFor
from harness.runs.cache import ResponseCache
from harness.runs.planning import PlannedTask
from harness.runs.predictions import PredictionKey
from harness.runs.responses import ProgressFactory, fetch_responses
from harness.runs.results import read_samples
from harness.runs.results_schema import ScoredTask
from harness.runs.sample import Sample
from harness.scoring.summary import FAILED, MISSING
from harness.tasks.catalog import LeafTask

if TYPE_CHECKING:
    from harness.runs.runner import RunPlan

log = logging.getLogger("harness")


@dataclass(frozen=True)
class Answers:
    """A source's responses: the lookup the scorer and judges read, and the requests that failed
    for good this time (their reasons)."""

    response_for: ResponseFor
    failures: list[str] = field(default_factory=list)


class ResponseSource(Protocol):
    absent: str  # the status of a doc without a response (failed, or missing from a file)
    generates: bool  # whether a model is asked (the run's timings then have a generation phase)

    def answers(
        self, plan: RunPlan, cache: ResponseCache | None, progress: ProgressFactory | None
    ) -> Answers:
        """Every planned doc's response, or none for it."""
        ...

    def asked(self, plan: RunPlan) -> list[GenerationRequest]:
        """The requests an interrupted run counts as kept or not."""
        ...

    def describe(self) -> dict[str, Any]:
        """What results.json records about the source (the backend, for a model)."""
        ...


@dataclass
class ModelResponses:
    """A model answers through its backend: cached answers first, the rest asked concurrently; an
    item the run folder answered before is never replaced by a failure."""

    backend: Backend
    absent: str = FAILED
    generates: bool = True

    def answers(
        self, plan: RunPlan, cache: ResponseCache | None, progress: ProgressFactory | None
    ) -> Answers:
        assert cache is not None
        answered_before = stored_answers(plan.folder, plan.planned)
        responses, failures = fetch_responses(
            self.backend,
            self.asked(plan),
            cache,
            plan.options.use_cache,
            progress,
            "generating",
            before_asking=lambda missing: warn_if_long(self.backend, missing),
        )
        kept = {key: failures.pop(key) for key in list(failures) if key in answered_before}
        responses |= {key: answered_before[key] for key in kept}
        if kept:
            log.warning(
                f"{len(kept)} request(s) failed this time (first: {next(iter(kept.values()))}); "
                f"the answers {plan.folder} already held for them were kept"
            )

        def response_for(task: str, request: GenerationRequest, doc: DocRow) -> str | None:
            return responses.get(request.key)

        return Answers(response_for, list(failures.values()))

    def asked(self, plan: RunPlan) -> list[GenerationRequest]:
        return [request for planned in plan.planned for request in planned.requests]

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend.describe()}


@dataclass
class PredictionResponses:
    """Responses from a predictions file, matched to the docs (harness/runs/predictions.py); a doc
    without one is missing (wrong)."""

    matched: dict[PredictionKey, str]
    absent: str = MISSING
    generates: bool = False

    def answers(
        self, plan: RunPlan, cache: ResponseCache | None, progress: ProgressFactory | None
    ) -> Answers:
        def response_for(task: str, request: GenerationRequest, doc: DocRow) -> str | None:
            return self.matched.get((task, str(doc["doc_id"]), str(doc.get("subject") or "")))

        return Answers(response_for)

    def asked(self, plan: RunPlan) -> list[GenerationRequest]:
        return []

    def describe(self) -> dict[str, Any]:
        return {}


@dataclass
class StoredResponses:
    """The responses a run folder's samples hold (a re-score); what it recorded about its backend
    and judges stays as it was."""

    responses: dict[tuple[str, str], str]
    recorded: dict[str, Any]
    absent: str = FAILED
    generates: bool = False

    def answers(
        self, plan: RunPlan, cache: ResponseCache | None, progress: ProgressFactory | None
    ) -> Answers:
        def response_for(task: str, request: GenerationRequest, doc: DocRow) -> str | None:
            return self.responses.get((task, str(doc["doc_id"])))

        return Answers(response_for)

    def asked(self, plan: RunPlan) -> list[GenerationRequest]:
        return []

    def describe(self) -> dict[str, Any]:
        return dict(self.recorded)


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


def check_stored_samples(path: Path, samples: list[Sample], task: LeafTask, recorded: ScoredTask) -> None:
    """Before a re-score rewrites anything: the stored samples must be the ones results.json
    counted, each for a doc of the task as the data stands (else one line, nothing rewritten)."""
    known = {str(doc["doc_id"]) for doc in task.docs}
    strangers = [sample.doc_id for sample in samples if sample.doc_id not in known]
    if strangers:
        raise HarnessError(
            f"{path}: {len(strangers)} sample(s) for docs the task {task.name} does not have (first: "
            f"{strangers[0]!r}): the samples do not match the data; nothing was re-scored or rewritten"
        )
    counted = recorded.n
    if len(samples) != counted:
        raise HarnessError(
            f"{path}: holds {len(samples)} samples where results.json counted {counted} (cut short or "
            "edited?); nothing was re-scored or rewritten"
        )


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
