"""Records shared by the loaders: one evaluation doc, and what a load skipped."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Required, TypedDict, cast

from harness.errors import HarnessError
from harness.files import read_text_file


class OptionRow(TypedDict):
    label: str
    text: str


class ExemplarRow(TypedDict):
    question: str
    options: list[OptionRow]
    answer: str
    options_text: str


class TurnRow(TypedDict):
    role: str  # system, user or assistant
    content: str


class DocRow(TypedDict, total=False):
    """One doc as lm-eval, the prompt templates, the scorers, the protocols and the judges read it:
    a question (`Doc.to_row`) or a counselor turn to write (`DialogueDoc.to_row`). `doc_id` is always
    there; a task's own docs (--include-path) may hold keys of their own besides, which only its
    templates and scorer read. The fields are `Doc`'s and `DialogueDoc`'s, lists where they hold
    tuples (as a `datasets` Dataset gives them back)."""

    doc_id: Required[str]
    source: str
    # a question
    subject: str
    question: str
    answer: str
    multi: bool
    options: list[OptionRow]
    case_info: str
    case_text: str
    exemplars: list[ExemplarRow]
    subject_name: str
    context: str
    answer_withheld: bool
    answer_as_written: str
    options_text: str
    option_keys: str
    # a counselor turn
    topic: str
    dialogue_id: str
    turn: int
    history: list[TurnRow]
    reference: str


def doc_rows(rows: list[dict[str, Any]], where: str) -> list[DocRow]:
    """A task's rows as docs: each must have a doc_id (a HarnessError naming the task and row)."""
    for number, row in enumerate(rows, 1):
        if "doc_id" not in row:
            raise HarnessError(f"{where}: doc {number} has no doc_id (every doc needs one)")
    return cast(list[DocRow], rows)


@dataclass(frozen=True)
class Option:
    label: str
    text: str


@dataclass(frozen=True)
class Exemplar:
    """A solved question shown before the asked one (five-shot)."""

    question: str
    options: tuple[Option, ...]
    answer: str
    options_text: str = ""  # the options as the benchmark's own code renders them


@dataclass(frozen=True)
class Doc:
    """One question as the tasks see it; `answer` is "" when the split withholds it."""

    doc_id: str
    subject: str
    question: str
    answer: str
    multi: bool = False
    options: tuple[Option, ...] = ()
    case_info: str = ""
    case_text: str = ""
    exemplars: tuple[Exemplar, ...] = ()
    subject_name: str = ""
    context: str = ""  # text the question refers to (a new benchmark's passage or case)
    source: str = ""  # the file it was read from (its sha256 is recorded with the results)
    answer_withheld: bool = False  # the split does not publish its answers (CPsyExam test)
    answer_as_written: str = ""  # the answer string as the file writes it (benchmark protocols compare it)
    options_text: str = ""  # the options as the benchmark's own code renders them into its prompt
    option_keys: str = ""  # the option letters the record has, empty texts included (A-Z order)

    def to_row(self) -> DocRow:
        """A plain dict row (what lm-eval and the prompt templates read), lists where the record
        holds tuples, as a `datasets` Dataset gives them back."""
        return cast(DocRow, plain(self))


@dataclass
class LoadReport:
    """Docs loaded from a benchmark plus the known anomalies skipped or repaired on the way."""

    docs: list[Doc] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # anomalies kept, as the benchmark's code keeps them

    def warn(self, benchmark: str) -> None:
        """Emit one warning summarising the skipped and repaired records."""
        if self.skipped:
            logging.getLogger("harness").warning(
                f"{benchmark}: skipped {len(self.skipped)} record(s) with known anomalies: "
                + "; ".join(self.skipped[:5])
                + (" ..." if len(self.skipped) > 5 else "")
            )
        if self.kept:
            logging.getLogger("harness").warning(
                f"{benchmark}: kept {len(self.kept)} record(s) with known anomalies, scored as the "
                "benchmark's code scores them: "
                + "; ".join(self.kept[:5])
                + (" ..." if len(self.kept) > 5 else "")
            )
        if self.repaired:
            logging.getLogger("harness").warning(
                f"{benchmark}: normalised {len(self.repaired)} answer(s) to bare letters"
            )


def read_json_list(path: Path) -> list[dict[str, Any]]:
    """Read a benchmark file that must hold a JSON list of objects."""
    raw = read_text_file(path, "the benchmark file")
    if not raw.strip():
        raise HarnessError(f"{path}: the file is empty; expected a JSON list of questions")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise HarnessError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        ) from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise HarnessError(f"{path}: expected a JSON list of objects")
    return data


def require(record: dict[str, Any], key: str, where: str, kind: type = str) -> Any:
    """The record's `key`, or a HarnessError naming the file and record."""
    if key not in record:
        raise HarnessError(f"{where}: missing '{key}'")
    value = record[key]
    if not isinstance(value, kind):
        raise HarnessError(f"{where}: '{key}' should be a {kind.__name__}, got {type(value).__name__}")
    return value


def parse_options(record: dict[str, Any], where: str) -> tuple[Option, ...]:
    """Options as (label, text) pairs in label order; empty option texts are left out."""
    raw = require(record, "options", where, dict)
    options = tuple(
        Option(str(label).strip(), str(text).strip())
        for label, text in sorted(raw.items())
        if str(text).strip()
    )
    if len(options) < 2:
        raise HarnessError(f"{where}: 'options' needs at least two non-empty options")
    return options


def check_answer_letters(answer: str, options: tuple[Option, ...], where: str) -> str:
    """Sorted answer letters, or a HarnessError when a letter is not among the options."""
    labels = {option.label for option in options}
    unknown = sorted(set(answer) - labels)
    if unknown:
        raise HarnessError(
            f"{where}: answer {answer!r} names {''.join(unknown)}, which is not an option ({''.join(sorted(labels))})"
        )
    return "".join(sorted(set(answer)))


@dataclass(frozen=True)
class DialogueDoc:
    """One counselor turn to write: the dialogue so far (ending in a client turn) and, where the
    data has it, the real counselor turn that followed."""

    doc_id: str
    topic: str
    dialogue_id: str
    turn: int  # 1-based index of the counselor turn within its dialogue
    history: tuple[tuple[str, str], ...]  # (role, content); roles system/user/assistant
    reference: str = ""
    source: str = ""  # the file it was read from (its sha256 is recorded with the results)

    def to_row(self) -> DocRow:
        row = cast(DocRow, plain(self))
        row["history"] = [{"role": role, "content": content} for role, content in self.history]
        return row


def plain(value: Any) -> Any:
    """A record as plain data: dataclasses as dicts of their fields, tuples as lists (what
    dataclasses.asdict gives, in a fraction of its time, and what a `datasets` Dataset gives back)."""
    if hasattr(type(value), "__dataclass_fields__"):
        return {name: plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
