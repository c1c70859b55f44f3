"""Responses for a batch of requests: from the cache where present, else from the backend, each
new one written to the cache as it arrives (shared by generation and judging)."""

from __future__ import annotations

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
    before_asking: Callable[[Sequence[GenerationRequest]], None] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(responses, failures), both by request key; identical requests are asked once. `observe`
    sees each new response or failure as it arrives (after the cache has it); `before_asking`
    sees the requests the cache could not answer, before the backend is asked."""
    responses = cache.get_many([request.key for request in requests]) if use_cache else {}
    failures: dict[str, str] = {}
    missing = list({r.key: r for r in requests if r.key not in responses}.values())
    if before_asking is not None and missing:
        before_asking(missing)
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
