"""What the leaderboard and compare commands do: read rows and runs, render, write."""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError
from harness.leaderboard.columns import BENCHMARKS
from harness.leaderboard.figures import figure1
from harness.leaderboard.render import FORMATS, to_html
from harness.leaderboard.rows import Row, reference_rows, run_rows, sort_rows
from harness.results import read_results, read_sample_scores, resolve_run
from harness.stats import PairedComparison, compare_paired

FILE_STEMS = {"pceb": "table1_pceb", "cpsyexam": "table2_cpsyexam", "psydt": "table5_psydt"}


def leaderboard_rows(name: str, results_dir: Path) -> list[Row]:
    if name not in BENCHMARKS:
        raise HarnessError(f"unknown benchmark {name!r}: use {', '.join(BENCHMARKS)} or all")
    bench = BENCHMARKS[name]
    return sort_rows(reference_rows(bench) + run_rows(bench, results_dir))


def build_leaderboards(names: list[str], results_dir: Path, output_format: str, out_dir: Path | None) -> str:
    """With out_dir: write md, csv, tex and html for each benchmark plus Figure 1; else return one format."""
    if output_format not in (*FORMATS, "html"):
        raise HarnessError(f"unknown format {output_format!r}: use md, csv, tex or html")
    printed = []
    rows_by_name = {name: leaderboard_rows(name, results_dir) for name in dict.fromkeys([*names, "pceb"])}
    svg = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        svg = figure1(
            rows_by_name["pceb"],
            png=out_dir / "figure1_pceb_vs_size.png",
            svg=out_dir / "figure1_pceb_vs_size.svg",
        )
    elif output_format == "html":
        svg = figure1(rows_by_name["pceb"])
    for name in names:
        bench, rows = BENCHMARKS[name], rows_by_name[name]
        if out_dir is not None:
            for extension, render in FORMATS.items():
                (out_dir / f"{FILE_STEMS[name]}.{extension}").write_text(
                    render(bench, rows), encoding="utf-8"
                )
            (out_dir / f"{FILE_STEMS[name]}.html").write_text(
                to_html(bench, rows, svg if name == "pceb" else None), encoding="utf-8"
            )
        elif output_format == "html":
            printed.append(to_html(bench, rows, svg if name == "pceb" else None))
        else:
            printed.append(FORMATS[output_format](bench, rows))
    return "\n".join(printed)


def compare_runs(
    results_dir: Path, model_a: str, model_b: str, tasks: list[str], metric: str
) -> list[tuple[str, PairedComparison]]:
    """For each task (or group from run A's results), pair the two runs' per-item scores by doc id."""
    folders = [resolve_run(results_dir, model_a), resolve_run(results_dir, model_b)]
    results = [read_results(folder / "results.json") for folder in folders]
    compared = []
    for name in tasks:
        leaves = results[0]["groups"].get(name, {}).get("subtasks") or [name]
        scores: list[dict[tuple[str, str], float]] = []
        for folder in folders:
            found: dict[tuple[str, str], float] = {}
            for leaf in leaves:
                path = folder / "samples" / f"{leaf}.jsonl"
                if not path.exists():
                    raise HarnessError(f"{path}: no samples for task {leaf} in run {folder.name}")
                found |= {(leaf, doc_id): value for doc_id, value in read_sample_scores(path, metric).items()}
            scores.append(found)
        shared = sorted(set(scores[0]) & set(scores[1]))
        if not shared:
            raise HarnessError(f"runs {model_a} and {model_b} share no scored items on {name}")
        compared.append(
            (name, compare_paired([scores[0][k] for k in shared], [scores[1][k] for k in shared]))
        )
    return compared
