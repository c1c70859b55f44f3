"""The run folder: <output-dir>/<model>/results.json, samples/<task>.jsonl, cache.sqlite.

results.json (schema_version 1):
  model        the models.yaml entry (API keys never appear: only the names of their variables)
  backend      facts the backend reports (class, parameter count, dtype, device)
  generation   temperature, top_p, max_new_tokens
  tasks        {task: {version, prompt_hash, split, n, n_failed, n_unparsed?, acc?, acc_elastic?,
                rouge1?, rougeL?, bleu4?}}  (accuracies and text metrics in percent)
  groups       {group: {subtasks, n, acc?, acc_elastic?, <metric>_weighting}}
  provenance   harness version, git commit + dirty flag, package versions, python, command
  started_at / finished_at (UTC, ISO 8601)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

SCHEMA_VERSION = 1


def run_dir(output_dir: Path, model_name: str) -> Path:
    return Path(output_dir) / model_name.replace("/", "__")


def read_results(path: Path) -> dict[str, Any]:
    """A results.json, or a HarnessError naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise HarnessError(f"{path}: cannot read results ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise HarnessError(f"{path}: invalid JSON at line {error.lineno} ({error.msg})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise HarnessError(f"{path}: not a psyche-harness results file (schema_version {SCHEMA_VERSION})")
    return data


def write_results(folder: Path, results: dict[str, Any]) -> Path:
    """Write results.json atomically, keeping the tasks and groups of earlier runs of this model."""
    path = folder / "results.json"
    if path.exists():
        try:
            previous = read_results(path)
        except HarnessError:
            previous = {}
        results["tasks"] = {**previous.get("tasks", {}), **results["tasks"]}
        results["groups"] = {**previous.get("groups", {}), **results["groups"]}
    write_text_atomically(path, json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    return path


def write_samples(folder: Path, task: str, samples: Iterable[dict[str, Any]]) -> Path:
    path = folder / "samples" / f"{task}.jsonl"
    text = "".join(json.dumps(sample, ensure_ascii=False) + "\n" for sample in samples)
    write_text_atomically(path, text)
    return path


def read_sample_scores(path: Path, metric: str) -> dict[str, float]:
    """doc_id -> the metric's per-sample score from a samples/<task>.jsonl (unscored and NaN left out)."""
    scores: dict[str, float] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        value = (sample.get("scores") or {}).get(metric)
        if isinstance(value, (int, float)) and value == value:  # NaN: the split withholds the gold
            scores[str(sample["doc_id"])] = float(value)
    return scores


def read_predictions(path: Path) -> list[dict[str, Any]]:
    """JSONL lines {"doc_id": ..., "response": ..., "task"?: ...}; a HarnessError names a bad line."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise HarnessError(f"{path}: cannot read predictions ({error.strerror})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise HarnessError(f"{path}, line {number}: invalid JSON ({error.msg})") from None
        if not isinstance(row, dict) or "doc_id" not in row or not isinstance(row.get("response"), str):
            raise HarnessError(f'{path}, line {number}: expected {{"doc_id": ..., "response": "..."}}')
        rows.append(row)
    if not rows:
        raise HarnessError(f"{path}: no predictions found")
    return rows


def write_text_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
