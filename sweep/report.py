"""Tables 3 and 4 from a sweep's eval steps, in the paper's layout with the paper's rows beside ours:
Table 3's Case/Moral/Theory (micro accuracy over the category's SMCQ and MMCQ items, Δ% = value /
Base - 1), Table 4's six PCEB accuracies and their mean. Values follow PCEB's own protocol (credit
over answered items); each difference against Base comes with the paired bootstrap interval and
exact McNemar test (harness.scoring.stats) over the items both runs scored (strict per-item credit)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.reference_tables import read_reference_csv
from harness.runs.results import read_protocol_readings, read_sample_scores
from harness.scoring.protocols import BenchmarkCredit
from harness.scoring.stats import compare_paired_tasks

CATEGORIES = {
    "case": ("pceb_case_smcq", "pceb_case_mmcq"),
    "moral": ("pceb_moral_smcq", "pceb_moral_mmcq"),
    "theory": ("pceb_theory_smcq", "pceb_theory_mmcq"),
}
SUBTASKS = tuple(task for tasks in CATEGORIES.values() for task in tasks)
# PCEB's items per task (all of its files): Table 3's categories are micro over them.
PCEB_ITEMS = {
    "pceb_case_smcq": 748, "pceb_case_mmcq": 878, "pceb_moral_smcq": 152,
    "pceb_moral_mmcq": 158, "pceb_theory_smcq": 1143, "pceb_theory_mmcq": 784,
}  # fmt: skip


@dataclass(frozen=True)
class TaskResult:
    credits: tuple[float, ...]  # the benchmark protocol's credit per answered item
    strict: dict[str, float]  # doc id -> strict per-item accuracy
    # doc id -> the benchmark protocol's reading (standard and elastic credit, answered or not)
    readings: Mapping[str, BenchmarkCredit] = field(default_factory=dict)

    @property
    def accuracy(self) -> float | None:
        return 100 * sum(self.credits) / len(self.credits) if self.credits else None


def read_run(run: Path) -> dict[str, TaskResult]:
    """The PCEB multiple-choice tasks of a run folder."""
    found = {}
    for task in SUBTASKS:
        path = run / "samples" / f"{task}.jsonl"
        if path.exists():
            readings = read_protocol_readings(path)
            found[task] = TaskResult(
                tuple(reading.credit("acc") for _, reading in readings if reading.answered),
                read_sample_scores(path, "acc"),
                dict(readings),
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


def paired(
    variant: dict[str, TaskResult], base: dict[str, TaskResult], tasks: tuple[str, ...], macro: bool = False
) -> str:
    """The paired difference of two variants over the items both scored, as the column it stands
    beside aggregates them: micro (items of the tasks pooled, Table 3's categories) or macro (the
    mean of the task accuracies, Table 4's Avg.); the interval resamples each task's items on its
    own; McNemar's exact test pools the items."""
    pairs = []
    for task in tasks:
        if task in variant and task in base:
            shared = sorted(set(variant[task].strict) & set(base[task].strict))
            if shared:
                pairs.append(
                    (
                        [100 * variant[task].strict[d] for d in shared],
                        [100 * base[task].strict[d] for d in shared],
                    )
                )
    if not pairs:
        return "n/a"
    weights = [1.0] * len(pairs) if macro else [float(len(a)) for a, _ in pairs]
    result = compare_paired_tasks(pairs, weights)
    low, high = result.interval
    p_value = "< 0.0001" if result.p_value < 1e-4 else f"{result.p_value:.4f}"
    return f"{result.difference:+.2f} [{low:+.2f}, {high:+.2f}], McNemar p {p_value}, n {result.n}"


@dataclass(frozen=True)
class Row:
    source: str  # "ours" or "paper"
    group: str  # the paper's group heading ("" for none): "Ablation study on training stage", ...
    cells: tuple[str, ...]  # setting, then the values


@dataclass(frozen=True)
class Table:
    """A sweep table: each of the paper's settings with our row beside the paper's, under the paper's
    group headings (our variants the paper has not, after them), one header, and the paired
    comparisons against the base as notes."""

    title: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...]

    def groups(self) -> list[tuple[str, list[Row]]]:
        """The rows under their headings, in order ("" for rows before any heading)."""
        grouped: list[tuple[str, list[Row]]] = []
        for row in self.rows:
            if not grouped or grouped[-1][0] != row.group:
                grouped.append((row.group, []))
            grouped[-1][1].append(row)
        return grouped


NOT_IN_PAPER = "not in the paper"


