"""Training data: JSONL files in documented formats, or a benchmark's train split, turned into the
conversational prompt/completion rows trl expects. A bad record is one line naming file and line.

Formats (one JSON object per line):
- rationale_qa: {"question", "rationale", "answer", "options"?: {"A": ...}, "system"?} -> completion
  "<think>rationale</think>" then the answer (the paper's y = [r; a]).
- dialogue: {"messages": [{"role": "system"|"user"|"assistant", "content"}]} -> one example per
  assistant turn (prompt = the dialogue before it), so the loss falls on assistant tokens only.
- mcq (GRPO): {"question", "options": {"A": ...}, "answer": "AC"}.

`source: cpsyexam` reads the benchmark's split from the data directory: for GRPO the paper's D_cp
(question, options, answer); for SFT each question answered directly, completion "答案：<letters>"
(no rationale: D_cp has none; it teaches the answer format, as the tiny sweep uses it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from train.config import DataSource

MCQ_SYSTEM = (
    "你是一位心理学专家。请先在<think>和</think>之间逐步推理，然后在</think>之后给出最终答案，"
    "格式为“答案：选项字母”（多选题写出全部正确选项的字母）。"
)
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class LoadedData:
    rows: list[dict[str, Any]]
    hashes: dict[str, str]  # source -> sha256 of its bytes


def sft_rows(sources: list[DataSource], data_dir: str | None) -> LoadedData:
    rows: list[dict[str, Any]] = []
    hashes: dict[str, str] = {}
    for source in sources:
        if source.source == "cpsyexam":
            found, files = _cpsyexam_rows(data_dir, source.split)
            rows.extend(_answer_only_row(row) for row in (found[: source.limit] if source.limit else found))
            hashes |= {str(f): _sha256(f) for f in files}
            continue
        if source.path is None or source.format not in ("rationale_qa", "dialogue"):
            raise HarnessError(
                f"SFT data: {source.path or source.source}: use format rationale_qa or dialogue"
            )
        path = Path(source.path)
        hashes[str(path)] = _sha256(path)
        for where, record in _jsonl(path, source.limit):
            if source.format == "rationale_qa":
                rows.append(_rationale_row(record, where))
            else:
                rows.extend(_dialogue_rows(record, where))
    return LoadedData(rows, hashes)


def grpo_rows(sources: list[DataSource], data_dir: str | None) -> LoadedData:
    rows: list[dict[str, Any]] = []
    hashes: dict[str, str] = {}
    for source in sources:
        if source.source == "cpsyexam":
            found, files = _cpsyexam_rows(data_dir, source.split)
            rows.extend(found[: source.limit] if source.limit else found)
            hashes |= {str(f): _sha256(f) for f in files}
            continue
        if source.path is None or source.format != "mcq":
            raise HarnessError(f"GRPO data: {source.path}: use format mcq (or source: cpsyexam)")
        path = Path(source.path)
        hashes[str(path)] = _sha256(path)
        for where, record in _jsonl(path, source.limit):
            rows.append(_mcq_row(record, where))
    return LoadedData(rows, hashes)


def mcq_prompt(question: str, options: dict[str, str], multi: bool) -> list[dict[str, str]]:
    """The GRPO prompt: think first, then state the answer letters."""
    kind = "多项选择题" if multi else "单项选择题"
    lines = [f"以下是一道心理学{kind}：", question.strip()]
    lines += [f"{label}. {text}" for label, text in sorted(options.items())]
    return [{"role": "system", "content": MCQ_SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


def _rationale_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    question, rationale, answer = (_text(record, key, where) for key in ("question", "rationale", "answer"))
    options = _options(record, where, required=False)
    user = question + ("\n" + "\n".join(f"{k}. {v}" for k, v in sorted(options.items())) if options else "")
    prompt = [{"role": "user", "content": user}]
    if record.get("system"):
        prompt.insert(0, {"role": "system", "content": _text(record, "system", where)})
    stated = f"答案：{answer}" if options else answer
    completion = f"<think>\n{rationale}\n</think>\n\n{stated}"
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": completion}]}


def _answer_only_row(mcq: dict[str, Any]) -> dict[str, Any]:
    """An MCQ row as an SFT example answered directly: the question without the think-first system
    prompt, then "答案：<letters>"."""
    question = [message for message in mcq["prompt"] if message["role"] == "user"]
    return {"prompt": question, "completion": [{"role": "assistant", "content": f"答案：{mcq['answer']}"}]}


def _dialogue_rows(record: dict[str, Any], where: str) -> list[dict[str, Any]]:
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise HarnessError(f"{where}: 'messages' should be a non-empty list")
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise HarnessError(f"{where}: message {index} needs a role among {', '.join(ROLES)}")
        if not isinstance(message.get("content"), str) or not message["content"].strip():
            raise HarnessError(f"{where}: message {index} needs a non-empty 'content' string")
        turns.append({"role": message["role"], "content": message["content"]})
    rows = [
        {"prompt": turns[:index], "completion": [turn]}
        for index, turn in enumerate(turns)
        if turn["role"] == "assistant" and index > 0 and turns[index - 1]["role"] == "user"
    ]
    if not rows:
        raise HarnessError(f"{where}: no assistant turn follows a user turn")
    return rows


def _mcq_row(record: dict[str, Any], where: str) -> dict[str, Any]:
    question = _text(record, "question", where)
    options = _options(record, where, required=True)
    answer = "".join(sorted(set(_text(record, "answer", where).replace(",", "").replace(" ", "").upper())))
    unknown = set(answer) - set(options)
    if not answer or unknown:
        raise HarnessError(
            f"{where}: answer {record['answer']!r} should name options among {''.join(sorted(options))}"
        )
    multi = bool(record.get("multi", len(answer) > 1))
    return {
        "prompt": mcq_prompt(question, options, multi),
        "answer": answer,
        "options": "".join(sorted(options)),
        "multi": multi,
    }


def _cpsyexam_rows(data_dir: str | None, split: str) -> tuple[list[dict[str, Any]], list[Path]]:
    """CPsyExam MCQ of a split with answers (the paper's D_cp is its train split)."""
    from harness.data import cpsyexam
    from harness.data.location import resolve_data_dir

    root = resolve_data_dir(data_dir)
    rows, files = [], []
    for category in ("KG", "CA"):
        for kind in ("single", "multi"):
            files += cpsyexam.subject_files(root, split, category, kind)
            report = cpsyexam.load_cpsyexam(root, split, category, kind, strict=False)
            report.warn(f"CPsyExam {split}")  # malformed records are skipped and counted, not fatal
            for doc in report.docs:
                if not doc.answer:
                    raise HarnessError(f"CPsyExam {split}: the split has no answers; training needs them")
                options = {option.label: option.text for option in doc.options}
                rows.append(
                    {
                        "prompt": mcq_prompt(doc.question, options, doc.multi),
                        "answer": doc.answer,
                        "options": "".join(sorted(options)),
                        "multi": doc.multi,
                    }
                )
    return rows, files


def _jsonl(path: Path, limit: int | None) -> list[tuple[str, dict[str, Any]]]:
    from harness.runs.results import read_jsonl_lines

    records = [
        (f"{path}, line {number}", record) for number, record in read_jsonl_lines(path, "the data file")
    ]
    if not records:
        raise HarnessError(f"{path}: no records")
    return records[:limit] if limit else records


def _text(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HarnessError(f"{where}: '{key}' should be a non-empty string")
    return value.strip()


def _options(record: dict[str, Any], where: str, required: bool) -> dict[str, str]:
    options = record.get("options")
    if options is None and not required:
        return {}
    if not isinstance(options, dict) or len(options) < 2:
        raise HarnessError(f"{where}: 'options' should map at least two letters to texts")
    cleaned = {str(k).strip().upper(): str(v).strip() for k, v in options.items() if str(v).strip()}
    if not all(len(k) == 1 and k.isalpha() for k in cleaned):
        raise HarnessError(f"{where}: option labels should be single letters")
    return cleaned


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
