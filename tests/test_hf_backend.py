"""The hf backend on the tiny model: local folders as models, responses kept through a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import read_jsonl, run_harness

from harness.cache import ResponseCache
from harness.errors import RunInterrupted
from harness.models import resolve_model
from harness.runner import RunOptions, evaluate


def test_a_local_model_folder_can_be_evaluated_by_path(tmp_path: Path, tiny_model_dir: Path) -> None:
    done = run_harness(
        "eval",
        "--model",
        str(tiny_model_dir),
        "--tasks",
        "pceb_moral_smcq",
        "--max-new-tokens",
        "4",
        "--output-dir",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(
        (tmp_path / tiny_model_dir.name / "latest" / "results.json").read_text(encoding="utf-8")
    )
    assert (
        results["model"]["weights"] == str(tiny_model_dir) and results["tasks"]["pceb_moral_smcq"]["n"] == 2
    )
    assert results["backend"]["class"] == "HFLM"


def test_responses_reach_the_cache_as_they_arrive_and_survive_a_crash(
    tmp_path: Path, models_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = resolve_model("tiny", [models_file]).model_copy(update={"batch_size": 1})
    original_put = ResponseCache.put
    written: list[str] = []

    def put_then_crash(self: ResponseCache, key: str, response: str) -> None:
        original_put(self, key, response)
        written.append(key)
        if len(written) == 3:
            raise KeyboardInterrupt  # the process dies mid-run

    monkeypatch.setattr(ResponseCache, "put", put_then_crash)
    with pytest.raises(RunInterrupted, match="3 of 5 responses are kept in .*cache.sqlite"):
        evaluate(spec, ["pceb_theory_smcq", "pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    monkeypatch.setattr(ResponseCache, "put", original_put)

    generated: list[int] = []
    evaluate(
        spec,
        ["pceb_theory_smcq", "pceb_moral_smcq"],
        RunOptions(output_dir=tmp_path),
        progress=lambda total, what: generated.append(total) or (lambda: None),
    )
    assert generated == [5 - 3]  # 5 prompts, 3 kept from the crashed run
    samples = read_jsonl(tmp_path / "tiny" / "latest" / "samples" / "pceb_theory_smcq.jsonl")
    assert all(isinstance(s["response"], str) for s in samples)
