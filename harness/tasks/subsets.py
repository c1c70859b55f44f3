"""Labelled subsets of a benchmark's items (`harness eval --subset challenging --labels DIR`): a
folder with one `<task>.json` per task, `{"items": {doc_id: {"challenging": true|false}}}`, as
`harness synth label` writes it (the paper's Figure 4 split of PCEB). A run restricted to a
subset is complete when it scores every item of the subset."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

SUBSETS = ("challenging", "non-challenging")


@dataclass(frozen=True)
class Subset:
    name: str
    labels: Path
    doc_ids: dict[str, frozenset[str]]  # task -> doc ids in the subset
    sha256: str  # of the label files read

    def record(self) -> dict[str, str]:
        return {"name": self.name, "labels": str(self.labels), "labels_sha256": self.sha256}


def load_subset(name: str, labels: Path, tasks: list[str]) -> Subset:
    """The subset `name` of each task from the label folder; a task without labels is an error."""
    if name not in SUBSETS:
        raise HarnessError(f"--subset {name!r}: use {' or '.join(SUBSETS)}")
    digest = hashlib.sha256()
    chosen: dict[str, frozenset[str]] = {}
    for task in sorted(tasks):
        path = Path(labels) / f"{task}.json"
        try:
            data = path.read_bytes()
            items = json.loads(data)["items"]
            flags = {str(doc): bool(item["challenging"]) for doc, item in items.items()}
        except OSError:
            raise HarnessError(
                f"{path}: no labels for {task} (make them with `harness synth label --tasks {task}`)"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise HarnessError(
                f'{path}: not a labels file ({{"items": {{doc_id: {{"challenging": bool}}}}}})'
            ) from None
        digest.update(task.encode() + b"\0" + data)
        chosen[task] = frozenset(doc for doc, hard in flags.items() if hard == (name == "challenging"))
    return Subset(name, Path(labels).resolve(), chosen, digest.hexdigest())
