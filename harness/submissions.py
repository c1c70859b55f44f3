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
    """CPsyExam's submission, as its merge_answers.py writes it: {"zero_shot"|"five_shot": {subject:
    [{question_id, question, options, prediction, n_shot}]}}, the prediction read by CPsyExam's own
    protocol; unanswered questions are left out (as its code leaves them out); an id repeated within
    a subject keeps its last entry. Merged with what the run's other tasks wrote there."""
    from harness.results import read_json_file

    path = folder / "cpsyexam_submission.json"
    submission: dict[str, dict[str, list[dict[str, Any]]]] = {}
    if path.exists():
        submission = read_json_file(path, "the submission")
    subjects = submission.setdefault("five_shot" if shots else "zero_shot", {})
    for doc, sample in zip(docs, samples, strict=True):
        reading = sample.benchmark or {}
        entries = [e for e in subjects.get(doc["subject"], []) if e["question_id"] != doc["doc_id"]]
        if reading.get("answered"):
            entries.append(
                {
                    "question_id": doc["doc_id"],
                    "question": doc["question"],
                    "options": {option["label"]: option["text"] for option in doc["options"]},
                    "prediction": reading["extracted"],
                    "n_shot": shots,
                }
            )
        subjects[doc["subject"]] = entries
    write_text_atomically(path, json.dumps(submission, ensure_ascii=False, indent=1))


WRITERS: dict[str, SubmissionWriter] = {"cpsyexam": write_cpsyexam_submission}


def submission_writer(name: str, task: str) -> SubmissionWriter:
    if name not in WRITERS:
        raise HarnessError(
            f"task {task}: metadata.submission {name!r} is unknown (known: {', '.join(WRITERS)})"
        )
    return WRITERS[name]
