"""Figures 3 and 4 from a sweep's eval steps (matplotlib, PNG and SVG). Figure 3: accuracy on each
PCEB multiple-choice task per variant (the paper: challenging questions chosen by multi-LLM
cross-selection, MLCS, against random selection, RS). Figure 4, as the paper draws it: two panels,
(a) the challenging and (b) the non-challenging items as `harness synth label` split them, each with
every model's standard accuracy per task and, asterisked, its elastic accuracy on the MMCQ tasks.
Values follow PCEB's own protocol (credit over the answered items of the subset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.table_formats import markdown_table
from sweep.report import SUBTASKS, TaskResult

LABELS = {
    task: task.removeprefix("pceb_")
    .replace("_", " ")
    .capitalize()
    .replace("smcq", "SMCQ")
    .replace("mmcq", "MMCQ")
    for task in SUBTASKS
}
# Figure 4's columns: (task, metric, label); an asterisk marks elastic accuracy, as in the paper.
FIGURE4_COLUMNS = tuple(
    column
    for task in SUBTASKS
    for column in (
        [(task, "acc", LABELS[task])]
        + ([(task, "acc_elastic", LABELS[task] + "*")] if task.endswith("mmcq") else [])
    )
)
PANELS = ((True, "(a) Challenging"), (False, "(b) Non-Challenging"))


def read_labels(folder: Path) -> dict[str, dict[str, bool]]:
    """task -> doc id -> challenging, from the labels folder `harness synth label` wrote."""
    labels = {}
    for task in SUBTASKS:
        path = folder / f"{task}.json"
        if path.exists():
            items = json.loads(path.read_text(encoding="utf-8"))["items"]
            labels[task] = {doc: bool(item["challenging"]) for doc, item in items.items()}
    if not labels:
        raise HarnessError(
            f"{folder}: no labels of PCEB tasks; run `harness synth label --tasks pceb_mcq` first"
        )
    return labels


def subset_accuracy(
    result: TaskResult, labels: dict[str, bool], challenging: bool, metric: str
) -> float | None:
    """The protocol's accuracy (acc: standard, acc_elastic: elastic) over one task's answered items
    labelled challenging (or not)."""
    credits = [
        reading.credit(metric)
        for doc, reading in result.readings.items()
        if reading.answered and labels.get(doc) is challenging
    ]
    return 100 * sum(credits) / len(credits) if credits else None


def figure3(runs: dict[str, dict[str, TaskResult]], path: Path) -> str:
    rows = {
        name: [results[t].accuracy if t in results else None for t in SUBTASKS]
        for name, results in runs.items()
    }
    _bars(rows, [LABELS[t] for t in SUBTASKS], "accuracy (%)", path)
    header = ("variant", *(LABELS[t] for t in SUBTASKS))
    cells = [(name, *(_cell(v) for v in values)) for name, values in rows.items()]
    return "\n".join(markdown_table(header, cells, "l" + "r" * len(SUBTASKS))) + "\n"


def figure4(runs: dict[str, dict[str, TaskResult]], labels: dict[str, dict[str, bool]], path: Path) -> str:
    panels = {
        title: {
            name: [
                subset_accuracy(results[task], labels[task], challenging, metric)
                if task in results and task in labels
                else None
                for task, metric, _ in FIGURE4_COLUMNS
            ]
            for name, results in runs.items()
        }
        for challenging, title in PANELS
    }
    _figure(panels, [label for _, _, label in FIGURE4_COLUMNS], "accuracy (%)", path)
    lines = [
        "An asterisk (*) marks elastic accuracy; the rest is standard accuracy (PCEB's protocol, over "
        "the answered items of the subset).",
        "",
        "Items labelled: "
        + "; ".join(
            f"{LABELS[task]} {sum(labels[task].values())} challenging, "
            f"{sum(not flag for flag in labels[task].values())} non-challenging"
            for task in SUBTASKS
            if task in labels
        )
        + ".",
    ]
    for title, rows in panels.items():
        header = ("model", *(label for _, _, label in FIGURE4_COLUMNS))
        cells = [(name, *(_cell(v) for v in values)) for name, values in rows.items()]
        lines += ["", f"{title}:", "", *markdown_table(header, cells, "l" + "r" * len(FIGURE4_COLUMNS))]
    return "\n".join(lines) + "\n"


def _bars(rows: dict[str, list[float | None]], groups: list[str], ylabel: str, path: Path) -> None:
    _figure({"": rows}, groups, ylabel, path)


def _figure(
    panels: dict[str, dict[str, list[float | None]]], groups: list[str], ylabel: str, path: Path
) -> None:
    """One panel of grouped bars per title, stacked, one legend; PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = max((len(rows) for rows in panels.values()), default=1) or 1
    width = min(14.0, max(6.0, 0.35 * len(groups) * variants))
    figure, axes = plt.subplots(len(panels), 1, figsize=(width, 3.6 * len(panels)), squeeze=False)
    for axis, (title, rows) in zip(axes[:, 0], panels.items(), strict=True):
        _draw(axis, rows, groups, ylabel)
        if title:
            axis.set_title(title, loc="left", fontsize=10)
    first = axes[0, 0]
    first.legend(
        frameon=False,
        ncols=min(variants, 4),
        loc="upper left",
        bbox_to_anchor=(0, 1.15 + 0.1 * (len(panels) > 1)),
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path.with_suffix(".png"), dpi=150)
    figure.savefig(path.with_suffix(".svg"))
    plt.close(figure)


def _draw(axis: Any, rows: dict[str, list[float | None]], groups: list[str], ylabel: str) -> None:
    width = 0.8 / max(len(rows), 1)
    for number, (name, values) in enumerate(rows.items()):
        positions = [g + number * width - 0.4 + width / 2 for g in range(len(groups))]
        drawn = [(x, v) for x, v in zip(positions, values, strict=True) if v is not None]
        bars = axis.bar([x for x, _ in drawn], [v for _, v in drawn], width, label=name)
        axis.bar_label(bars, fmt="%.1f", fontsize=6, padding=1)
        for x, value in zip(positions, values, strict=True):
            if value is None:  # not evaluated: marked, never drawn as 0
                axis.text(x, 1, "n/a", ha="center", va="bottom", fontsize=6, rotation=90, color="#777777")
    axis.set_xticks(range(len(groups)), groups, fontsize=8)
    axis.set_ylabel(ylabel)
    axis.set_ylim(0, 100)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
