"""Official submission files for benchmarks whose test answers are withheld. A task file names its
format (`metadata.submission`); the runner calls the writer under the run's lock."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.sample import Sample

SubmissionWriter = Callable[[Path, str, int, Sequence[dict[str, Any]], Sequence[Sample]], None]


def write_cpsyexam_submission(
    folder: Path, task: str, shots: int, docs: Sequence[dict[str, Any]], samples: Sequence[Sample]
) -> None:
    """CPsyExam's format: {"zero_shot"|"five_shot": {subject: [{question_id, prediction}]}}, merged
    with what the run's other tasks wrote there."""
    from harness.results import read_json_file

    path = folder / "cpsyexam_submission.json"
    submission: dict[str, dict[str, list[dict[str, str]]]] = {}
    if path.exists():
        submission = read_json_file(path, "the submission")
    subjects = submission.setdefault("five_shot" if shots else "zero_shot", {})
    for doc, sample in zip(docs, samples, strict=True):
        entries = [e for e in subjects.get(doc["subject"], []) if e["question_id"] != doc["doc_id"]]
        subjects[doc["subject"]] = [
            *entries,
            {"question_id": doc["doc_id"], "prediction": sample.extracted or ""},
        ]
    write_text_atomically(path, json.dumps(submission, ensure_ascii=False, indent=1))


WRITERS: dict[str, SubmissionWriter] = {"cpsyexam": write_cpsyexam_submission}


def submission_writer(name: str, task: str) -> SubmissionWriter:
    if name not in WRITERS:
        raise HarnessError(
            f"task {task}: metadata.submission {name!r} is unknown (known: {', '.join(WRITERS)})"
        )
    return WRITERS[name]
