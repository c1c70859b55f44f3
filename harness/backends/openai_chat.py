"""Any OpenAI-compatible chat endpoint, spoken to over HTTP with aiohttp (as lm-eval's own API
models do): bounded concurrency (`concurrency` workers per endpoint, one request each at a time),
and retries with exponential backoff on 429, 408, 409, 5xx, timeouts and dropped connections,
following the openai SDK's retry rules (its Retry-After handling and delays). The SDK itself is not
imported: its import alone takes about 0.4 s, most of a run's start-up. The API key is read from the
environment and never written anywhere."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.backends.base import GenerationRequest, Message, OnFailure, OnResponse
from harness.errors import HarnessError
from harness.models import ModelSpec, check_url
from harness.redaction import redact_url

MAX_STOP_STRINGS = 4  # the OpenAI API accepts at most four
DEFAULT_BASE_URL = "https://api.openai.com/v1"
INITIAL_RETRY_DELAY_S, MAX_RETRY_DELAY_S = 0.5, 8.0  # the openai SDK's
RETRIED_STATUSES = frozenset({408, 409, 429})  # and every 5xx
# A request that timed out is sent once more, not max_retries times: a server too slow for
# timeout_s stays too slow, and each resend only queues more work on it.
TIMEOUT_RETRIES = 1


class EndpointError(Exception):
    """An answer the endpoint gave that is not a completion (an HTTP error or a malformed body)."""

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        retry_after_s: float | None = None,
        malformed: bool = False,
    ):
        super().__init__(message)
        self.status_code, self.retry_after_s, self.malformed = status_code, retry_after_s, malformed

    @property
    def retried(self) -> bool:
        """Retried statuses, and a 200 whose body is not a JSON object (a proxy's error page, a body
        cut short): sent again as the SDK sends again after a dropped connection."""
        status = self.status_code
        return self.malformed or (status is not None and (status in RETRIED_STATUSES or status >= 500))


class OpenAIChatBackend:
    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        if not spec.api_model:
            raise HarnessError(f"model {spec.name!r}: the openai backend needs 'api_model' in models.yaml")
        self.base_url = spec.base_url or os.environ.get(spec.base_url_env) or None
        if self.base_url and not spec.base_url:
            try:
                check_url(self.base_url)
            except ValueError as error:
                raise HarnessError(f"model {spec.name!r}: {spec.base_url_env}: {error}") from None
        self.base_urls = [self.base_url, *spec.extra_base_urls]
        # api_key_env: null is a server that takes no key (vLLM's, started without --api-key).
        self.api_key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
        if spec.api_key_env and not self.api_key:
            raise HarnessError(
                f"model {spec.name!r}: set the API key in the environment variable {spec.api_key_env}"
            )
        import aiohttp  # noqa: F401 - its import (~0.1 s) belongs to setup, not to the first batch

        # What each answered request cost, by request key: (prompt tokens, completion tokens,
        # seconds from sending to the answer, retries included); token counts None when not reported.
        self.usage: dict[str, tuple[int | None, int | None, float]] = {}

    def render(self, messages: list[Message]) -> str:
        return json.dumps(messages, ensure_ascii=False)

    def generate(
        self, requests: Sequence[GenerationRequest], on_response: OnResponse, on_failure: OnFailure
    ) -> None:
        if requests:
            asyncio.run(self._generate_all(requests, on_response, on_failure))

    async def _generate_all(
        self, requests: Sequence[GenerationRequest], on_response: OnResponse, on_failure: OnFailure
    ) -> None:
        import aiohttp

        waiting: asyncio.Queue[GenerationRequest] = asyncio.Queue()
        for request in requests:
            waiting.put_nowait(request)
        refused: list[str] = []  # the first authentication failure stops every request not yet sent
        workers = min(self.spec.concurrency, len(requests))

        async def worker(session: Any, url: str) -> None:
            """Sends one request at a time until none is left: `concurrency` workers per endpoint, so
            a faster endpoint takes more of the work."""
            while not refused and not waiting.empty():
                request = waiting.get_nowait()
                try:
                    text = await self._complete(session, url, request)
                except Exception as error:  # noqa: BLE001 - every failure is recorded, none is fatal
                    if getattr(error, "status_code", None) in (401, 403):
                        refused.append(_describe_error(error))
                        return
                    on_failure(request, _describe_error(error))
                    continue
                on_response(request, text)

        # Sessions are made inside the running loop: a session reused across asyncio.run calls fails.
        sessions = [
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=workers),
                timeout=aiohttp.ClientTimeout(total=self.spec.timeout_s),
                headers={"Authorization": f"Bearer {self.api_key}"} if self.api_key else None,
            )
            for _ in self.base_urls
        ]
        try:
            await asyncio.gather(
                *(
                    worker(session, _completions_url(url))
                    for session, url in zip(sessions, self.base_urls, strict=True)
                    for _ in range(workers)
                )
            )
        finally:
            for session in sessions:
                await session.close()
        if refused:
            raise HarnessError(
                f"model {self.spec.name!r}: the endpoint refused the API key ({refused[0][:120]}); "
                f"check the key in {self.spec.api_key_env}; responses received so far are kept"
            )

    async def _complete(self, session: Any, url: str, request: GenerationRequest) -> str:
        body: dict[str, Any] = {
            "model": self.spec.api_model,
            "messages": request.message_dicts(),
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.stop:
            body["stop"] = list(request.stop[:MAX_STOP_STRINGS])
        if self.spec.chat_template_kwargs:
            body["chat_template_kwargs"] = dict(self.spec.chat_template_kwargs)
        started = time.monotonic()
        completion = await self._post(session, url, body)
        try:
            message = completion["choices"][0]["message"]
            text = message.get("content") or ""
        except (KeyError, IndexError, TypeError):
            raise EndpointError(f"a completion without choices[0].message: {str(completion)[:120]}") from None
        used = completion.get("usage") or {}
        self.usage[request.key] = (
            used.get("prompt_tokens"),
            used.get("completion_tokens"),
            time.monotonic() - started,
        )
        reasoning = message.get("reasoning_content")
        if reasoning:  # keep the reasoning, in think tags, so answers are read after it
            opening, closing = self.spec.think_tags
            text = f"{opening}{reasoning}{closing}{text}"
        return str(text)

    async def _post(self, session: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """The endpoint's JSON answer, retried as the openai SDK retries: up to max_retries more
        times on a retried status, a timeout or a dropped connection, waiting what the endpoint asks
        (Retry-After, up to 60 s) or 0.5 s doubling to 8 s, less up to a quarter at random."""
        import aiohttp

        timeouts = 0
        for retries_left in range(self.spec.max_retries, -1, -1):
            try:
                async with session.post(url, json=body) as response:
                    text = await response.text()
                    if response.status < 400:
                        try:
                            answer = json.loads(text)
                        except ValueError:
                            raise EndpointError(f"not JSON: {text[:120]!r}", malformed=True) from None
                        if not isinstance(answer, dict):
                            raise EndpointError(f"not a JSON object: {text[:120]!r}", malformed=True)
                        return answer
                    raise EndpointError(
                        _error_message(text), response.status, _retry_after_s(response.headers)
                    )
            except EndpointError as error:
                if not error.retried or not retries_left:
                    raise
                wait = error.retry_after_s
            except TimeoutError:
                timeouts += 1
                if timeouts > TIMEOUT_RETRIES or not retries_left:
                    raise TimeoutError(
                        f"no answer within timeout_s={self.spec.timeout_s:g} s, {timeouts} time(s); a slow or busy "
                        "server needs a larger timeout_s (or a lower concurrency) in models.yaml"
                    ) from None
                wait = None
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError):
                if not retries_left:
                    raise
                wait = None
            done = self.spec.max_retries - retries_left
            await asyncio.sleep(wait if wait is not None else _backoff_s(done))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def describe(self) -> dict[str, object]:
        return {
            "class": "openai-chat",
            "api_model": self.spec.api_model,
            "base_url": redact_url(self.base_url) if self.base_url else "default",
        } | (
            {"extra_base_urls": [redact_url(url) for url in self.spec.extra_base_urls]}
            if self.spec.extra_base_urls
            else {}
        )


def _completions_url(base_url: str | None) -> str:
    """The chat completions URL under a base URL, its query kept (e.g. Azure's api-version) and any
    user:password@ dropped (the key goes in the Authorization header, as the openai SDK sends it)."""
    parts = urlsplit(base_url or DEFAULT_BASE_URL)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host, path=parts.path.rstrip("/") + "/chat/completions"))


def _backoff_s(retries_done: int) -> float:
    delay = min(INITIAL_RETRY_DELAY_S * 2.0**retries_done, MAX_RETRY_DELAY_S)
    return delay * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not cryptography


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The wait an endpoint asks for (retry-after-ms, or retry-after in seconds), if between 0 and
    60 s (the openai SDK's rule)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) / scale
        except ValueError:
            continue
        if 0 < seconds <= 60:
            return seconds
    return None


def _error_message(text: str) -> str:
    """The message of an error body ({"error": {"message": ...}} as OpenAI sends), else its text."""
    try:
        payload = json.loads(text)
        message = payload["error"]["message"] if isinstance(payload.get("error"), dict) else payload["error"]
        return str(message)
    except (ValueError, KeyError, TypeError, AttributeError):
        return text[:200]


def _describe_error(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    name = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
    return f"{name}{f' {status}' if status else ''}: {str(error)[:200]}"
