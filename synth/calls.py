"""Every model call of the pipeline: cached as it arrives (the harness's response cache), keyed by
what decides its answer (stage, stage version, template hash, model, decoding, item, attempt), and
written to a ledger (tokens, latency, cache hits) that the report and the cost limit read."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, GenerationRequest
from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.runs.cache import ResponseCache, request_key
from harness.runs.responses import ProgressFactory, fetch_responses
from synth.config import Decoding, Price


@dataclass(frozen=True)
class Ask:
    """One call: the messages for an item; `attempt` tells repeated calls for the same item apart."""

    item: str
    messages: tuple[tuple[str, str], ...]
    attempt: int = 0


@dataclass(frozen=True)
class Reply:
    text: str | None
    error: str | None = None


@dataclass(frozen=True)
class StageCall:
    """What every call of one step of a stage shares."""

    stage: str
    version: int
    template: str  # hash of the prompt template(s) the messages come from
    model: str
    decoding: Decoding


class BudgetReached(HarnessError):
    """The cost limit was reached; everything answered so far is kept."""


class CallLayer:
    def __init__(
        self,
        folder: Path,
        resolve: Callable[[str], ModelSpec],
        prices: dict[str, Price],
        max_cost: float | None,
        progress: ProgressFactory | None,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.cache = ResponseCache(folder / "calls.sqlite")
        self.ledger = folder / "ledger.jsonl"
        self.resolve = resolve
        self.prices = prices
        self.max_cost = max_cost
        self.progress = progress
        self.backends: dict[str, Backend] = {}
        self.spent = sum(
            cost for cost in (entry_cost(entry, prices) for entry in read_ledger(self.ledger)) if cost
        )

    def close(self) -> None:
        self.cache.close()

    def backend(self, model: str) -> Backend:
        if model not in self.backends:
            from harness.backends import make_backend

            self.backends[model] = make_backend(self.resolve(model))
        return self.backends[model]

    def ask(self, call: StageCall, asks: list[Ask]) -> list[Reply]:
        """The replies to `asks`, in order: cached ones at once, the rest from the model."""
        if not asks:
            return []
        spec = self.resolve(call.model)
        backend = self.backend(call.model)
        requests = [self._request(call, spec, backend, ask) for ask in asks]
        texts: dict[str, str] = {}
        failures: dict[str, str] = {}
        cached = self.cache.get_many([request.key for request in requests])
        by_key = {request.key: ask for request, ask in zip(requests, asks, strict=True)}
        with self.ledger.open("a", encoding="utf-8") as ledger:
            for key in {request.key for request in requests if request.key in cached}:
                self._record(ledger, call, by_key[key], key, None, None, cached=True)
            missing = [request for request in requests if request.key not in cached]
            usage = getattr(backend, "usage", {})  # filled by backends that report tokens

            stopped: list[bool] = []

            def observe(request: GenerationRequest, text: str | None, failure: str | None) -> None:
                if stopped:  # calls cut off by the stop are not failures of theirs
                    return
                self._record(
                    ledger, call, by_key[request.key], request.key, usage.pop(request.key, None), failure
                )
                try:
                    self._check_budget()
                except BudgetReached:
                    stopped.append(True)
                    raise  # stops the batch: what is still in flight is dropped, unanswered

            if missing:
                self._check_budget()
                # use_cache=False: the cache was read above (to ledger the hits); these are the misses.
                found, failed = fetch_responses(
                    backend,
                    missing,
                    self.cache,
                    False,
                    self.progress,
                    f"{call.stage} ({call.model})",
                    observe,
                )
                texts.update(found)
                failures.update(failed)
        texts.update(cached)
        return [Reply(texts.get(request.key), failures.get(request.key)) for request in requests]

    def _request(self, call: StageCall, spec: ModelSpec, backend: Backend, ask: Ask) -> GenerationRequest:
        messages = [{"role": role, "content": content} for role, content in ask.messages]
        decoding = call.decoding.model_dump()
        settings = {
            "stage": call.stage,
            "version": call.version,
            "template": call.template,
            "item": ask.item,
            "attempt": ask.attempt,
        } | decoding
        fingerprint = spec.fingerprint()
        return GenerationRequest.asking(
            messages, backend.render, decoding, lambda prompt: request_key(fingerprint, prompt, settings)
        )

    def _record(
        self,
        ledger: Any,
        call: StageCall,
        ask: Ask,
        key: str,
        usage: tuple[int | None, int | None, float] | None,
        failure: str | None,
        cached: bool = False,
    ) -> None:
        entry = {
            "time": time.time(),
            "stage": call.stage,
            "model": call.model,
            "item": ask.item,
            "attempt": ask.attempt,
            "key": key,
            "cache_hit": cached,
            "status": "error" if failure else "ok",
            "error": failure,
            "tokens_in": usage[0] if usage else None,
            "tokens_out": usage[1] if usage else None,
            "latency_s": round(usage[2], 4) if usage else None,
        }
        cost = entry_cost(entry, self.prices)
        if cost:
            self.spent += cost
        ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
        ledger.flush()

    def _check_budget(self) -> None:
        if self.max_cost is not None and self.spent >= self.max_cost:
            raise BudgetReached(
                f"stopped at ${self.spent:.4f}, the --max-cost of ${self.max_cost:.4f}; every answer so "
                "far is kept: re-run with a higher limit to go on"
            )


def read_ledger(path: Path) -> list[dict[str, Any]]:
    """The ledger's entries; a line cut by a kill at the end of the file is skipped."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def entry_cost(entry: dict[str, Any], prices: dict[str, Price]) -> float | None:
    """Dollars for one ledger entry; None when the model has no price or the tokens are unknown."""
    price = prices.get(entry["model"])
    if entry["cache_hit"] or entry["status"] == "error":
        return 0.0  # a failed call is not billed
    if price is None or entry["tokens_in"] is None or entry["tokens_out"] is None:
        return None
    return float(entry["tokens_in"] * price.input + entry["tokens_out"] * price.output) / 1e6
