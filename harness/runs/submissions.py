"""Official submission files for benchmarks whose test answers are withheld. A task file names its
format (`metadata.submission`); the runner calls the writer under the run's lock."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.data.records import DocRow
from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.runs.sample import Sample

SubmissionWriter = Callable[[Path, str, int, Sequence[DocRow], Sequence[Sample]], None]


def write_cpsyexam_submission(
    folder: Path, task: str, shots: int, docs: Sequence[DocRow], samples: Sequence[Sample]
) -> None:
    """CPsyExam's submission, as its merge_answers.py writes it: {"zero_shot"|"five_shot": {subject:
    [{question_id, question, options, prediction, n_shot}]}}, the prediction read by CPsyExam's own
    protocol; unanswered questions are left out (as its code leaves them out); an id repeated within
    a subject keeps its last entry. Merged with what the run's other tasks wrote there."""
    path = folder / "cpsyexam_submission.json"
    submission = read_cpsyexam_submission(path)
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


def read_cpsyexam_submission(path: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The submission a run folder holds ({} when none), checked to be one: {"zero_shot"|"five_shot":
    {subject: [{question_id, ...}]}}; anything else stops in one line before it is written over."""
    from harness.runs.results import read_json_file

    if not path.exists():
        return {}
    submission = read_json_file(path, "the submission")
    if not isinstance(submission, dict) or not all(
        key in ("zero_shot", "five_shot")
        and isinstance(subjects, dict)
        and all(
            isinstance(entries, list) and all(isinstance(e, dict) and "question_id" in e for e in entries)
            for entries in subjects.values()
        )
        for key, subjects in submission.items()
    ):
        raise HarnessError(
            f"{path}: not a CPsyExam submission (zero_shot/five_shot must map subjects to lists of "
            "{question_id, prediction, ...}); nothing was written: move it away and re-run"
        )
    return submission


WRITERS: dict[str, SubmissionWriter] = {"cpsyexam": write_cpsyexam_submission}
# What a writer reads back from a run folder before the run writes anything (checked first).
READERS: dict[str, Callable[[Path], object]] = {
    "cpsyexam": lambda folder: read_cpsyexam_submission(folder / "cpsyexam_submission.json")
}


def submission_writer(name: str, task: str) -> SubmissionWriter:
    if name not in WRITERS:
        raise HarnessError(
            f"task {task}: metadata.submission {name!r} is unknown (known: {', '.join(WRITERS)})"
        )
    return WRITERS[name]
