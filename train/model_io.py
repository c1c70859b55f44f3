"""Base models in, candidate models out: load what a config names (a models.yaml entry, a local
folder, or the embedded SmolLM2 GGUF), save a plain checkpoint, and register it by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.models import EMBEDDED_SMOLLM2, LOCAL_MODELS_FILE, ModelSpec, resolve_model


def base_spec(name_or_path: str) -> ModelSpec:
    if name_or_path == EMBEDDED_SMOLLM2:
        return ModelSpec(name="smollm2-135m", backend="hf", weights=EMBEDDED_SMOLLM2, category="embedded")
    spec = resolve_model(name_or_path)
    if spec.backend not in ("hf", "vllm") or not spec.weights:
        raise HarnessError(
            f"base_model {name_or_path!r}: training needs local or hub weights (an hf or vllm entry)"
        )
    return spec


def load_base(spec: ModelSpec) -> tuple[Any, Any]:
    """(model, tokenizer) in float32. The embedded GGUF is first turned into a plain checkpoint
    (cached), so that trainers can load it again by path (GRPO's reference model does)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert spec.weights is not None
    from harness.backends.embedded import embedded_checkpoint

    weights = str(embedded_checkpoint()) if spec.weights == EMBEDDED_SMOLLM2 else spec.weights
    tokenizer = AutoTokenizer.from_pretrained(weights)
    model = AutoModelForCausalLM.from_pretrained(weights, dtype=torch.float32)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def save_candidate(model: Any, tokenizer: Any, folder: Path) -> None:
    """Weights (LoRA adapters merged in) and tokenizer: a folder the hf backend loads."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def register_candidate(name: str, folder: Path, base: ModelSpec, notes: str, models_file: str | None) -> Path:
    """Add (or replace) the candidate's entry in the local models file the harness reads after
    models.yaml; returns that file."""
    path = Path(models_file or LOCAL_MODELS_FILE).resolve()
    current: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise HarnessError(f"{path}: expected a mapping with 'models'")
        current = loaded
    models = current.setdefault("models", {})
    models[name] = {
        "display_name": name,
        "backend": "hf",
        "weights": str(folder.resolve()),
        "params_b": base.params_b,
        "category": "candidate",
        "chat_template": base.chat_template,
        "generation": base.generation.model_dump(),
        "notes": notes,
    }
    write_text_atomically(path, yaml.safe_dump(current, allow_unicode=True, sort_keys=False))
    return path
