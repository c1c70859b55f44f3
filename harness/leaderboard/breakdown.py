"""Our runs broken down below a benchmark's columns (`harness leaderboard --by`): PCEB per exam level
(second, third, simulation; from the per-sample scores), CPsyExam per subject (the benchmark
protocol's per-subject counts, as its own code reports them), CPsyCounE per topic and dimension
(for every judge). One table per run (and judge), as Markdown or one long CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data.pceb import PCEB_LEVELS, pceb_level
from harness.errors import HarnessError
from harness.leaderboard.headers import shown_columns
from harness.leaderboard.layout import Benchmark, benchmark
from harness.runs.results import find_runs, read_results_file, read_samples
from harness.runs.results_schema import JudgedTask, ScoredTask, TaskRecord
from harness.scoring.protocols import BenchmarkCredit
from harness.scoring.summary import incomplete_reason
from harness.table_formats import markdown_table
from harness.tasks.index import index_tasks

BREAKDOWNS = {"level": "pceb", "subject": "cpsyexam", "topic": "cpsycoune"}


@dataclass(frozen=True)
class Breakdown:
    """One run's (and judge's) table: a row per level/subject/topic, a cell per column."""

    title: str
    by: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (level, cells)


def breakdowns(
    by: str, results_dir: Path, include_paths: tuple[Path, ...] = (), protocol: str = "benchmark"
) -> list[Breakdown]:
    if by not in BREAKDOWNS:
        raise HarnessError(f"--by {by!r}: use {', '.join(BREAKDOWNS)}")
    layout = benchmark(index_tasks(include_paths), BREAKDOWNS[by]) if by != "topic" else None
    found = []
    for folder in find_runs(results_dir):
        results = read_results_file(folder / "results.json")
        label = str(results.model.get("display_name") or results.model.get("name", folder.name))
        tasks = results.tasks
        partial = [reason for name, task in tasks.items() if (reason := incomplete_reason(name, task))]
        if partial:  # e.g. a --limit run: its breakdown covers part of each task
            label += f" (partial: {'; '.join(partial[:2])}{'; ...' if len(partial) > 2 else ''})"
        if by == "level" and layout is not None:
            found += _levels(layout, folder, tasks, label, protocol)
        elif by == "subject" and layout is not None:
            found += _subjects(layout, tasks, label, protocol)
        else:
            found += _topics(tasks, label, folder)
    return found


def _levels(
    bench: Benchmark, folder: Path, tasks: dict[str, TaskRecord], label: str, protocol: str
) -> list[Breakdown]:
    columns = [
        c for c in bench.columns if c.task in tasks and c.spec is not None and c.spec.scale == "fraction"
    ]
    if not columns:
        return []
    cells: dict[str, list[str]] = {level: [] for level in (*PCEB_LEVELS, "all")}
    for column in columns:
        by_level: dict[str, list[float]] = defaultdict(list)
        for sample in read_samples(folder / "samples" / f"{column.task}.jsonl"):
            use_protocol = protocol == "benchmark" and column.has_protocol
            credit = _credit(sample.benchmark, sample.scores, column.metric, use_protocol)
            if credit is not None:
                by_level[pceb_level(sample.doc_id)].append(credit)
                by_level["all"].append(credit)
        for level, values in cells.items():
            scores = by_level.get(level, [])
            values.append(f"{100 * sum(scores) / len(scores):.2f} ({len(scores)})" if scores else "")
    headers = {c.key: c.flat_header for c in shown_columns(bench)}
    return [
        Breakdown(
            f"{label}: PCEB by exam level ({_protocol_words(protocol)}; items in parentheses)",
            "level",
            tuple(headers[c.key] for c in columns),
            tuple((level, tuple(values)) for level, values in cells.items() if any(values)),
        )
    ]


def _credit(reading: Any, scores: Any, metric: str, use_protocol: bool) -> float | None:
    """A sample's credit: the benchmark protocol's (None when it left the sample unanswered) or the
    strict score."""
    if use_protocol:
        if not reading:
            return None
        credit = BenchmarkCredit.from_json(reading)
        return credit.credit(metric) if credit.answered else None
    if not scores or metric not in scores:
        return None
    return float(scores[metric])


def _subjects(bench: Benchmark, tasks: dict[str, TaskRecord], label: str, protocol: str) -> list[Breakdown]:
    if protocol != "benchmark":
        raise HarnessError(
            "--by subject reads the per-subject counts of CPsyExam's own protocol: use --protocol benchmark"
        )
    counted = [
        (column, task.benchmark.by_subject)
        for column in bench.columns
        if column.metric == "acc"
        and isinstance(task := tasks.get(column.task), ScoredTask)
        and task.benchmark is not None
        and task.benchmark.by_subject
    ]
    if not counted:
        return []
    subjects = sorted({subject for _, counts in counted for subject in counts})
    headers = {c.key: c.flat_header for c in shown_columns(bench)}
    rows = []
    for subject in subjects:
        cells = []
        for _, counts in counted:
            right, answered = counts.get(subject, (0, 0))
            cells.append(f"{100 * right / answered:.2f} ({answered})" if answered else "")
        rows.append((subject, tuple(cells)))
    return [
        Breakdown(
            f"{label}: CPsyExam by subject (its own protocol: right / answered; answered in parentheses)",
            "subject",
            tuple(headers[c.key] for c, _ in counted),
            tuple(rows),
        )
    ]


def _topics(tasks: dict[str, TaskRecord], label: str, folder: Path) -> list[Breakdown]:
    task = tasks.get("cpsycoune")
    if not isinstance(task, JudgedTask):
        return []
    dimensions = task.dimensions
    by_judge = task.value("by_judge") or {task.judge: task.to_summary()}
    found = []
    for judge, summary in by_judge.items():
        topics = summary.get("by_topic") or {}
        rows = [
            (topic, tuple(_number(scores.get(key)) for key in dimensions))
            for topic, scores in sorted(topics.items())
        ]
        rows.append(("all topics", tuple(_number(summary.get(key)) for key in dimensions)))
        found.append(
            Breakdown(
                f"{label}: CPsyCounE by topic, judged by {judge} (turns averaged per dialogue, then per topic)",
                "topic",
                tuple(dimensions),
                tuple(rows),
            )
        )
    return found


def _number(value: Any) -> str:
    return f"{float(value):.3f}" if isinstance(value, (int, float)) else ""


def _protocol_words(protocol: str) -> str:
    return (
        "each benchmark's own protocol: credit over answered items" if protocol == "benchmark" else "strict"
    )


def to_markdown(tables: list[Breakdown]) -> str:
    if not tables:
        return "No run has the tasks this breakdown reads.\n"
    out = []
    for table in tables:
        rows = [(key, *cells) for key, cells in table.rows]
        out += [
            f"## {table.title}",
            "",
            *markdown_table((table.by, *table.columns), rows, "l" * (len(table.columns) + 1)),
        ]
        out.append("")
    return "\n".join(out)


def to_csv(tables: list[Breakdown]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["table", "by", "key", "column", "value"])
    for table in tables:
        for key, cells in table.rows:
            for column, cell in zip(table.columns, cells, strict=True):
                writer.writerow([table.title, table.by, key, column, cell])
    return buffer.getvalue()
