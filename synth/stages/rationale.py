"""Stages "rationale" and "refine" (section 2.2). Rationale: the CoT prompt answers with
{rationale, prediction}; a prediction that misses the gold answer (read by the harness's answer
extraction) is regenerated, up to T attempts, then the question is pruned. Refine: R rounds of a
candidate prompt from the current one, then a revised rationale under it, kept when its answer is
right and reverted otherwise; a model comparison then picks the best rationale of the rounds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.scoring.answers import extract_choices
from synth.calls import Ask
from synth.config import SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, QUESTION_CHARS, Counts, StageEstimate
from synth.records import Question, Reasoned, Record
from synth.replies import chosen_index, json_objects, strip_fences
from synth.stage import Drop, Stage, StageContext, StageOutput, ask_until_read
from synth.stage_settings import RationaleSettings, RefineSettings


def rationale_messages(context: StageContext, prompt: str, question: Question) -> tuple[tuple[str, str], ...]:
    filled = context.prompts.get("rationale_format").fill(prompt=prompt, question=question.as_text())
    return (("user", filled),)


def read_rationale(text: str, question: Question) -> tuple[str, str] | None:
    """(rationale, predicted letters) when the reply's JSON gives both, else None."""
    for data in json_objects(text):
        rationale, prediction = data.get("rationale"), data.get("prediction")
        if isinstance(rationale, str) and rationale.strip() and prediction is not None:
            letters = extract_choices(str(prediction), question.letters, question.kind == "multi")
            return rationale.strip(), letters or ""
    return None


class Rationale:
    section = RationaleSettings  # its settings (synth/stage_settings.py)
    name = "rationale"
    version = 1
    templates = ("rationale", "rationale_format")

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        settings = self.section.of(config, self.name)
        return [
            StageEstimate(
                self.name,
                config.models.rationale,
                0,
                counts.pool * settings.rationale_attempts,
                PROMPT_OVERHEAD_CHARS + QUESTION_CHARS,
                settings.decoding.max_new_tokens,
            )
        ]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.rationale),
            "prompt": context.prompts.digest(*self.templates),
        } | context.settings(self.name, RationaleSettings).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        prompt = context.prompts.get("rationale").text
        settings = context.settings(self.name, RationaleSettings)
        call = context.call(self, context.config.models.rationale, self.templates, settings.decoding)
        questions = [record for record in inputs if isinstance(record, Question)]

        def correct(text: str, question: Question) -> tuple[str, str] | None:
            read = read_rationale(text, question)
            return read if read is not None and read[1] == question.answer else None  # else regenerated

        limit = settings.rationale_attempts
        asked = ask_until_read(
            context,
            call,
            questions,
            lambda q: q.id,
            lambda q: rationale_messages(context, prompt, q),
            correct,
            limit,
        )
        kept: list[Record] = [Reasoned(q, r, p, prompt, rounds=(r,)) for q, (r, p) in asked.read]
        dropped = [Drop(q.id, f"error: {reason}") for q, reason in asked.errors]
        dropped += [Drop(q.id, f"filtered: no correct prediction in {limit} attempts") for q in asked.unread]
        return StageOutput(kept, dropped)


class Refine:
    section = RefineSettings  # its settings (synth/stage_settings.py)
    name = "refine"
    version = 1
    templates = ("candidate_prompt", "rationale_format", "compare_rationales")

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        settings = self.section.of(config, self.name)
        rounds, cap, per = settings.refine_rounds, settings.decoding.max_new_tokens, PROMPT_OVERHEAD_CHARS
        compared = counts.pool * settings.format_attempts if rounds else 0
        return [
            StageEstimate(
                self.name, config.models.refine, 0, counts.pool * 2 * rounds, per + QUESTION_CHARS + cap, cap
            ),
            StageEstimate(
                f"{self.name}.compare", config.models.compare, 0, compared, per + (rounds + 1) * cap, 256
            ),
        ]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        models = context.config.models
        return {
            "models": [context.model_fingerprint(models.refine), context.model_fingerprint(models.compare)],
            "prompt": context.prompts.digest(*self.templates),
        } | context.settings(self.name, RefineSettings).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        items = {record.id: record for record in inputs if isinstance(record, Reasoned)}
        failed: dict[str, str] = {}
        candidate = context.prompts.get("candidate_prompt")
        models = context.config.models
        settings = context.settings(self.name, RefineSettings)
        prompt_call = context.call(self, models.refine, ("candidate_prompt",), settings.decoding)
        revise_call = context.call(
            _Step(self, "revise"), models.refine, ("rationale_format",), settings.decoding
        )
        accepted = 0
        for round_number in range(1, settings.refine_rounds + 1):
            active = [r for r in items.values() if r.id not in failed]
            asks = [
                Ask(
                    r.id,
                    (("user", candidate.fill(current_prompt=r.prompt, question=r.question.as_text())),),
                    round_number,
                )
                for r in active
            ]
            proposals = []
            for reasoned, reply in zip(active, context.calls.ask(prompt_call, asks), strict=True):
                if reply.text is None:
                    failed[reasoned.id] = str(reply.error)
                elif strip_fences(reply.text):
                    proposals.append((reasoned, strip_fences(reply.text)))
            asks = [
                Ask(r.id, rationale_messages(context, new_prompt, r.question), round_number)
                for r, new_prompt in proposals
            ]
            for (reasoned, new_prompt), reply in zip(
                proposals, context.calls.ask(revise_call, asks), strict=True
            ):
                if reply.text is None:
                    failed[reasoned.id] = str(reply.error)
                    continue
                read = read_rationale(reply.text or "", reasoned.question)
                if read is not None and read[1] == reasoned.question.answer:  # kept; otherwise reverted
                    accepted += 1
                    items[reasoned.id] = replace(
                        reasoned,
                        rationale=read[0],
                        prediction=read[1],
                        prompt=new_prompt,
                        rounds=(*reasoned.rounds, read[0]),
                    )
        chosen = self._compare(
            context, [r for r in items.values() if r.id not in failed and len(r.rounds) > 1], failed
        )
        kept: list[Record] = [chosen.get(r.id, r) for r in items.values() if r.id not in failed]
        dropped = [Drop(item, f"error: {reason}") for item, reason in failed.items()]
        return StageOutput(kept, dropped, notes={"revisions_accepted": accepted})

    def _compare(
        self, context: StageContext, contested: list[Reasoned], failed: dict[str, str]
    ) -> dict[str, Reasoned]:
        """The best rationale of the rounds for each item with several (the last one when the
        comparison gives no valid index)."""
        template = context.prompts.get("compare_rationales")
        settings = context.settings(self.name, RefineSettings)
        step = _Step(self, "compare")
        call = context.call(step, context.config.models.compare, ("compare_rationales",), settings.decoding)
        asked = ask_until_read(
            context,
            call,
            contested,
            lambda r: r.id,
            lambda r: (
                (
                    "user",
                    template.fill(
                        question=r.question.as_text(),
                        rationales="\n\n".join(f"[{n}] {text}" for n, text in enumerate(r.rounds, 1)),
                    ),
                ),
            ),
            lambda text, r: chosen_index(text, len(r.rounds), ("best_rational_index", "best_index")),
            settings.format_attempts,
        )
        failed.update({r.id: reason for r, reason in asked.errors})
        chosen = {r.id: replace(r, rationale=r.rounds[best]) for r, best in asked.read}
        return chosen


class _Step:
    """A named step of a stage: its calls are keyed apart from the stage's other calls."""

    def __init__(self, stage: Stage, step: str) -> None:
        self.name = f"{stage.name}.{step}"
        self.version = stage.version
