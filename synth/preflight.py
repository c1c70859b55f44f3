"""What a synthesis run checks before its first call, so that a mistake costs nothing: every model
it names resolves (a late stage's unknown model used to fail after thousands of paid calls), every
input file reads (a malformed bank line used to surface after generation), and every endpoint
accepts connections (a refused one used to take minutes and four stages to show)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.runs.results import read_jsonl_lines
from synth.config import SynthConfig
from synth.inputs import bank_questions, qa_pairs, source_texts

CONNECT_TIMEOUT_S = 5.0


def check_before_any_call(
    config: SynthConfig, resolve: Callable[[str], ModelSpec], endpoints: bool = True
) -> None:
    """One line (HarnessError) for the first thing that would fail later; nothing is called."""
    config.check_budget()
    specs = {name: resolve(name) for name in config.models.names()}
    source_texts(config)
    qa_pairs(config)
    bank_questions(config, config.inputs.question_banks)
    bank_questions(config, config.inputs.grpo_exams)
    for extra in config.inputs.sft_extra:
        for _ in read_jsonl_lines(config.resolve(extra.path), "the SFT data file"):
            pass
    if endpoints:
        for name, spec in specs.items():
            check_endpoint(name, spec)


def check_endpoint(name: str, spec: ModelSpec) -> None:
    """A model served over HTTP must accept a connection (a TCP connect, nothing sent)."""
    import os

    if spec.backend != "openai":
        return
    for url in [spec.base_url or os.environ.get(spec.base_url_env) or "", *spec.extra_base_urls]:
        parts = urlsplit(url)
        if not parts.hostname:
            continue  # the API's default endpoint: nothing local to check
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT_S):
                pass
        except ConnectionRefusedError:
            raise HarnessError(
                f"model {name!r}: its endpoint {parts.scheme}://{parts.hostname}:{port} refuses connections "
                "(is the server running?); nothing was called"
            ) from None
        except OSError:
            continue  # a slow or unresolvable host: the calls say more, with their retries
