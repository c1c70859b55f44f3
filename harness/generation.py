"""Responses for a batch of requests: from the cache where present, else from the backend, each
new one written to the cache as it arrives (shared by generation and judging)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.backends.base import Backend, GenerationRequest
from harness.cache import ResponseCache

ProgressFactory = Callable[[int, str], Callable[[], None]]  # (total, what) -> advance


def fetch_responses(
    backend: Backend,
    requests: Sequence[GenerationRequest],
    cache: ResponseCache,
    use_cache: bool,
    progress: ProgressFactory | None,
    what: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """(responses, failures), both by request key; identical requests are asked once."""
    responses = cache.get_many([request.key for request in requests]) if use_cache else {}
    failures: dict[str, str] = {}
    missing = list({r.key: r for r in requests if r.key not in responses}.values())
    advance = progress(len(missing), what) if progress and missing else (lambda: None)

    def keep(request: GenerationRequest, text: str) -> None:
        cache.put(request.key, text)
        responses[request.key] = text
        advance()

    def fail(request: GenerationRequest, reason: str) -> None:
        failures[request.key] = reason
        advance()

    if missing:
        backend.generate(missing, keep, fail)
    return responses, failures
