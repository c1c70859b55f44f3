"""The one interface every backend implements: render chat messages, generate a batch of requests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt to complete; `key` identifies it in the response cache."""

    key: str
    messages: tuple[tuple[str, str], ...]  # (role, content) pairs
    prompt: str  # the text the model sees (chat template applied where the backend does that)
    stop: tuple[str, ...]
    max_new_tokens: int
    temperature: float
    top_p: float

    def message_dicts(self) -> list[Message]:
        return [{"role": role, "content": content} for role, content in self.messages]

    @classmethod
    def asking(
        cls,
        messages: Sequence[Message],
        render: Callable[[list[Message]], str],
        decoding: Mapping[str, Any],
        key: Callable[[str], str],
        stop: tuple[str, ...] = (),
    ) -> GenerationRequest:
        """The request for chat `messages`: rendered by the backend, decoded with `decoding`
        (max_new_tokens, temperature, top_p), its cache key made from the rendered prompt by `key`
        (each caller says what else decides the answer: model, decoding, a stage, an attempt)."""
        prompt = render(list(messages))
        return cls(
            key=key(prompt),
            messages=tuple((message["role"], message["content"]) for message in messages),
            prompt=prompt,
            stop=stop,
            max_new_tokens=int(decoding["max_new_tokens"]),
            temperature=float(decoding["temperature"]),
            top_p=float(decoding["top_p"]),
        )


OnResponse = Callable[[GenerationRequest, str], None]
OnFailure = Callable[[GenerationRequest, str], None]


class Backend(Protocol):
    """Generates text; calls on_response as each response arrives so nothing is lost on a crash."""

    def render(self, messages: list[Message]) -> str:
        """The prompt text the model will see for these messages."""
        ...

    def generate(
        self, requests: Sequence[GenerationRequest], on_response: OnResponse, on_failure: OnFailure
    ) -> None:
        """Generate every request; a request that fails for good is passed to on_failure."""
        ...

    def describe(self) -> dict[str, object]:
        """Backend facts for results.json (model class, device, dtype, parameter count...)."""
        ...
