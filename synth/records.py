"""The records that flow between stages: frozen dataclasses, each written to and read from one JSON
object per line of a stage's output (`to_json`, `from_json`)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

QUESTION_KINDS = ("single", "multi")


def content_id(*parts: str) -> str:
    """A short stable id from content (the same input always gets the same id across runs)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Passage:
    """A chunk of source text (Type I) that questions are generated from."""

    id: str
    text: str
    source: str


@dataclass(frozen=True)
class Subfield:
    """An under-represented subfield (Type III): questions are generated without a text."""

    id: str
    name: str
    questions: int


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; `origin` is the paper's resource type (I, II or III)."""

    id: str
    question: str
    options: dict[str, str]
    answer: str  # sorted option letters, "AC"
    kind: str  # single | multi
    origin: str
    source: str

    @property
    def letters(self) -> str:
        return "".join(sorted(self.options))

    def as_text(self) -> str:
        """The question with its options, as every prompt shows it."""
        lines = [self.question] + [f"{label}. {text}" for label, text in sorted(self.options.items())]
        return "\n".join(lines)


@dataclass(frozen=True)
class Reasoned:
    """A question with a rationale whose prediction matches the gold answer, and the prompt that
    produced it (the iterative optimisation updates both)."""

    question: Question
    rationale: str
    prediction: str
    prompt: str
    rounds: tuple[str, ...] = ()  # the correct rationales of the optimisation rounds, in order

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class QAPair:
    """A help-seeking question with a counselor's answer (Type IV)."""

    id: str
    question: str
    answer: str
    source: str
    description: str = ""


@dataclass(frozen=True)
class Dialogue:
    """An empathetic dialogue: the refined question and the enriched answer."""

    id: str
    messages: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (role, content)
    source: str = ""


Record = Passage | Subfield | Question | Reasoned | QAPair | Dialogue
KINDS: dict[str, type] = {
    cls.__name__: cls for cls in (Passage, Subfield, Question, Reasoned, QAPair, Dialogue)
}


def to_json(record: Record) -> dict[str, Any]:
    """One JSON object for a record, with its record type."""
    return {"record": type(record).__name__} | asdict(record)


def from_json(data: dict[str, Any]) -> Record:
    """The record a `to_json` object describes."""
    values = dict(data)
    kind = KINDS[values.pop("record")]
    if kind is Reasoned:
        values["question"] = Question(**values["question"])
        values["rounds"] = tuple(values.get("rounds", ()))
    if kind is Dialogue:
        values["messages"] = tuple(tuple(message) for message in values["messages"])
    return kind(**values)  # type: ignore[no-any-return]


STEM_MIN_CHARS = 6
CASE_MIN_CHARS = 120  # a question this long carries a case (or a passage) before what it asks
_SENTENCE_END = re.compile(r"[。！？!?]")


def question_parts(question: Question) -> tuple[str, str]:
    """(case, what is asked): a long question is a case (or passage) followed by its stem, the last
    sentence of at least STEM_MIN_CHARS characters; the stem is returned with the options as a set.
    Several questions about one case share the case and differ in what is asked."""
    text = question.question.strip()
    options = " ".join(sorted(question.options.values()))
    if len(text) < CASE_MIN_CHARS:
        return "", f"{text} {options}"
    pieces = [piece for piece in _SENTENCE_END.split(text) if piece.strip()]
    stem = ""
    while pieces and len(stem) < STEM_MIN_CHARS:
        stem = pieces.pop().strip() + stem
    return "。".join(pieces), f"{stem} {options}"


def record_text(record: Record) -> str:
    """The text a record contributes to near-duplicate and contamination checks."""
    if isinstance(record, Question):  # options as a set: a reordered copy reads the same
        return record.question + " " + " ".join(sorted(record.options.values()))
    if isinstance(record, Reasoned):
        return record_text(record.question)
    if isinstance(record, QAPair):
        return record.question + " " + record.description
    if isinstance(record, Dialogue):
        return " ".join(content for role, content in record.messages if role == "user")
    if isinstance(record, Passage):
        return record.text
    return record.name


def fingerprint(records: list[Record]) -> str:
    """A hash of a list of records (what a stage received)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(to_json(record), ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def with_rationale(reasoned: Reasoned, rationale: str, prediction: str, prompt: str) -> Reasoned:
    return replace(reasoned, rationale=rationale, prediction=prediction, prompt=prompt)
