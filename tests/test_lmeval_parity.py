"""Stock lm-eval loads our task files and gives the same per-sample responses as `harness eval`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_jsonl

from harness.models import resolve_model
from harness.runs.runner import RunOptions, evaluate
from harness.tasks.index import index_tasks

# Five-shot tasks are left out: the harness sends their exemplars as chat turns (as CPsyExam does),
# which a task file cannot express; stock lm-eval asks them without exemplars.
TASKS = ["pceb_moral_smcq", "pceb_case_mmcq", "pceb_case_qa", "cpsyexam_case_multi"]
REPO = Path(__file__).resolve().parents[1]


def test_stock_lm_eval_and_harness_give_identical_responses(
    tmp_path: Path, models_file: Path, tiny_model_dir: Path
) -> None:
    # stock lm-eval sends a task's description as a system message: the same layout, chosen here
    tiny = resolve_model("tiny", [models_file]).model_copy(update={"prompt_layout": "system_user"})
    ours_results = evaluate(tiny, TASKS, RunOptions(output_dir=tmp_path / "harness", limit=2))

    lm_eval = Path(sys.executable).with_name("lm_eval")
    done = subprocess.run(
        [
            str(lm_eval),
            "run",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_model_dir}",
            "dtype=float32",
            "--tasks",
            *TASKS,
            "--include_path",
            str(REPO / "tasks"),
            "--apply_chat_template",
            "--gen_kwargs",
            "max_gen_toks=8",
            "--limit",
            "2",
            "--batch_size",
            "4",
            "--device",
            "cpu",
            "--output_path",
            str(tmp_path / "stock"),
            "--log_samples",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    stock: dict[tuple[str, str], str] = {}
    for path in (tmp_path / "stock").rglob("samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        for row in read_jsonl(path):
            stock[(task, row["doc"]["doc_id"])] = row["resps"][0][0]
    ours = {
        (task, sample["doc_id"]): sample["response"]
        for task in TASKS
        for sample in read_jsonl(tmp_path / "harness" / "tiny" / "latest" / "samples" / f"{task}.jsonl")
    }
    assert len(ours) == 2 * len(TASKS)
    assert stock == ours

    # and the same scores: stock lm-eval aggregates our process_results per item; the harness reports
    # each metric in its declared unit (accuracies in percent)
    results = json.loads(next((tmp_path / "stock").rglob("results_*.json")).read_text(encoding="utf-8"))
    registry = index_tasks().registry
    compared = 0
    for task in TASKS:
        for metric in ours_results["tasks"][task]["metrics"]:
            stock_value = results["results"][task][f"{metric},none"]
            ours_value = ours_results["tasks"][task][metric]
            assert registry[metric].factor * stock_value == pytest.approx(ours_value, abs=1e-9), (
                task,
                metric,
            )
            compared += 1
    assert compared == 3 * len(TASKS)
