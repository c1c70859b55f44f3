"""A leaderboard as a LaTeX table in the paper's layout: booktabs rules, grouped headers with
\\cmidrule, a section row per category, an average printed beside another in parentheses
("51.75 (57.01)"), places in the paper's red, orange and yellow (xcolor), caption and label, scaled
to the text width. Needs \\usepackage{booktabs,graphicx} and \\usepackage[table]{xcolor}."""

from __future__ import annotations

import re

from harness.leaderboard.headers import (
    Shown,
    category_title,
    header_levels,
    numbered_notes,
    params_text,
    shown_columns,
)
from harness.leaderboard.layout import Benchmark
from harness.leaderboard.render import abbreviations
from harness.leaderboard.rows import Row, ranks, shown
from harness.table_formats import tex_escape

PREAMBLE = "% \\usepackage{booktabs,graphicx} \\usepackage[table]{xcolor}"
# The paper's colours of first, second and third place, as xcolor tints of red, orange and yellow.
PLACE_COLOURS = "\\colorlet{first}{red!45}\\colorlet{second}{orange!50}\\colorlet{third}{yellow!70}"
PLACE_NAMES = {1: "first", 2: "second", 3: "third"}
TABLE_NUMBER = re.compile(r"^Table \d+:\s*")


def to_latex(bench: Benchmark, rows: list[Row]) -> str:
    places = ranks(bench, rows)
    columns = _printed_columns(bench)
    beside = {a.beside: a.key for a in bench.averages if a.beside}
    marks, notes = numbered_notes(rows)
    width = 2 + len(columns)
    out = [
        PREAMBLE,
        PLACE_COLOURS,
        "\\begin{table*}[t]",
        "\\centering",
        f"\\caption{{{tex_escape(TABLE_NUMBER.sub('', bench.title))}}}",  # LaTeX numbers its tables
        f"\\label{{tab:{bench.file_stem}}}",
        # The table is set in a box first, so that its notes can take its width and be scaled with it.
        "\\ifdefined\\harnesstable\\else\\newsavebox{\\harnesstable}\\fi",
        "\\sbox{\\harnesstable}{%",
        "\\begin{tabular}{ll" + "r" * len(columns) + "}",
        "\\toprule",
    ]
    for runs in header_levels(columns):
        cells, rules = ["", ""], []  # under Model and Param.
        for text, first, span in runs:
            cells.append(
                f"\\multicolumn{{{span}}}{{c}}{{{tex_escape(text)}}}" if span > 1 else tex_escape(text)
            )
            if text:
                rules.append(f"\\cmidrule(lr){{{first + 3}-{first + 2 + span}}}")
        out.append(" & ".join(cells) + " \\\\")
        if rules:
            out.append(" ".join(rules))
    out.append("Model & Param. & " + " & ".join(tex_escape(column.header) for column in columns) + " \\\\")
    out.append("\\midrule")
    category = None
    for index, row in enumerate(rows):
        if row.category != category:
            if category is not None:
                out.append("\\midrule")
            category = row.category
            out.append(
                f"\\multicolumn{{{width}}}{{l}}{{\\textit{{{tex_escape(category_title(category))}}}}} \\\\"
            )
        cells = [_cell(row, index, column.key, places, beside) for column in columns]
        label = tex_escape(row.label) + (
            f"\\textsuperscript{{{','.join(map(str, marks[index]))}}}" if marks[index] else ""
        )
        if not row.is_reference:
            label += f" {{\\scriptsize ({tex_escape(row.source)})}}"
        out.append(f"{label} & {params_text(row)} & " + " & ".join(cells) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}}"]
    explained = [
        "Red, orange and yellow: the best, second and third of each column among ranked rows on the same split.",
        *_beside_lines(bench),
        *abbreviations(bench, rows),
        *[f"{number}. {text}" for number, text in notes],
    ]
    # Notes under the table, left-aligned in its width, one per line, in footnote size, and resized
    # with it (a table scaled to the text width would otherwise have notes larger than its numbers).
    out += [
        "\\resizebox{\\textwidth}{!}{%",
        "\\begin{tabular}{@{}l@{}}",
        "\\usebox{\\harnesstable} \\\\[6pt]",
        "\\parbox{\\wd\\harnesstable}{\\footnotesize\\raggedright",
        " \\\\\n".join(tex_escape(line) for line in explained) + "}",
        "\\end{tabular}}",
        "\\end{table*}",
    ]
    return "\n".join(out) + "\n"


def _printed_columns(bench: Benchmark) -> list[Shown]:
    """The shown columns less the averages printed beside another one."""
    printed_beside = {a.key for a in bench.averages if a.beside}
    return [column for column in shown_columns(bench) if column.key not in printed_beside]


def _beside_lines(bench: Benchmark) -> list[str]:
    headers = {a.key: a.header for a in bench.averages}
    return [f"{headers[a.beside]}: in parentheses, {a.header}." for a in bench.averages if a.beside]


def _cell(row: Row, index: int, key: str, places: dict[tuple[int, str], int], beside: dict[str, str]) -> str:
    text = _coloured(shown(row.values.get(key)), places.get((index, key)))
    if key in beside:
        other = beside[key]
        extra = shown(row.values.get(other))
        place = places.get((index, other))
        if extra and place:  # a cell has one background: the value in parentheses gets a box
            extra = f"{{\\setlength{{\\fboxsep}}{{1pt}}\\colorbox{{{PLACE_NAMES[place]}}}{{{extra}}}}}"
        text = f"{text} ({extra})" if extra else text
    return text


def _coloured(text: str, place: int | None) -> str:
    return f"\\cellcolor{{{PLACE_NAMES[place]}}}{text}" if text and place else text
