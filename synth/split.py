"""The data split (section 2.4): D_sft = D_pr + D_em + D_ps, D_grpo = D_pc + D_cp, written in the
JSONL formats `harness train sft|grpo` reads (rationale_qa, dialogue, mcq) with a manifest of
counts, sha256 and the config hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.runs.results import read_jsonl_lines
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


Contamination = Callable[[Sequence[str]], Sequence[Any]]  # texts -> a hit (benchmark item) or None each


def write_dataset(
    config: SynthConfig,
    selected: list[Record],
    groups: dict[str, list[str]],
    dialogues: list[Record],
    exams: Sequence[Record],
    contamination: Contamination | None = None,
) -> DatasetSummary:
    """The training files, and each part on its own under parts/ (what sweeps compose: PRD, ED, APD).
    The public SFT files (D_ps) are checked against the benchmarks as they are read: a row that
    matches a benchmark item is left out and listed in dataset/decontaminated.jsonl."""
    folder = config.output_path / "dataset"
    challenging = set(groups.get("challenging", []))
    reasoned = [r for r in selected if isinstance(r, Reasoned)]
    parts: dict[str, list[dict[str, Any]]] = {
        "D_pr": [_rationale_row(r) for r in reasoned if r.id not in challenging],
        "D_pc": [_rationale_row(r) for r in reasoned if r.id in challenging],
        "D_em": [_dialogue_row(d) for d in dialogues if isinstance(d, Dialogue)],
        "D_ps_rationale_qa": [],
        "D_ps_dialogue": [],
        "D_cp": [_mcq_row(q) for q in exams if isinstance(q, Question)],
    }
    public: list[tuple[str, str, dict[str, Any]]] = []  # (part name, where, row)
    for extra in config.inputs.sft_extra:
        path = config.resolve(extra.path)
        for number, record in read_jsonl_lines(path, "the SFT data file"):
            where = f"{path}, line {number}"
            public.append((f"D_ps_{extra.format}", where, _checked(record, extra.format, where)))
    hits = contamination([row_text(row) for _, _, row in public]) if contamination and public else []
    left_out: list[dict[str, Any]] = []
    for (part_name, where, row), hit in zip(public, hits or [None] * len(public), strict=True):
        if hit is None:
            parts[part_name].append(row)
        else:
            left_out.append(
                {
                    "part": part_name,
                    "source": where,
                    "text": row_text(row)[:300],
                    "benchmark_item": hit.benchmark_item,
                    "how": hit.how,
                }
            )
    rows: dict[str, list[dict[str, Any]]] = {
        "rationale_qa": parts["D_pr"] + parts["D_ps_rationale_qa"],
        "dialogue": parts["D_em"] + parts["D_ps_dialogue"],
        "mcq": [as_mcq(row) for row in parts["D_pc"]] + parts["D_cp"],
    }
    counts = {name: len(parts[name]) for name in ("D_pr", "D_em", "D_pc", "D_cp")}
    counts["D_ps"] = len(parts["D_ps_rationale_qa"]) + len(parts["D_ps_dialogue"])
    files = {name: _write_jsonl(folder / name, rows[kind]) for kind, name in FILES.items()}
    files["decontaminated.jsonl"] = _write_jsonl(folder / "decontaminated.jsonl", left_out)
    for name, part in parts.items():
        files[f"parts/{name}.jsonl"] = _write_jsonl(folder / "parts" / f"{name}.jsonl", part)
    manifest = {
        "counts": counts,
        "D_sft": counts["D_pr"] + counts["D_em"] + counts["D_ps"],
        "D_grpo": counts["D_pc"] + counts["D_cp"],
        # D_ps rows left out as benchmark items (the other parts are checked by their stages)
        "D_ps_decontaminated": len(left_out),
        "files": files,
        "formats": {name: kind for kind, name in FILES.items()},
        "config_sha256": settings_hash(config.model_dump(mode="json")),
    }
    write_text_atomically(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return DatasetSummary(folder, counts, files)


def row_text(row: dict[str, Any]) -> str:
    """What a training row contributes to the contamination check: a question with its options, or
    a dialogue's user turns (as the pipeline's own records are checked)."""
    if "messages" in row:
        return " ".join(str(m.get("content", "")) for m in row["messages"] if m.get("role") == "user")
    options = row.get("options") or {}
    texts = options.values() if isinstance(options, dict) else options
    return " ".join([str(row.get("question", "")), *sorted(map(str, texts))])


def as_mcq(row: dict[str, Any]) -> dict[str, Any]:
    """A rationale row as an mcq row (GRPO reads question, options, answer)."""
    return {key: row[key] for key in ("id", "question", "options", "answer")} | {
        "multi": len(row["answer"]) > 1
    }


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    write_text_atomically(path, text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rationale_row(reasoned: Reasoned) -> dict[str, Any]:
    """A rationale_qa row; `first_rationale` is the rationale before the refinement rounds (for
    ablating them, Table 3's +Rat.)."""
    q = reasoned.question
    return {
        "id": q.id,
        "question": q.question,
        "options": q.options,
        "rationale": reasoned.rationale,
        "answer": q.answer,
        "first_rationale": reasoned.rounds[0] if reasoned.rounds else reasoned.rationale,
        "multi": q.kind == "multi",
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
