"""lm-eval's command-line habits, given the same meaning here: `--model hf --model-args
pretrained=...`, `--gen-kwargs temperature=0,max_gen_toks=64`, `--batch-size`, `--num-fewshot`,
`--apply-chat-template`. Each turns into our own settings (a model entry, its generation settings,
the task names), so a run made with them is frozen and cached like any other."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import HarnessError, describe_validation_error
from harness.models import GenerationSettings, ModelSpec

LM_EVAL_BACKENDS = {
    "hf": "hf",
    "vllm": "vllm",
    "local-chat-completions": "openai",
    "openai-chat-completions": "openai",
}
# lm-eval model_args key -> our model entry's setting
MODEL_ARGS = {
    "pretrained": "weights",
    "model": "api_model",
    "base_url": "base_url",
    "dtype": "dtype",
    "device": "device",
    "batch_size": "batch_size",
    "num_concurrent": "concurrency",
    "max_retries": "max_retries",
    "timeout": "timeout_s",
}
GEN_KWARGS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_gen_toks": "max_new_tokens",
    "max_new_tokens": "max_new_tokens",
}
SHOTS_IN_NAME = re.compile(r"_(\d+)shot(?=_|$)")


def key_values(text: str, flag: str) -> dict[str, str]:
    """'a=1,b=x' as {'a': '1', 'b': 'x'}; a part without '=' is one line naming the flag."""
    pairs = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        key, equals, value = part.partition("=")
        if not equals or not key.strip():
            raise HarnessError(f"{flag} {text!r}: expected key=value pairs separated by commas, got {part!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def model_from_args(backend: str, model_args: str) -> ModelSpec:
    """`--model hf --model-args pretrained=PATH,dtype=bfloat16` as a model entry (no models.yaml)."""
    ours = LM_EVAL_BACKENDS.get(backend)
    if ours is None:
        raise HarnessError(
            f"--model {backend} with --model-args: use one of {', '.join(LM_EVAL_BACKENDS)} (lm-eval's model types)"
        )
    args = key_values(model_args, "--model-args")
    unknown = sorted(set(args) - set(MODEL_ARGS) - {"trust_remote_code", "tokenized_requests"})
    if unknown:
        raise HarnessError(
            f"--model-args: {', '.join(unknown)} not understood here; known: {', '.join(MODEL_ARGS)}"
        )
    settings: dict[str, Any] = {MODEL_ARGS[key]: value for key, value in args.items() if key in MODEL_ARGS}
    named = settings.get("weights") or settings.get("api_model")
    if not named:
        raise HarnessError(
            f"--model-args: give pretrained=... ({backend})"
            if ours != "openai"
            else "--model-args: give model=..."
        )
    if ours == "openai":
        settings["api_key_env"] = None if "base_url" in settings else "OPENAI_API_KEY"
    local = Path(named).expanduser()
    if ours != "openai" and local.is_dir():
        settings["weights"] = str(local.resolve())
    name = local.name if local.is_dir() else named.replace("/", "__")
    return _validated({"name": name, "backend": ours, "category": "candidate", **settings}, "--model-args")


def with_overrides(
    spec: ModelSpec, gen_kwargs: str | None, batch_size: str | None, apply_chat_template: bool | None
) -> ModelSpec:
    """The entry with lm-eval's `--gen-kwargs`, `--batch-size` ('auto': the entry's own) and
    `--apply-chat-template` applied."""
    update: dict[str, Any] = {}
    if gen_kwargs:
        update["generation"] = _generation(spec.generation, key_values(gen_kwargs, "--gen-kwargs"))
    if batch_size and not batch_size.startswith("auto"):
        if not batch_size.isdigit() or int(batch_size) < 1:
            raise HarnessError(f"--batch-size {batch_size!r}: a whole number from 1, or auto")
        update["batch_size"] = int(batch_size)
    if apply_chat_template is not None:
        update["chat_template"] = apply_chat_template
    return spec.model_copy(update=update) if update else spec


def tasks_with_shots(names: Sequence[str], shots: int, known: Iterable[str]) -> list[str]:
    """The task names for `--num-fewshot N`: each task's version with N exemplars, named as the
    task files name them (`cpsyexam_case_multi` -> `cpsyexam_5shot_case_multi`); a task without
    such a version is one line saying which shots it offers."""
    available = set(known)
    chosen = []
    for name in names:
        bare = SHOTS_IN_NAME.sub("", name)
        head, _, rest = bare.partition("_")
        wanted = bare if shots == 0 else f"{head}_{shots}shot" + (f"_{rest}" if rest else "")
        if wanted not in available:
            offered = sorted(
                {
                    0 if candidate == bare else _shots_of(candidate)
                    for candidate in available
                    if SHOTS_IN_NAME.sub("", candidate) == bare
                }
            )
            raise HarnessError(
                f"--num-fewshot {shots}: {name} has no {shots}-shot version "
                f"(it offers {', '.join(map(str, offered)) or 'none'}-shot)"
            )
        chosen.append(wanted)
    return chosen


def _shots_of(name: str) -> int:
    found = SHOTS_IN_NAME.search(name)
    return int(found.group(1)) if found else 0


def _generation(current: GenerationSettings, kwargs: dict[str, str]) -> GenerationSettings:
    unknown = sorted(set(kwargs) - set(GEN_KWARGS) - {"do_sample", "until"})
    if unknown:
        raise HarnessError(
            f"--gen-kwargs: {', '.join(unknown)} not understood here; known: {', '.join(GEN_KWARGS)}, do_sample"
        )
    if "until" in kwargs:
        raise HarnessError(
            "--gen-kwargs until=...: stop sequences belong to the task file (generation_kwargs.until)"
        )
    settings: dict[str, Any] = current.model_dump()
    for key, value in kwargs.items():
        if key in GEN_KWARGS:
            settings[GEN_KWARGS[key]] = value
    if kwargs.get("do_sample", "").lower() in ("false", "0") and "temperature" not in kwargs:
        settings["temperature"] = 0.0  # lm-eval's greedy decoding
    try:
        return GenerationSettings.model_validate(settings)
    except ValidationError as error:
        raise HarnessError(f"--gen-kwargs: {describe_validation_error(error)}") from None


def _validated(entry: dict[str, Any], flag: str) -> ModelSpec:
    try:
        return ModelSpec.model_validate(entry)
    except ValidationError as error:
        raise HarnessError(f"{flag}: {describe_validation_error(error)}") from None
