"""Stage "pool" (section 2.2): generated questions and existing banks (Type II) in one pool,
near-duplicates clustered by MinHash-LSH over character n-grams, and a model ranking that keeps
the best question of each cluster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synth.config import Dedup, SynthConfig
from synth.estimate import PROMPT_OVERHEAD_CHARS, QUESTION_CHARS, Counts, StageEstimate
from synth.near_duplicates import clusters
from synth.records import Question, Record, content_id, question_parts
from synth.replies import chosen_index
from synth.stage import Drop, StageContext, StageOutput, ask_until_read
from synth.stage_settings import PoolSettings


def question_groups(questions: Sequence[Question], dedup: Dedup) -> list[list[int]]:
    """The near-duplicate groups of a question pool (indices, in input order). A question is what it
    asks and its options, read beside its case: different questions about one case are not
    duplicates (the whole text would make them so)."""
    parts = [question_parts(q) for q in questions]
    return clusters(
        [asked for _, asked in parts],
        dedup.threshold,
        dedup.num_perm,
        dedup.ngram,
        dedup.seed,
        contexts=[case for case, _ in parts],
        edit_cutoff=dedup.edit_similarity,
    )


class Pool:
    section = PoolSettings  # its settings (synth/stage_settings.py)
    name = "pool"
    version = 3  # 2: options compared as a set; 3: case questions compared by what they ask
    template = "rank_questions"

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        tries = self.section.of(config, self.name).format_attempts
        chars = PROMPT_OVERHEAD_CHARS + 3 * QUESTION_CHARS
        return [StageEstimate(self.name, config.models.rank, 0, counts.pool // 2 * tries, chars, 64)]

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.rank),
            "prompt": context.prompts.digest(self.template),
        } | context.settings(self.name, PoolSettings).fingerprint()

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        questions = [record for record in inputs if isinstance(record, Question)]
        settings = context.settings(self.name, PoolSettings)
        groups = question_groups(questions, settings.dedup)
        kept: list[Record] = [questions[members[0]] for members in groups if len(members) == 1]
        dropped: list[Drop] = []
        contested = [[questions[i] for i in members] for members in groups if len(members) > 1]
        template = context.prompts.get(self.template)

        def listed(members: list[Question]) -> str:
            return "\n\n".join(f"[{n}] {q.as_text()}" for n, q in enumerate(members, 1))

        asked = ask_until_read(
            context,
            context.call(self, context.config.models.rank, (self.template,), settings.decoding),
            contested,
            lambda members: content_id(*(q.id for q in members)),
            lambda members: (("user", template.fill(questions=listed(members))),),
            lambda text, members: chosen_index(text, len(members), ("best_index",)),
            settings.format_attempts,
        )
        # No usable ranking after every attempt: the first of the cluster stays.
        chosen = [(members, best, "") for members, best in asked.read]
        chosen += [(members, 0, ", ranking unreadable") for members in asked.unread]
        for members, best, how in chosen:
            kept.append(members[best])
            dropped += [
                Drop(q.id, f"filtered: near-duplicate ({members[best].id} kept{how})")
                for i, q in enumerate(members)
                if i != best
            ]
        dropped += [Drop(q.id, f"error: {reason}") for members, reason in asked.errors for q in members]
        return StageOutput(
            kept, dropped, notes={"clusters": len(groups), "multi_member_clusters": len(contested)}
        )
