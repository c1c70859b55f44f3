"""Judge every response with one judge model: concurrent through the judge's backend, every answer
cached as it arrives, an invalid verdict retried with a correction message, and every item ending
with scores or a recorded failure."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

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
    verdicts: dict[str, Verdict] = {}
    pending = {item.item_id: (item, item.messages) for item in items}
    attempt = 0
    while pending:
        attempt += 1
        requests = {
            item_id: _request(spec, backend, item.rubric, messages)
            for item_id, (item, messages) in pending.items()
        }
        what = f"judging ({spec.name})" + (f", retry {attempt - 1}" if attempt > 1 else "")
        answers, failures = fetch_responses(
            backend, list(requests.values()), cache, use_cache, progress, what
        )
        following = {}
        for item_id, request in requests.items():
            item, messages = pending[item_id]
            answer = answers.get(request.key)
            if answer is None:
                reason = failures.get(request.key, "no answer")
                verdicts[item_id] = Verdict("error", attempts=attempt, reason=reason)
                continue
            try:
                verdicts[item_id] = Verdict("ok", item.rubric.parse(answer), attempts=attempt)
            except InvalidVerdict as error:
                if attempt >= item.rubric.max_attempts:
                    verdicts[item_id] = Verdict("invalid", attempts=attempt, reason=str(error), answer=answer)
                else:
                    following[item_id] = (
                        item,
                        messages + item.rubric.correction_messages(answer, str(error)),
                    )
        pending = following
    return verdicts


def _request(spec: ModelSpec, backend: Backend, rubric: Rubric, messages: list[Message]) -> GenerationRequest:
    settings = judge_settings(rubric)
    judge = {"judge": spec.fingerprint()}
    return GenerationRequest.asking(
        messages, backend.render, settings, lambda prompt: request_key(judge, prompt, settings)
    )
