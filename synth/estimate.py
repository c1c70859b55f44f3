"""What a run would cost before it runs (`harness synth run --dry-run`): the inputs counted, and per
stage the number of calls (at least, at most: filters and retries decide) and an upper bound on
tokens and dollars (prompt characters counted as tokens, replies at the decoding cap)."""

from __future__ import annotations

from dataclasses import dataclass

from synth.config import SynthConfig
from synth.inputs import bank_questions, qa_pairs, source_texts, subfields
from synth.text_cleaning import chunks, clean_text

PROMPT_OVERHEAD_CHARS = 900  # the instructions around an item in the longest prompts (Appendix D)


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


def estimate(config: SynthConfig, context_window: int | None = None) -> list[StageEstimate]:
    """`context_window`: the generation model's (it sizes the chunks when chunk_chars is unset)."""
    size = config.chunk_size(context_window)
    passages = [piece for text in source_texts(config) for piece in chunks(clean_text(text.text), size)]
    pairs = qa_pairs(config)
    fields = subfields(config)
    bank = bank_questions(config, config.inputs.question_banks)
    kinds = len(config.question_kinds)
    generated = len(passages) * kinds * config.questions_per_chunk + sum(f.questions for f in fields) * kinds
    pool = generated + len(bank)
    models, cap, tries = config.models, config.decoding.max_new_tokens, config.format_attempts
    avg_passage = sum(len(p) for p in passages) // max(len(passages), 1)
    avg_pair = sum(len(p.question) + len(p.description) + len(p.answer) for p in pairs) // max(len(pairs), 1)
    question_chars, per = 200, PROMPT_OVERHEAD_CHARS
    rounds = config.refine_rounds
    rows = [
        StageEstimate("clean_dialogues", models.clean, len(pairs), len(pairs) * tries, per + avg_pair, 8),
        StageEstimate(
            "generate",
            models.generate,
            (len(passages) + len(fields)) * kinds,
            (len(passages) + len(fields)) * kinds * tries,
            per + avg_passage,
            cap,
        ),
        StageEstimate("pool", models.rank, 0, pool // 2 * tries, per + 3 * question_chars, 64),
        StageEstimate("control", models.control, 0, pool * tries, per + question_chars, 8),
        StageEstimate(
            "rationale", models.rationale, 0, pool * config.rationale_attempts, per + question_chars, cap
        ),
        StageEstimate("refine", models.refine, 0, pool * 2 * rounds, per + question_chars + cap, cap),
        StageEstimate(
            "refine.compare", models.compare, 0, pool * tries if rounds else 0, per + (rounds + 1) * cap, 256
        ),
    ]
    rows += [
        StageEstimate("select", name, 0, pool, per + question_chars, config.select_decoding.max_new_tokens)
        for name in models.select
    ]
    rows.append(StageEstimate("empathy", models.empathy, 0, 2 * len(pairs), per + avg_pair + cap, cap))
    return rows


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
