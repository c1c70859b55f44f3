"""Judge every response with one judge model: concurrent through the judge's backend, every answer
cached as it arrives, an invalid verdict retried with a correction message, and every item ending
with scores or a recorded failure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from harness.ask_until_read import Attempt, NoReply, Outcome, Unread, ask_until_read
from harness.backends.base import Backend, GenerationRequest, Message
from harness.judge.rubric import InvalidVerdict, Rubric
from harness.models import ModelSpec
from harness.runs.cache import ResponseCache, request_key
from harness.runs.responses import ProgressFactory, fetch_responses

Status = Literal["ok", "invalid", "error"]


@dataclass(frozen=True)
class JudgeItem:
    """One response to judge: `item_id` is "<task>/<doc_id>"."""

    item_id: str
    rubric: Rubric
    messages: list[Message]


@dataclass
class Verdict:
    """What the judge made of one response. `invalid`: no valid JSON after every attempt (final,
    cached); `error`: the call itself failed after the client's retries (retried on a re-run)."""

    status: Status
    scores: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    reason: str = ""
    answer: str | None = None  # the judge's last answer, kept for failures

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        if self.status == "ok":
            record.pop("answer")
        return record


def judge_settings(rubric: Rubric) -> dict[str, Any]:
    """Greedy decoding with the rubric's token budget (recorded in results.json)."""
    return {"temperature": 0.0, "top_p": 1.0, "max_new_tokens": rubric.max_new_tokens}


def run_judge(
    spec: ModelSpec,
    backend: Backend,
    items: list[JudgeItem],
    cache: ResponseCache,
    use_cache: bool = True,
    progress: ProgressFactory | None = None,
) -> dict[str, Verdict]:
    """A verdict for every item (keyed by item_id)."""

    def ask(attempts: Sequence[Attempt[JudgeItem]]) -> list[str | NoReply]:
        requests = [_request(spec, backend, attempt.item.rubric, _messages(attempt)) for attempt in attempts]
        retry = attempts[0].number - 1
        what = f"judging ({spec.name})" + (f", retry {retry}" if retry else "")
        answers, failures = fetch_responses(backend, requests, cache, use_cache, progress, what)
        return [
            answers[request.key]
            if request.key in answers
            else NoReply(failures.get(request.key, "no answer"))
            for request in requests
        ]

    def read(answer: str, item: JudgeItem) -> dict[str, int] | Unread:
        try:
            return item.rubric.parse(answer)
        except InvalidVerdict as error:
            return Unread(str(error))

    outcomes = ask_until_read(items, ask, read, lambda item: item.rubric.max_attempts)
    return {outcome.item.item_id: _verdict(outcome) for outcome in outcomes}


def _messages(attempt: Attempt[JudgeItem]) -> list[Message]:
    """The item's messages, then a correction after each earlier answer that was no verdict."""
    messages = list(attempt.item.messages)
    for answer, reason in attempt.earlier:
        messages += attempt.item.rubric.correction_messages(answer, reason)
    return messages


def _verdict(outcome: Outcome[JudgeItem, dict[str, int]]) -> Verdict:
    if outcome.failure is not None:
        return Verdict("error", attempts=outcome.attempts, reason=outcome.failure)
    if outcome.unread is not None:
        answer, reason = outcome.unread
        return Verdict("invalid", attempts=outcome.attempts, reason=reason, answer=answer)
    assert outcome.value is not None
    return Verdict("ok", outcome.value, attempts=outcome.attempts)


def _request(spec: ModelSpec, backend: Backend, rubric: Rubric, messages: list[Message]) -> GenerationRequest:
    settings = judge_settings(rubric)
    judge = {"judge": spec.fingerprint()}
    return GenerationRequest.asking(
        messages, backend.render, settings, lambda prompt: request_key(judge, prompt, settings)
    )
