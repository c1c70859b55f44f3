"""Stage "select" (section 2.2): multi-LLM cross-selection. Each model of the panel answers every
question with the letter-only prompt; a question the rule calls challenging (the paper's: all
wrong) goes to D_pc, the rest to D_pr. Works on any questions, so it can label a benchmark's items
as well (`label_questions`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.scoring.answers import extract_choices
from synth.calls import Ask
from synth.config import SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, QUESTION_CHARS, Counts, StageEstimate
from synth.records import Question, Reasoned, Record
from synth.stage import Drop, StageContext, StageOutput
from synth.stage_settings import SelectSettings

RULES: dict[str, Callable[[int, int], bool]] = {
    "all_wrong": lambda wrong, panel: wrong == panel,
    "majority_wrong": lambda wrong, panel: wrong * 2 > panel,
    "any_wrong": lambda wrong, panel: wrong > 0,
}


class Select:
    section = SelectSettings  # its settings (synth/stage_settings.py)
    name = "select"
    version = 1
    template = "select_answer"

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        reply = self.section.of(config, self.name).select_decoding.max_new_tokens
        chars = PROMPT_OVERHEAD_CHARS + QUESTION_CHARS
        return [StageEstimate(self.name, name, 0, counts.pool, chars, reply) for name in config.models.select]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "models": [context.model_fingerprint(name) for name in context.config.models.select],
            "prompt": context.prompts.digest(self.template),
        } | context.settings(self.name, SelectSettings).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        questions = [
            r.question if isinstance(r, Reasoned) else r
            for r in inputs
            if isinstance(r, (Reasoned, Question))
        ]
        wrong, errors, answers = label_questions(context, self, questions)
        rule = RULES[context.settings(self.name, SelectSettings).challenging_rule]
        panel = len(context.config.models.select)
        kept = [r for r in inputs if getattr(r, "id", None) not in errors]
        challenging = [r.id for r in kept if rule(wrong[r.id], panel)]
        regular = [r.id for r in kept if not rule(wrong[r.id], panel)]
        dropped = [Drop(item, f"error: {reason}") for item, reason in errors.items()]
        return StageOutput(
            kept, dropped, groups={"challenging": challenging, "regular": regular}, notes={"answers": answers}
        )


def label_questions(
    context: StageContext, stage: Select, questions: list[Question]
) -> tuple[dict[str, int], dict[str, str], dict[str, dict[str, str]]]:
    """(wrong answers per question, questions whose calls failed, each model's answers)."""
    template = context.prompts.get(stage.template)
    wrong = {q.id: 0 for q in questions}
    errors: dict[str, str] = {}
    answers: dict[str, dict[str, str]] = {}
    for model in context.config.models.select:
        decoding = context.settings(stage.name, SelectSettings).select_decoding
        call = context.call(stage, model, (stage.template,), decoding)
        asks = [Ask(q.id, (("user", template.fill(question=q.as_text())),)) for q in questions]
        for question, reply in zip(questions, context.calls.ask(call, asks), strict=True):
            if reply.text is None:
                errors[question.id] = str(reply.error)
                continue
            letters = extract_choices(reply.text, question.letters, question.kind == "multi") or ""
            answers.setdefault(question.id, {})[model] = letters
            wrong[question.id] += letters != question.answer
    return wrong, errors, answers
