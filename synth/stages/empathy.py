"""Stage "empathy" (section 2.3): each help-seeking question is refined from the user's first-person
view (the Appendix D prompt), then the counselor's answer is rewritten with empathy, evidence-based
guidance and concrete coping steps; the pair becomes a two-turn dialogue."""

from __future__ import annotations

from typing import Any

from synth.calls import Ask
from synth.records import Dialogue, QAPair, Record
from synth.replies import strip_fences
from synth.stage import Drop, StageContext, StageOutput


class Empathy:
    name = "empathy"
    version = 1
    templates = ("refine_question", "enrich_answer")

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.empathy),
            "prompt": context.prompts.digest(*self.templates),
        } | context.config.stage_settings("decoding")

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        pairs = [record for record in inputs if isinstance(record, QAPair)]
        model = context.config.models.empathy
        dropped: list[Drop] = []
        refine = context.prompts.get("refine_question")
        asks = [
            Ask(p.id, (("user", refine.fill(question=p.question, description=p.description)),)) for p in pairs
        ]
        refined = []
        for pair, reply in zip(
            pairs, context.calls.ask(context.call(self, model, ("refine_question",)), asks), strict=True
        ):
            text = strip_fences(reply.text or "")
            if reply.text is None:
                dropped.append(Drop(pair.id, f"error: {reply.error}"))
            elif not text:
                dropped.append(Drop(pair.id, "invalid: empty refined question"))
            else:
                refined.append((pair, text))
        enrich = context.prompts.get("enrich_answer")
        asks = [
            Ask(p.id, (("user", enrich.fill(question=question, answer=p.answer)),)) for p, question in refined
        ]
        kept: list[Record] = []
        for (pair, question), reply in zip(
            refined, context.calls.ask(context.call(self, model, ("enrich_answer",)), asks), strict=True
        ):
            answer = strip_fences(reply.text or "")
            if reply.text is None:
                dropped.append(Drop(pair.id, f"error: {reply.error}"))
            elif not answer:
                dropped.append(Drop(pair.id, "invalid: empty enriched answer"))
            else:
                kept.append(Dialogue(pair.id, (("user", question), ("assistant", answer)), pair.source))
        return StageOutput(kept, dropped)