def beside_the_paper(
    ours: dict[str, tuple[str, ...]], paper: list[tuple[str, str, tuple[str, ...]]]
) -> tuple[Row, ...]:
    """Our rows (setting -> cells) and the paper's ((setting, group, cells), in its order) merged: each
    paper setting's group holds our row of that name, then the paper's; our settings the paper lacks
    come last, under their own heading."""
    rows: list[Row] = []
    for setting, group, cells in paper:
        if setting in ours:
            rows.append(Row("ours", group, ours[setting]))
        rows.append(Row("paper", group, cells))
    named = {setting for setting, _, _ in paper}
    rows += [
        Row("ours", NOT_IN_PAPER if paper else "", cells)
        for setting, cells in ours.items()
        if setting not in named
    ]
    return tuple(rows)


def table3(runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]) -> Table:
    if base not in runs:
        raise HarnessError(f"report: the base variant {base!r} has no finished eval")
    base_values = category_values(runs[base])
    ours: dict[str, tuple[str, ...]] = {}
    notes = []
    for name, results in runs.items():
        values = category_values(results)
        cells = [name]
        for category in CATEGORIES:
            change = "-" if name == base else _percent(delta(values[category], base_values[category]))
            cells += [_number(values[category]), change]
            if name != base:
                notes.append(
                    f"{name} vs {base}, {category}: {paired(results, runs[base], CATEGORIES[category])}"
                )
        ours[name] = tuple(cells)
    paper = []
    for row in reference:
        cells = [row["setting"]]
        for category in CATEGORIES:
            printed = row[f"{category}_delta"]
            cells += [row[category], f"{float(printed):.2f}%" if printed else "-"]
        paper.append((row["setting"], row.get("group") or "", tuple(cells)))
    header = ("setting", "Case", "Δ", "Moral", "Δ", "Theory", "Δ")
    notes += paper_inconsistencies(reference)
    return Table(
        "Table 3: training stages and rationale components",
        header,
        beside_the_paper(ours, paper),
        tuple(notes),
    )


def paper_inconsistencies(reference: list[dict[str, str]]) -> list[str]:
    """Where the paper's Table 3 +SFT+GRPO row (Psyche-R1) is not its own Table 1 row of Psyche-R1,
    read as Table 3 reads it (micro over the category's SMCQ and MMCQ items), flagged as Tables 1
    and 2 flag their printed averages."""
    from harness.resources import builtin_tasks_dir

    full = next((row for row in reference if row["setting"] == "+SFT+GRPO"), None)
    table1 = builtin_tasks_dir() / "pceb" / "pceb_table1.csv"
    psyche = next((row for row in read_reference(table1) if row["model"] == "Psyche-R1"), None)
    if full is None or psyche is None:
        return []
    flags = []
    for category, tasks in CATEGORIES.items():
        printed = float(full[category])
        values = {task: (float(psyche[task.removeprefix("pceb_")]), PCEB_ITEMS[task]) for task in tasks}
        own = micro(values, tasks)
        # both sides are printed to two decimals: each may be off by 0.005
        if own is not None and abs(own - printed) > 0.01 + 1e-9:
            flags.append(
                f"paper inconsistency: Table 3's +SFT+GRPO {category} ({printed:.2f}) is not Psyche-R1's own "
                f"Table 1 {category} value ({own:.2f}, micro over its SMCQ and MMCQ columns)"
            )
    return flags


TABLE4_COLUMNS = {
    task: task.removeprefix("pceb_").replace("_", " ").title().replace("Smcq", "SMCQ").replace("Mmcq", "MMCQ")
    for task in SUBTASKS
}


def table4(runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]) -> Table:
    ours: dict[str, tuple[str, ...]] = {}
    notes = []
    for name, results in runs.items():
        values = [results[task].accuracy if task in results else None for task in SUBTASKS]
        present = [value for value in values if value is not None]
        average = sum(present) / len(present) if len(present) == len(SUBTASKS) else None
        ours[name] = (name, *(_number(v) for v in values), _number(average))
        if name != base and base in runs:
            # the Avg. column is the mean of the six task accuracies: its difference is that mean's
            notes.append(f"{name} vs {base}, Avg.: {paired(results, runs[base], SUBTASKS, macro=True)}")
            notes += [
                f"{name} vs {base}, {TABLE4_COLUMNS[task]}: {paired(results, runs[base], (task,))}"
                for task in SUBTASKS
            ]
    keys = [task.removeprefix("pceb_") for task in SUBTASKS]
    paper = [
        (row["setting"], row.get("group") or "", (row["setting"], *(row[key] for key in keys), row["avg"]))
        for row in reference
    ]
    header = ("setting", *(TABLE4_COLUMNS[task] for task in SUBTASKS), "Avg.")
    return Table("Table 4: dataset compositions", header, beside_the_paper(ours, paper), tuple(notes))


