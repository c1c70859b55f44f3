"""Figures 3 and 4 from a sweep's eval steps (matplotlib, PNG and SVG). Figure 3: accuracy on each
PCEB multiple-choice task per variant (the paper: challenging questions chosen by multi-LLM
cross-selection, MLCS, against random selection, RS). Figure 4: each variant's accuracy on the
challenging and non-challenging items, as `harness synth label` split them."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError
from sweep.report import SUBTASKS, TaskResult

LABELS = {
    task: task.removeprefix("pceb_").replace("_", " ").replace("smcq", "SMCQ").replace("mmcq", "MMCQ")
    for task in SUBTASKS
}


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
    results: dict[str, TaskResult], labels: dict[str, dict[str, bool]], challenging: bool
) -> float | None:
    """Strict accuracy over the run's items labelled challenging (or not), all tasks together."""
    scores = [
        score
        for task, result in results.items()
        for doc, score in result.strict.items()
        if labels.get(task, {}).get(doc) is challenging
    ]
    return 100 * sum(scores) / len(scores) if scores else None


def figure3(runs: dict[str, dict[str, TaskResult]], path: Path) -> str:
    rows = {
        name: [results[t].accuracy if t in results else None for t in SUBTASKS]
        for name, results in runs.items()
    }
    _bars(rows, [LABELS[t] for t in SUBTASKS], "accuracy (%)", path)
    header = "| variant | " + " | ".join(LABELS[t] for t in SUBTASKS) + " |"
    lines = [header, "|---|" + "---:|" * len(SUBTASKS)]
    lines += ["| " + " | ".join([name, *(_cell(v) for v in values)]) + " |" for name, values in rows.items()]
    return "\n".join(lines) + "\n"


def figure4(runs: dict[str, dict[str, TaskResult]], labels: dict[str, dict[str, bool]], path: Path) -> str:
    rows = {
        name: [subset_accuracy(results, labels, True), subset_accuracy(results, labels, False)]
        for name, results in runs.items()
    }
    _bars(rows, ["challenging", "non-challenging"], "accuracy (%)", path)
    counts = (
        [sum(flags.values()) for flags in labels.values()],
        [sum(not f for f in flags.values()) for flags in labels.values()],
    )
    lines = [
        f"Items labelled: {sum(counts[0])} challenging, {sum(counts[1])} non-challenging (strict accuracy over the items each run scored).",
        "",
        "| variant | challenging | non-challenging |",
        "|---|---:|---:|",
    ]
    lines += ["| " + " | ".join([name, *(_cell(v) for v in values)]) + " |" for name, values in rows.items()]
    return "\n".join(lines) + "\n"


def _bars(rows: dict[str, list[float | None]], groups: list[str], ylabel: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(max(6.0, 1.2 * len(groups) * max(len(rows), 1) / 2), 3.6))
    width = 0.8 / max(len(rows), 1)
    for number, (name, values) in enumerate(rows.items()):
        positions = [g + number * width - 0.4 + width / 2 for g in range(len(groups))]
        drawn = [(x, v) for x, v in zip(positions, values, strict=True) if v is not None]
        bars = axis.bar([x for x, _ in drawn], [v for _, v in drawn], width, label=name)
        axis.bar_label(bars, fmt="%.1f", fontsize=6, padding=1)
        for x, value in zip(positions, values, strict=True):
            if value is None:  # not evaluated: marked, never drawn as 0
                axis.text(x, 1, "n/a", ha="center", va="bottom", fontsize=6, rotation=90, color="#777777")
    axis.set_xticks(range(len(groups)), groups)
    axis.set_ylabel(ylabel)
    axis.set_ylim(0, 100)
    axis.legend(frameon=False, ncols=min(len(rows), 4), loc="upper left", bbox_to_anchor=(0, 1.15))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path.with_suffix(".png"), dpi=150)
    figure.savefig(path.with_suffix(".svg"))
    plt.close(figure)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
