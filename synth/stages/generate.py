"""Stage "generate" (section 2.2): questions from text chunks (Type I) and, without a text, for
under-represented subfields (Type III). A reply with no usable JSON is asked again (a new attempt),
then recorded invalid; each question in a reply is checked on its own."""

from __future__ import annotations

from typing import Any

from synth.config import SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, Counts, StageEstimate
from synth.records import Passage, Record, Subfield
from synth.replies import json_objects, question_from
from synth.stage import Drop, StageContext, StageOutput, ask_until_read
from synth.stage_settings import GenerateSettings

TYPE_INSTRUCTIONS = {
    "zh": {
        "single": "单项选择题（四个选项，只有一个正确答案）",
        "multi": "多项选择题（四个选项，有两个或两个以上正确答案）",
    },
    "en": {
        "single": "single-choice (four options, one correct answer)",
        "multi": "multiple-choice (four options, two or more correct answers)",
    },
}


class Generate:
    section = GenerateSettings  # its settings (synth/stage_settings.py)
    name = "generate"
    version = 1
    templates = ("generate_questions", "generate_subfield_questions")

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        settings = self.section.of(config, self.name)
        calls = (counts.passages + counts.fields) * len(settings.question_kinds)
        return [
            StageEstimate(
                self.name,
                config.models.generate,
                calls,
                calls * settings.format_attempts,
                PROMPT_OVERHEAD_CHARS + counts.avg_passage,
                settings.decoding.max_new_tokens,
            )
        ]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.generate),
            "prompt": context.prompts.digest(*self.templates),
        } | context.settings(self.name, GenerateSettings).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        config = context.settings(self.name, GenerateSettings)
        instructions = TYPE_INSTRUCTIONS[config.language]
        jobs: list[tuple[str, str, str, str]] = []  # (job id, prompt, origin, source)
        for record in inputs:
            for kind in config.question_kinds:
                if isinstance(record, Passage):
                    prompt = context.prompts.get("generate_questions").fill(
                        num_questions=config.questions_per_chunk,
                        text=record.text,
                        type_instruction=instructions[kind],
                    )
                    jobs.append((f"{record.id}:{kind}", prompt, "I", record.source))
                elif isinstance(record, Subfield):
                    prompt = context.prompts.get("generate_subfield_questions").fill(
                        num_questions=record.questions,
                        subfield=record.name,
                        type_instruction=instructions[kind],
                    )
                    jobs.append((f"{record.id}:{kind}", prompt, "III", f"subfield:{record.name}"))
        asked = ask_until_read(
            context,
            context.call(self, context.config.models.generate, self.templates, config.decoding),
            jobs,
            lambda job: job[0],
            lambda job: (("user", job[1]),),
            lambda text, job: json_objects(text) or None,
            config.format_attempts,
        )
        kept: dict[str, Record] = {}
        dropped: list[Drop] = []
        for (job, _, origin, source), objects in asked.read:
            for number, data in enumerate(objects):
                question, reason = question_from(data, origin, source)
                if question is None:
                    dropped.append(Drop(f"{job}#{number}", f"invalid: {reason}"))
                elif question.id in kept:
                    dropped.append(Drop(question.id, "filtered: exact duplicate"))
                else:
                    kept[question.id] = question
        dropped += [Drop(job[0], f"error: {reason}") for job, reason in asked.errors]
        dropped += [Drop(job[0], "invalid: no JSON question in the reply") for job in asked.unread]
        return StageOutput(list(kept.values()), dropped, notes={"calls_planned": len(jobs)})
