"""PCEB (PsycoLLM's Psychological Counselor Examination Benchmark), read from its original files.

Layout under the data directory: PCEB/benchmark/{theory,moral}/{single,multiple}/<level>/*.json,
PCEB/benchmark/cases/mix/<level>/*.json (case MCQs, 单选/多选 prefix) and
PCEB/benchmark/cases/essay/<level>/*.json (open case questions).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from harness.data.records import (
    Doc,
    LoadReport,
    check_answer_letters,
    parse_options,
    read_json_list,
    require,
)
from harness.errors import HarnessError

Area = Literal["case", "moral", "theory"]
Kind = Literal["single", "multi"]

_KIND_FOLDER = {"single": "single", "multi": "multiple"}
_CASE_PREFIX = {"单选": "single", "多选": "multi"}


def benchmark_root(data_dir: Path) -> Path:
    """The PCEB benchmark folder inside a data directory, or a HarnessError saying what is missing."""
    root = Path(data_dir) / "PCEB" / "benchmark"
    if not root.is_dir():
        raise HarnessError(
            f"PCEB not found: {root} does not exist (set --data-dir or PSYCHE_DATA_DIR to the folder holding PCEB/)"
        )
    return root


def load_pceb_mcq(data_dir: Path, area: Area, kind: Kind) -> LoadReport:
    """Load one MCQ subset (e.g. case/single) of PCEB, skipping the known anomalies."""
    root = benchmark_root(data_dir)
    report = LoadReport()
    if area == "case":
        for path in _json_files(root / "cases" / "mix"):
            for case_index, case in enumerate(read_json_list(path)):
                _add_case_questions(report, root, path, case_index, case, kind)
    else:
        for path in _json_files(root / area / _KIND_FOLDER[kind]):
            for index, record in enumerate(read_json_list(path)):
                where = f"{path}, record {record.get('id', index)}"
                _add_mcq(report, f"{_relative(root, path)}#{index}", area, record, kind, where)
    return report


def load_pceb_case_qa(data_dir: Path) -> LoadReport:
    """Load the open case questions: one doc per question, carrying its case."""
    root = benchmark_root(data_dir)
    report = LoadReport()
    for path in _json_files(root / "cases" / "essay"):
        for case_index, case in enumerate(read_json_list(path)):
            where = f"{path}, case {case.get('id', case_index)}"
            info, text = _case_fields(case, where)
            for q_index, qa in enumerate(require(case, "questions_and_answers", where, list)):
                q_where = f"{where}, question {q_index + 1}"
                if not isinstance(qa, dict):
                    raise HarnessError(f"{q_where}: expected an object")
                report.docs.append(
                    Doc(
                        doc_id=f"{_relative(root, path)}#{case_index}-{q_index}",
                        subject="case_qa",
                        question=require(qa, "question", q_where).strip(),
                        answer=require(qa, "answer", q_where).strip(),
                        case_info=info,
                        case_text=text,
                    )
                )
    if not report.docs:
        raise HarnessError(f"{root / 'cases' / 'essay'}: no case questions found")
    return report


def _add_case_questions(
    report: LoadReport, root: Path, path: Path, case_index: int, case: dict[str, Any], kind: Kind
) -> None:
    where = f"{path}, case {case.get('id', case_index)}"
    info, text = _case_fields(case, where)
    for q_index, qa in enumerate(require(case, "questions_and_answers", where, list)):
        q_where = f"{where}, question {q_index + 1}"
        if not isinstance(qa, dict):
            raise HarnessError(f"{q_where}: expected an object")
        question = require(qa, "question", q_where).strip()
        prefix = _CASE_PREFIX.get(question[:2])
        if prefix is None:
            raise HarnessError(
                f"{q_where}: case question does not start with 单选 or 多选: {question[:20]!r}"
            )
        if prefix == kind:
            doc_id = f"{_relative(root, path)}#{case_index}-{q_index}"
            _add_mcq(report, doc_id, "case", qa, kind, q_where, case_info=info, case_text=text)


def _add_mcq(
    report: LoadReport,
    doc_id: str,
    area: str,
    record: dict[str, Any],
    kind: Kind,
    where: str,
    case_info: str = "",
    case_text: str = "",
) -> None:
    question = require(record, "question", where).strip()
    options = parse_options(record, where)
    answer = re.sub(r"\s", "", require(record, "answer", where))
    if not answer:
        report.skipped.append(f"{where}: empty answer")
        return
    answer = check_answer_letters(answer, options, where)
    if kind == "single" and len(answer) != 1:
        report.skipped.append(f"{where}: single-answer question with answer {answer}")
        return
    if kind == "multi" and len(answer) < 2:
        report.skipped.append(f"{where}: multiple-answer question with answer {answer}")
        return
    report.docs.append(
        Doc(
            doc_id=doc_id,
            subject=area,
            question=question,
            answer=answer,
            multi=kind == "multi",
            options=options,
            case_info=case_info,
            case_text=case_text,
        )
    )


def _case_fields(case: dict[str, Any], where: str) -> tuple[str, str]:
    return require(case, "general_info", where).strip(), require(case, "case_introduction", where).strip()


def _json_files(folder: Path) -> list[Path]:
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise HarnessError(f"{folder}: no JSON files found (is the data directory the one holding PCEB/?)")
    return files


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
