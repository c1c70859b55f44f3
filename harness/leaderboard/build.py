"""What the leaderboard command does: read the paper's rows and our runs, render, write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from harness.errors import HarnessError
from harness.files import write_text_atomically
from harness.leaderboard.figures import size_figure
from harness.leaderboard.html_page import to_html, to_html_page
from harness.leaderboard.latex import to_latex
from harness.leaderboard.layout import Benchmark, benchmark, benchmarks
from harness.leaderboard.render import to_csv, to_long_csv, to_markdown
from harness.leaderboard.rows import Row, reference_rows, run_rows, sort_rows
from harness.tasks.index import index_tasks


def benchmark_names(include_paths: Sequence[Path] = ()) -> list[str]:
    """The benchmarks whose task files declare a leaderboard layout, in the order of their files'
    stems (the paper's table order: table1_pceb, table2_cpsyexam, ...)."""
    return [bench.name for bench in in_table_order(benchmarks(index_tasks(include_paths)))]


def in_table_order(found: dict[str, Benchmark]) -> list[Benchmark]:
    return sorted(found.values(), key=lambda bench: bench.file_stem)


def leaderboard_rows(
    name: str, results_dir: Path, include_paths: Sequence[Path] = (), protocol: str = "benchmark"
) -> list[Row]:
    """The rows of one benchmark's table: the paper's, then our runs (scored by `protocol`)."""
    return _rows(benchmark(index_tasks(include_paths), name), results_dir, protocol)


def _rows(bench: Benchmark, results_dir: Path, protocol: str) -> list[Row]:
    return sort_rows(reference_rows(bench) + run_rows(bench, results_dir, protocol))


PROTOCOL_TITLES = {
    "benchmark": "our runs scored by each benchmark's own protocol, as the paper's rows",
    "strict": "our runs scored by the strict protocol (set match, unanswered = wrong, every item)",
}


FORMATS: dict[str, Callable[[Benchmark, list[Row]], str]] = {
    "md": to_markdown,
    "csv": to_csv,
    "tex": to_latex,
}


def build_leaderboards(
    names: list[str],
    results_dir: Path,
    output_format: str,
    out_dir: Path | None,
    include_paths: Sequence[Path] = (),
    protocol: str = "benchmark",
    figure_unranked: bool = False,
) -> str:
    """With out_dir: write md, csv, tex and html for each benchmark plus its figure (and, for
    several, leaderboards.html and leaderboards.csv holding them all) and return a line naming
    the files written; else return
    one format holding every named benchmark: Markdown and LaTeX one table after another, HTML one
    page, CSV one file with one header (long: a row per benchmark, model and column, when there
    are several benchmarks). Each title says which protocol scored our rows."""
    if output_format not in (*FORMATS, "html"):
        raise HarnessError(f"unknown format {output_format!r}: use md, csv, tex or html")
    index = index_tasks(include_paths)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    tables: list[tuple[Benchmark, list[Row], str | None]] = []
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        write_text_atomically(path, text)
        written.append(path)

    for name in names:
        layout = benchmark(index, name)
        rows = _rows(layout, results_dir, protocol)
        protocols_matter = any(column.has_protocol for column in layout.columns)
        title = f"{layout.title} ({PROTOCOL_TITLES[protocol]})" if protocols_matter else layout.title
        bench = replace(layout, title=title)
        svg = None
        if bench.figure is not None and (out_dir is not None or output_format == "html"):
            figures = (
                [out_dir / f"{bench.figure.file_stem}.{kind}" for kind in ("png", "svg")] if out_dir else []
            )
            svg = size_figure(
                rows,
                bench.figure,
                png=figures[0] if figures else None,
                svg=figures[1] if figures else None,
                include_unranked=figure_unranked,
            )
            written += figures
        if out_dir is not None:
            for extension, render in FORMATS.items():
                write(out_dir / f"{bench.file_stem}.{extension}", render(bench, rows))
            write(out_dir / f"{bench.file_stem}.html", to_html(bench, rows, svg))
        tables.append((bench, rows, svg))
    if out_dir is not None:
        if len(tables) > 1:  # and every table in one page / one file
            write(out_dir / "leaderboards.html", to_html_page(tables))
            write(out_dir / "leaderboards.csv", to_long_csv([(b, r) for b, r, _ in tables]))
        names = sorted(path.name for path in written)
        return f"wrote {len(names)} files in {out_dir}: {', '.join(names)}\n"
    if output_format == "html":
        return to_html_page(tables)
    if output_format == "csv" and len(tables) > 1:
        return to_long_csv([(bench, rows) for bench, rows, _ in tables])
    return "\n".join(FORMATS[output_format](bench, rows) for bench, rows, _ in tables)
