"""The run folders and the files in them, read and written safely.

Layout: <output-dir>/<model>/cache.sqlite (every response of the model, keyed by content, shared by
its runs), <output-dir>/<model>/<spec-hash>/ (one run: spec.json, results.json, samples/<task>.jsonl,
cpsyexam_submission.json) and <output-dir>/<model>/latest (a link to the run written last).

results.json: see harness/runs/results_schema.py (a pydantic model; JSON Schema in schemas/), checked
when written and when read; files of schema versions 1 and 2 are read by upgrading them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.files import read_text_file, write_text_atomically
from harness.runs.results_schema import GroupResult, ResultsFile, TaskRecord, parse_results, validate_results
from harness.runs.sample import Sample
from harness.scoring.protocols import NO_RESPONSE, BenchmarkCredit

LATEST = "latest"
LOCK_TIMEOUT_S = 600.0


def model_dir(output_dir: Path, model_name: str) -> Path:
    """Where every run of a model lives."""
    return Path(output_dir) / model_name.replace("/", "__")


def run_dir(output_dir: Path, model_name: str, spec_hash: str) -> Path:
    """The folder of one run (one frozen spec)."""
    return model_dir(output_dir, model_name) / spec_hash


def find_runs(results_dir: Path) -> list[Path]:
    """Every run folder under results_dir (results.json present), the `latest` links left out;
    folders of the first layout (<model>/results.json) are found too."""
    root = Path(results_dir)
    found = [
        path.parent
        for pattern in ("*/*/results.json", "*/results.json")
        for path in root.glob(pattern)
        if not path.parent.is_symlink()
    ]
    return sorted(set(found))


def resolve_run(results_dir: Path, name: str) -> Path:
    """A run folder from `model` (its latest run), `model/spec-hash`, or a path to a run folder."""
    for candidate in (Path(name), Path(results_dir) / name):
        if (candidate / "results.json").exists():
            return candidate
        if (candidate / LATEST / "results.json").exists():
            return (candidate / LATEST).resolve()
    raise HarnessError(f"no run {name!r} under {results_dir} (see `harness runs`)")


def point_latest(folder: Path) -> None:
    """Make <model>/latest point at this run folder (replaced atomically)."""
    link = folder.parent / LATEST
    temporary = folder.parent / f".{LATEST}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name, target_is_directory=True)
    os.replace(temporary, link)


def check_writable(folder: Path) -> None:
    """Before any work, without creating anything: the run folder can be made and written, and what
    it already holds is readable. One line naming the path otherwise."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise HarnessError(
            f"output folder {folder}: {existing} is a file, not a folder; choose another --output-dir"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise HarnessError(f"output folder {folder}: {existing} is not writable; choose another --output-dir")
    if folder.is_dir():
        check_existing_files(folder)


def prepare_folder(folder: Path) -> None:
    """Create a run folder, or one line saying why it cannot be (check_writable has looked already;
    this catches what changed since, e.g. a file put in the way)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(
            f"output folder {folder}: cannot write there ({error.strerror or error}); "
            "choose another --output-dir"
        ) from None


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the run folder's lock: concurrent writers to one run merge instead of overwriting."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / ".lock"), timeout=LOCK_TIMEOUT_S)
    try:
        with lock:
            yield
    except Timeout:
        raise HarnessError(
            f"{folder}: another process has held this run's lock for {LOCK_TIMEOUT_S:.0f} s"
        ) from None


def read_results(path: Path) -> dict[str, Any]:
    """A results.json checked against the schema (older versions upgraded), or a HarnessError naming
    the file and what is wrong with it."""
    return validate_results(read_json_file(path, "results"), str(path))


def read_results_file(path: Path) -> ResultsFile:
    """A results.json read into its model (older versions upgraded), or a HarnessError naming the
    file and what is wrong with it."""
    return parse_results(read_json_file(path, "results"), str(path))


def read_json_file(path: Path, what: str) -> Any:
    """JSON from a file the harness wrote, or a HarnessError naming it (missing, damaged, not UTF-8)."""
    try:
        return json.loads(read_text_file(path, what))
    except json.JSONDecodeError as error:
        raise HarnessError(
            f"{path}: invalid JSON at line {error.lineno} ({error.msg}); the file is damaged: "
            "move it away to start this run's file afresh"
        ) from None


def merge_results(
    folder: Path,
    results: ResultsFile,
    groups_of: Callable[[dict[str, TaskRecord]], dict[str, GroupResult]],
) -> ResultsFile:
    """Write results.json under the run's lock, keeping the tasks other processes (or earlier runs
    of the same spec) wrote there; groups are computed over the merged tasks. A damaged existing
    file stops with one line. Returns what was written."""
    path = folder / "results.json"
    with locked(folder):
        tasks = dict(results.tasks)
        if path.exists():
            tasks = {**read_results_file(path).tasks, **tasks}
        merged = results.model_copy(update={"tasks": tasks, "groups": groups_of(tasks)})
        write_text_atomically(path, json.dumps(merged.to_json(), ensure_ascii=False, indent=2) + "\n")
    return merged


def check_existing_files(folder: Path) -> None:
    """Before any work: the run's results.json, submission and cache must be readable."""
    if (folder / "results.json").exists():
        read_results_file(folder / "results.json")
    submission = folder / "cpsyexam_submission.json"
    if submission.exists() and not isinstance(read_json_file(submission, "the submission"), dict):
        raise HarnessError(f"{submission}: expected a JSON object; the file is damaged")


