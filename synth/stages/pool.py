"""Stage "pool" (section 2.2): generated questions and existing banks (Type II) in one pool,
near-duplicates clustered by MinHash-LSH over character n-grams, and a model ranking that keeps
the best question of each cluster."""

from __future__ import annotations

from typing import Any

from synth.calls import Ask
from synth.near_duplicates import clusters
from synth.records import Question, Record, content_id, record_text
from synth.replies import chosen_index
from synth.stage import Drop, StageContext, StageOutput


class Pool:
    name = "pool"
    version = 1
    template = "rank_questions"

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        return {
            "model": context.model_fingerprint(context.config.models.rank),
            "prompt": context.prompts.digest(self.template),
        } | context.config.stage_settings("dedup", "decoding", "format_attempts")

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        questions = [record for record in inputs if isinstance(record, Question)]
        dedup = context.config.dedup
        groups = clusters(
            [record_text(q) for q in questions], dedup.threshold, dedup.num_perm, dedup.ngram, dedup.seed
        )
        kept: list[Record] = [questions[members[0]] for members in groups if len(members) == 1]
        dropped: list[Drop] = []
        contested = [[questions[i] for i in members] for members in groups if len(members) > 1]
        template = context.prompts.get(self.template)
        call = context.call(self, context.config.models.rank, (self.template,))
        pending = contested
        for attempt in range(context.config.format_attempts):
            asks = [
                Ask(
                    content_id(*(q.id for q in members)),
                    (
                        (
                            "user",
                            template.fill(
                                questions="\n\n".join(
                                    f"[{n}] {q.as_text()}" for n, q in enumerate(members, 1)
                                )
                            ),
                        ),
                    ),
                    attempt,
                )
                for members in pending
            ]
            unclear = []
            for members, reply in zip(pending, context.calls.ask(call, asks), strict=True):
                if reply.text is None:
                    dropped += [Drop(q.id, f"error: {reply.error}") for q in members]
                    continue
                best = chosen_index(reply.text, len(members), ("best_index",))
                if best is None:
                    unclear.append(members)
                    continue
                kept.append(members[best])
                dropped += [
                    Drop(q.id, f"filtered: near-duplicate ({members[best].id} kept)")
                    for i, q in enumerate(members)
                    if i != best
                ]
            pending = unclear
        for members in pending:  # no usable ranking: the first of the cluster stays
            kept.append(members[0])
            dropped += [
                Drop(q.id, f"filtered: near-duplicate ({members[0].id} kept, ranking unreadable)")
                for q in members[1:]
            ]
        return StageOutput(
            kept, dropped, notes={"clusters": len(groups), "multi_member_clusters": len(contested)}
        )
