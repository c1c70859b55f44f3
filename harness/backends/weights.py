"""Where a local model's weights are, for every backend that loads them (hf, vllm, vLLM's server)."""

from __future__ import annotations

from harness.backends.embedded import embedded_checkpoint
from harness.errors import HarnessError
from harness.models import EMBEDDED_SMOLLM2, ModelSpec


def weights_path(spec: ModelSpec) -> str:
    """A hub id or folder; for the embedded model, its de-quantised checkpoint."""
    if spec.weights == EMBEDDED_SMOLLM2:
        return str(embedded_checkpoint())
    if not spec.weights:
        raise HarnessError(f"model {spec.name!r}: the {spec.backend} backend needs 'weights' in models.yaml")
    return spec.weights