def to_markdown(table: Table) -> str:
    width = len(table.header) + 1
    lines = [
        f"# {table.title}",
        "",
        "Ours beside the paper's, under the paper's headings (ours: PCEB's own protocol, credit over answered items):",
        "",
        "| " + " | ".join((table.header[0], "source", *table.header[1:])) + " |",
        "|---|---|" + "---:|" * (width - 2),
    ]
    for group, rows in table.groups():
        if group:
            lines.append(f"| **{group}** |" + " |" * (width - 1))
        lines += ["| " + " | ".join((row.cells[0], row.source, *row.cells[1:])) + " |" for row in rows]
    if table.notes:
        lines += [
            "",
            "Differences against the base (points, paired bootstrap 95% interval, strict per-item credit):",
            "",
        ]
        lines += [f"- {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["source", "group", *table.header])
    writer.writerows([row.source, row.group, *row.cells] for row in table.rows)
    return buffer.getvalue()


def to_latex(table: Table) -> str:
    """A booktabs table: the paper's group headings, ours beside the paper's in each (the paper's in
    grey italics; needs \\usepackage{booktabs})."""

    def tex(cell: str) -> str:
        return cell.replace("%", "\\%").replace("&", "\\&").replace("Δ", "$\\Delta$").replace("_", "\\_")

    width = len(table.header) + 1
    columns = "ll" + "r" * (width - 2)
    lines = ["\\begin{table}[t]", "\\centering", "\\small", f"\\begin{{tabular}}{{{columns}}}", "\\toprule"]
    lines.append(" & ".join(tex(cell) for cell in (table.header[0], "", *table.header[1:])) + " \\\\")
    for group, rows in table.groups():
        lines.append("\\midrule")
        if group:
            lines.append(f"\\multicolumn{{{width}}}{{l}}{{\\textbf{{{tex(group)}}}}} \\\\")
        for row in rows:
            cells = [row.cells[0], row.source, *row.cells[1:]]
            if row.source == "paper":
                cells = [f"\\textit{{{tex(cell)}}}" if cell else "" for cell in cells]
            else:
                cells = [tex(cell) for cell in cells]
            lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", f"\\caption{{{tex(table.title)}}}", "\\end{table}"]
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    from html import escape

    width = len(table.header) + 1
    head = "".join(f"<th>{escape(cell)}</th>" for cell in (table.header[0], "source", *table.header[1:]))
    body = ""
    for group, rows in table.groups():
        if group:
            body += f'<tr class="group"><th colspan="{width}">{escape(group)}</th></tr>'
        body += "".join(
            f'<tr class="{row.source}">'
            + "".join(f"<td>{escape(cell)}</td>" for cell in (row.cells[0], row.source, *row.cells[1:]))
            + "</tr>"
            for row in rows
        )
    notes = "".join(f"<li>{escape(note)}</li>" for note in table.notes)
    return (
        f"<!doctype html><meta charset=utf-8><title>{escape(table.title)}</title>"
        "<style>td,th{padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
        "tr.paper{color:#666}tr.group th{text-align:left;font-style:italic}</style>"
        f"<h1>{escape(table.title)}</h1><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<p>Grey rows: the paper's. Differences against the base:</p><ul>{notes}</ul>\n"
    )


def read_reference(path: Path) -> list[dict[str, str]]:
    return read_reference_csv(path)


def build_table(
    kind: str,
    runs: dict[str, dict[str, TaskResult]],
    base: str,
    reference: list[dict[str, str]],
    pairs: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> Table:
    """The table, with the paired comparison of every variant against the base and of each of
    `pairs` (two variants) besides."""
    table = table3(runs, base, reference) if kind == "table3" else table4(runs, base, reference)
    groups = CATEGORIES if kind == "table3" else {"Avg.": SUBTASKS}
    extra = [
        f"{a} vs {b}, {group}: {paired(runs[a], runs[b], tasks, macro=kind == 'table4')}"
        for a, b in pairs
        if a in runs and b in runs
        for group, tasks in groups.items()
    ]
    return Table(table.title, table.header, table.rows, (*table.notes, *extra))


def _number(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"
