"""Leaderboard rows: the paper's (reference CSVs) and ours (run folders), with computed averages,
bootstrap intervals and ranks."""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.leaderboard.columns import CPSYEXAM_TEST_SIZES, Benchmark
from harness.leaderboard.stats import bootstrap_interval
from harness.models import REPO_ROOT
from harness.results import read_results, read_sample_scores

REFERENCE_DIR = REPO_ROOT / "leaderboards" / "reference"
CATEGORY_ORDER = ("general", "reasoning", "closed-source", "psychological", "embedded", "candidate")
log = logging.getLogger("harness")


@dataclass
class Row:
    label: str
    source: str
    category: str
    params_b: float | None
    split: str
    values: dict[str, float | None]
    sizes: dict[str, int] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    is_reference: bool = False


def reference_rows(bench: Benchmark, reference_dir: Path = REFERENCE_DIR) -> list[Row]:
    """The paper's rows, with averages recomputed and disagreements with the printed ones noted."""
    path = reference_dir / bench.reference_file
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    except OSError as error:
        raise HarnessError(f"{path}: cannot read the reference table ({error.strerror})") from None
    rows = []
    for record in csv.DictReader(lines):
        values = {c.key: _number(record.get(c.key)) for c in bench.columns}
        sizes = dict(CPSYEXAM_TEST_SIZES) if bench.name == "cpsyexam" else {}
        row = Row(
            label=record["model"],
            source=f"paper ({record['source']})",
            category=record["category"],
            params_b=_params(record["param"]),
            split="test",
            values=values,
            sizes=sizes,
            is_reference=True,
        )
        compute_averages(bench, row)
        for average in bench.averages:
            printed = _number(record.get(average.printed))
            computed = row.values[average.key]
            if printed is not None and computed is not None and abs(printed - computed) > average.tolerance:
                row.notes.append(
                    f"{average.header}: the paper prints {printed:.2f}; its columns give {computed:.2f}"
                )
        rows.append(row)
    return rows


def run_rows(bench: Benchmark, results_dir: Path) -> list[Row]:
    """Our runs under results_dir that touch this benchmark; unreadable or partial runs give notes."""
    rows = []
    for path in sorted(Path(results_dir).glob("*/results.json")):
        try:
            results = read_results(path)
        except HarnessError as error:
            log.warning(f"skipping {error}")
            continue
        tasks = results.get("tasks", {})
        needed = {c.task for c in bench.columns}
        if not needed & set(tasks):
            continue
        rows.append(_run_row(bench, path.parent, results))
    return rows


def _run_row(bench: Benchmark, folder: Path, results: dict[str, Any]) -> Row:
    model = results.get("model", {})
    tasks = results.get("tasks", {})
    values: dict[str, float | None] = {}
    sizes: dict[str, int] = {}
    notes: list[str] = []
    splits = set()
    limits = set()
    for column in bench.columns:
        task = tasks.get(column.task)
        value = task.get(column.metric) if isinstance(task, dict) else None
        values[column.key] = float(value) if isinstance(value, (int, float)) else None
        if isinstance(task, dict):
            sizes[column.key] = int(task.get("n", 0)) - int(task.get("n_failed", 0))
            splits.add(task.get("split", "test"))
            if task.get("limit"):
                limits.add(task["limit"])
    missing = sorted({c.task for c in bench.columns if values[c.key] is None})
    if missing:
        notes.append("missing: " + ", ".join(missing))
    split = "/".join(sorted(splits)) or "test"
    date = str(results.get("finished_at", ""))[:10]
    source = f"ours, {date}" + (f", {split} split" if bench.split_matters else "")
    if limits:
        source += f", first {min(limits)} items per task"
    row = Row(
        label=model.get("display_name") or model.get("name", folder.name),
        source=source,
        category=model.get("category", "candidate"),
        params_b=model.get("params_b"),
        split=split,
        values=values,
        sizes=sizes,
        notes=notes,
    )
    row.intervals = _intervals(bench, folder) | _judged_intervals(bench, tasks)
    compute_averages(bench, row)
    return row


def _intervals(bench: Benchmark, folder: Path) -> dict[str, tuple[float, float]]:
    """95% bootstrap intervals of each accuracy column, from the run's per-sample scores."""
    intervals = {}
    for column in bench.columns:
        if not column.metric.startswith("acc"):
            continue
        path = folder / "samples" / f"{column.task}.jsonl"
        if not path.exists():
            continue
        scores = [100.0 * value for value in read_sample_scores(path, column.metric).values()]
        if scores:
            intervals[column.key] = bootstrap_interval(scores)
    return intervals


def _judged_intervals(bench: Benchmark, tasks: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Judge-scored columns carry their interval in results.json (bootstrapped over samples or dialogues)."""
    intervals = {}
    for column in bench.columns:
        task = tasks.get(column.task)
        interval = task.get(f"{column.metric}_ci95") if isinstance(task, dict) else None
        if isinstance(interval, list) and len(interval) == 2:
            intervals[column.key] = (float(interval[0]), float(interval[1]))
    return intervals


def compute_averages(bench: Benchmark, row: Row) -> None:
    """Fill the row's averages from its columns (None when a part is missing)."""
    for average in bench.averages:
        parts = [row.values.get(key) for key in average.parts]
        if any(value is None for value in parts):
            row.values[average.key] = None
            continue
        numbers = [float(value) for value in parts if value is not None]
        if average.weighted:
            weights = [row.sizes.get(key, 0) for key in average.parts]
            total = sum(weights)
            row.values[average.key] = (
                sum(v * w for v, w in zip(numbers, weights, strict=True)) / total if total else None
            )
        else:
            row.values[average.key] = sum(numbers) / len(numbers)


def ranks(bench: Benchmark, rows: list[Row]) -> dict[tuple[int, str], int]:
    """Places 1-3 of each column, among rows on the same split (dev runs never rank against test);
    a row alone on its split gets no places."""
    places: dict[tuple[int, str], int] = {}
    keys = [c.key for c in bench.columns] + [a.key for a in bench.averages]
    for split in {row.split for row in rows}:
        members = [i for i, row in enumerate(rows) if row.split == split]
        if len(members) < 2:
            continue
        for key in keys:
            scored = [(float(value), i) for i in members if (value := rows[i].values.get(key)) is not None]
            distinct = sorted({value for value, _ in scored}, reverse=True)[:3]
            for value, index in scored:
                if value in distinct:
                    places[(index, key)] = distinct.index(value) + 1
    return places


def sort_rows(rows: list[Row]) -> list[Row]:
    """Paper rows in the paper's order, then ours by category."""
    paper = [row for row in rows if row.is_reference]
    ours = sorted(
        (row for row in rows if not row.is_reference), key=lambda r: (_category_rank(r.category), r.label)
    )
    return paper + ours


def _category_rank(category: str) -> int:
    return CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)


def _number(text: str | None) -> float | None:
    if text is None or not str(text).strip():
        return None
    return float(text)


def _params(text: str) -> float | None:
    match = re.fullmatch(r"([\d.]+)\s*B", text.strip())
    return float(match.group(1)) if match else None
