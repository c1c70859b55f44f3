"""Tables 3 and 4 from a sweep's eval steps, in the paper's layout with the paper's rows beside ours:
Table 3's Case/Moral/Theory (micro accuracy over the category's SMCQ and MMCQ items, Δ% = value /
Base - 1), Table 4's six PCEB accuracies and their mean. Values follow PCEB's own protocol (credit
over answered items); each difference against Base comes with the paired bootstrap interval and
exact McNemar test (harness.stats) over the items both runs scored (strict per-item credit)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.results import read_protocol_credits, read_sample_scores
from harness.stats import compare_paired

CATEGORIES = {
    "case": ("pceb_case_smcq", "pceb_case_mmcq"),
    "moral": ("pceb_moral_smcq", "pceb_moral_mmcq"),
    "theory": ("pceb_theory_smcq", "pceb_theory_mmcq"),
}
SUBTASKS = tuple(task for tasks in CATEGORIES.values() for task in tasks)


@dataclass(frozen=True)
class TaskResult:
    credits: tuple[float, ...]  # the benchmark protocol's credit per answered item
    strict: dict[str, float]  # doc id -> strict per-item accuracy

    @property
    def accuracy(self) -> float | None:
        return 100 * sum(self.credits) / len(self.credits) if self.credits else None


def read_run(run: Path) -> dict[str, TaskResult]:
    """The PCEB multiple-choice tasks of a run folder."""
    found = {}
    for task in SUBTASKS:
        path = run / "samples" / f"{task}.jsonl"
        if path.exists():
            found[task] = TaskResult(
                tuple(read_protocol_credits(path, "acc")), read_sample_scores(path, "acc")
            )
    return found


def micro(values: dict[str, tuple[float, int]], tasks: tuple[str, ...]) -> float | None:
    """Accuracy over several tasks' items together, from (accuracy, items) per task."""
    present = [values[task] for task in tasks if task in values and values[task][1]]
    items = sum(n for _, n in present)
    return sum(accuracy * n for accuracy, n in present) / items if items else None


def delta(value: float | None, base: float | None) -> float | None:
    """Relative change in percent (the paper's Δ)."""
    return None if value is None or not base else 100 * (value / base - 1)


def category_values(results: dict[str, TaskResult]) -> dict[str, float | None]:
    counts = {task: (r.accuracy or 0.0, len(r.credits)) for task, r in results.items()}
    return {category: micro(counts, tasks) for category, tasks in CATEGORIES.items()}


def paired(variant: dict[str, TaskResult], base: dict[str, TaskResult], tasks: tuple[str, ...]) -> str:
    a, b = [], []
    for task in tasks:
        if task in variant and task in base:
            shared = sorted(set(variant[task].strict) & set(base[task].strict))
            a += [100 * variant[task].strict[doc] for doc in shared]
            b += [100 * base[task].strict[doc] for doc in shared]
    if not a:
        return "n/a"
    result = compare_paired(a, b)
    low, high = result.interval
    p_value = "< 0.0001" if result.p_value < 1e-4 else f"{result.p_value:.4f}"
    return f"{result.difference:+.2f} [{low:+.2f}, {high:+.2f}], McNemar p {p_value}, n {result.n}"


def table3(runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]) -> str:
    if base not in runs:
        raise HarnessError(f"report: the base variant {base!r} has no finished eval")
    base_values = category_values(runs[base])
    lines = ["| setting | Case | Δ | Moral | Δ | Theory | Δ |", "|---|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for name, results in runs.items():
        values = category_values(results)
        cells = [name]
        for category in CATEGORIES:
            cells += [
                _number(values[category]),
                "-" if name == base else _percent(delta(values[category], base_values[category])),
            ]
            if name != base:
                notes.append(
                    f"- {name} vs {base}, {category}: {paired(results, runs[base], CATEGORIES[category])}"
                )
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Paper (Table 3):",
        "",
        "| setting | Case | Δ | Moral | Δ | Theory | Δ |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in reference:
        cells = [row["setting"]]
        for category in CATEGORIES:
            cells += [
                row[category],
                f"{float(row[f'{category}_delta']):.2f}%" if row[f"{category}_delta"] else "-",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return _with_notes(lines, notes)


def table4(runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]) -> str:
    header = (
        "| setting | Case SMCQ | Case MMCQ | Moral SMCQ | Moral MMCQ | Theory SMCQ | Theory MMCQ | Avg. |"
    )
    rule = "|---|" + "---:|" * 7
    lines = [header, rule]
    notes = []
    for name, results in runs.items():
        values = [results[task].accuracy if task in results else None for task in SUBTASKS]
        present = [value for value in values if value is not None]
        average = sum(present) / len(present) if len(present) == len(SUBTASKS) else None
        lines.append("| " + " | ".join([name, *(_number(v) for v in values), _number(average)]) + " |")
        if name != base and base in runs:
            notes.append(f"- {name} vs {base}, all six: {paired(results, runs[base], SUBTASKS)}")
    lines += ["", "Paper (Table 4):", "", header, rule]
    keys = [task.removeprefix("pceb_") for task in SUBTASKS]
    lines += [
        "| " + " | ".join([row["setting"], *(row[key] for key in keys), row["avg"]]) + " |"
        for row in reference
    ]
    return _with_notes(lines, notes)


def read_reference(path: Path) -> list[dict[str, str]]:
    text = "".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
        if not line.startswith("#")
    )
    return list(csv.DictReader(io.StringIO(text)))


def render_report(
    kind: str, runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]
) -> str:
    title = {
        "table3": "Table 3: training stages and rationale components",
        "table4": "Table 4: dataset compositions",
    }[kind]
    body = table3(runs, base, reference) if kind == "table3" else table4(runs, base, reference)
    return f"# {title}\n\nOur runs (PCEB's own protocol: credit over answered items):\n\n{body}"


def _with_notes(lines: list[str], notes: list[str]) -> str:
    if notes:
        lines += [
            "",
            "Differences against the base (points, paired bootstrap 95% interval, strict per-item credit):",
            "",
            *notes,
        ]
    return "\n".join(lines) + "\n"


def _number(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}%"
