"""Cross-selection labels for any benchmark's multiple-choice items (`harness synth label`): the
selection panel answers each item with the letter-only prompt, and the challenging rule splits the
items into challenging and non-challenging (the paper's Figure 4 split of PCEB). One JSON file per
task, keyed by the doc ids that run samples carry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data.records import DocRow
from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.runs.responses import ProgressFactory
from synth.config import SynthConfig
from synth.records import Question
from synth.stage_settings import SelectSettings
from synth.stages.select import RULES, Select, label_questions


@dataclass(frozen=True)
class TaskLabels:
    task: str
    path: Path
    challenging: int
    total: int
    errors: int


def benchmark_questions(
    task_names: list[str], data_dir: str | None, limit: int | None
) -> dict[str, list[Question]]:
    """The multiple-choice docs of the tasks (groups expand), as Questions keyed by doc id."""
    from harness.tasks.catalog import load_tasks

    metadata = {"data_dir": data_dir} if data_dir else {}
    leaves, _ = load_tasks(task_names, metadata)
    found: dict[str, list[Question]] = {}
    for leaf in leaves:
        questions = [
            _question(row, leaf.name) for row in leaf.docs[:limit] if row.get("options") and row.get("answer")
        ]
        if questions:
            found[leaf.name] = questions
    if not found:
        raise HarnessError(f"{', '.join(task_names)}: no multiple-choice items with answers to label")
    return found


def label_tasks(
    config: SynthConfig, task_names: list[str], limit: int | None, progress: ProgressFactory | None
) -> list[TaskLabels]:
    from synth.pipeline import open_context

    context = open_context(config, progress)
    chosen_rule = context.settings("select", SelectSettings).challenging_rule
    rule = RULES[chosen_rule]
    panel = config.models.select
    written = []
    try:
        for task, questions in benchmark_questions(task_names, config.data_dir, limit).items():
            wrong, errors, answers = label_questions(context, Select(), questions)
            items: dict[str, Any] = {
                q.id: {
                    "answers": answers.get(q.id, {}),
                    "wrong": wrong[q.id],
                    "challenging": rule(wrong[q.id], len(panel)),
                }
                for q in questions
                if q.id not in errors
            }
            path = config.output_path / "labels" / f"{task}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            document = {
                "task": task,
                "rule": chosen_rule,
                "panel": panel,
                "errors": errors,
                "items": items,
            }
            write_text_atomically(path, json.dumps(document, ensure_ascii=False, indent=1))
            challenging = sum(1 for item in items.values() if item["challenging"])
            written.append(TaskLabels(task, path, challenging, len(items), len(errors)))
    finally:
        context.calls.close()
    return written


def _question(row: DocRow, task: str) -> Question:
    options = {option["label"]: option["text"] for option in row["options"] if option.get("text")}
    return Question(
        id=str(row["doc_id"]),
        question="\n".join(part for part in (str(row.get("case_text") or ""), str(row["question"])) if part),
        options=options,
        answer=str(row["answer"]),
        kind="multi" if row.get("multi") else "single",
        origin="benchmark",
        source=task,
    )
