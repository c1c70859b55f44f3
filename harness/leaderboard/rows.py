"""Leaderboard rows: the paper's (reference CSVs) and ours (run folders), with computed averages,
bootstrap intervals and ranks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from harness.errors import HarnessError
from harness.leaderboard.layout import Benchmark
from harness.reference_tables import read_reference_csv
from harness.runs.listing import stale_scoring
from harness.runs.results import find_runs, read_protocol_credits, read_results_file, read_sample_scores
from harness.runs.results_schema import BenchmarkBlock, JudgedTask, ResultsFile, ScoredTask, TaskRecord
from harness.scoring.stats import bootstrap_interval, stratified_bootstrap_interval
from harness.scoring.summary import incomplete_reason, mean_of, task_value

CATEGORY_ORDER = ("general", "reasoning", "closed-source", "psychological", "embedded", "candidate")
PRINTED_HALF_WIDTH = Fraction(1, 200)  # a value printed with two decimals stands for +-0.005


@dataclass
class Row:
    """One leaderboard row. Values are exact (fractions of percent points), rounded half up only
    when shown; `ranked` rows (the paper's, and our complete runs) compete for places."""

    label: str
    source: str
    category: str
    params_b: float | None
    split: str
    values: dict[str, Fraction | None]
    sizes: dict[str, int] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    is_reference: bool = False
    ranked: bool = True
    protocol: str = "benchmark"  # how its numbers were scored: the benchmark's own way, or strict


def shown(value: Fraction | float | None, digits: int = 2) -> str:
    """A value rounded half up to `digits` decimals ("" for None): 74.365 -> "74.37"."""
    if value is None:
        return ""
    exact = Fraction(value)
    decimal = Decimal(exact.numerator) / Decimal(exact.denominator)
    return str(decimal.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def reference_rows(bench: Benchmark) -> list[Row]:
    """The paper's rows, averages recomputed exactly from the printed columns. A printed average is
    kept when it is consistent with its columns (each printed value stands for +-0.005); otherwise
    the computed one is shown and the printed one noted."""
    path = bench.reference_file
    if path is None:
        return []
    rows = []
    for record in read_reference_csv(path):
        values = {c.key: _number(record.get(c.key)) for c in bench.columns}
        row = Row(
            label=record["model"],
            source=f"paper, {record['source'].split(',')[0].strip()}",  # "paper, Table 1"
            category=record["category"],
            params_b=_params(record["param"]),
            split="test",
            values=values,
            sizes=dict(bench.reference_sizes),
            is_reference=True,
        )
        compute_averages(bench, row)
        for average in bench.averages:
            printed = _number(record.get(average.printed)) if average.printed else None
            computed = row.values[average.key]
            if printed is None or computed is None:
                continue
            if printed_is_consistent(printed, computed):
                row.values[average.key] = printed
            else:
                row.notes.append(
                    f"{average.header}: the paper prints {shown(printed)}; its columns give {shown(computed)}"
                )
        rows.append(row)
    return rows


def printed_is_consistent(printed: Fraction, computed: Fraction) -> bool:
    """Whether a printed average can be the rounded average of the printed columns. Each printed
    value stands for +-0.005; an average (weights summing to one) of columns each within +-0.005 lies
    within +-0.005 of the average of the printed columns, `computed`. The two intervals meet when
    the values stand at most 0.01 apart."""
    return abs(printed - computed) <= 2 * PRINTED_HALF_WIDTH


PROTOCOLS = ("benchmark", "strict")


def run_rows(bench: Benchmark, results_dir: Path, protocol: str = "benchmark") -> list[Row]:
    """Our runs under results_dir that touch this benchmark, scored by `protocol`: the benchmark's
    own (as the paper's rows were made; where a task has one) or strict. A damaged results file
    stops with one line naming it (a silently dropped run would be a number lost)."""
    if protocol not in PROTOCOLS:
        raise HarnessError(f"--protocol {protocol!r}: use {' or '.join(PROTOCOLS)}")
    rows = []
    for folder in find_runs(results_dir):
        results = read_results_file(folder / "results.json")
        needed = {c.task for c in bench.columns}
        if not needed & set(results.tasks):
            continue
        rows.append(run_row(bench, folder, results, protocol))
    return rows


def run_row(bench: Benchmark, folder: Path, results: ResultsFile, protocol: str = "benchmark") -> Row:
    """One run folder's row of a benchmark's table."""
    model = results.model
    tasks = results.tasks
    values: dict[str, Fraction | None] = {}
    sizes: dict[str, int] = {}
    notes: list[str] = []
    splits = set()
    limits = set()
    unscored: set[str] = set()  # tasks without the benchmark protocol's block (older runs)
    for column in bench.columns:
        task = tasks.get(column.task)
        factor = column.spec.factor if column.spec else 1
        scored: TaskRecord | BenchmarkBlock | None = task
        if protocol == "benchmark" and column.has_protocol and task is not None:
            scored = task.benchmark if isinstance(task, ScoredTask) else None
            if scored is None:
                unscored.add(column.task)
        values[column.key] = task_value(scored, column.metric, factor) if scored is not None else None
        if task is not None:
            # What the column's value is a mean over, so averages weigh it as the group does:
            # answered items under the benchmark protocol, every item under the strict one.
            sizes[column.key] = scored.n_answered if isinstance(scored, BenchmarkBlock) else task.n
            splits.add(task.split or "test")
            if task.limit:
                limits.add(task.limit)
    present = sorted({c.task for c in bench.columns if c.task in tasks})
    # Scored tasks with no number at all: their split withholds the gold answers (CPsyExam test
    # without --answer-key): nothing to show or rank, never 0.00.
    withheld = {
        name
        for name in present
        if tasks[name].n_scored and all(values[c.key] is None for c in bench.columns if c.task == name)
    } - unscored
    if withheld:
        notes.append(
            f"no gold answers for {', '.join(sorted(withheld))} (test split without --answer-key): no accuracy, not ranked"
        )
    missing = sorted({c.task for c in bench.columns if values[c.key] is None} - unscored - withheld)
    without_samples = [name for name in present if not (folder / "samples" / f"{name}.jsonl").exists()]
    if without_samples:
        notes.append(
            f"no samples for {', '.join(without_samples)}: no intervals, nothing to re-score or compare"
        )
    if unscored:
        notes.append(
            f"no benchmark-protocol numbers for {', '.join(sorted(unscored))}: "
            f"re-score with `harness score --run {folder}`"
        )
    if missing:
        notes.append("missing: " + ", ".join(missing))
    partial = [reason for name in present if (reason := incomplete_reason(name, tasks[name]))]
    stale = sorted({version for name in present if (version := stale_scoring(tasks[name]))})
    if partial:
        notes.append("partial, not ranked: " + "; ".join(partial))
    if stale:
        notes.append(
            f"scored under {'; '.join(stale)}, not ranked: re-score with `harness score --run {folder}`"
        )
    split = "/".join(sorted(splits)) or "test"
    date = (results.finished_at or "")[:10]
    source = f"ours, {date}" + (f", {split} split" if bench.split_matters else "")
    if limits:
        source += f", first {min(limits)} items per task"
    subsets = {task.subset["name"] for task in tasks.values() if task.subset}
    if subsets:
        source += f", {'/'.join(sorted(subsets))} items only"
        notes.append("a labelled subset of the items: shown, not ranked against whole-benchmark rows")
    if protocol == "strict":
        source += ", strict protocol"
    row = Row(
        label=model.get("display_name") or model.get("name", folder.name),
        source=source,
        category=model.get("category", "candidate"),
        params_b=model.get("params_b"),
        split=split,
        values=values,
        sizes=sizes,
        notes=notes,
        ranked=not partial and not stale and not unscored and not subsets and not withheld,
        protocol=protocol,
    )
    row.intervals = _intervals(bench, folder, protocol, tasks) | _judged_intervals(bench, tasks)
    compute_averages(bench, row)
    return row


def _intervals(
    bench: Benchmark, folder: Path, protocol: str, tasks: dict[str, TaskRecord]
) -> dict[str, tuple[float, float]]:
    """95% bootstrap intervals of each column whose metric declares one, from the run's per-sample
    scores (in the column's unit; under the benchmark protocol, its credit over answered items),
    and of each average whose parts all have them (each task resampled on its own)."""
    scores = _column_scores(bench, folder, protocol, tasks)
    intervals = {key: bootstrap_interval(values) for key, values in scores.items()}
    for average in bench.averages:
        if all(part in scores for part in average.parts):
            groups = [scores[part] for part in average.parts]
            weights = [len(group) if average.weighted else 1 for group in groups]
            intervals[average.key] = stratified_bootstrap_interval(groups, weights)
    return intervals


def _column_scores(
    bench: Benchmark, folder: Path, protocol: str, tasks: dict[str, TaskRecord]
) -> dict[str, list[float]]:
    """Per column with a bootstrap interval, the run's per-sample scores in the column's unit; a
    sample without a response counts 0, as in the task's value (an interval holds its value)."""
    found = {}
    for column in bench.columns:
        if column.spec is None or column.spec.interval != "bootstrap":
            continue
        path = folder / "samples" / f"{column.task}.jsonl"
        if not path.exists():
            continue
        factor = column.spec.factor
        if protocol == "benchmark" and column.has_protocol:
            credits = read_protocol_credits(path, column.metric)
        else:
            credits = list(read_sample_scores(path, column.metric).values())
        scores = [factor * value for value in credits]
        recorded = tasks.get(column.task)
        if not (protocol == "benchmark" and column.has_protocol):
            # strict: a sample without a score (its request failed) counts 0, as in the value;
            # the benchmark protocol's credits already count it
            scores += [0.0] * max(0, (recorded.n if recorded else 0) - len(scores))
        if scores:
            found[column.key] = scores
    return found


def _judged_intervals(bench: Benchmark, tasks: dict[str, TaskRecord]) -> dict[str, tuple[float, float]]:
    """Judge-scored columns carry their interval in results.json (bootstrapped over samples or dialogues)."""
    intervals = {}
    for column in bench.columns:
        task = tasks.get(column.task)
        interval = task.value(f"{column.metric}_ci95") if isinstance(task, JudgedTask) else None
        if isinstance(interval, list) and len(interval) == 2:
            intervals[column.key] = (float(interval[0]), float(interval[1]))
    return intervals


def compute_averages(bench: Benchmark, row: Row) -> None:
    """Fill the row's averages exactly from its columns (None when a part is missing)."""
    for average in bench.averages:
        parts = [(row.values.get(key), row.sizes.get(key, 0)) for key in average.parts]
        row.values[average.key] = mean_of(parts, average.weighted)


def ranks(bench: Benchmark, rows: list[Row]) -> dict[tuple[int, str], int]:
    """Places 1-3 of each column among ranked rows on the same split and protocol: dev runs never
    rank against test rows, strict numbers never against the paper's, partial runs never at all; a
    row alone on its split gets no places."""
    places: dict[tuple[int, str], int] = {}
    keys = [c.key for c in bench.columns] + [a.key for a in bench.averages]
    for split, protocol in {(row.split, row.protocol) for row in rows}:
        members = [
            i for i, row in enumerate(rows) if row.split == split and row.protocol == protocol and row.ranked
        ]
        if len(members) < 2:
            continue
        for key in keys:
            scored = [(value, i) for i in members if (value := rows[i].values.get(key)) is not None]
            distinct = sorted({value for value, _ in scored}, reverse=True)[:3]
            for value, index in scored:
                if value in distinct:
                    places[(index, key)] = distinct.index(value) + 1
    return places


def sort_rows(rows: list[Row]) -> list[Row]:
    """By category in the paper's order of categories, then ours: within each, the paper's rows in
    the paper's order, then our runs by name."""
    order = {id(row): index for index, row in enumerate(rows)}
    return sorted(
        rows,
        key=lambda r: (
            _category_rank(r.category),
            not r.is_reference,
            order[id(r)] if r.is_reference else 0,
            r.label,
        ),
    )


def _category_rank(category: str) -> int:
    return CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)


def _number(text: str | None) -> Fraction | None:
    """A printed decimal, exactly."""
    if text is None or not str(text).strip():
        return None
    return Fraction(Decimal(str(text).strip()))


def _params(text: str) -> float | None:
    match = re.fullmatch(r"([\d.]+)\s*B", text.strip())
    return float(match.group(1)) if match else None
