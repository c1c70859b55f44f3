"""The data split (section 2.4): D_sft = D_pr + D_em + D_ps, D_grpo = D_pc + D_cp, written in the
JSONL formats `harness train sft|grpo` reads (rationale_qa, dialogue, mcq) with a manifest of
counts, sha256 and the config hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.results import read_jsonl_lines
from synth.config import SynthConfig, settings_hash
from synth.records import Dialogue, Question, Reasoned, Record

FILES = {
    "rationale_qa": "d_sft_rationale_qa.jsonl",
    "dialogue": "d_sft_dialogue.jsonl",
    "mcq": "d_grpo_mcq.jsonl",
}


@dataclass(frozen=True)
class DatasetSummary:
    folder: Path
    counts: dict[str, int]  # D_pr, D_em, D_ps, D_pc, D_cp
    files: dict[str, str]  # file name -> sha256


def write_dataset(
    config: SynthConfig,
    selected: list[Record],
    groups: dict[str, list[str]],
    dialogues: list[Record],
    exams: list[Question],
) -> DatasetSummary:
    folder = config.output_path / "dataset"
    challenging = set(groups.get("challenging", []))
    reasoned = [r for r in selected if isinstance(r, Reasoned)]
    rows: dict[str, list[dict[str, Any]]] = {
        "rationale_qa": [_rationale_row(r) for r in reasoned if r.id not in challenging],
        "dialogue": [_dialogue_row(d) for d in dialogues if isinstance(d, Dialogue)],
        "mcq": [_mcq_row(r.question) for r in reasoned if r.id in challenging],
    }
    counts = {"D_pr": len(rows["rationale_qa"]), "D_em": len(rows["dialogue"]), "D_pc": len(rows["mcq"])}
    passed = 0
    for extra in config.inputs.sft_extra:
        path = config.resolve(extra.path)
        for number, record in read_jsonl_lines(path, "the SFT data file"):
            rows[extra.format].append(_checked(record, extra.format, f"{path}, line {number}"))
            passed += 1
    rows["mcq"] += [_mcq_row(q) for q in exams]
    counts |= {"D_ps": passed, "D_cp": len(exams)}
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, name in FILES.items():
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows[kind])
        write_text_atomically(folder / name, text)
        files[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    manifest = {
        "counts": counts,
        "D_sft": counts["D_pr"] + counts["D_em"] + counts["D_ps"],
        "D_grpo": counts["D_pc"] + counts["D_cp"],
        "files": files,
        "formats": {name: kind for kind, name in FILES.items()},
        "config_sha256": settings_hash(config.model_dump(mode="json")),
    }
    write_text_atomically(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return DatasetSummary(folder, counts, files)


def _rationale_row(reasoned: Reasoned) -> dict[str, Any]:
    q = reasoned.question
    return {
        "id": q.id,
        "question": q.question,
        "options": q.options,
        "rationale": reasoned.rationale,
        "answer": q.answer,
    }


def _mcq_row(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "question": q.question,
        "options": q.options,
        "answer": q.answer,
        "multi": q.kind == "multi",
    }


def _dialogue_row(dialogue: Dialogue) -> dict[str, Any]:
    return {
        "id": dialogue.id,
        "messages": [{"role": role, "content": content} for role, content in dialogue.messages],
    }


def _checked(record: dict[str, Any], kind: str, where: str) -> dict[str, Any]:
    """A passed-through record with the fields its format needs."""
    needed = ("question", "rationale", "answer") if kind == "rationale_qa" else ("messages",)
    missing = [key for key in needed if not record.get(key)]
    if missing:
        raise HarnessError(f"{where}: a {kind} record needs {', '.join(missing)}")
    return record
