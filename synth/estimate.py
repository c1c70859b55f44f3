"""What a run would cost before it runs (`harness synth run --dry-run`): the inputs counted, and per
stage the number of calls (at least, at most: filters and retries decide) and an upper bound on
tokens and dollars (prompt characters counted as tokens, replies at the decoding cap). Each stage
estimates its own calls (`estimate` beside its `run`); this module counts what they all read."""

from __future__ import annotations

from dataclasses import dataclass

from synth.config import SynthConfig
from synth.inputs import bank_questions, qa_pairs, source_texts, subfields
from synth.text_cleaning import chunks, clean_text

PROMPT_OVERHEAD_CHARS = 900  # the instructions around an item in the longest prompts (Appendix D)
QUESTION_CHARS = 200  # a generated question with its options, about


@dataclass(frozen=True)
class StageEstimate:
    stage: str
    model: str
    calls_min: int
    calls_max: int
    chars_per_call: int
    reply_tokens: int

    def cost_max(self, config: SynthConfig) -> float | None:
        price = config.prices.get(self.model)
        if price is None:
            return None
        return self.calls_max * (self.chars_per_call * price.input + self.reply_tokens * price.output) / 1e6


@dataclass(frozen=True)
class Counts:
    """What the stages' estimates read: the inputs counted, and the questions the pool may hold
    (every generated one and every bank question)."""

    passages: int  # source text chunks
    avg_passage: int  # characters
    pairs: int  # QA pairs (Type IV)
    avg_pair: int  # characters
    fields: int  # subfields (Type III)
    field_questions: int  # asked for over all subfields
    pool: int


def estimate(config: SynthConfig, context_window: int | None = None) -> list[StageEstimate]:
    """`context_window`: the generation model's (it sizes the chunks when chunk_chars is unset)."""
    from synth.pipeline import PIPELINE
    from synth.stage_settings import GenerateSettings

    size = config.chunk_size(context_window)
    passages = [piece for text in source_texts(config) for piece in chunks(clean_text(text.text), size)]
    pairs = qa_pairs(config)
    fields = subfields(config)
    bank = bank_questions(config, config.inputs.question_banks)
    generate = GenerateSettings.of(config, "generate")
    kinds = len(generate.question_kinds)
    field_questions = sum(f.questions for f in fields)
    generated = len(passages) * kinds * generate.questions_per_chunk + field_questions * kinds
    counts = Counts(
        passages=len(passages),
        avg_passage=sum(len(p) for p in passages) // max(len(passages), 1),
        pairs=len(pairs),
        avg_pair=sum(len(p.question) + len(p.description) + len(p.answer) for p in pairs)
        // max(len(pairs), 1),
        fields=len(fields),
        field_questions=field_questions,
        pool=generated + len(bank),
    )
    return [row for step in PIPELINE for row in step.stage.estimate(config, counts)]


def render_estimate(rows: list[StageEstimate], config: SynthConfig | None = None) -> str:
    lines = [
        "stage                     model                     calls (at least - at most)   cost at most (USD)"
    ]
    total: float | None = 0.0
    for row in rows:
        cost = row.cost_max(config) if config else None
        total = None if total is None or cost is None else total + cost
        shown = "unknown (no price)" if cost is None else f"{cost:.2f}"
        lines.append(f"{row.stage:25s} {row.model:25s} {row.calls_min:>8d} - {row.calls_max:<17d} {shown}")
    lines.append(
        "total cost at most: " + ("unknown (a model has no price)" if total is None else f"{total:.2f} USD")
    )
    return "\n".join(lines) + "\n"
