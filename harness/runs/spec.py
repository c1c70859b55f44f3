"""A run is a frozen spec: what produced its responses and how they are scored. The hash of the
spec names the run folder, so a re-run of the same spec resumes it and any other spec gets its own."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from harness.models import ModelSpec

# The scoring protocol every MCQ task of a run follows (strict: set match, unparsed = wrong, fixed n).
PROTOCOL = "strict"


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run's numbers, besides the tasks it holds (each task records its own
    version, prompt hash and docs hash)."""

    model: str
    model_settings: dict[str, Any]  # the answer-deciding part of the models.yaml entry
    generation: dict[str, Any]  # temperature, top_p, max_new_tokens
    split: str  # the CPsyExam split its loader reads
    limit: int | None
    sample: int | None  # PsyDT sample size
    answer_key_sha256: str | None
    judges: tuple[str, ...]
    source: str  # "model" (generated here) or "predictions:<sha256>" (scored from a file)
    protocol: str = PROTOCOL
    subset: dict[str, str] | None = None  # a labelled subset of the items (harness.tasks.subsets)

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["judges"] = list(self.judges)
        if self.subset is None:  # runs without one keep the folder names they always had
            del record["subset"]
        return record

    @property
    def digest(self) -> str:
        """The run folder's name: 12 hex digits of the spec's SHA-256."""
        payload = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def model_settings(spec: ModelSpec | None) -> dict[str, Any]:
    """What of a models.yaml entry decides its answers: the cache fingerprint's fields, how reasoning
    is marked, and the endpoint without credentials. Presentation fields (display_name, category,
    notes) are left out: renaming a model for a table keeps its runs. None: scored from a file."""
    if spec is None:
        return {}
    recorded = spec.recorded()
    chosen = {key: recorded[key] for key in [*spec.fingerprint(), "reasoning", "think_tags"]}
    if recorded["base_url"]:
        chosen["base_url"] = recorded["base_url"]
    if spec.prompt_layout:  # only when chosen: runs of entries without it keep their hash
        chosen["prompt_layout"] = spec.prompt_layout
    return chosen
