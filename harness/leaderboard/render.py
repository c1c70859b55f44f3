"""Leaderboard renderers: Markdown, CSV, LaTeX and a self-contained HTML page."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from fractions import Fraction

from harness.leaderboard.layout import Benchmark
from harness.leaderboard.rows import Row, ranks, shown

PLACE_COLOURS = {1: "#f4a3a3", 2: "#f8c98b", 3: "#f7ec9a"}  # red, orange, yellow as in the paper


def _layout(bench: Benchmark) -> list[tuple[str, str]]:
    """(key, header) in the paper's order: the averages follow the column the layout names."""
    columns = [(c.key, f"{c.group} {c.header}".strip()) for c in bench.columns]
    cut = [key for key, _ in columns].index(bench.averages_after) + 1
    return columns[:cut] + [(a.key, a.header) for a in bench.averages] + columns[cut:]


def headers(bench: Benchmark) -> list[str]:
    return [header for _, header in _layout(bench)]


def _keys(bench: Benchmark) -> list[str]:
    return [key for key, _ in _layout(bench)]


def _params(row: Row) -> str:
    return "UNK" if row.params_b is None else f"{row.params_b:g}B"


def _footnotes(rows: list[Row]) -> list[tuple[int, str]]:
    return [
        (number, f"{row.label}: {note}")
        for number, (row, note) in enumerate(((r, n) for r in rows for n in r.notes), 1)
    ]


def to_markdown(bench: Benchmark, rows: list[Row]) -> str:
    """A Markdown table: best bold, second underlined (<ins>, which GitHub keeps), third italic; our
    intervals in brackets; what "(el.)" means, when a column has it."""
    places = ranks(bench, rows)
    out = [f"## {bench.title}", ""]
    out.append("| Model | Param. | Source | " + " | ".join(headers(bench)) + " |")
    out.append("|---|---|---|" + "---|" * len(_keys(bench)))
    note_number = 0
    for index, row in enumerate(rows):
        cells = []
        for key in _keys(bench):
            value = row.values.get(key)
            text = shown(value)
            if value is not None and key in row.intervals:
                low, high = row.intervals[key]
                digits = bench.interval_digits
                text += f" [{low:.{digits}f}, {high:.{digits}f}]"
            place = places.get((index, key))
            if text and place == 1:
                text = f"**{text}**"
            elif text and place == 2:
                text = f"<ins>{text}</ins>"
            elif text and place == 3:
                text = f"*{text}*"
            cells.append(text)
        marks = ""
        for _ in row.notes:
            note_number += 1
            marks += f"<sup>{note_number}</sup>"
        out.append(f"| {row.label}{marks} | {_params(row)} | {row.source} | " + " | ".join(cells) + " |")
    notes = _footnotes(rows)
    out += ["", "Best **bold**, second <ins>underlined</ins>, third *italic* (among rows on the same split)."]
    if any("(el.)" in header for header in headers(bench)):
        out.append(
            "(el.): elastic accuracy, PCEB's partial credit: a multiple-answer response naming only right "
            "options earns the share of the answer it names."
        )
    out += [
        ("Averages are computed from the columns; " if bench.averages else "")
        + "brackets: 95% bootstrap interval of our runs."
    ]
    if notes:
        out += [""] + [f"{number}. {text}" for number, text in notes]
    return "\n".join(out) + "\n"


