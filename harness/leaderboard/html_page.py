"""Leaderboards as one self-contained HTML page: a section per benchmark, each table sortable on its
own (click a header; an arrow shows the order), places in red, orange and yellow, our 95% intervals
under the values, note markers on flagged rows, figures inlined. `#sort=KEY` in the address opens
the page sorted by the column KEY (descending) in every table that has it; the keys are listed under
each table, and an unknown key is ignored."""

from __future__ import annotations

import html
from collections.abc import Sequence

from harness.leaderboard.headers import (
    category_title,
    header_levels,
    numbered_notes,
    params_text,
    shown_columns,
)
from harness.leaderboard.layout import Benchmark
from harness.leaderboard.render import PLACES_NOTE, abbreviations
from harness.leaderboard.rows import Row, ranks, shown

# xcolor's red!45, orange!50 and yellow!70, as in the LaTeX tables.
PLACE_COLOURS = {1: "#ff8c8c", 2: "#ffbf80", 3: "#ffff4d"}


def to_html(bench: Benchmark, rows: list[Row], figure_svg: str | None = None) -> str:
    return to_html_page([(bench, rows, figure_svg)])


def to_html_page(tables: Sequence[tuple[Benchmark, list[Row], str | None]]) -> str:
    title = (
        tables[0][0].title if len(tables) == 1 else "Leaderboards: " + ", ".join(b.name for b, _, _ in tables)
    )
    sections = "\n".join(_section(bench, rows, svg) for bench, rows, svg in tables)
    return _PAGE.format(title=html.escape(title), sections=sections, places=html.escape(PLACES_NOTE))


def _section(bench: Benchmark, rows: list[Row], figure_svg: str | None) -> str:
    places = ranks(bench, rows)
    columns = shown_columns(bench)
    marks, notes = numbered_notes(rows)
    width = 3 + len(columns)
    head = []
    for runs in header_levels(columns):
        group_cells = "<th class='group' colspan='3'></th>" + "".join(
            f"<th class='group' colspan='{span}'>{html.escape(text)}</th>" for text, _, span in runs
        )
        head.append(f"<tr>{group_cells}</tr>")
    keyed = [("model", "Model"), ("params", "Param."), ("source", "Source")]
    keyed += [(column.key, column.header) for column in columns]
    head.append(
        "<tr>"
        + "".join(
            f"<th class='sortable' data-key='{html.escape(key)}' title='sort key: {html.escape(key)}'>{html.escape(text)}</th>"
            for key, text in keyed
        )
        + "</tr>"
    )
    body = []
    category = None
    for index, row in enumerate(rows):
        if row.category != category:
            category = row.category
            body.append(
                f"<tr class='category'><td colspan='{width}'>{html.escape(category_title(category))}</td></tr>"
            )
        links = ",".join(f"<a href='#{bench.file_stem}-note-{n}'>{n}</a>" for n in marks[index])
        sups = f"<sup>{links}</sup>" if links else ""
        cells = [
            f"<td data-sort='{html.escape(row.label)}' class='model'>{html.escape(row.label)}{sups}</td>",
            f"<td data-sort='{row.params_b if row.params_b is not None else ''}'>{params_text(row)}</td>",
            f"<td data-sort='{html.escape(row.source)}' class='source'>{html.escape(row.source)}</td>",
        ]
        for column in columns:
            value = row.values.get(column.key)
            place = places.get((index, column.key))
            style = f" style='background:{PLACE_COLOURS[place]}'" if place else ""
            interval = ""
            if value is not None and column.key in row.intervals:
                low, high = row.intervals[column.key]
                digits = bench.interval_digits
                interval = f"<span class='ci' title='95% bootstrap interval'>{low:.{digits}f}–{high:.{digits}f}</span>"
            sort_value = "" if value is None else float(value)
            cells.append(f"<td class='num' data-sort='{sort_value}'{style}>{shown(value)}{interval}</td>")
        body.append(f"<tr class='{'paper' if row.is_reference else 'ours'}'>{''.join(cells)}</tr>")
    explained = [*abbreviations(bench, rows)]
    if any(row.intervals for row in rows):
        explained.append("Under our values: the 95% bootstrap interval.")
    listed = "".join(
        f"<li id='{bench.file_stem}-note-{number}'>{html.escape(text)}</li>" for number, text in notes
    )
    keys = ", ".join(f"<code>{html.escape(key)}</code>" for key, _ in keyed)
    return _SECTION.format(
        stem=html.escape(bench.file_stem),
        title=html.escape(bench.title),
        head="\n".join(head),
        body="\n".join(body),
        explained="".join(f"<p class='legend'>{html.escape(line)}</p>" for line in explained),
        notes=f"<ol class='notes'>{listed}</ol>" if listed else "",
        keys=keys,
        figure=f"<figure>{figure_svg}</figure>" if figure_svg else "",
    )


_SECTION = """<section id="{stem}">
<h2>{title}</h2>
<table class="leaderboard"><thead>
{head}
</thead><tbody>
{body}
</tbody></table>
{explained}
{notes}
<p class="legend">Sort keys for a link such as <code>#sort=KEY</code>: {keys}.</p>
{figure}
</section>"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f0f0f0; }}
th.sortable {{ cursor: pointer; position: sticky; top: 0; white-space: nowrap; }}
th[aria-sort="descending"]::after {{ content: " \\25BC"; }}
th[aria-sort="ascending"]::after {{ content: " \\25B2"; }}
td.num {{ text-align: right; }}
td.model {{ white-space: nowrap; }}
td.source {{ font-size: 12px; color: #555; min-width: 7em; max-width: 11em; }}
span.ci {{ display: block; font-size: 10px; color: #555; white-space: nowrap; }}
tr.category td {{ font-style: italic; background: #fafafa; }}
tr.ours td:first-child {{ font-weight: bold; }}
p.legend {{ font-size: 13px; color: #444; margin: 0.3em 0; }}
figure svg {{ max-width: 900px; height: auto; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Red, orange and yellow mark {places}. Click a header to sort by it (again to reverse).</p>
{sections}
<script>
document.querySelectorAll("table.leaderboard").forEach(table => {{
  const headers = Array.from(table.querySelectorAll("th.sortable"));
  headers.forEach((th, column) => th.addEventListener("click", () => {{
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).filter(r => !r.classList.contains("category"));
    const descending = th.getAttribute("aria-sort") !== "descending";
    headers.forEach(other => other.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const key = r => {{ const v = r.cells[column].dataset.sort; const n = parseFloat(v); return v === "" ? -Infinity : isNaN(n) ? v : n; }};
    rows.sort((a, b) => {{ const x = key(a), y = key(b); const order = x < y ? -1 : x > y ? 1 : 0; return descending ? -order : order; }});
    body.querySelectorAll("tr.category").forEach(r => r.style.display = "none");  // a ranking, not sections
    rows.forEach(r => body.appendChild(r));
  }}));
}});
const wanted = /^#sort=([\\w.-]+)$/.exec(location.hash);  // #sort=KEY: sorted by that column where a table has it
if (wanted) document.querySelectorAll("th.sortable").forEach(th => {{ if (th.dataset.key === wanted[1]) th.click(); }});
</script>
</body></html>
"""
