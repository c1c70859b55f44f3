"""The vllm backend against its floor: vLLM's own `LLM.generate` on the same rendered prompts with
the same sampling settings, on one engine started before the timed region (both sides share it).
The harness side is the backend's `generate` (tokenizing as lm-eval does, every request queued at
once, each response handed on as it finishes). Rounds are interleaved and alternate which side
goes first, vLLM's prefix cache emptied before each side; a round's ratio is printed with the
count of identical responses.

    PSYCHE_DATA_DIR=../shared/data python benchmarks/vllm_vs_raw.py [--model smollm2-135m-vllm]
        [--prompts 64] [--max-new-tokens 64] [--rounds 3]
Target: harness / raw <= 1.05. On a GPU (the device tool) name a vllm entry that fits it.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from _rounds import load_average, spread

TASKS = ("pceb_moral_smcq", "pceb_moral_mmcq", "pceb_theory_smcq", "pceb_theory_mmcq")


def requests_for(backend: Any, count: int, max_new_tokens: int) -> list[Any]:
    """The first `count` PCEB prompts (rendered by the backend) as generation requests."""
    from harness.backends.base import GenerationRequest
    from harness.tasks.catalog import load_tasks

    leaves, _ = load_tasks(list(TASKS), {})
    requests: list[GenerationRequest] = []
    for leaf in leaves:
        for doc in leaf.docs:
            messages = leaf.messages(doc, None)
            requests.append(
                GenerationRequest(
                    key=f"{leaf.name}:{doc['doc_id']}",
                    messages=tuple((m["role"], m["content"]) for m in messages),
                    prompt=backend.render(messages),
                    stop=tuple(leaf.stop),
                    max_new_tokens=max_new_tokens,
                    temperature=0.0,
                    top_p=0.95,
                )
            )
    if len(requests) < count:
        raise SystemExit(f"only {len(requests)} prompts in {', '.join(TASKS)}; ask for fewer")
    return requests[:count]


def harness_side(backend: Any, requests: list[Any]) -> tuple[float, list[str]]:
    got: dict[str, str] = {}
    started = time.perf_counter()
    backend.generate(requests, lambda r, text: got.__setitem__(r.key, text), lambda r, e: None)
    return time.perf_counter() - started, [got.get(r.key, "") for r in requests]


def raw_side(backend: Any, requests: list[Any]) -> tuple[float, list[str]]:
    """One `LLM.generate` over the text prompts, vLLM tokenizing them itself."""
    from vllm import SamplingParams

    from harness.backends.vllm_engine import finished_text, sampling_options

    eos = backend.end_of_text()
    params, stops = [], []
    for request in requests:
        options, until, max_new_tokens = sampling_options(request, eos)
        params.append(SamplingParams(max_tokens=max_new_tokens, stop=until, **options))
        stops.append(until)
    started = time.perf_counter()
    outputs = backend.llm.generate([r.prompt for r in requests], params, use_tqdm=False)
    texts = [
        finished_text(output.outputs[0].text, until) for output, until in zip(outputs, stops, strict=True)
    ]
    return time.perf_counter() - started, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-vllm")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")

    from harness.backends.vllm_engine import VllmBackend
    from harness.models import resolve_model

    backend = VllmBackend(resolve_model(arguments.model))
    requests = requests_for(backend, arguments.prompts, arguments.max_new_tokens)
    started = time.perf_counter()
    backend.llm  # noqa: B018 - the engine starts outside the timed region
    print(f"engine started in {time.perf_counter() - started:.1f} s ({backend.describe()})")
    harness_side(backend, requests[:4])  # warm-up: first-call costs on neither side's clock
    ratios, harness_times, raw_times = [], [], []
    for round_number in range(arguments.rounds):
        sides = [("harness", harness_side), ("raw", raw_side)]
        if round_number % 2:
            sides.reverse()
        timed = {}
        for name, side in sides:
            backend.llm.reset_prefix_cache()  # neither side reuses the other's prefill
            timed[name] = side(backend, requests)
        (harness_s, harness_texts), (raw_s, raw_texts) = timed["harness"], timed["raw"]
        same = sum(a == b for a, b in zip(harness_texts, raw_texts, strict=True))
        ratios.append(harness_s / raw_s)
        harness_times.append(harness_s)
        raw_times.append(raw_s)
        print(
            f"round {round_number + 1}: harness {harness_s:.2f} s, raw {raw_s:.2f} s, "
            f"ratio {harness_s / raw_s:.3f}, identical {same}/{len(requests)}"
        )
    print(f"harness: {spread(harness_times)}; raw LLM.generate: {spread(raw_times)}")
    print(f"harness / raw: {spread(ratios, unit='', digits=3)} (target <= 1.05); {load_average()}")


if __name__ == "__main__":
    main()
