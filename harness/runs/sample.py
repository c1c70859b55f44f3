"""One doc's outcome in a run, as samples/<task>.jsonl holds it: the prompt as the model saw it, its
response, and what it earned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCORED, FAILED, MISSING = "scored", "failed", "missing"


@dataclass(frozen=True)
class Sample:
    """`status`: scored; failed (generation failed for good); missing (no prediction was given).
    Dialogue docs (judge-scored tasks) carry their topic, dialogue and turn, and each judge's
    verdict; `scores` are then the first judge's valid scores."""

    doc_id: str
    prompt: str
    response: str | None
    gold: str | None
    status: str
    extracted: str | None = None
    scores: Mapping[str, float] | None = None
    topic: str | None = None
    dialogue_id: str | None = None
    turn: int | None = None
    judges: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    benchmark: Mapping[str, Any] | None = None  # the benchmark protocol's reading: extracted, type, rate

    @property
    def is_dialogue(self) -> bool:
        return self.dialogue_id is not None

    def verdict(self, judge: str) -> Mapping[str, Any] | None:
        return self.judges.get(judge)

    def to_json(self) -> dict[str, Any]:
        """The JSONL row (keys in a fixed order; `extracted` is null for an unparsed answer)."""
        row: dict[str, Any] = {"doc_id": self.doc_id}
        if self.is_dialogue:
            row |= {"topic": self.topic, "dialogue_id": self.dialogue_id, "turn": self.turn}
        row |= {"prompt": self.prompt, "response": self.response, "gold": self.gold}
        if self.response is not None:
            if self.is_dialogue:
                row["judges"] = {name: dict(verdict) for name, verdict in self.judges.items()}
            else:
                row["extracted"] = self.extracted
        if self.scores is not None:
            row["scores"] = dict(self.scores)
        if self.benchmark is not None:
            row["benchmark"] = dict(self.benchmark)
        row["status"] = self.status
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Sample:
        """A stored row; rows of older runs without a status count as scored when answered."""
        response = row.get("response")
        return cls(
            doc_id=str(row["doc_id"]),
            prompt=str(row.get("prompt", "")),
            response=response if isinstance(response, str) else None,
            gold=row.get("gold"),
            status=str(row.get("status") or (SCORED if isinstance(response, str) else FAILED)),
            extracted=row.get("extracted"),
            scores=row.get("scores"),
            topic=row.get("topic"),
            dialogue_id=row.get("dialogue_id"),
            turn=row.get("turn"),
            judges=row.get("judges") or {},
            benchmark=row.get("benchmark"),
        )
