"""Stage "empathy" (section 2.3): each help-seeking question is refined from the user's first-person
view (the Appendix D prompt), then the counselor's answer is rewritten with empathy, evidence-based
guidance and concrete coping steps; the pair becomes a two-turn dialogue."""

from __future__ import annotations

from typing import Any

from synth.config import SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, Counts, StageEstimate
from synth.records import Dialogue, QAPair, Record
from synth.replies import strip_fences
from synth.stage import Drop, StageContext, StageOutput, ask_until_read
from synth.stage_settings import Decoded


class Empathy:
    section = Decoded  # its settings (synth/stage_settings.py)
    name = "empathy"
    version = 1
    templates = ("refine_question", "enrich_answer")

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        cap = self.section.of(config, self.name).decoding.max_new_tokens
        chars = PROMPT_OVERHEAD_CHARS + counts.avg_pair + cap
        return [StageEstimate(self.name, config.models.empathy, 0, 2 * counts.pairs, chars, cap)]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.empathy),
            "prompt": context.prompts.digest(*self.templates),
        } | context.settings(self.name, Decoded).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        pairs = [record for record in inputs if isinstance(record, QAPair)]
        model = context.config.models.empathy
        decoding = context.settings(self.name, Decoded).decoding
        refine, enrich = context.prompts.get("refine_question"), context.prompts.get("enrich_answer")

        def reply_text(text: str, item: object) -> str | None:
            return strip_fences(text) or None  # an empty reply is invalid (asked once)

        refined = ask_until_read(
            context,
            context.call(self, model, ("refine_question",), decoding),
            pairs,
            lambda p: p.id,
            lambda p: (("user", refine.fill(question=p.question, description=p.description)),),
            reply_text,
            1,
        )
        enriched = ask_until_read(
            context,
            context.call(self, model, ("enrich_answer",), decoding),
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
