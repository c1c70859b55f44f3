"""Responses for a batch of requests: from the cache where present, else from the backend, each
new one written to the cache as it arrives (shared by generation and judging)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from harness.backends.base import Backend, GenerationRequest
from harness.runs.cache import ResponseCache

ProgressFactory = Callable[[int, str], Callable[[], None]]  # (total, what) -> advance
Observer = Callable[[GenerationRequest, str | None, str | None], None]  # (request, response, failure)


def fetch_responses(
    backend: Backend,
    requests: Sequence[GenerationRequest],
    cache: ResponseCache,
    use_cache: bool,
    progress: ProgressFactory | None,
    what: str,
    observe: Observer | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(responses, failures), both by request key; identical requests are asked once. `observe`
    sees each new response or failure as it arrives (after the cache has it)."""
    responses = cache.get_many([request.key for request in requests]) if use_cache else {}
    failures: dict[str, str] = {}
    missing = list({r.key: r for r in requests if r.key not in responses}.values())
    warn_if_long(backend, missing)
    advance = progress(len(missing), what) if progress and missing else (lambda: None)

    def keep(request: GenerationRequest, text: str) -> None:
        cache.put(request.key, text)
        responses[request.key] = text
        if observe is not None:
            observe(request, text, None)
        advance()

    def fail(request: GenerationRequest, reason: str) -> None:
        failures[request.key] = reason
        if observe is not None:
            observe(request, None, reason)
        advance()

    if missing:
        backend.generate(missing, keep, fail)
    return responses, failures


# New tokens a local model on a CPU writes in well under an hour on 2 cores (SmolLM2-135M: about 15
# per second there, counting the prompts it reads).
CPU_TOKENS_PER_HOUR = 50_000


def warn_if_long(backend: Backend, missing: Sequence[GenerationRequest]) -> None:
    """Before a long run of a local model on a CPU starts: one line saying so, and how to try a few."""
    bound = sum(request.max_new_tokens for request in missing)
    if bound <= CPU_TOKENS_PER_HOUR or str(backend.describe().get("device", "")) != "cpu":
        return
    logging.getLogger("harness").warning(
        "%d answers of up to %d new tokens each from a local model on a CPU: up to %d new tokens, "
        "likely more than an hour here; --limit 4 tries four items of each task first, --max-new-tokens "
        "caps each answer",
        len(missing),
        max(request.max_new_tokens for request in missing),
        bound,
    )
