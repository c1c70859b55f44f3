"""Backends behind one interface, imported only when used (heavy SDKs stay out of start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.backends.base import Backend
    from harness.models import ModelSpec


def make_backend(spec: ModelSpec) -> Backend:
    """The backend named by a models.yaml entry."""
    if spec.backend == "hf":
        from harness.backends.lmeval_lm import LmEvalBackend

        return LmEvalBackend(spec)
    if spec.backend == "vllm":
        from harness.backends.vllm_engine import VllmBackend

        return VllmBackend(spec)
    if spec.backend == "openai":
        from harness.backends.openai_chat import OpenAIChatBackend

        return OpenAIChatBackend(spec)
    from harness.backends.mock import MockBackend

    return MockBackend(spec)
