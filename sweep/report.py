"""Tables 3 and 4 from a sweep's eval steps, in the paper's layout with the paper's rows beside ours:
Table 3's Case/Moral/Theory (micro accuracy over the category's SMCQ and MMCQ items, Δ% = value /
Base - 1), Table 4's six PCEB accuracies and their mean. Values follow PCEB's own protocol (credit
over answered items); each difference against Base comes with the paired bootstrap interval and
exact McNemar test (harness.scoring.stats) over the items both runs scored (strict per-item credit)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.reference_tables import read_reference_csv
from harness.runs.results import read_protocol_readings, read_sample_scores
from harness.scoring.protocols import BenchmarkCredit
from harness.scoring.stats import compare_paired_tasks
from harness.table_formats import GroupedTable, SourcedRow, to_csv, to_html, to_latex, to_markdown

if TYPE_CHECKING:
    from sweep.config import SweepFile

logger = logging.getLogger("harness")


def pceb_categories() -> dict[str, tuple[str, ...]]:
    """Table 3's categories as PCEB's own task file lays out its leaderboard (tasks/pceb/pceb.yaml):
    each column group of standard accuracy (case, moral, theory), its multiple-choice tasks in order."""
    from harness.leaderboard.layout import benchmark
    from harness.tasks.index import index_tasks

    found: dict[str, list[str]] = {}
    for column in benchmark(index_tasks(()), "pceb").columns:
        if column.metric == "acc":
            found.setdefault(column.group.lower(), []).append(column.task)
    return {category: tuple(tasks) for category, tasks in found.items()}


CATEGORIES = pceb_categories()
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


NOT_IN_PAPER = "not in the paper"


def beside_the_paper(
    ours: dict[str, tuple[str, ...]], paper: list[tuple[str, str, tuple[str, ...]]]
) -> tuple[SourcedRow, ...]:
    """Our rows (setting -> cells) and the paper's ((setting, group, cells), in its order) merged: each
    paper setting's group holds our row of that name, then the paper's; our settings the paper lacks
    come last, under their own heading."""
    rows: list[SourcedRow] = []
    for setting, group, cells in paper:
        if setting in ours:
            rows.append(SourcedRow("ours", group, ours[setting]))
        rows.append(SourcedRow("paper", group, cells))
    named = {setting for setting, _, _ in paper}
    rows += [
        SourcedRow("ours", NOT_IN_PAPER if paper else "", cells)
        for setting, cells in ours.items()
        if setting not in named
    ]
    return tuple(rows)


def table3(
    runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]
) -> GroupedTable:
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
    return _table(
        "Table 3: training stages and rationale components", header, beside_the_paper(ours, paper), notes
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


def table4(
    runs: dict[str, dict[str, TaskResult]], base: str, reference: list[dict[str, str]]
) -> GroupedTable:
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
    return _table("Table 4: dataset compositions", header, beside_the_paper(ours, paper), notes)


def read_reference(path: Path) -> list[dict[str, str]]:
    return read_reference_csv(path)


def build_table(
    kind: str,
    runs: dict[str, dict[str, TaskResult]],
    base: str,
    reference: list[dict[str, str]],
    pairs: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> GroupedTable:
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
    return replace(table, notes=(*table.notes, *extra))


def _table(
    title: str, header: tuple[str, ...], rows: tuple[SourcedRow, ...], notes: list[str]
) -> GroupedTable:
    return GroupedTable(
        title,
        header,
        rows,
        tuple(notes),
        intro="Ours beside the paper's, under the paper's headings (ours: PCEB's own protocol, credit over answered items):",
        notes_heading="Differences against the base (points, paired bootstrap 95% interval, strict per-item credit):",
    )


def _number(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def write_report(sweep: SweepFile) -> Path:
    """The sweep's report from its finished eval steps: report.md and, for a table, the same table as
    CSV, LaTeX and HTML beside it; variants without a finished eval are left out and named."""
    from sweep.plan import plan_sweep
    from sweep.steps import done_record

    if sweep.report.kind == "none":
        raise HarnessError(f"{sweep.path}: no report kind (report: {{kind: table3 | table4}})")
    plan = plan_sweep(sweep)
    runs = {}
    for name, digest in plan.evals.items():
        record = done_record(sweep.output_path, plan.steps[digest])
        if record is not None:
            runs[name] = read_run(Path(record["outputs"]["run"]))
    unfinished = [name for name in plan.evals if name not in runs]
    partial = (
        f"Partial report: {len(unfinished)} of {len(plan.evals)} variants have no finished eval yet and "
        f"are left out ({', '.join(unfinished)}); `harness sweep report` again once they finish."
        if unfinished
        else ""
    )
    if partial:
        logger.warning(partial)
    path = sweep.output_path / "report.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if sweep.report.kind in ("figure3", "figure4"):
        from sweep.figures import figure3, figure4, read_labels

        figure = sweep.output_path / sweep.report.kind
        if sweep.report.kind == "figure3":
            body = figure3(runs, figure)
        else:
            if not sweep.report.labels:
                raise HarnessError(
                    f"{sweep.path}: report.labels: name the folder `harness synth label` wrote"
                )
            body = figure4(runs, read_labels(sweep.resolve(sweep.report.labels)), figure)
        top = f"{partial}\n\n" if partial else ""
        write_text_atomically(
            path, f"# {sweep.report.kind}\n\n{top}![{sweep.report.kind}]({figure.name}.png)\n\n{body}"
        )
        return path
    reference_file = sweep.report.reference or f"{sweep.report.kind}_paper.csv"
    reference_path = sweep.resolve(reference_file)
    if not reference_path.exists():
        from sweep.configs import SHIPPED

        reference_path = SHIPPED / reference_file
    reference = read_reference(reference_path)
    table = build_table(sweep.report.kind, runs, sweep.report.base, reference, list(sweep.report.pairs))
    if partial:
        table = replace(table, notes=(partial, *table.notes))
    for suffix, render in ((".csv", to_csv), (".tex", to_latex), (".html", to_html)):
        write_text_atomically(path.with_name(sweep.report.kind + suffix), render(table))
    write_text_atomically(path, to_markdown(table))
    return path
