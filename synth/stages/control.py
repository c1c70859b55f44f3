"""Stage "control" (section 2.2): a few-shot model judge keeps the questions that are self-contained
(answerable without the source text); then stage "review" applies human decisions from a review
sheet (`harness synth review export` writes it; every question not marked drop is kept)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from synth.config import SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, QUESTION_CHARS, Counts, StageEstimate
from synth.records import Question, Record
from synth.replies import verdict
from synth.stage import Drop, StageContext, StageOutput, ask_until_read, judged
from synth.stage_settings import ReviewSettings, Worded

KIND_NAMES = {
    "zh": {"single": "单项选择题", "multi": "多项选择题"},
    "en": {"single": "single-choice", "multi": "multiple-choice"},
}
REVIEW_COLUMNS = ("id", "question", "answer", "origin", "decision", "note")


class Control:
    section = Worded  # its settings (synth/stage_settings.py)
    name = "control"
    version = 1
    templates = ("question_control", "question_control_examples")

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        tries = self.section.of(config, self.name).format_attempts
        chars = PROMPT_OVERHEAD_CHARS + QUESTION_CHARS
        return [StageEstimate(self.name, config.models.control, 0, counts.pool * tries, chars, 8)]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.control),
            "prompt": context.prompts.digest(*self.templates),
        } | context.settings(self.name, Worded).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        template = context.prompts.get("question_control")
        examples = context.prompts.get("question_control_examples").text
        settings = context.settings(self.name, Worded)
        names = KIND_NAMES[settings.language]
        call = context.call(self, context.config.models.control, self.templates, settings.decoding)
        questions = [record for record in inputs if isinstance(record, Question)]
        asked = ask_until_read(
            context,
            call,
            questions,
            lambda q: q.id,
            lambda q: (("user", template.fill(examples=examples, type=names[q.kind], question=q.as_text())),),
            lambda text, q: verdict(text),
            settings.format_attempts,
        )
        kept, dropped = judged(asked, lambda q: q.id, "question judged not self-contained")
        return StageOutput([*kept], dropped)


class Review:
    section = ReviewSettings  # its settings (synth/stage_settings.py)
    name = "review"
    version = 1

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        return []  # no model call

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        path = context.settings(self.name, ReviewSettings).review_file
        if not path:
            return {"review": None}
        return {"review": hashlib.sha256(context.config.resolve(path).read_bytes()).hexdigest()}

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        path = context.settings(self.name, ReviewSettings).review_file
        decisions = read_review(context.config.resolve(path)) if path else {}
        kept: list[Record] = []
        dropped: list[Drop] = []
        for record in inputs:
            assert isinstance(record, Question)
            decision, note = decisions.get(record.id, ("keep", ""))
            if decision == "drop":
                dropped.append(Drop(record.id, f"filtered: human review ({note or 'no note'})"))
            else:
                kept.append(record)
        return StageOutput(
            kept, dropped, notes={"decisions": sum(1 for d, _ in decisions.values() if d == "drop")}
        )


def write_review_sheet(path: Path, questions: list[Question]) -> None:
    """A CSV for reviewers: one question per row, decision "keep" until someone writes "drop"."""
    from io import StringIO

    from harness.files import write_text_atomically

    buffer = StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REVIEW_COLUMNS)
    for q in questions:
        writer.writerow([q.id, q.as_text(), q.answer, q.origin, "keep", ""])
    write_text_atomically(path, buffer.getvalue())


def read_review(path: Path) -> dict[str, tuple[str, str]]:
    """id -> (decision, note) from a review sheet; a decision other than keep/drop is an error."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise HarnessError(f"{path}: cannot read the review sheet ({error.strerror})") from None
    decisions = {}
    for number, row in enumerate(rows, start=2):
        decision = (row.get("decision") or "keep").strip().lower()
        if decision not in ("keep", "drop") or not row.get("id"):
            raise HarnessError(
                f"{path}, line {number}: needs an id and a decision of keep or drop, not {decision!r}"
            )
        decisions[row["id"]] = (decision, (row.get("note") or "").strip())
    return decisions
