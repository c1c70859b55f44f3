"""Overhead of the local path: `harness eval` (task loading, prompts, generation through lm-eval's
HFLM, scoring, writing the run folder) against the floor, plain transformers producing the same
responses from the same prompts with the same model object settings (float32, this process's
threads, left padding, HFLM's longest-first batch order and batch size, greedy, the task's stop
strings). The model is loaded before the timed region on both sides. Rounds are interleaved (and
alternate which side goes first); a round's ratio is printed only when every response is identical
and the raw side is the faster one (otherwise it is not a floor).

    PSYCHE_DATA_DIR=../shared/data python benchmarks/overhead.py [--docs 40] [--max-new-tokens 128] [--rounds 3]
Target: harness / raw <= 1.03.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

TASK = "pceb_moral_smcq"
MODEL = "smollm2-135m"


def stop_on_strings(tokenizer: Any, stops: list[str], prompt_length: int, lookback: int = 8) -> Any:
    """A stopping criterion that ends each row once its last tokens decode to a stop string (the
    cheapest check: a few tokens decoded per row and step)."""
    import torch
    from transformers import StoppingCriteria

    class StopOnStrings(StoppingCriteria):  # type: ignore[misc]
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            tails = tokenizer.batch_decode(input_ids[:, prompt_length:][:, -lookback:])
            return torch.tensor(
                [any(stop in tail for stop in stops) for tail in tails], device=input_ids.device
            )

    return StopOnStrings()


def raw_generation(
    model: Any, tokenizer: Any, prompts: list[str], stops: list[str], max_new_tokens: int, batch_size: int
) -> list[str]:
    """HFLM's way without HFLM: longest prompts first in batches, left-padded input ids, greedy
    generate until a stop string or the cap, each response cut at its first stop string."""
    import torch

    lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
    outputs: dict[int, str] = {}
    tokenizer.padding_side = "left"
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        encoded = tokenizer(
            [prompts[i] for i in batch], return_tensors="pt", padding="longest", add_special_tokens=False
        )
        context = encoded["input_ids"]
        with torch.no_grad():
            generated = model.generate(
                input_ids=context,
                attention_mask=encoded["attention_mask"],
                max_length=context.shape[1] + max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
                stopping_criteria=[stop_on_strings(tokenizer, stops, context.shape[1])],
                use_cache=True,
            )
        for row, index in enumerate(batch):
            text = tokenizer.decode(generated[row, context.shape[1] :], skip_special_tokens=True)
            for stop in stops:
                if stop and stop in text:
                    text = text.split(stop)[0]
            outputs[index] = text.rstrip("\ufffd")
    return [outputs[i] for i in range(len(prompts))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import harness.backends as backends
    from harness.backends.embedded import embedded_checkpoint
    from harness.models import resolve_model
    from harness.runs.runner import RunOptions, evaluate

    spec = resolve_model(MODEL)
    backend = backends.make_backend(spec)
    backend.lm  # noqa: B018 - loads the model now, outside the timed region
    backends.make_backend = lambda requested: backend  # type: ignore[assignment]
    checkpoint = embedded_checkpoint()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32).eval()

    def harness_run(folder: Path) -> tuple[float, list[dict[str, Any]]]:
        options = RunOptions(
            output_dir=folder, limit=args.docs, max_new_tokens=args.max_new_tokens, use_cache=False
        )
        start = time.perf_counter()
        evaluate(spec, [TASK], options)
        wall = time.perf_counter() - start
        lines = (
            (folder / MODEL / "latest" / "samples" / f"{TASK}.jsonl").read_text(encoding="utf-8").splitlines()
        )
        return wall, [json.loads(line) for line in lines]

    with tempfile.TemporaryDirectory() as tmp:
        _, warm = harness_run(Path(tmp) / "warm")  # imports and file caches warm for both sides
        prompts = [sample["prompt"] for sample in warm]
        from harness.tasks.catalog import load_tasks

        leaves, _ = load_tasks([TASK], {})
        stops = [*leaves[0].stop, tokenizer.decode(tokenizer.eos_token_id)]
        ratios: list[float] = []
        relative: list[float] = []  # harness / raw in rounds with identical responses, floor or not
        print(
            f"{len(prompts)} prompts, {args.max_new_tokens} new tokens at most, {torch.get_num_threads()} threads",
            flush=True,
        )
        for number in range(1, args.rounds + 1):
            sides: dict[str, tuple[float, list[str]]] = {}
            for side in ("raw", "harness") if number % 2 else ("harness", "raw"):
                if side == "raw":
                    start = time.perf_counter()
                    texts = raw_generation(
                        model, tokenizer, prompts, stops, args.max_new_tokens, spec.batch_size
                    )
                    sides["raw"] = (time.perf_counter() - start, texts)
                else:
                    wall, samples = harness_run(Path(tmp) / f"round{number}")
                    sides["harness"] = (wall, [s["response"] for s in samples])
            (raw_s, raw), (ours_s, ours) = sides["raw"], sides["harness"]
            same = sum(a == b for a, b in zip(raw, ours, strict=True))
            verdict = ""
            if same == len(raw):
                relative.append(ours_s / raw_s)
            if same != len(raw):
                verdict = "responses differ: no ratio"
            elif raw_s > ours_s:
                verdict = "raw is slower than the harness: not a floor, no ratio"
            else:
                ratios.append(ours_s / raw_s)
                verdict = f"ratio {ours_s / raw_s:.3f}"
            print(
                f"round {number}: raw {raw_s:.1f} s, harness eval {ours_s:.1f} s; identical {same}/{len(raw)}; {verdict}",
                flush=True,
            )
    load = os.getloadavg()[0]
    if ratios:
        print(
            f"harness / raw over {len(ratios)} valid rounds: min {min(ratios):.3f}, median {statistics.median(ratios):.3f}, "
            f"max {max(ratios):.3f} (target <= 1.03; load average {load:.2f})"
        )
    else:
        print(f"no round where raw was the faster: no floor ratio (load average {load:.2f})")
    if relative and not ratios:
        print(
            f"harness / raw with identical responses: median {statistics.median(relative):.3f} "
            f"(min {min(relative):.3f}, max {max(relative):.3f}): the harness runs at plain transformers' speed"
        )


if __name__ == "__main__":
    main()
