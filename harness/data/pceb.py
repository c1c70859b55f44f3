"""PCEB (PsycoLLM's Psychological Counselor Examination Benchmark), read from its original files.

Layout under the data directory: PCEB/benchmark/{theory,moral}/{single,multiple}/<level>/*.json,
PCEB/benchmark/cases/mix/<level>/*.json (case MCQs, 单选/多选 prefix) and
PCEB/benchmark/cases/essay/<level>/*.json (open case questions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
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
        for question in _case_questions(root, root / "cases" / "mix"):
            text = require(question.record, "question", question.where).strip()
            prefix = _CASE_PREFIX.get(text[:2])
            if prefix is None:
                raise HarnessError(
                    f"{question.where}: case question does not start with 单选 or 多选: {text[:20]!r}"
                )
            if prefix == kind:
                _add_mcq(
                    report,
                    question.doc_id,
                    "case",
                    question.record,
                    kind,
                    question.where,
                    question.path,
                    case_info=question.case_info,
                    case_text=question.case_text,
                )
    else:
        for path in _json_files(root / area / _KIND_FOLDER[kind]):
            for index, record in enumerate(read_json_list(path)):
                where = f"{path}, record {record.get('id', index)}"
                _add_mcq(report, f"{_relative(root, path)}#{index}", area, record, kind, where, path)
    return report


def load_pceb_case_qa(data_dir: Path) -> LoadReport:
    """Load the open case questions: one doc per question, carrying its case."""
    root = benchmark_root(data_dir)
    report = LoadReport()
    for question in _case_questions(root, root / "cases" / "essay"):
        report.docs.append(
            Doc(
                doc_id=question.doc_id,
                subject="case_qa",
                question=require(question.record, "question", question.where).strip(),
                answer=require(question.record, "answer", question.where).strip(),
                case_info=question.case_info,
                case_text=question.case_text,
                source=str(question.path),
            )
        )
    if not report.docs:
        raise HarnessError(f"{root / 'cases' / 'essay'}: no case questions found")
    return report


@dataclass(frozen=True)
class _CaseQuestion:
    """One question of a case file, with its case and where it stands (for error messages)."""

    doc_id: str
    where: str
    record: dict[str, Any]
    case_info: str
    case_text: str
    path: Path


def _case_questions(root: Path, folder: Path) -> Iterator[_CaseQuestion]:
    """Every question of every case in the folder's files, in file order."""
    for path in _json_files(folder):
        for case_index, case in enumerate(read_json_list(path)):
            where = f"{path}, case {case.get('id', case_index)}"
            info, text = _case_fields(case, where)
            for q_index, qa in enumerate(require(case, "questions_and_answers", where, list)):
                q_where = f"{where}, question {q_index + 1}"
                if not isinstance(qa, dict):
                    raise HarnessError(f"{q_where}: expected an object")
                yield _CaseQuestion(
                    f"{_relative(root, path)}#{case_index}-{q_index}", q_where, qa, info, text, path
                )


def _add_mcq(
    report: LoadReport,
    doc_id: str,
    area: str,
    record: dict[str, Any],
    kind: Kind,
    where: str,
    source: Path,
    case_info: str = "",
    case_text: str = "",
) -> None:
    question = require(record, "question", where)  # as written: PCEB's prompt shows it unstripped
    options = parse_options(record, where)
    written = require(record, "answer", where)
    answer = re.sub(r"\s", "", written)
    # Known anomalies are kept and scored as PCEB's code scores them (its 3,863 MCQ); they are
    # listed once in a warning.
    if not answer:
        report.kept.append(f"{where}: empty answer (never right)")
    else:
        answer = check_answer_letters(answer, options, where)
    if kind == "single" and len(answer) > 1:
        report.kept.append(f"{where}: single-answer question with answer {answer}")
    if kind == "multi" and len(answer) == 1:
        report.kept.append(f"{where}: multiple-answer question with answer {answer}")
    report.docs.append(
        Doc(
            doc_id=doc_id,
            subject=area,
            question=question,
            answer=answer,
            multi=kind == "multi",
            options=options,
            source=str(source),
            answer_as_written=written.strip(),
            options_text=pceb_options_text(record["options"]),
            case_info=case_info,
            case_text=case_text,
        )
    )


def pceb_options_text(options: dict[str, Any]) -> str:
    """The options as PCEB's prompt shows them (QuestionHandler at 8ff40f3): the printed Python
    dict of the record's options with braces and quotes dropped, commas made line breaks, colons
    full stops and every space removed, so "A.text" per line (and the same marks inside option
    texts changed alike)."""
    printed = str(dict(options)).strip("{}")
    for old, new in (("'", ""), (",", "\n"), (":", "."), (" ", "")):
        printed = printed.replace(old, new)
    return printed.strip()


def _case_fields(case: dict[str, Any], where: str) -> tuple[str, str]:
    return require(case, "general_info", where).strip(), require(case, "case_introduction", where).strip()


def _json_files(folder: Path) -> list[Path]:
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise HarnessError(f"{folder}: no JSON files found (is the data directory the one holding PCEB/?)")
    return files


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


PCEB_LEVELS = ("second", "third", "simulation")  # the exam levels PCEB's folders hold


def pceb_level(doc_id: str) -> str:
    """A PCEB doc's exam level, read from its id (the file's path under PCEB/benchmark, e.g.
    theory/single/second/14 理论单选.json#0): second, third or simulation ("other" if none)."""
    parts = doc_id.split("#")[0].split("/")
    return next((part for part in parts if part in PCEB_LEVELS), "other")
