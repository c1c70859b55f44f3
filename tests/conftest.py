"""Shared fixtures: the fixture data directory, a tiny random Qwen2 model, models files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_DATA = FIXTURES / "data"
REAL_DATA = Path(
    os.environ.get("PSYCHE_REAL_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(autouse=True)
def _fixture_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test reads the fixture data and keeps its caches apart, unless it says otherwise."""
    monkeypatch.setenv("PSYCHE_DATA_DIR", str(FIXTURE_DATA))
    monkeypatch.setenv("PSYCHE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("PSYCHE_CPSYEXAM_EXEMPLARS", str(FIXTURES / "cpsyexam_exemplars.json"))
    monkeypatch.delenv("PSYCHE_CPSYEXAM_SPLIT", raising=False)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer random-weight Qwen2 with a BPE tokenizer trained on the fixture text (seconds)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path_factory.mktemp("tiny-qwen2")
    corpus = [path.read_text(encoding="utf-8") for path in FIXTURE_DATA.rglob("*.json")]
    corpus += [
        (Path(__file__).parents[1] / "tasks" / name).read_text(encoding="utf-8")
        for name in ("pceb/_mcq_template_yaml",)
    ]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(corpus, trainer)
    from tokenizers import decoders

    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
    )
    fast.chat_template = CHATML
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.fixture
def models_file(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A models file with the tiny model and mock models."""
    path = tmp_path / "models.yaml"
    path.write_text(
        "models:\n"
        f"  tiny:\n    backend: hf\n    weights: {tiny_model_dir}\n    category: candidate\n    batch_size: 4\n"
        "    generation: {max_new_tokens: 8}\n"
        "  always-b:\n    backend: mock\n    mock_response: '答案：B'\n    category: candidate\n"
        "  rambler:\n    backend: mock\n    mock_response: 'CBT认为……'\n    category: candidate\n",
        encoding="utf-8",
    )
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_predictions(path: Path, docs: list[dict], response: Callable[[dict], str]) -> Path:
    """A predictions file for `harness score`: one line per doc listed by `harness docs` (task,
    doc_id, subject where it has one) with `response(doc)`."""
    keys = ("task", "doc_id", "subject")
    lines = [
        json.dumps({k: d[k] for k in keys if k in d} | {"response": response(d)}, ensure_ascii=False)
        for d in docs
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run_harness(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `harness` command as a user would, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True)


def harness_in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `harness` through its entry point, as a user would, inside this process: one-line errors
    and exit codes as from a fresh process, without seconds spent importing (for user mistakes)."""
    import contextlib
    import io
    import logging
    import signal

    from harness import cli

    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logger = logging.getLogger("harness")
    logger.addHandler(handler)
    saved_argv, saved_sigterm = sys.argv, signal.getsignal(signal.SIGTERM)
    sys.argv = ["harness", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    finally:
        sys.argv = saved_argv
        signal.signal(signal.SIGTERM, saved_sigterm)
        logger.removeHandler(handler)
    return subprocess.CompletedProcess(["harness", *args], code, out.getvalue(), err.getvalue())


def train_command(tmp_path: Path, stage: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "train", stage, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def eval_by_name(tmp_path: Path, name: str) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "eval",
            "--model",
            name,
            "--tasks",
            "pceb_moral_smcq",
            "--max-new-tokens",
            "4",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((tmp_path / "results" / name / "latest" / "results.json").read_text(encoding="utf-8"))
