"""Table text shared by every table the harness writes: escaping for LaTeX, Markdown rows, and a
table of rows under group headings with ours beside a reference's (the sweep's Tables 3 and 4),
rendered as Markdown, CSV, LaTeX (booktabs) and HTML. The leaderboard's tables, which also rank
and place their cells (harness/leaderboard/), and the synthesis report build on the same pieces."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

_TEX = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "_": "\\_", "#": "\\#", "$": "\\$"}


def tex_escape(text: str) -> str:
    """Text as LaTeX prints it: its special characters escaped, Δ in math mode."""
    return "".join(_TEX.get(char, char) for char in text).replace("Δ", "$\\Delta$")


def markdown_row(cells: Iterable[str]) -> str:
    """One row of a Markdown table."""
    return "| " + " | ".join(cells) + " |"


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[str]], align: str) -> list[str]:
    """A Markdown table's lines; `align` has a letter per column: l (left) or r (right)."""
    rule = "|" + "".join("---:|" if letter == "r" else "---|" for letter in align)
    return [markdown_row(header), rule, *(markdown_row(row) for row in rows)]


@dataclass(frozen=True)
class SourcedRow:
    source: str  # "ours", or the reference's name ("paper")
    group: str  # the group heading ("" for none): "Ablation study on training stage", ...
    cells: tuple[str, ...]  # the row's label (a setting), then the values


@dataclass(frozen=True)
class GroupedTable:
    """Rows under group headings, each from a source (ours, or a reference such as the paper's,
    shown apart: grey in HTML, italic in LaTeX), one header, and notes under the table."""

    title: str
    header: tuple[str, ...]
    rows: tuple[SourcedRow, ...]
    notes: tuple[str, ...]
    intro: str = ""  # a line under the title
    notes_heading: str = "Notes:"
    reference: str = "paper"  # the source of the rows shown apart

    def groups(self) -> list[tuple[str, list[SourcedRow]]]:
        """The rows under their headings, in order ("" for rows before any heading)."""
        grouped: list[tuple[str, list[SourcedRow]]] = []
        for row in self.rows:
            if not grouped or grouped[-1][0] != row.group:
                grouped.append((row.group, []))
            grouped[-1][1].append(row)
        return grouped


def to_markdown(table: GroupedTable) -> str:
    width = len(table.header) + 1
    lines = [f"# {table.title}", "", *([table.intro, ""] if table.intro else [])]
    lines += [
        markdown_row((table.header[0], "source", *table.header[1:])),
        "|---|---|" + "---:|" * (width - 2),
    ]
    for group, rows in table.groups():
        if group:
            lines.append(f"| **{group}** |" + " |" * (width - 1))
        lines += [markdown_row((row.cells[0], row.source, *row.cells[1:])) for row in rows]
    if table.notes:
        lines += ["", table.notes_heading, ""]
        lines += [f"- {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


def to_csv(table: GroupedTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["source", "group", *table.header])
    writer.writerows([row.source, row.group, *row.cells] for row in table.rows)
    return buffer.getvalue()


def to_latex(table: GroupedTable) -> str:
    """A booktabs table: the group headings, ours beside the reference's in each (the reference's in
    italics; needs \\usepackage{booktabs})."""
    width = len(table.header) + 1
    columns = "ll" + "r" * (width - 2)
    lines = ["\\begin{table}[t]", "\\centering", "\\small", f"\\begin{{tabular}}{{{columns}}}", "\\toprule"]
    lines.append(" & ".join(tex_escape(cell) for cell in (table.header[0], "", *table.header[1:])) + " \\\\")
    for group, rows in table.groups():
        lines.append("\\midrule")
        if group:
            lines.append(f"\\multicolumn{{{width}}}{{l}}{{\\textbf{{{tex_escape(group)}}}}} \\\\")
        for row in rows:
            cells = [row.cells[0], row.source, *row.cells[1:]]
            if row.source == table.reference:
                cells = [f"\\textit{{{tex_escape(cell)}}}" if cell else "" for cell in cells]
            else:
                cells = [tex_escape(cell) for cell in cells]
            lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", f"\\caption{{{tex_escape(table.title)}}}", "\\end{table}"]
    return "\n".join(lines) + "\n"


def to_html(table: GroupedTable) -> str:
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
        f"<p>Grey rows: the {escape(table.reference)}'s. {escape(table.notes_heading)}</p><ul>{notes}</ul>\n"
    )
