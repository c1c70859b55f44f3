"""A real mini-sweep on SmolLM2 (CPU): Table 3's training stages (Base, +GRPO, +SFT, +SFT+GRPO)
with SFT on N CPsyExam train questions whose explanations serve as rationales, GRPO on M CPsyExam
train questions, each variant evaluated on the first K items of the six PCEB multiple-choice tasks.
Runs the sweep twice: prints each step's wall time, then the second run's (everything reused), and
the report's path.

    python benchmarks/sweep_smollm2.py [--sft-items 200] [--grpo-items 16] [--grpo-steps 2] [--eval-items 8]
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

REPO = Path(__file__).resolve().parents[1]


def sft_records(data_dir: Path, count: int) -> list[dict]:
    records = []
    for path in sorted((data_dir / "CPsyExam" / "cpsyexam" / "train").glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            options = {k: v for k, v in (record.get("options") or {}).items() if v}
            if record.get("explanation") and record.get("answer") and len(options) >= 2:
                records.append(
                    {
                        "question": record["question"],
                        "options": options,
                        "rationale": record["explanation"][:600],
                        "answer": record["answer"],
                    }
                )
    return records[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--sft-items", type=int, default=200)
    parser.add_argument("--grpo-items", type=int, default=16)
    parser.add_argument("--grpo-steps", type=int, default=2)
    parser.add_argument("--eval-items", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="Keep the sweep folder here instead of a temporary one")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    records = sft_records(args.data_dir.resolve(), args.sft_items)
    (folder / "sft.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    (folder / "sft.yaml").write_text(
        "run_name: s\nbase_model: smollm2-135m\ndata: [{path: sft.jsonl, format: rationale_qa}]\nlearning_rate: 1.0e-5\n"
        "effective_batch_size: 8\nper_device_train_batch_size: 4\nnum_train_epochs: 1\nmax_length: 512\n",
        encoding="utf-8",
    )
    (folder / "grpo.yaml").write_text(
        f"run_name: g\nbase_model: smollm2-135m\ndata: [{{source: cpsyexam, split: train, limit: {args.grpo_items}}}]\n"
        "learning_rate: 1.0e-6\neffective_batch_size: 8\nper_device_train_batch_size: 8\nnum_generations: 4\n"
        f"max_completion_length: 32\nmax_prompt_length: 512\nmax_steps: {args.grpo_steps}\nlora: {{r: 8, alpha: 16}}\n",
        encoding="utf-8",
    )
    tasks = "[pceb_case_smcq, pceb_case_mmcq, pceb_moral_smcq, pceb_moral_mmcq, pceb_theory_smcq, pceb_theory_mmcq]"
    (folder / "sweep.yaml").write_text(
        f"name: bench\noutput_dir: out\nbase:\n  model: smollm2-135m\n  sft: {{config: sft.yaml}}\n  grpo: {{config: grpo.yaml}}\n"
        f"  eval: {{tasks: {tasks}, limit: {args.eval_items}, max_new_tokens: 32}}\n"
        "variants:\n  Base: {sft: null, grpo: null}\n  +GRPO: {sft: null}\n  +SFT: {grpo: null}\n  +SFT+GRPO: {}\n"
        "report: {kind: table3, base: Base}\n",
        encoding="utf-8",
    )
    env = os.environ | {"PSYCHE_DATA_DIR": str(args.data_dir.resolve())}
    print(
        f"{len(records)} SFT items, {args.grpo_items} GRPO items x {args.grpo_steps} steps, {args.eval_items} eval items per task; in {folder}",
        flush=True,
    )
    for attempt in ("first run", "second run"):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "harness", "sweep", "run", str(folder / "sweep.yaml")],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{attempt} failed: {done.stderr[-2000:]}")
        ran = [line for line in done.stdout.splitlines() if ": done in " in line]
        print(f"{attempt}: {wall:.1f} s, {len(ran)} steps run", flush=True)
        for line in ran:
            print(f"  {line}")
    print(f"report: {folder / 'out' / 'report.md'} (load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
