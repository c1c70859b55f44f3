"""Any OpenAI-compatible chat endpoint: bounded concurrency (asyncio semaphore), and retries with
exponential backoff on 429, 5xx, timeouts and dropped connections (the openai client's own retry
logic). The API key is read from the environment and never written anywhere."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from typing import Any

from harness.backends.base import GenerationRequest, Message, OnFailure, OnResponse
from harness.errors import HarnessError
from harness.models import ModelSpec, check_url
from harness.redaction import redact_url

MAX_STOP_STRINGS = 4  # the OpenAI API accepts at most four


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
        self.api_key = os.environ.get(spec.api_key_env)
        if not self.api_key:
            raise HarnessError(
                f"model {spec.name!r}: set the API key in the environment variable {spec.api_key_env}"
            )
        import openai  # noqa: F401 - the SDK's import (~0.5 s) belongs to setup, not to the first batch

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
        from openai import AsyncOpenAI

        # Created inside the running loop: a client reused across asyncio.run calls fails.
        clients = [
            AsyncOpenAI(
                api_key=self.api_key,
                base_url=url,
                max_retries=self.spec.max_retries,
                timeout=self.spec.timeout_s,
            )
            for url in self.base_urls
        ]
        waiting: asyncio.Queue[GenerationRequest] = asyncio.Queue()
        for request in requests:
            waiting.put_nowait(request)
        refused: list[str] = []  # the first authentication failure stops every request not yet sent

        async def worker(client: Any) -> None:
            """Sends one request at a time until none is left: `concurrency` workers per endpoint, so
            a faster endpoint takes more of the work."""
            while not refused and not waiting.empty():
                request = waiting.get_nowait()
                try:
                    text = await self._complete(client, request)
                except Exception as error:  # noqa: BLE001 - every failure is recorded, none is fatal
                    if getattr(error, "status_code", None) in (401, 403):
                        refused.append(_describe_error(error))
                        return
                    on_failure(request, _describe_error(error))
                    continue
                on_response(request, text)

        workers = min(self.spec.concurrency, len(requests))
        try:
            await asyncio.gather(*(worker(client) for client in clients for _ in range(workers)))
        finally:
            for client in clients:
                await client.close()
        if refused:
            raise HarnessError(
                f"model {self.spec.name!r}: the endpoint refused the API key ({refused[0][:120]}); "
                f"check the key in {self.spec.api_key_env}; responses received so far are kept"
            )

    async def _complete(self, client: Any, request: GenerationRequest) -> str:
        arguments: dict[str, Any] = {
            "model": self.spec.api_model,
            "messages": request.message_dicts(),
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.stop:
            arguments["stop"] = list(request.stop[:MAX_STOP_STRINGS])
        if self.spec.chat_template_kwargs:
            arguments["extra_body"] = {"chat_template_kwargs": dict(self.spec.chat_template_kwargs)}
        started = time.monotonic()
        completion = await client.chat.completions.create(**arguments)
        used = getattr(completion, "usage", None)
        self.usage[request.key] = (
            getattr(used, "prompt_tokens", None),
            getattr(used, "completion_tokens", None),
            time.monotonic() - started,
        )
        message = completion.choices[0].message
        text = message.content or ""
        reasoning = getattr(message, "reasoning_content", None)
        if reasoning:  # keep the reasoning, in think tags, so answers are read after it
            opening, closing = self.spec.think_tags
            text = f"{opening}{reasoning}{closing}{text}"
        return text

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


def _describe_error(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}{f' {status}' if status else ''}: {str(error)[:200]}"
