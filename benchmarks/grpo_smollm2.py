"""A short real GRPO run on CPU: SmolLM2-135M-Instruct (the embedded GGUF) on CPsyExam train-split
MCQ, rewarded by R_fmt + R_acc. Prints the mean reward (and its components) per step, and the
candidate's accuracy before and after on held-out CPsyExam dev items through `harness eval`.

Run: PSYCHE_DATA_DIR=../shared/data python benchmarks/grpo_smollm2.py [--steps 8] [--held-out 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELD_OUT_TASK = "cpsyexam_knowledge_single"  # dev split: never seen in training (train split)


def harness(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"harness {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1]}")


def held_out_accuracy(model: str, cwd: Path, limit: int) -> tuple[float, int]:
    harness(
        "eval",
        "--model",
        model,
        "--tasks",
        HELD_OUT_TASK,
        "--limit",
        str(limit),
        "--max-new-tokens",
        "128",
        cwd=cwd,
    )
    task = json.loads((cwd / "results" / model / "results.json").read_text(encoding="utf-8"))["tasks"][
        HELD_OUT_TASK
    ]
    return task["acc"], task["n_unparsed"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--held-out", type=int, default=20)
    parser.add_argument("--train-items", type=int, default=32)
    options = parser.parse_args()
    if not os.environ.get("PSYCHE_DATA_DIR"):
        sys.exit("set PSYCHE_DATA_DIR to the folder holding CPsyExam/")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "models.local.yaml").write_text(
            "models:\n  base:\n    backend: hf\n    weights: embedded:smollm2\n    category: embedded\n",
            encoding="utf-8",
        )
        before = held_out_accuracy("base", work, options.held_out)
        config = work / "grpo.yaml"
        config.write_text(
            "run_name: smollm2-grpo\nbase_model: embedded:smollm2\n"
            f"data: [{{source: cpsyexam, split: train, limit: {options.train_items}}}]\n"
            "learning_rate: 5.0e-6\neffective_batch_size: 8\nper_device_train_batch_size: 8\n"
            f"num_generations: 4\nmax_completion_length: 128\nmax_steps: {options.steps}\nbeta: 1.0e-3\n",
            encoding="utf-8",
        )
        start = time.perf_counter()
        harness("train", "grpo", "--config", str(config), cwd=work)
        train_s = time.perf_counter() - start
        after = held_out_accuracy("smollm2-grpo", work, options.held_out)
        metrics = [
            json.loads(line)
            for line in (work / "runs" / "smollm2-grpo" / "metrics.jsonl")
            .read_text(encoding="utf-8")
            .splitlines()
        ]
    print(
        f"GRPO on SmolLM2-135M-Instruct, CPU, {options.steps} steps x 2 prompts x 4 generations ({train_s:.0f} s)"
    )
    print(f"{'step':>4} {'reward':>8} {'R_fmt':>8} {'R_acc':>8} {'KL':>8} {'length':>7}")
    for record in metrics:
        if "reward" not in record:
            continue
        print(
            f"{record['step']:>4} {record['reward']:>8.3f} {record.get('rewards/format_reward/mean', 0):>8.3f} "
            f"{record.get('rewards/accuracy_reward/mean', 0):>8.3f} {record.get('kl', 0):>8.4f} "
            f"{record.get('completions/mean_length', 0):>7.1f}"
        )
    print(
        f"held-out accuracy ({HELD_OUT_TASK}, dev, first {options.held_out} items): before {before[0]:.1f}% "
        f"({before[1]} unparsed), after {after[0]:.1f}% ({after[1]} unparsed)"
    )


if __name__ == "__main__":
    main()
