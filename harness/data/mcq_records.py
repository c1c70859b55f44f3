"""A new multiple-choice benchmark from plain records, the documented way in:

    {"question": "...", "options": {"A": "...", "B": "..."} or ["...", "..."], "answer": "B" or "AC",
     "context": "optional passage", "subject": "optional", "id": "optional", "multi": optional bool}

`mcq_docs` checks each record (unknown keys, answer letters outside the options) and returns the
same Doc the built-in benchmarks use, so prompts, extraction, metrics and leaderboards apply as-is."""

from __future__ import annotations

import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.data.records import Doc, check_answer_letters, parse_options
from harness.errors import HarnessError, describe_validation_error


class McqRecord(BaseModel):
    """One question as a new benchmark's file writes it (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    options: dict[str, str] | list[str]
    answer: str = Field(min_length=1)
    context: str = ""
    subject: str = ""
    id: str | int | None = None
    multi: bool | None = None  # default: more than one answer letter


def mcq_docs(records: Sequence[dict[str, Any]], source: str) -> list[Doc]:
    """Docs of the records; `source` (a file name) names the record in any error. doc_ids are the
    records' `id`, else their position."""
    docs = []
    for index, raw in enumerate(records):
        where = f"{source}, record {index}"
        try:
            record = McqRecord.model_validate(raw)
        except ValidationError as error:
            raise HarnessError(f"{where}: {describe_validation_error(error)}") from None
        labelled = (
            record.options
            if isinstance(record.options, dict)
            else dict(zip(string.ascii_uppercase, record.options, strict=False))
        )
        options = parse_options({"options": labelled}, where)
        answer = check_answer_letters(record.answer.strip().upper(), options, where)
        docs.append(
            Doc(
                doc_id=str(record.id if record.id is not None else index),
                subject=record.subject,
                question=record.question,
                answer=answer,
                multi=record.multi if record.multi is not None else len(answer) > 1,
                options=options,
                context=record.context,
                source=source,
            )
        )
    ids = [doc.doc_id for doc in docs]
    if len(set(ids)) != len(ids):
        repeated = next(doc_id for doc_id in ids if ids.count(doc_id) > 1)
        raise HarnessError(f"{source}: id {repeated!r} is used by more than one record")
    return docs


def read_mcq_file(path: Path) -> list[Doc]:
    """Docs from a .jsonl (one record per line) or .json (a list of records) file."""
    from harness.data.records import read_json_list
    from harness.runs.results import read_jsonl

    if path.suffix == ".jsonl":
        records = read_jsonl(path, "the question file", lambda row: True, "a question object")
    else:
        records = read_json_list(path)
    return mcq_docs(records, str(path))
