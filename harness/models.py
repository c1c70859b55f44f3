"""models.yaml: every model we compare, validated; a name (or a local path) -> its settings."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import HarnessError, describe_validation_error, did_you_mean
from harness.redaction import redact_url
from harness.resources import default_models_file

LOCAL_MODELS_FILE = "models.local.yaml"  # written by training producers, read after models.yaml
EMBEDDED_SMOLLM2 = "embedded:smollm2"
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
# vLLM engine settings that size memory and change no answer: left out of the cache key.
MEMORY_ONLY_ENGINE_ARGS = frozenset(
    {"gpu_memory_utilization", "kv_cache_memory_bytes", "swap_space", "cpu_offload_gb", "disable_log_stats"}
)


class GenerationSettings(BaseModel):
    """Decoding settings; the paper's: temperature 0, top-p 0.95, 1024 new tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    max_new_tokens: int = Field(1024, gt=0)


class ModelSpec(BaseModel):
    """One entry of models.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    display_name: str = ""
    backend: Literal["hf", "vllm", "openai", "mock"]
    weights: str | None = None  # hub id, local path, or embedded:smollm2 (hf, vllm)
    api_model: str | None = None  # model id sent to an OpenAI-compatible endpoint
    base_url: str | None = None
    base_url_env: str = "OPENAI_BASE_URL"
    # More endpoints serving the same model (e.g. several vLLM servers): requests are shared out
    # among all of them as each frees up, `concurrency` at a time on each.
    extra_base_urls: tuple[str, ...] = ()
    api_key_env: str | None = "OPENAI_API_KEY"  # null: an endpoint that takes no key (a local vLLM server)
    params_b: float | None = None  # parameters in billions; None when undisclosed
    category: Literal["general", "reasoning", "closed-source", "psychological", "candidate", "embedded"] = (
        "candidate"
    )
    chat_template: bool = True
    reasoning: bool = False
    think_tags: tuple[str, str] = ("<think>", "</think>")
    chat_template_kwargs: dict[str, Any] = Field(default_factory=dict)
    generation: GenerationSettings = GenerationSettings()
    # Tokens the model reads and writes at most (its context window); synthesis sizes its text chunks
    # from it. None: not stated.
    context_window: int | None = Field(None, gt=0)
    batch_size: int = Field(8, gt=0)
    concurrency: int = Field(32, gt=0)
    max_retries: int = Field(6, ge=0)
    timeout_s: float = Field(120.0, gt=0)
    dtype: str = "auto"
    device: str | None = None
    # vLLM engine settings, passed as they are to `vllm.LLM` (offline) and as flags to vLLM's server
    # (`harness serve`): tensor_parallel_size, max_model_len, gpu_memory_utilization, enforce_eager,
    # kv_cache_memory_bytes (CPU too), ... Part of the cache key (they can change answers), except
    # those that only size memory (MEMORY_ONLY_ENGINE_ARGS).
    engine_args: dict[str, Any] = Field(default_factory=dict)
    mock_response: str | None = None  # the mock backend's fixed reply
    # How a task's system and user texts reach the model: None follows the task (PCEB: joined into
    # one user message, as its code sends them); system_user keeps them as two messages.
    prompt_layout: Literal["joined", "system_user"] | None = None
    notes: str = ""

    @field_validator("base_url")
    @classmethod
    def _a_usable_url(cls, value: str | None) -> str | None:
        if not value:
            return None  # empty: the endpoint comes from base_url_env
        check_url(value)
        return value

    @field_validator("extra_base_urls")
    @classmethod
    def _usable_urls(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            check_url(value)
        return values

    @property
    def label(self) -> str:
        return self.display_name or self.name

    def recorded(self) -> dict[str, Any]:
        """The entry as results files record it: the base URL without credentials."""
        entry = self.model_dump(mode="json")
        if entry.get("base_url"):
            entry["base_url"] = redact_url(entry["base_url"])
        entry["extra_base_urls"] = [redact_url(url) for url in entry.get("extra_base_urls") or []]
        return entry

    def fingerprint(self) -> dict[str, Any]:
        """The settings that change what the model answers (part of every cache key); engine_args
        only where an entry has them, so entries without keep the keys they had."""
        fingerprint = self.model_dump(
            include={
                "backend",
                "weights",
                "api_model",
                "chat_template",
                "chat_template_kwargs",
                "dtype",
                "mock_response",
            }
        )
        decisive = {
            key: value for key, value in self.engine_args.items() if key not in MEMORY_ONLY_ENGINE_ARGS
        }
        return fingerprint | ({"engine_args": decisive} if decisive else {})


def check_url(url: str) -> None:
    """A ValueError (with a reason, never the URL's credentials) unless `url` is an http(s) URL with a host."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise ValueError(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000/v1")


class ModelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    defaults: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, dict[str, Any]]


def load_models(paths: list[Path] | None = None) -> dict[str, ModelSpec]:
    """All models of models.yaml, then of models.local.yaml (later files add or replace entries)."""
    if paths is None:
        env = os.environ.get("PSYCHE_MODELS_FILE")
        paths = [Path(env)] if env else [default_models_file()]
        local = Path.cwd() / LOCAL_MODELS_FILE
        if local.exists():
            paths.append(local)
    specs: dict[str, ModelSpec] = {}
    for path in paths:
        specs |= _read_models_file(path)
    return specs


def resolve_model(name_or_path: str, paths: list[Path] | None = None) -> ModelSpec:
    """A models.yaml entry by name, or an hf entry for a local model folder or a hub id (org/name)."""
    specs = load_models(paths)
    if name_or_path in specs:
        return specs[name_or_path]
    local = Path(name_or_path).expanduser()
    if local.is_dir():
        return ModelSpec(name=local.name, backend="hf", weights=str(local.resolve()), category="candidate")
    if HUB_ID.fullmatch(name_or_path):  # as lm-eval's pretrained=: transformers fetches it from the hub
        return ModelSpec(name=name_or_path.replace("/", "__"), backend="hf", weights=name_or_path)
    known = ", ".join(sorted(specs)) or "none"
    raise HarnessError(
        f"unknown model {name_or_path!r}{did_you_mean(name_or_path, specs)}: not in models.yaml ({known})"
        " and not a local folder or hub id (org/name)"
    )


def _read_models_file(path: Path) -> dict[str, ModelSpec]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise HarnessError(f"{path}: cannot read the models file ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise HarnessError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except yaml.YAMLError as error:
        raise HarnessError(f"{path}: invalid YAML ({str(error).splitlines()[0]})") from None
    try:
        parsed = ModelsFile.model_validate(raw)
    except ValidationError as error:
        raise HarnessError(f"{path}: {describe_validation_error(error)}") from None
    specs = {}
    default_generation = parsed.defaults.get("generation", {})
    if not isinstance(default_generation, dict):
        raise HarnessError(
            f"{path}: defaults.generation must be a mapping (temperature, top_p, max_new_tokens)"
        )
    for name, entry in parsed.models.items():
        entry = entry or {}
        if not isinstance(entry.get("generation", {}), dict):
            raise HarnessError(
                f"{path}, model {name!r}: generation must be a mapping (temperature, top_p, max_new_tokens)"
            )
        merged = {**parsed.defaults, **entry}
        merged["generation"] = {**default_generation, **entry.get("generation", {})}
        try:
            specs[name] = ModelSpec.model_validate({"name": name, **merged})
        except ValidationError as error:
            raise HarnessError(f"{path}, model {name!r}: {describe_validation_error(error)}") from None
    return specs
