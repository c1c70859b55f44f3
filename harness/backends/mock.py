"""A backend that answers every prompt with a fixed reply (models.yaml: mock_response)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from harness.backends.base import GenerationRequest, Message, OnFailure, OnResponse
from harness.models import ModelSpec


class MockBackend:
    def __init__(self, spec: ModelSpec) -> None:
        self.reply = spec.mock_response or ""

    def render(self, messages: list[Message]) -> str:
        return json.dumps(messages, ensure_ascii=False)

    def generate(
        self, requests: Sequence[GenerationRequest], on_response: OnResponse, on_failure: OnFailure
    ) -> None:
        for request in requests:
            on_response(request, self.reply)

    def describe(self) -> dict[str, object]:
        return {"class": "mock", "reply": self.reply}
