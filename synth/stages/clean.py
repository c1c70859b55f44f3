"""Stage "clean" (section 2.1): source texts cleaned and cut into chunks that fill the generation
model's context; QA pairs cleaned, then kept only when a model judges the answer reasonable
(helpful, with substantive advice)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from synth.config import SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, Counts, StageEstimate
from synth.near_duplicates import normalise
from synth.records import Passage, QAPair, Record, content_id
from synth.replies import verdict
from synth.stage import Drop, StageContext, StageOutput, ask_until_read, judged
from synth.stage_settings import Formatted, StageSettings
from synth.text_cleaning import chunks, clean_text


class CleanTexts:
    section = StageSettings  # its settings (synth/stage_settings.py)
    name = "clean_texts"
    version = 2  # 2: identical chunks kept once

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        return []  # no model call

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {"chunk_chars": self.chunk_chars(context)}

    @staticmethod
    def chunk_chars(context: StageContext) -> int:
        """`chunk_chars`, or what the generation model's context window holds."""
        generator = context.resolve(context.config.models.generate)
        return context.config.chunk_size(generator.context_window)

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        kept: list[Record] = []
        dropped = []
        first_with: dict[str, str] = {}  # normalised chunk -> the id of the first chunk with it
        size = self.chunk_chars(context)
        for text in inputs:
            assert isinstance(text, Passage)
            cleaned = clean_text(text.text)
            if not cleaned:
                dropped.append(Drop(text.id, "filtered: empty after cleaning"))
                continue
            for number, piece in enumerate(chunks(cleaned, size)):
                chunk = Passage(content_id(text.id, str(number)), piece, f"{text.source}#chunk{number}")
                first = first_with.setdefault(normalise(piece), chunk.id)
                if first == chunk.id:
                    kept.append(chunk)
                else:  # the same text twice would be asked for questions twice
                    dropped.append(Drop(chunk.id, f"filtered: identical chunk ({first} kept)"))
        return StageOutput(kept, dropped)


class CleanDialogues:
    section = Formatted  # its settings (synth/stage_settings.py)
    name = "clean_dialogues"
    version = 1
    template = "clean_dialogue"

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        tries = self.section.of(config, self.name).format_attempts
        pairs, chars = counts.pairs, PROMPT_OVERHEAD_CHARS + counts.avg_pair
        return [StageEstimate(self.name, config.models.clean, pairs, pairs * tries, chars, 8)]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.clean),
            "prompt": context.prompts.digest(self.template),
        } | context.settings(self.name, Formatted).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        pairs: list[QAPair] = []
        dropped: list[Drop] = []
        for pair in inputs:
            assert isinstance(pair, QAPair)
            cleaned = replace(
                pair,
                question=clean_text(pair.question),
                answer=clean_text(pair.answer),
                description=clean_text(pair.description),
            )
            if cleaned.question and cleaned.answer:
                pairs.append(cleaned)
            else:
                dropped.append(Drop(pair.id, "filtered: empty after cleaning"))
        settings = context.settings(self.name, Formatted)
        call = context.call(self, context.config.models.clean, (self.template,), settings.decoding)
        template = context.prompts.get(self.template)
        asked = ask_until_read(
            context,
            call,
            pairs,
            lambda pair: pair.id,
            lambda pair: (
                (
                    "user",
                    template.fill(
                        question=pair.question, description=pair.description or "无", answer=pair.answer
                    ),
                ),
            ),
            lambda text, pair: verdict(text),
            settings.format_attempts,
        )
        kept, rejected = judged(asked, lambda pair: pair.id, "answer judged unreasonable")
        dropped += rejected
        return StageOutput([*kept], dropped)
