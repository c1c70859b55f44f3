"""Stage "empathy" (section 2.3): each help-seeking question is refined from the user's first-person
view (the Appendix D prompt), then the counselor's answer is rewritten with empathy, evidence-based
guidance and concrete coping steps; the pair becomes a two-turn dialogue."""

from __future__ import annotations

from typing import Any

from synth.records import Dialogue, QAPair, Record
from synth.replies import strip_fences
from synth.stage import Drop, StageContext, StageOutput, ask_until_read


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
        refine, enrich = context.prompts.get("refine_question"), context.prompts.get("enrich_answer")

        def reply_text(text: str, item: object) -> str | None:
            return strip_fences(text) or None  # an empty reply is invalid (asked once)

        refined = ask_until_read(
            context,
            context.call(self, model, ("refine_question",)),
            pairs,
            lambda p: p.id,
            lambda p: (("user", refine.fill(question=p.question, description=p.description)),),
            reply_text,
            1,
        )
        enriched = ask_until_read(
            context,
            context.call(self, model, ("enrich_answer",)),
            refined.read,
            lambda item: item[0].id,
            lambda item: (("user", enrich.fill(question=item[1], answer=item[0].answer)),),
            reply_text,
            1,
        )
        kept: list[Record] = [
            Dialogue(pair.id, (("user", question), ("assistant", answer)), pair.source)
            for (pair, question), answer in enriched.read
        ]
        dropped = [Drop(p.id, f"error: {reason}") for p, reason in refined.errors]
        dropped += [Drop(p.id, "invalid: empty refined question") for p in refined.unread]
        dropped += [Drop(item[0].id, f"error: {reason}") for item, reason in enriched.errors]
        dropped += [Drop(item[0].id, "invalid: empty enriched answer") for item in enriched.unread]
        return StageOutput(kept, dropped)