def to_csv(bench: Benchmark, rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = _keys(bench)
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


def to_latex(bench: Benchmark, rows: list[Row]) -> str:
    """A LaTeX tabular; needs \\usepackage[table]{xcolor}; places as coloured cells."""
    places = ranks(bench, rows)
    keys = _keys(bench)
    colours = {1: "first", 2: "second", 3: "third"}
    out = [
        "% \\usepackage[table]{xcolor}",
        "\\definecolor{first}{HTML}{F4A3A3}\\definecolor{second}{HTML}{F8C98B}\\definecolor{third}{HTML}{F7EC9A}",
        "\\begin{tabular}{ll" + "r" * len(keys) + "}",
        "\\hline",
        "Model & Param. & " + " & ".join(_tex(h) for h in headers(bench)) + " \\\\",
        "\\hline",
    ]
    for index, row in enumerate(rows):
        cells = []
        for key in keys:
            value = row.values.get(key)
            text = shown(value)
            place = places.get((index, key))
            if text and place:
                text = f"\\cellcolor{{{colours[place]}}}{text}"
            cells.append(text)
        label = _tex(row.label) + ("" if row.is_reference else f" ({_tex(row.source)})")
        out.append(f"{label} & {_params(row)} & " + " & ".join(cells) + " \\\\")
    out += ["\\hline", "\\end{tabular}"]
    return "\n".join(out) + "\n"


def to_html(bench: Benchmark, rows: list[Row], figure_svg: str | None = None) -> str:
    """A self-contained page: sortable table (click a header), coloured places, inlined figure."""
    places = ranks(bench, rows)
    keys = _keys(bench)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["Model", "Param.", "Source", *headers(bench)])
    body = []
    for index, row in enumerate(rows):
        cells = [
            f"<td>{html.escape(row.label)}</td>",
            f"<td data-sort='{row.params_b if row.params_b is not None else ''}'>{_params(row)}</td>",
            f"<td>{html.escape(row.source)}</td>",
        ]
        for key in keys:
            value = row.values.get(key)
            place = places.get((index, key))
            style = f" style='background:{PLACE_COLOURS[place]}'" if place else ""
            title = ""
            if key in row.intervals:
                low, high = row.intervals[key]
                title = f" title='95% bootstrap interval {low:.2f} to {high:.2f}'"
            text = shown(value)
            cells.append(
                f"<td class='num' data-sort='{'' if value is None else float(value)}'{style}{title}>{text}</td>"
            )
        body.append(f"<tr class='{'paper' if row.is_reference else 'ours'}'>{''.join(cells)}</tr>")
    notes = "".join(f"<li>{html.escape(text)}</li>" for _, text in _footnotes(rows))
    figure = f"<figure>{figure_svg}</figure>" if figure_svg else ""
    return _PAGE.format(
        title=html.escape(bench.title),
        head=head,
        body="\n".join(body),
        notes=f"<ol>{notes}</ol>" if notes else "",
        figure=figure,
    )


FORMATS: dict[str, Callable[[Benchmark, list[Row]], str]] = {
    "md": to_markdown,
    "csv": to_csv,
    "tex": to_latex,
}


def _plain(value: Fraction | float | None) -> str:
    return shown(value, 4)


def _tex(text: str) -> str:
    return text.replace("&", "\\&").replace("%", "\\%").replace("_", "\\_").replace("#", "\\#")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ cursor: pointer; background: #f0f0f0; position: sticky; top: 0; }}
td.num {{ text-align: right; }}
tr.ours td:first-child {{ font-weight: bold; }}
figure svg {{ max-width: 900px; height: auto; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Red, orange and yellow mark the best, second and third of each column (among rows on the same split). Click a header to sort.</p>
<table id="leaderboard"><thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody></table>
{notes}
{figure}
<script>
document.querySelectorAll("#leaderboard th").forEach((th, column) => th.addEventListener("click", () => {{
  const body = document.querySelector("#leaderboard tbody");
  const rows = Array.from(body.rows);
  const descending = th.dataset.order !== "desc";
  th.dataset.order = descending ? "desc" : "asc";
  const key = r => {{ const c = r.cells[column]; const v = c.dataset.sort; return v === undefined ? c.textContent : (v === "" ? -Infinity : parseFloat(v)); }};
  rows.sort((a, b) => {{ const x = key(a), y = key(b); const order = x < y ? -1 : x > y ? 1 : 0; return descending ? -order : order; }});
  rows.forEach(r => body.appendChild(r));
}}));
const initial = /^#sort=(\\d+)$/.exec(location.hash);  // a link can open the page sorted by a column
if (initial) document.querySelectorAll("#leaderboard th")[Number(initial[1])].click();
</script>
</body></html>
"""
