"""The funnel report: each stage's items in and out with the reason for every drop, calls, tokens
and cost per stage and model from the ledger (unknown prices stay unknown), the dataset's parts,
and the benchmark items decontamination caught. Markdown, JSON and a PNG."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.files import write_text_atomically
from harness.table_formats import markdown_table
from synth.calls import entry_cost, read_ledger
from synth.config import SynthConfig
from synth.pipeline import STAGE_ORDER, stage_folder, stage_manifests


def usage_by_stage(config: SynthConfig) -> dict[tuple[str, str], dict[str, Any]]:
    """(stage, model) -> calls, cache hits, errors, tokens in/out, cost (None: not all priced)."""
    table: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"calls": 0, "cache_hits": 0, "errors": 0, "tokens_in": 0, "tokens_out": 0, "cost": 0.0}
    )
    for entry in read_ledger(config.output_path / "calls" / "ledger.jsonl"):
        row = table[(entry["stage"].split(".")[0], entry["model"])]
        if entry["cache_hit"]:
            row["cache_hits"] += 1
            continue
        row["calls"] += 1
        row["errors"] += entry["status"] == "error"
        for key in ("tokens_in", "tokens_out"):
            row[key] = None if row[key] is None or entry[key] is None else row[key] + entry[key]
        cost = entry_cost(entry, config.prices)
        row["cost"] = None if row["cost"] is None or cost is None else row["cost"] + cost
    return dict(table)


def build_report(config: SynthConfig) -> dict[str, Any]:
    manifests = stage_manifests(config)
    funnel = [
        {"stage": name, "in": m["in"], "out": m["out"], "errors": m["errors"], "drops": m["drops"]}
        if m
        else {"stage": name, "in": None, "out": None, "errors": None, "drops": {}}
        for name, m in manifests.items()
    ]
    usage = [
        {"stage": stage, "model": model} | values
        for (stage, model), values in sorted(usage_by_stage(config).items(), key=lambda kv: _order(kv[0][0]))
    ]
    contaminated = []
    for name in ("decontaminate_questions", "decontaminate_dialogues"):
        dropped = stage_folder(config, name).folder / "dropped.jsonl"
        if dropped.exists():
            contaminated += [
                json.loads(line) for line in dropped.read_text(encoding="utf-8").splitlines() if line
            ]
    dataset_manifest = config.output_path / "dataset" / "manifest.json"
    dataset = json.loads(dataset_manifest.read_text(encoding="utf-8")) if dataset_manifest.exists() else None
    select = manifests.get("select") or {}
    groups = select.get("groups", {})
    return {
        "funnel": funnel,
        "usage": usage,
        "challenging": len(groups.get("challenging", [])),
        "contaminated": contaminated,
        "dataset": dataset,
    }


def write_report(config: SynthConfig) -> Path:
    """report.md, report.json and funnel.png in the run folder; returns the Markdown's path."""
    report = build_report(config)
    folder = config.output_path
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(folder / "report.json", json.dumps(report, ensure_ascii=False, indent=1))
    write_text_atomically(folder / "report.md", render_markdown(report))
    _plot_funnel(report["funnel"], folder / "funnel.png")
    return folder / "report.md"


def render_markdown(report: dict[str, Any]) -> str:
    funnel = [
        [
            row["stage"],
            _cell(row["in"]),
            _cell(row["out"]),
            "; ".join(f"{reason}: {count}" for reason, count in row["drops"].items()),
            _cell(row["errors"]),
        ]
        for row in report["funnel"]
    ]
    lines = [
        "# Synthesis funnel",
        "",
        *markdown_table(("stage", "in", "out", "dropped (reason: count)", "in error"), funnel, "lrrlr"),
    ]
    lines += ["", f"Challenging questions (D_pc): {report['challenging']}", ""]
    if report["dataset"]:
        counts = report["dataset"]["counts"]
        lines += [
            "## Dataset",
            "",
            f"D_sft = D_pr {counts['D_pr']} + D_em {counts['D_em']} + D_ps {counts['D_ps']} = {report['dataset']['D_sft']}; "
            f"D_grpo = D_pc {counts['D_pc']} + D_cp {counts['D_cp']} = {report['dataset']['D_grpo']}",
            "",
        ]
    usage = [
        [
            row["stage"],
            row["model"],
            str(row["calls"]),
            str(row["cache_hits"]),
            str(row["errors"]),
            _cell(row["tokens_in"], "unknown"),
            _cell(row["tokens_out"], "unknown"),
            "unknown" if row["cost"] is None else f"{row['cost']:.4f}",
        ]
        for row in report["usage"]
    ]
    header = ("stage", "model", "calls", "cache hits", "errors", "tokens in", "tokens out", "cost (USD)")
    lines += ["## Calls, tokens and cost", "", *markdown_table(header, usage, "llrrrrrr")]
    lines += ["", f"## Decontamination: {len(report['contaminated'])} item(s) dropped", ""]
    lines += [f"- {drop['item']}: {drop['reason']}" for drop in report["contaminated"]]
    return "\n".join(lines) + "\n"


def _cell(value: Any, missing: str = "") -> str:
    return missing if value is None else str(value)


def _order(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def _plot_funnel(funnel: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [row for row in funnel if row["out"] is not None]
    if not done:
        return
    figure, axis = plt.subplots(figsize=(7, 0.45 * len(done) + 1))
    names = [row["stage"] for row in done][::-1]
    axis.barh(names, [row["in"] for row in done][::-1], color="#d9d9d9", label="in")
    axis.barh(names, [row["out"] for row in done][::-1], color="#4c72b0", label="out")
    axis.set_xlabel("items")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    figure.savefig(path.with_suffix(".svg"))
    plt.close(figure)