def write_samples(folder: Path, task: str, samples: Iterable[Sample]) -> Path:
    path = folder / "samples" / f"{task}.jsonl"
    text = "".join(json.dumps(sample.to_json(), ensure_ascii=False) + "\n" for sample in samples)
    write_text_atomically(path, text)
    return path


def read_jsonl(path: Path, what: str, valid: Callable[[Any], bool], expected: str) -> list[dict[str, Any]]:
    """The objects of a JSONL file (blank lines skipped); a HarnessError names the file and the first
    line that is not JSON or not `valid` (saying what was `expected`)."""
    return [row for _, row in read_jsonl_lines(path, what, valid, expected)]


def read_jsonl_lines(
    path: Path, what: str, valid: Callable[[Any], bool] = lambda row: True, expected: str = "a JSON object"
) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file: the project's one JSONL reader."""
    rows = []
    for number, line in enumerate(_text_lines(path, what), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise HarnessError(f"{path}, line {number}: invalid JSON ({error.msg})") from None
        if not isinstance(row, dict) or not valid(row):
            raise HarnessError(f"{path}, line {number}: expected {expected}")
        rows.append((number, row))
    return rows


def read_samples(path: Path) -> list[Sample]:
    """The samples of a samples/<task>.jsonl, or a HarnessError naming the line that is damaged."""
    return [
        Sample.from_json(row)
        for row in read_jsonl(path, "samples", lambda row: "doc_id" in row, "a sample with a doc_id")
    ]


def read_sample_scores(path: Path, metric: str) -> dict[str, float]:
    """doc_id -> the metric's per-sample score from a samples/<task>.jsonl (unscored and NaN left out)."""
    scores: dict[str, float] = {}
    for sample in read_samples(path):
        value = (sample.scores or {}).get(metric)
        if isinstance(value, (int, float)) and value == value:  # NaN: the split withholds the gold
            scores[sample.doc_id] = float(value)
    return scores


def read_protocol_credits(path: Path, metric: str) -> list[float]:
    """Per answered sample of a samples/<task>.jsonl, the benchmark protocol's credit: 1/0 for
    acc (its standard credit), the elastic credit for acc_elastic; a sample without a response
    (its request failed) counts 0, as the task's benchmark block counts it."""
    return [reading.credit(metric) for _, reading in read_protocol_readings(path) if reading.answered]


def read_protocol_readings(path: Path) -> list[tuple[str, BenchmarkCredit]]:
    """(doc_id, the benchmark's reading) of every sample of a samples/<task>.jsonl its protocol
    reads, in file order: a sample without a response (its request failed) reads as NO_RESPONSE;
    unanswered readings are kept (`answered` False: the protocol leaves them out)."""
    return [
        (sample.doc_id, BenchmarkCredit.from_json(sample.benchmark) if sample.benchmark else NO_RESPONSE)
        for sample in read_samples(path)
        if sample.benchmark or sample.response is None
    ]


def read_predictions(path: Path) -> list[dict[str, Any]]:
    """JSONL lines {"doc_id": ..., "response": ..., "task"?: ...}; a HarnessError names a bad line."""
    rows = read_jsonl(
        path,
        "predictions",
        lambda row: "doc_id" in row and isinstance(row.get("response"), str),
        '{"doc_id": ..., "response": "..."}',
    )
    if not rows:
        raise HarnessError(f"{path}: no predictions found")
    return rows


def _text_lines(path: Path, what: str) -> list[str]:
    return read_text_file(path, what).splitlines()
