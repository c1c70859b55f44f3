"""The hf backend: lm-eval's own model class (HFLM), so prompts, batching and decoding match stock
lm-eval exactly. Each response reaches the cache as it is produced (through
lm-eval's cache hook), and requests go in chunks so that a crash loses at most one chunk.

The hf backend renders prompts with the model's tokenizer alone, exactly as HFLM does, and loads
the model only when something is left to generate: a run answered wholly from the cache never
loads it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.backends.base import GenerationRequest, Message, OnFailure, OnResponse
from harness.backends.weights import weights_path
from harness.errors import HarnessError
from harness.models import ModelSpec

CHUNK_REQUESTS = 64


class _Request:
    """The shape lm-eval's generate_until reads: `.args = (context, gen_kwargs)`."""

    def __init__(self, context: str, gen_kwargs: dict[str, Any]) -> None:
        self.args = (context, gen_kwargs)


class _ResponseHook:
    """Receives each response from lm-eval (its CacheHook interface) and hands it on."""

    def __init__(self) -> None:
        self.waiting: dict[str, list[GenerationRequest]] = {}
        self.on_response: OnResponse | None = None

    def add_partial(self, attr: str, req: tuple[str, dict[str, Any]], res: str) -> None:
        for request in self.waiting.pop(req[0], []):
            if self.on_response is not None:
                self.on_response(request, res)


class LmEvalBackend:
    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.hook = _ResponseHook()
        self._lm: Any = None
        self._tokenizer: Any = hf_tokenizer(spec)

    @property
    def lm(self) -> Any:
        """lm-eval's model object, loaded on first use."""
        if self._lm is None:
            self._load()
        return self._lm

    def _load(self) -> None:
        self._lm = _load_hf(self.spec)
        self._lm.set_cache_hook(self.hook)

    def render(self, messages: list[Message]) -> str:
        return render_prompt(self._tokenizer, self.spec, messages)

    def generate(
        self, requests: Sequence[GenerationRequest], on_response: OnResponse, on_failure: OnFailure
    ) -> None:
        def whole(request: GenerationRequest, text: str) -> None:
            on_response(request, without_cut_character(text))

        self.hook.on_response = whole
        for start in range(0, len(requests), CHUNK_REQUESTS):
            chunk = requests[start : start + CHUNK_REQUESTS]
            lm_requests = []
            for request in chunk:
                gen_kwargs = lm_eval_gen_kwargs(request)
                # Keyed by prompt alone: lm-eval may change the kwargs dict it is given (stop strings).
                self.hook.waiting.setdefault(request.prompt, []).append(request)
                lm_requests.append(_Request(request.prompt, gen_kwargs))
            self.lm.generate_until(lm_requests, disable_tqdm=True)

    def describe(self) -> dict[str, object]:
        if self._lm is None:
            return {"class": "HFLM", "model_loaded": False}  # every response came from the cache
        model = getattr(self._lm, "model", None)
        facts: dict[str, object] = {"class": type(self._lm).__name__}
        if model is not None and hasattr(model, "num_parameters"):
            facts["num_parameters"] = int(model.num_parameters())
            facts["dtype"] = str(getattr(model, "dtype", ""))
            facts["device"] = str(getattr(model, "device", ""))
        return facts


def without_cut_character(text: str) -> str:
    """A response without the replacement characters (U+FFFD) that stopping at the token limit in
    the middle of a multi-byte character leaves at its end."""
    return text.rstrip("\ufffd")


def lm_eval_gen_kwargs(request: GenerationRequest) -> dict[str, Any]:
    """The generation kwargs in lm-eval's vocabulary (the same dict a task YAML gives)."""
    kwargs: dict[str, Any] = {
        "until": list(request.stop),
        "max_gen_toks": request.max_new_tokens,
        "do_sample": request.temperature > 0,
        "temperature": request.temperature,
    }
    if request.temperature > 0:
        kwargs["top_p"] = request.top_p
    return kwargs


def hf_tokenizer(spec: ModelSpec) -> Any:
    """The tokenizer HFLM would make for this model (same loading arguments, same pad token)."""
    import transformers
    from lm_eval.models.utils import configure_pad_token

    pretrained = weights_path(spec)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            pretrained, revision="main", trust_remote_code=False, use_fast=True
        )
        config = transformers.AutoConfig.from_pretrained(pretrained, revision="main", trust_remote_code=False)
    except (OSError, ValueError) as error:
        raise HarnessError(f"model {spec.name!r}: cannot load weights {pretrained!r} ({error})") from None
    return configure_pad_token(tokenizer, model_config=config)


def render_prompt(tokenizer: Any, spec: ModelSpec, messages: list[Message]) -> str:
    """The text a local model sees (hf and vllm alike, as lm-eval renders it): the chat template
    applied, or the messages' texts one after another for an entry with `chat_template: false`."""
    if not spec.chat_template:
        return "".join(message["content"] + "\n\n" for message in messages)
    return render_like_hflm(tokenizer, messages, dict(spec.chat_template_kwargs))


def render_like_hflm(tokenizer: Any, messages: list[Message], chat_template_args: dict[str, Any]) -> str:
    """HFLM.apply_chat_template for a generation prompt, including its retry without the system
    message when the template refuses one (tested equal to HFLM's rendering)."""
    import jinja2

    def render(chat: list[Message]) -> str:
        text: str = tokenizer.apply_chat_template(
            chat,
            tokenize=False,
            add_generation_prompt=True,
            continue_final_message=False,
            **chat_template_args,
        )
        return text

    try:
        return render(messages)
    except jinja2.exceptions.TemplateError:
        return render([message for message in messages if message["role"] != "system"])


def _load_hf(spec: ModelSpec) -> Any:
    import torch
    from lm_eval.models.huggingface import HFLM

    pretrained = weights_path(spec)
    device = spec.device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return HFLM(
            pretrained=pretrained,
            batch_size=spec.batch_size,
            dtype=spec.dtype,
            device=device,
            chat_template_args=dict(spec.chat_template_kwargs) or None,
        )
    except OSError as error:
        raise HarnessError(f"model {spec.name!r}: cannot load weights {pretrained!r} ({error})") from None
