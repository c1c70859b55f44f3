"""The hf backend on the tiny model: local folders as models, responses kept through a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import read_jsonl, run_harness

from harness.errors import RunInterrupted
from harness.models import resolve_model
from harness.runs.cache import ResponseCache
from harness.runs.runner import RunOptions, evaluate


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


def test_prompts_are_rendered_without_the_model_exactly_as_hflm_renders_them(tiny_model_dir: Path) -> None:
    from lm_eval.models.huggingface import HFLM

    from harness.backends.lmeval_lm import hf_tokenizer, render_like_hflm
    from harness.models import ModelSpec

    spec = ModelSpec(name="tiny", backend="hf", weights=str(tiny_model_dir), category="candidate")
    hflm = HFLM(pretrained=str(tiny_model_dir), batch_size=1, device="cpu")
    tokenizer = hf_tokenizer(spec)
    conversations = [
        [{"role": "user", "content": "以下是心理学单项选择题。\n问题：……\nA. 甲\nB. 乙"}],
        [{"role": "system", "content": "你是心理学专家。"}, {"role": "user", "content": "答案是什么？"}],
        [
            {"role": "system", "content": "系统"},
            {"role": "user", "content": "例题"},
            {"role": "assistant", "content": "答案：A"},
            {"role": "user", "content": "题目"},
        ],
    ]
    for messages in conversations:
        assert render_like_hflm(tokenizer, messages, {}) == hflm.apply_chat_template(messages)


def test_a_run_answered_wholly_from_the_cache_never_loads_the_model(
    tmp_path: Path, models_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.backends import lmeval_lm

    spec = resolve_model("tiny", [models_file])
    first = evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))

    def no_loading(spec: object) -> None:
        raise AssertionError("the model was loaded although every response is cached")

    monkeypatch.setattr(lmeval_lm, "_load_hf", no_loading)
    again = evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    assert again["tasks"]["pceb_moral_smcq"]["n_scored"] == first["tasks"]["pceb_moral_smcq"]["n_scored"] == 2
    assert again["backend"] == {"class": "HFLM", "model_loaded": False}
    with pytest.raises(AssertionError, match="was loaded"):
        evaluate(spec, ["pceb_theory_smcq"], RunOptions(output_dir=tmp_path))  # new prompts load it


def test_progress_advances_batch_by_batch_while_the_model_is_still_generating(
    tmp_path: Path, models_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lm_eval.models.huggingface import HFLM

    events: list[str] = []
    original = HFLM._model_generate

    def slow_generate(self: HFLM, *args: object, **kwargs: object) -> object:
        events.append("batch generated")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(HFLM, "_model_generate", slow_generate)
    spec = resolve_model("tiny", [models_file]).model_copy(update={"batch_size": 1})

    def progress(total: int, what: str) -> object:
        return lambda: events.append("bar advanced")

    evaluate(spec, ["pceb_theory_smcq", "pceb_moral_smcq"], RunOptions(output_dir=tmp_path), progress)
    assert events == ["batch generated", "bar advanced"] * 5
