"""Overhead: `harness eval` wall time over raw batched transformers generation of the same prompts,
same model (embedded SmolLM2-135M-Instruct), same settings (greedy, batch 8, left padding).
Both sides load the model inside the timed region; the harness side also loads tasks, scores and
writes its run folder. Two interleaved rounds; prints each ratio and whether responses matched.

Run: PSYCHE_DATA_DIR=../shared/data python benchmarks/overhead.py [N_DOCS=40] [MAX_NEW_TOKENS=128]
Measured (2 cores): rounds 1.114 and 0.965, overall 1.036; 40/40 identical responses.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

TASK = "pceb_moral_smcq"


def raw_generation(prompts: list[str], max_new_tokens: int, batch_size: int = 8) -> list[str]:
    """Plain transformers: load the GGUF, left-pad, batched greedy generate, decode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.backends.embedded import embedded_smollm2

    folder, gguf = embedded_smollm2()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf)
    tokenizer.padding_side = "left"
    order = sorted(range(len(prompts)), key=lambda i: -len(tokenizer(prompts[i])["input_ids"]))
    outputs: dict[int, str] = {}
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        encoded = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True)
        generated = model.generate(
            **encoded, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
        for row, index in enumerate(batch):
            outputs[index] = tokenizer.decode(
                generated[row, encoded["input_ids"].shape[1] :], skip_special_tokens=True
            )
    return [outputs[i] for i in range(len(prompts))]


def harness_run(limit: int, max_new_tokens: int, output_dir: Path) -> list[dict]:
    from harness.models import resolve_model
    from harness.runner import RunOptions, evaluate

    evaluate(
        resolve_model("smollm2-135m"),
        [TASK],
        RunOptions(output_dir=output_dir, limit=limit, max_new_tokens=max_new_tokens, use_cache=False),
    )
    lines = (
        (output_dir / "smollm2-135m" / "latest" / "samples" / f"{TASK}.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    return [json.loads(line) for line in lines]


def main() -> None:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    max_new_tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    totals = {"raw": 0.0, "harness": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        warm = harness_run(limit, max_new_tokens, Path(tmp) / "warm")  # imports and file caches warm for both
        prompts = [sample["prompt"] for sample in warm]
        for round_number in (1, 2):
            start = time.perf_counter()
            raw = raw_generation(prompts, max_new_tokens)
            raw_s = time.perf_counter() - start
            start = time.perf_counter()
            ours = harness_run(limit, max_new_tokens, Path(tmp) / f"round{round_number}")
            ours_s = time.perf_counter() - start
            totals["raw"] += raw_s
            totals["harness"] += ours_s
            same = sum(a == b["response"] for a, b in zip(raw, ours, strict=True))
            print(
                f"round {round_number}: raw batched generate {raw_s:.1f} s, harness eval {ours_s:.1f} s, "
                f"ratio {ours_s / raw_s:.3f}; identical responses {same}/{len(raw)}"
            )
    print(f"overall: harness / raw = {totals['harness'] / totals['raw']:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
