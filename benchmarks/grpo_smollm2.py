"""A short real SFT -> GRPO run on CPU: SmolLM2-135M-Instruct (the embedded GGUF), first a small
SFT warm-up on CPsyExam train questions that carry an explanation (rationale QA: <think>explanation
</think> then the answer, teaching the format), then GRPO on CPsyExam train MCQ rewarded by
R_fmt + R_acc, starting from the SFT candidate by name. Prints the mean reward (and components) per
GRPO step, and accuracy before / after SFT / after GRPO on held-out CPsyExam dev items through
`harness eval`.

Run: PSYCHE_DATA_DIR=../shared/data python benchmarks/grpo_smollm2.py [--grpo-steps 6] [--held-out 20]
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
        lines = [
            line
            for line in done.stderr.replace("\r", "\n").splitlines()
            if line.strip() and "it/s" not in line
        ]
        sys.exit(
            f"harness {' '.join(args)} failed with exit status {done.returncode}:\n" + "\n".join(lines[-15:])
        )


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
        "256",
        cwd=cwd,
    )
    task = json.loads((cwd / "results" / model / "latest" / "results.json").read_text(encoding="utf-8"))[
        "tasks"
    ][HELD_OUT_TASK]
    return task["acc"], task["n_unparsed"]


def write_rationale_qa(data_dir: Path, target: Path, count: int) -> int:
    """CPsyExam train single-answer questions with a non-empty explanation, as rationale_qa lines."""
    lines = []
    for path in sorted((data_dir / "CPsyExam" / "cpsyexam" / "train").glob("KG-*-单项选择题.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            options = {k: v for k, v in (record.get("options") or {}).items() if str(v).strip()}
            answer = str(record.get("answer", "")).strip()
            if record.get("explanation", "").strip() and len(answer) == 1 and answer in options:
                row = {
                    "question": record["question"],
                    "options": options,
                    "rationale": record["explanation"],
                    "answer": answer,
                }
                lines.append(json.dumps(row, ensure_ascii=False))
            if len(lines) >= count:
                break
        if len(lines) >= count:
            break
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sft-examples", type=int, default=64)
    parser.add_argument("--grpo-steps", type=int, default=6)
    parser.add_argument("--held-out", type=int, default=20)
    options = parser.parse_args()
    if not os.environ.get("PSYCHE_DATA_DIR"):
        sys.exit("set PSYCHE_DATA_DIR to the folder holding CPsyExam/")
    data_dir = Path(os.environ["PSYCHE_DATA_DIR"]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "models.local.yaml").write_text(
            "models:\n  base:\n    backend: hf\n    weights: embedded:smollm2\n    category: embedded\n",
            encoding="utf-8",
        )
        accuracy = {"base": held_out_accuracy("base", work, options.held_out)}
        examples = write_rationale_qa(data_dir, work / "rationale_qa.jsonl", options.sft_examples)
        (work / "sft.yaml").write_text(
            "run_name: smollm2-sft\nbase_model: embedded:smollm2\ndata: [{path: rationale_qa.jsonl, format: rationale_qa}]\n"
            "learning_rate: 5.0e-5\neffective_batch_size: 8\nper_device_train_batch_size: 4\nnum_train_epochs: 2\nmax_length: 512\n",
            encoding="utf-8",
        )
        start = time.perf_counter()
        harness("train", "sft", "--config", str(work / "sft.yaml"), cwd=work)
        sft_s = time.perf_counter() - start
        accuracy["after SFT"] = held_out_accuracy("smollm2-sft", work, options.held_out)
        (work / "grpo.yaml").write_text(
            "run_name: smollm2-grpo\nbase_model: smollm2-sft\ndata: [{source: cpsyexam, split: train}]\n"
            "learning_rate: 5.0e-6\neffective_batch_size: 8\nper_device_train_batch_size: 8\n"
            f"num_generations: 4\nmax_completion_length: 192\nmax_prompt_length: 512\nmax_steps: {options.grpo_steps}\nbeta: 1.0e-3\n",
            encoding="utf-8",
        )
        start = time.perf_counter()
        harness("train", "grpo", "--config", str(work / "grpo.yaml"), cwd=work)
        grpo_s = time.perf_counter() - start
        accuracy["after GRPO"] = held_out_accuracy("smollm2-grpo", work, options.held_out)
        metrics = [
            json.loads(line)
            for line in (work / "runs" / "smollm2-grpo" / "metrics.jsonl")
            .read_text(encoding="utf-8")
            .splitlines()
        ]
    print(
        f"SmolLM2-135M-Instruct on CPU: SFT warm-up on {examples} rationale QA, 2 epochs ({sft_s:.0f} s); "
        f"GRPO {options.grpo_steps} steps x 2 prompts x 4 generations ({grpo_s:.0f} s)"
    )
    print(f"{'step':>4} {'reward':>8} {'R_fmt':>8} {'R_acc':>8} {'KL':>8} {'length':>7}")
    for record in metrics:
        if "reward" in record:
            print(
                f"{record['step']:>4} {record['reward']:>8.3f} {record.get('rewards/format_reward/mean', 0):>8.3f} "
                f"{record.get('rewards/accuracy_reward/mean', 0):>8.3f} {record.get('kl', 0):>8.4f} "
                f"{record.get('completions/mean_length', 0):>7.1f}"
            )
    print(f"held-out accuracy ({HELD_OUT_TASK}, dev split, first {options.held_out} items, 256 new tokens):")
    for stage, (acc, unparsed) in accuracy.items():
        print(f"  {stage:<11} {acc:5.1f}%  ({unparsed} unparsed)")


if __name__ == "__main__":
    main()
