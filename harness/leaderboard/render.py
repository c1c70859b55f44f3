"""Leaderboard renderers for Markdown and CSV (LaTeX: latex.py; HTML: html_page.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from fractions import Fraction

from harness.leaderboard.headers import category_title, numbered_notes, params_text, shown_columns
from harness.leaderboard.layout import Benchmark
from harness.leaderboard.rows import Row, ranks, shown

ELASTIC_NOTE = (
    "(el.): elastic accuracy, PCEB's partial credit: a multiple-answer response naming only right "
    "options earns the share of the answer it names."
)
PLACES_NOTE = "the best, second and third of each column among ranked rows on the same split"


def to_markdown(bench: Benchmark, rows: list[Row]) -> str:
    """A Markdown table: best bold, second underlined (<ins>, which GitHub keeps), third italic; our
    intervals in brackets; a section row per category; a line for every abbreviation used."""
    places = ranks(bench, rows)
    columns = shown_columns(bench)
    marks, notes = numbered_notes(rows)
    out = [f"## {bench.title}", ""]
    out.append("| Model | Param. | Source | " + " | ".join(c.flat_header for c in columns) + " |")
    out.append("|---|---|---|" + "---|" * len(columns))
    category = None
    for index, row in enumerate(rows):
        if row.category != category:
            category = row.category
            out.append(f"| *{category_title(category)}* |" + " |" * (len(columns) + 2))
        cells = []
        for column in columns:
            value = row.values.get(column.key)
            text = shown(value)
            if value is not None and column.key in row.intervals:
                low, high = row.intervals[column.key]
                digits = bench.interval_digits
                text += f" [{low:.{digits}f}, {high:.{digits}f}]"
            place = places.get((index, column.key))
            if text and place == 1:
                text = f"**{text}**"
            elif text and place == 2:
                text = f"<ins>{text}</ins>"
            elif text and place == 3:
                text = f"*{text}*"
            cells.append(text)
        sups = f"<sup>{','.join(map(str, marks[index]))}</sup>" if marks[index] else ""
        out.append(f"| {row.label}{sups} | {params_text(row)} | {row.source} | " + " | ".join(cells) + " |")
    out += ["", f"Best **bold**, second <ins>underlined</ins>, third *italic*: {PLACES_NOTE}."]
    out += abbreviations(bench, rows)
    out += [
        ("Averages are computed from the columns; " if bench.averages else "")
        + "brackets: 95% bootstrap interval of our runs."
    ]
    if notes:
        out += [""] + [f"{number}. {text}" for number, text in notes]
    return "\n".join(out) + "\n"


def abbreviations(bench: Benchmark, rows: list[Row]) -> list[str]:
    """A line for each abbreviation the table uses."""
    headers = " ".join(column.flat_header for column in shown_columns(bench))
    lines = []
    if "SMCQ" in headers or "MMCQ" in headers:
        lines.append("SMCQ / MMCQ: single- / multiple-answer multiple-choice questions (standard accuracy).")
    if "(el.)" in headers:
        lines.append(ELASTIC_NOTE)
    if any(word in headers for word in ("R-1", "R-L", "B-4", "ROUGE", "BLEU")):
        lines.append("R-1 / R-L: ROUGE-1 / ROUGE-L F1; B-4: BLEU-4 (case QA, in percent).")
    judged = [c for c in bench.columns if c.spec is None and c.header != c.metric]
    if judged:
        lines.append("; ".join(f"{c.header}: {c.metric.replace('_', ' ')}" for c in judged) + " (LLM judge).")
    if any(row.params_b is None for row in rows):
        lines.append("UNK: parameter count not disclosed.")
    return lines


def to_csv(bench: Benchmark, rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = [column.key for column in shown_columns(bench)]
    writer.writerow(
        [
            "model",
            "param_b",
            "category",
            "source",
            "split",
            *keys,
            *[f"{k}_ci_low" for k in keys],
            *[f"{k}_ci_high" for k in keys],
            "notes",
        ]
    )
    for row in rows:
        writer.writerow(
            [row.label, row.params_b if row.params_b is not None else "", row.category, row.source, row.split]
            + [_plain(row.values.get(k)) for k in keys]
            + [_plain(row.intervals[k][0]) if k in row.intervals else "" for k in keys]
            + [_plain(row.intervals[k][1]) if k in row.intervals else "" for k in keys]
            + ["; ".join(row.notes)]
        )
    return buffer.getvalue()


def to_long_csv(tables: Sequence[tuple[Benchmark, list[Row]]]) -> str:
    """Several benchmarks in one CSV with one header: a row per (benchmark, model, column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "benchmark",
            "model",
            "param_b",
            "category",
            "source",
            "split",
            "column",
            "header",
            "value",
            "ci_low",
            "ci_high",
            "notes",
        ]
    )
    for bench, rows in tables:
        for row in rows:
            for column in shown_columns(bench):
                interval = row.intervals.get(column.key)
                writer.writerow(
                    [
                        bench.name,
                        row.label,
                        row.params_b if row.params_b is not None else "",
                        row.category,
                        row.source,
                        row.split,
                        column.key,
                        column.flat_header,
                        _plain(row.values.get(column.key)),
                        _plain(interval[0]) if interval else "",
                        _plain(interval[1]) if interval else "",
                        "; ".join(row.notes),
                    ]
                )
    return buffer.getvalue()


def _plain(value: Fraction | float | None) -> str:
    return shown(value, 4)
