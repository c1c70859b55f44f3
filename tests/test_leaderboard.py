"""Leaderboards: paper averages recomputed, runs merged and ranked, partial input tolerated."""

from __future__ import annotations

import csv
import io
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import run_harness

from harness.errors import HarnessError
from harness.leaderboard.build import benchmark_names, build_leaderboards, leaderboard_rows
from harness.leaderboard.compare import compare_runs, compare_with_paper
from harness.leaderboard.latex import to_latex
from harness.leaderboard.layout import benchmarks
from harness.leaderboard.render import to_csv, to_markdown
from harness.leaderboard.rows import ranks, reference_rows, shown, sort_rows
from harness.runs.results import point_latest
from harness.scoring.scorers import SCORING_VERSIONS
from harness.tasks.index import index_tasks

BENCHMARKS = benchmarks(index_tasks())


def test_every_paper_average_is_recomputed_and_only_gemini_disagrees_in_table_1() -> None:
    rows = reference_rows(BENCHMARKS["pceb"])
    assert len(rows) == 18
    disagreeing = {row.label for row in rows if row.notes}
    assert disagreeing == {"Gemini1.5-Pro"}
    gemini = next(row for row in rows if row.label == "Gemini1.5-Pro")
    assert shown(gemini.values["avg"]) == "61.15" and shown(gemini.values["avg_elastic"]) == "66.67"
    assert "prints 61.26" in gemini.notes[0] and "prints 66.78" in gemini.notes[1]
    psyche = next(row for row in rows if row.label == "Psyche-R1")
    assert shown(psyche.values["avg"]) == "74.37" and shown(psyche.values["avg_elastic"]) == "77.64"


def test_table_2_averages_are_micro_over_the_test_items_and_only_deepseek_r1_70b_disagrees() -> None:
    rows = reference_rows(BENCHMARKS["cpsyexam"])
    assert len(rows) == 13
    assert {row.label for row in rows if row.notes} == {"DeepSeek-R1-70B"}
    deepseek = next(row for row in rows if row.label == "DeepSeek-R1-70B")
    assert shown(deepseek.values["avg"]) == "60.54" and "prints 60.57" in deepseek.notes[0]
    minicpm = rows[0]
    assert minicpm.values["avg"] == pytest.approx(60.46, abs=0.005)


def test_averages_are_exact_and_rounded_half_up() -> None:
    # Psyche-R1's six Table 1 columns sum to 446.19: the mean is exactly 74.365, which binary
    # floats and format(..., ".2f") print as 74.36.
    rows = reference_rows(BENCHMARKS["pceb"])
    for label, printed in (
        ("Psyche-R1", "74.37"),
        ("QwQ-32B", None),
        ("DeepSeek-R1", None),
        ("PsycoLLM", None),
    ):
        row = next(row for row in rows if row.label == label)
        exact = sum((row.values[key] for key in BENCHMARKS["pceb"].averages[0].parts), Fraction(0)) / 6
        assert shown(row.values["avg"]) == shown(exact)
        if printed:
            assert (
                exact == Fraction("74.365") and shown(exact) == printed and f"{float(exact):.2f}" == "74.36"
            )
    assert shown(Fraction(1, 32) * 100) == "3.13" and shown(Fraction("2.675")) == "2.68"


def test_the_flagged_printed_averages_are_exactly_gemini_in_table_1_and_deepseek_r1_70b_in_table_2() -> None:
    flagged = {
        (name, row.label, note.split(":")[0])
        for name in ("pceb", "cpsyexam")
        for row in reference_rows(BENCHMARKS[name])
        for note in row.notes
    }
    assert flagged == {
        ("pceb", "Gemini1.5-Pro", "Avg."),
        ("pceb", "Gemini1.5-Pro", "Avg. (el.)"),
        ("cpsyexam", "DeepSeek-R1-70B", "Avg. (zero-shot, micro)"),
    }


def _fake_run(
    results_dir: Path,
    name: str,
    display: str,
    accuracies: dict[str, float],
    tasks_missing: tuple[str, ...] = (),
    strict_offset: float = 0.0,
    params_b: float = 0.5,
) -> None:
    """A run folder as the harness writes it: MCQ tasks carry the benchmark protocol's numbers
    (`accuracies`) and strict ones (`accuracies` minus `strict_offset`)."""
    folder = results_dir / name / "0123456789ab"
    (folder / "samples").mkdir(parents=True)
    tasks = {}
    for column in BENCHMARKS["pceb"].columns:
        if column.task in tasks_missing:
            continue
        entry = tasks.setdefault(
            column.task,
            {
                "n": 4,
                "n_expected": 4,
                "n_scored": 4,
                "n_failed": 0,
                "complete": True,
                "split": "test",
                "scoring": dict(SCORING_VERSIONS),
            },
        )
        value = accuracies.get(column.key, 50.0)
        entry[column.metric] = value - strict_offset if column.has_protocol else value
        if column.has_protocol:
            block = entry.setdefault(
                "benchmark",
                {
                    "protocol": "pceb v1",
                    "n_answered": 4,
                    "n_unanswered": 0,
                    "acc": value,
                    "acc_elastic": value,
                },
            )
            block[column.metric] = value
        correct = round(value / 25)
        lines = [
            {
                "doc_id": f"d{i}",
                "scores": {"acc": float(i < correct), "acc_elastic": float(i < correct)},
                "benchmark": {"extracted": "A", "type": 0 if i < correct else 2, "rate": float(i < correct)},
            }
            for i in range(4)
        ]
        (folder / "samples" / f"{column.task}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    results = {
        "schema_version": 2,
        "model": {"name": name, "display_name": display, "category": "candidate", "params_b": params_b},
        "tasks": tasks,
        "groups": {
            "pceb_mcq": {"subtasks": [c.task for c in BENCHMARKS["pceb"].columns if c.metric == "acc"]}
        },
        "finished_at": "2026-11-24T12:00:00+00:00",
    }
    (folder / "results.json").write_text(json.dumps(results))
    point_latest(folder)


def test_runs_become_rows_with_their_source_and_the_best_ranks_first(tmp_path: Path) -> None:
    _fake_run(tmp_path, "strong", "Strong", {"case_smcq": 100.0})
    _fake_run(tmp_path, "weak", "Weak", {"case_smcq": 25.0})
    rows = leaderboard_rows("pceb", tmp_path)
    ours = [row for row in rows if not row.is_reference]
    assert [row.label for row in ours] == ["Strong", "Weak"]
    assert ours[0].source == "ours, 2026-11-24"
    places = ranks(BENCHMARKS["pceb"], rows)
    strong = rows.index(ours[0])
    assert places[(strong, "case_smcq")] == 1  # 100 beats DeepSeek-R1's 79.25
    deepseek = next(i for i, row in enumerate(rows) if row.label == "DeepSeek-R1")
    assert places[(deepseek, "case_smcq")] == 2
    assert ours[1].values["avg"] == pytest.approx((25 + 50 * 5) / 6)
    markdown = to_markdown(BENCHMARKS["pceb"], rows)
    deepseek_line = next(line for line in markdown.splitlines() if line.startswith("| DeepSeek-R1 |"))
    assert "<ins>79.25</ins>" in deepseek_line and "<u>" not in markdown  # GitHub drops <u>, keeps <ins>
    assert "(el.): elastic accuracy" in markdown


def test_a_missing_task_leaves_empty_cells_and_a_note(tmp_path: Path) -> None:
    _fake_run(tmp_path, "partial", "Partial", {}, tasks_missing=("pceb_case_qa", "pceb_moral_mmcq"))
    row = next(row for row in leaderboard_rows("pceb", tmp_path) if not row.is_reference)
    assert row.values["rouge1"] is None and row.values["moral_mmcq"] is None and row.values["avg"] is None
    assert row.notes == ["missing: pceb_case_qa, pceb_moral_mmcq"]
    markdown = to_markdown(BENCHMARKS["pceb"], [row])
    assert "missing: pceb_case_qa, pceb_moral_mmcq" in markdown


def test_a_damaged_results_file_stops_the_leaderboard_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken" / "abc").mkdir(parents=True)
    (tmp_path / "broken" / "abc" / "results.json").write_text("{not json")
    with pytest.raises(HarnessError, match="broken/abc/results.json: invalid JSON"):
        leaderboard_rows("pceb", tmp_path)
    (tmp_path / "broken" / "abc" / "results.json").write_text(json.dumps({"schema_version": 2, "tasks": []}))
    done = run_harness("leaderboard", "--benchmark", "pceb", "--results-dir", str(tmp_path))
    assert done.returncode == 2 and "'tasks' should map names to objects" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_cpsyexam_dev_runs_never_rank_against_the_papers_test_rows(tmp_path: Path, models_file: Path) -> None:
    from harness.models import resolve_model
    from harness.runs.runner import RunOptions, evaluate

    evaluate(
        resolve_model("always-b", [models_file]),
        ["cpsyexam", "cpsyexam_5shot"],
        RunOptions(output_dir=tmp_path),
    )
    rows = leaderboard_rows("cpsyexam", tmp_path)
    ours = next(i for i, row in enumerate(rows) if not row.is_reference)
    assert rows[ours].split == "dev" and "dev split" in rows[ours].source
    places = ranks(BENCHMARKS["cpsyexam"], rows)
    assert not any(index == ours for index, _ in places)  # alone on its split: ranked against nothing
    assert places  # while the paper's test-split rows are ranked among themselves


def test_compare_pairs_two_runs_by_doc_id(tmp_path: Path) -> None:
    _fake_run(tmp_path, "a", "A", {c.key: 100.0 for c in BENCHMARKS["pceb"].columns})
    _fake_run(tmp_path, "b", "B", {c.key: 25.0 for c in BENCHMARKS["pceb"].columns})
    [compared] = compare_runs(tmp_path, "a", "b", ["pceb_mcq"], "acc").compared
    name, result = compared.name, compared.result
    assert name == "pceb_mcq" and result.n == 24 and result.difference == pytest.approx(0.75)
    assert result.p_value < 0.001 and (compared.tasks, compared.aggregate) == (6, "macro")
    done = run_harness(
        "compare", "a", "b", "--tasks", "pceb_mcq", "--results-dir", str(tmp_path), "--protocol", "strict"
    )  # fmt: skip
    assert done.returncode == 0 and "+75.00" in done.stdout and "< 0.0001" in done.stdout
    assert "pceb_mcq (6 tasks, macro)" in done.stdout and "macro = mean of task means" in done.stdout
    assert "strict protocol" in done.stdout  # the title says which protocol the numbers use


def test_compare_reads_each_benchmarks_own_protocol_by_default_as_the_leaderboard(
    tmp_path: Path, models_file: Path
) -> None:
    """'CBT认为……' states no answer (strict: wrong) but PCEB's own code reads a letter in it."""
    from harness.models import resolve_model
    from harness.runs.runner import RunOptions, evaluate

    for model in ("always-b", "rambler"):
        evaluate(resolve_model(model, [models_file]), ["pceb_theory_smcq"], RunOptions(output_dir=tmp_path))
    strict, own = (
        compare_runs(tmp_path, "always-b", "rambler", ["pceb_theory_smcq"], "acc", (), protocol).compared[0]
        for protocol in ("strict", "benchmark")
    )
    assert strict.result.mean_b == 0.0 and own.result.mean_b > 0.0
    done = run_harness(
        "compare", "always-b", "rambler", "--tasks", "pceb_theory_smcq", "--results-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert "each benchmark's own protocol, as the leaderboard" in done.stdout
    assert f"{100 * own.result.mean_b:.2f}" in done.stdout


def test_compare_leaves_out_a_task_one_run_lacks_and_marks_the_group_partial(tmp_path: Path) -> None:
    """B never ran two of PCEB's six MCQ tasks: compare names them, compares the four both runs
    have (items pooled, marked partial: not the group's macro average), and stops on nothing."""
    _fake_run(tmp_path, "a", "A", {c.key: 100.0 for c in BENCHMARKS["pceb"].columns})
    _fake_run(tmp_path, "b", "B", {}, tasks_missing=("pceb_case_smcq", "pceb_case_mmcq"))
    comparison = compare_runs(tmp_path, "a", "b", ["pceb_mcq"], "acc")
    [compared] = comparison.compared
    assert (compared.tasks, compared.aggregate, compared.result.n) == (4, "partial", 16)
    assert comparison.skipped == [
        "pceb_case_smcq (not in the run of b)",
        "pceb_case_mmcq (not in the run of b)",
    ]
    done = run_harness("compare", "a", "b", "--tasks", "pceb_mcq", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "partial" in done.stdout and "pceb_case_smcq (not in the run of b)" in done.stdout


def _grow_task(results_dir: Path, name: str, task: str, right: int, wrong: int) -> None:
    """Give one task of a fake run `right + wrong` items (results.json and samples alike)."""
    folder = results_dir / name / "0123456789ab"
    lines = [
        {
            "doc_id": f"d{i}",
            "scores": {"acc": float(i < right), "acc_elastic": float(i < right)},
            "benchmark": {"extracted": "A", "type": 0 if i < right else 2, "rate": float(i < right)},
        }
        for i in range(right + wrong)
    ]
    (folder / "samples" / f"{task}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    results = json.loads((folder / "results.json").read_text())
    accuracy = 100 * right / (right + wrong)
    entry = results["tasks"][task]
    entry.update({"n": right + wrong, "n_expected": right + wrong, "n_scored": right + wrong})
    entry.update({"acc": accuracy, "acc_elastic": accuracy})
    entry["benchmark"].update({"acc": accuracy, "acc_elastic": accuracy, "n_answered": right + wrong})
    (folder / "results.json").write_text(json.dumps(results))


def test_compare_reports_the_aggregate_the_leaderboard_reports(tmp_path: Path) -> None:
    _fake_run(tmp_path, "a", "A", {})  # 50% on every task, 4 items each
    _fake_run(tmp_path, "b", "B", {})
    _grow_task(tmp_path, "a", "pceb_case_smcq", right=40, wrong=0)  # one large task all right
    _grow_task(tmp_path, "b", "pceb_case_smcq", right=0, wrong=40)
    [compared] = compare_runs(tmp_path, "a", "b", ["pceb_mcq"], "acc").compared
    rows = {row.label: row for row in leaderboard_rows("pceb", tmp_path, protocol="strict")}
    assert 100 * compared.result.mean_a == pytest.approx(float(rows["A"].values["avg"]))  # (100 + 5 x 50) / 6
    assert 100 * compared.result.mean_b == pytest.approx(float(rows["B"].values["avg"]))  # (0 + 5 x 50) / 6
    pooled_a = (40 + 5 * 2) / 60
    assert compared.result.mean_a != pytest.approx(pooled_a)  # not the items pooled
    low, high = compared.result.interval
    assert low <= compared.result.difference <= high


def test_compare_expands_a_group_of_groups_and_leaves_out_tasks_without_the_metric(tmp_path: Path) -> None:
    _fake_run(tmp_path, "a", "A", {c.key: 100.0 for c in BENCHMARKS["pceb"].columns})
    _fake_run(tmp_path, "b", "B", {c.key: 25.0 for c in BENCHMARKS["pceb"].columns})
    comparison = compare_runs(tmp_path, "a", "b", ["pceb"], "acc")
    assert [c.name for c in comparison.compared] == ["pceb"]
    assert (comparison.compared[0].tasks, comparison.compared[0].aggregate) == (
        6,
        "pooled",
    )  # pceb declares none
    assert [note.split(" (")[0] for note in comparison.skipped] == ["pceb_case_qa"]
    done = run_harness("compare", "a", "b", "--tasks", "pceb_case_qa", "--results-dir", str(tmp_path))
    assert done.returncode == 2 and done.stderr.startswith(
        "error: no task among pceb_case_qa reports acc: pceb_case_qa (reports"
    )


def test_out_dir_gets_tables_in_every_format_and_figure_1(tmp_path: Path) -> None:
    _fake_run(tmp_path / "results", "strong", "Strong", {"case_smcq": 100.0})
    build_leaderboards(["pceb", "cpsyexam"], tmp_path / "results", "md", tmp_path / "out")
    names = {path.name for path in (tmp_path / "out").iterdir()}
    assert {
        "table1_pceb.md",
        "table1_pceb.csv",
        "table1_pceb.tex",
        "table1_pceb.html",
        "table2_cpsyexam.md",
    } <= names
    assert (tmp_path / "out" / "figure1_pceb_vs_size.png").read_bytes()[:4] == b"\x89PNG"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "table1_pceb.csv").read_text())))
    assert rows[-1]["model"] == "Strong" and float(rows[-1]["case_smcq_ci_low"]) == 100.0
    html_page = (tmp_path / "out" / "table1_pceb.html").read_text()
    assert "<svg" in html_page and "src=" not in html_page  # self-contained


def test_the_leaderboard_command_says_which_files_it_wrote(tmp_path: Path) -> None:
    _fake_run(tmp_path / "results", "strong", "Strong", {"case_smcq": 100.0})
    done = run_harness(
        "leaderboard", "--benchmark", "pceb", "--results-dir", str(tmp_path / "results"), "--output-dir", str(tmp_path / "out")
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"files in {tmp_path / 'out'}: " in done.stdout and "table1_pceb.md" in done.stdout


def test_csv_keeps_the_paper_rows_in_order() -> None:
    text = to_csv(BENCHMARKS["cpsyexam"], reference_rows(BENCHMARKS["cpsyexam"]))
    assert [row["model"] for row in csv.DictReader(io.StringIO(text))][:2] == ["MiniCPM4-8B", "Qwen2.5-7B"]


CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(path).exists()), None
)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_all_in_one_page_renders_in_headless_chromium_and_every_table_sorts(tmp_path: Path) -> None:
    import re
    import subprocess

    _fake_run(tmp_path / "results", "strong", "Strong", {"case_smcq": 100.0})
    page = tmp_path / "all.html"
    page.write_text(
        build_leaderboards(benchmark_names(), tmp_path / "results", "html", None), encoding="utf-8"
    )

    def rendered(url: str) -> tuple[dict[str, list[str]], str]:
        """Per section, the model names in the order the page shows them after its script ran."""
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-1000:]
        sections = re.findall(r'<section id="(\w+)">(.*?)</section>', done.stdout, re.S)
        models = {
            stem: re.findall(r'<tr class="(?:paper|ours)"><td data-sort="[^"]*" class="model">([^<]+)', body)
            for stem, body in sections
        }
        return models, done.stderr

    shown, log = rendered(page.as_uri())
    assert list(shown) == ["table1_pceb", "table2_cpsyexam", "table5_psydt"]  # one page, every table
    assert "Uncaught" not in log  # one script: no redeclared names
    assert shown["table1_pceb"][0] == "MiniCPM4-8B" and shown["table1_pceb"][-1] == "Strong"
    by_model, _ = rendered(page.as_uri() + "#sort=model")  # a column every table has: each one sorts
    for stem, models in by_model.items():
        assert models == sorted(shown[stem], reverse=True) and len(models) == len(shown[stem]), stem
    by_case_smcq, _ = rendered(page.as_uri() + "#sort=case_smcq")  # only Table 1 has it
    assert by_case_smcq["table1_pceb"][:3] == ["Strong", "DeepSeek-R1", "Qwen3-235B-A22B"]
    assert by_case_smcq["table2_cpsyexam"] == shown["table2_cpsyexam"]
    unknown, log = rendered(page.as_uri() + "#sort=99")  # an unknown key changes nothing, throws nothing
    assert unknown == shown and "Uncaught" not in log


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_in_a_1280_pixel_window_no_model_name_or_interval_breaks_over_two_lines(tmp_path: Path) -> None:
    """Laid out by Chromium: every model name and every interval under a value is one line (the
    source column wraps instead); counted as the line boxes of each text."""
    import re
    import subprocess

    _fake_run(tmp_path / "results", "strong", "A-Rather-Long-Candidate-Model-Name-7B", {"case_smcq": 100.0})
    measure = """<script>
for (const cell of document.querySelectorAll('td.model, span.ci')) {
  const range = document.createRange();
  range.selectNodeContents(cell.firstChild);
  cell.setAttribute('data-lines', range.getClientRects().length);
}
</script>"""
    page = tmp_path / "all.html"
    page.write_text(
        build_leaderboards(benchmark_names(), tmp_path / "results", "html", None).replace(
            "</body>", measure + "</body>"
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1280,900",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1000:]
    lines = re.findall(r'class="(model|ci)"[^>]*data-lines="(\d+)"', done.stdout)
    assert len([kind for kind, _ in lines if kind == "ci"]) >= 6 and len(lines) > 40
    assert [(kind, n) for kind, n in lines if n != "1"] == []


def test_the_html_page_shows_intervals_note_markers_and_the_papers_table_as_source(tmp_path: Path) -> None:
    _fake_run(tmp_path / "results", "strong", "Strong", {"case_smcq": 100.0})
    page = build_leaderboards(["pceb"], tmp_path / "results", "html", None)
    assert "<span class='ci'" in page  # intervals visible under our values, not only on hover
    gemini = next(line for line in page.splitlines() if "Gemini1.5-Pro" in line)
    assert (
        "<sup><a href='#table1_pceb-note-1'>1</a>,<a href='#table1_pceb-note-2'>2</a></sup>" in gemini
    )  # its printed average is flagged
    assert ">paper, Table 1<" in gemini and "paper line" not in page
    assert "General LLMs" in page and "aria-sort" in page and "#sort=KEY" in page


def test_several_benchmarks_print_as_one_csv_with_one_header(tmp_path: Path) -> None:
    text = build_leaderboards(["pceb", "cpsyexam"], tmp_path / "none", "csv", None)
    rows = list(csv.reader(io.StringIO(text)))
    assert sum(row[0] == "benchmark" for row in rows) == 1
    assert {row[0] for row in rows[1:]} == {"pceb", "cpsyexam"}
    gemini_avg = [r for r in rows if r[0] == "pceb" and r[1] == "Gemini1.5-Pro" and r[6] == "avg"]
    assert (
        len(gemini_avg) == 1 and gemini_avg[0][8] == "61.1517"
    )  # computed from its columns (it prints 61.26)


def test_latex_is_in_the_papers_layout() -> None:
    bench = BENCHMARKS["pceb"]
    tex = to_latex(bench, sort_rows(reference_rows(bench)))
    assert tex.count("\\toprule") == tex.count("\\bottomrule") == 1 and "\\hline" not in tex
    assert "\\multicolumn{3}{c}{Case}" in tex and "\\cmidrule(lr){3-5}" in tex  # grouped headers
    assert "\\multicolumn{15}{l}{\\textit{General LLMs}}" in tex  # category rows, paper's names
    assert "51.75 (57.01)" in tex  # Avg. with Avg. (el.) in parentheses, one column
    assert "\\caption{PCEB}" in tex and "\\label{tab:table1_pceb}" in tex
    assert "\\resizebox{\\textwidth}{!}{%" in tex and "\\colorlet{first}{red!45}" in tex
    # notes: in the table's width, scaled with it, left-aligned, one per line, footnote size
    assert "\\parbox{\\wd\\harnesstable}{\\footnotesize\\raggedright" in tex
    notes = tex.split("\\raggedright\n", 1)[1].split("}\n\\end{tabular}", 1)[0].splitlines()
    assert len(notes) >= 4 and all(line.endswith(" \\\\") for line in notes[:-1])
    assert notes[-1].startswith("2. Gemini1.5-Pro")
    deepseek = next(line for line in tex.splitlines() if line.startswith("DeepSeek-R1 &"))
    assert deepseek.count("\\cellcolor{first}") == 3  # case SMCQ, moral SMCQ, theory SMCQ
    table2 = to_latex(BENCHMARKS["cpsyexam"], sort_rows(reference_rows(BENCHMARKS["cpsyexam"])))
    assert "\\multicolumn{4}{c}{Zero-shot}" in table2 and "\\multicolumn{2}{c}{Knowledge}" in table2
    table_rows = tex.split("\\bottomrule", 1)[0].splitlines()
    for row in [line for line in table_rows if line.endswith("\\\\")]:
        cells = row.count("&") - row.count("\\&")
        assert cells == 14 or "multicolumn" in row, row  # every row fills the 15 columns


@pytest.mark.skipif(
    shutil.which("pdflatex") is None, reason="no TeX engine here; the structure is checked above"
)
def test_latex_compiles(tmp_path: Path) -> None:
    import subprocess

    bench = BENCHMARKS["pceb"]
    body = to_latex(bench, sort_rows(reference_rows(bench)))
    document = (
        "\\documentclass{article}\\usepackage{booktabs,graphicx}\\usepackage[table]{xcolor}"
        "\\begin{document}\n" + body + "\\end{document}\n"
    )
    (tmp_path / "table.tex").write_text(document, encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "table.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_leaderboards_are_a_pure_function_of_the_run_folders(tmp_path: Path) -> None:
    for out in ("first", "second"):
        build_leaderboards(["pceb"], tmp_path / "no-runs", "md", tmp_path / out)
    for name in (
        "table1_pceb.md",
        "table1_pceb.html",
        "figure1_pceb_vs_size.svg",
        "figure1_pceb_vs_size.png",
    ):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_our_rows_follow_the_benchmarks_protocol_beside_the_papers_or_strict_when_asked(
    tmp_path: Path,
) -> None:
    _fake_run(tmp_path, "mine", "Mine", {"case_smcq": 75.0}, strict_offset=25.0)
    benchmark_row = next(r for r in leaderboard_rows("pceb", tmp_path) if not r.is_reference)
    strict_row = next(r for r in leaderboard_rows("pceb", tmp_path, protocol="strict") if not r.is_reference)
    assert benchmark_row.values["case_smcq"] == 75 and strict_row.values["case_smcq"] == 50
    assert benchmark_row.values["rouge1"] == strict_row.values["rouge1"]  # case QA has one protocol
    assert "strict protocol" in strict_row.source and strict_row.protocol == "strict"
    strict_places = ranks(BENCHMARKS["pceb"], leaderboard_rows("pceb", tmp_path, protocol="strict"))
    rows = leaderboard_rows("pceb", tmp_path, protocol="strict")
    ours = next(i for i, r in enumerate(rows) if not r.is_reference)
    assert not any(
        index == ours for index, _ in strict_places
    )  # strict numbers never rank against the paper's
    table = build_leaderboards(["pceb"], tmp_path, "md", None, protocol="strict")
    assert "strict protocol" in table.splitlines()[0]


def test_a_run_without_the_benchmark_protocols_numbers_is_noted_and_not_ranked(tmp_path: Path) -> None:
    _fake_run(tmp_path, "old", "Old", {})
    results_path = next((tmp_path / "old").glob("*/results.json"))
    results = json.loads(results_path.read_text())
    for task in results["tasks"].values():
        task.pop("benchmark", None)
    results_path.write_text(json.dumps(results))
    row = next(r for r in leaderboard_rows("pceb", tmp_path) if not r.is_reference)
    assert row.values["case_smcq"] is None and not row.ranked
    assert any(
        "no benchmark-protocol numbers" in note and "harness score --run" in note for note in row.notes
    )


def _mark_partial(results_dir: Path, name: str) -> None:
    path = results_dir / name / "0123456789ab" / "results.json"
    results = json.loads(path.read_text())
    first = next(iter(results["tasks"].values()))
    first.update({"n_scored": 2, "n_missing": 2, "complete": False})
    path.write_text(json.dumps(results))


def test_figure_1_labels_do_not_overlap_and_undisclosed_sizes_have_their_own_strip(tmp_path: Path) -> None:
    from harness.leaderboard.figures import draw_size_figure

    _fake_run(tmp_path, "strong", "Strong", {"case_smcq": 100.0})
    _fake_run(tmp_path, "partial", "Partial", {})
    _mark_partial(tmp_path, "partial")
    bench = BENCHMARKS["pceb"]
    assert bench.figure is not None
    rows = leaderboard_rows("pceb", tmp_path)
    fig, labels = draw_size_figure(rows, bench.figure)
    renderer = fig.canvas.get_renderer()
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in labels]
    overlapping = [
        (a, b) for i, (a, box) in enumerate(boxes) for b, other in boxes[i + 1 :] if box.overlaps(other)
    ]
    assert overlapping == []
    main, strip = fig.axes[:2]
    assert {t.get_text() for t in labels if t.axes is strip} == {
        "Claude3.7-Sonnet",
        "Gemini1.5-Pro",
        "GPT-4o",
    }
    assert main.get_xlim()[1] < 1000  # no invented 2,013B position for the undisclosed sizes
    assert strip.get_xlabel() == "size not disclosed"
    legend = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend == [
        "General LLMs",
        "Reasoning-Augmented LLMs",
        "Closed-Source LLMs",
        "Psychological LLMs",
        "Candidate models",
    ]
    drawn = {t.get_text() for t in labels}
    assert "Strong (ours)" in drawn and "Partial (ours)" not in drawn  # partial runs are left out...
    _, with_partial = draw_size_figure(rows, bench.figure, include_unranked=True)
    assert "Partial (ours)" in {t.get_text() for t in with_partial}  # ...unless asked for
    bars = [child for child in main.containers if child.__class__.__name__ == "ErrorbarContainer"]
    assert len(bars) == 1  # our run's 95% interval of the average


def test_an_average_of_our_run_has_an_interval_from_its_tasks(tmp_path: Path) -> None:
    _fake_run(tmp_path, "strong", "Strong", {"case_smcq": 100.0})
    ours = next(row for row in leaderboard_rows("pceb", tmp_path) if not row.is_reference)
    low, high = ours.intervals["avg"]
    assert low <= float(ours.values["avg"] or 0) <= high


def test_compare_paper_sets_a_reproduced_run_against_the_papers_row(tmp_path: Path) -> None:
    # A reproduction of Qwen2.5-7B: case SMCQ as printed (47.57), case MMCQ all right (paper: 31.64).
    _fake_run(
        tmp_path,
        "qwen2.5-7b",
        "Qwen2.5-7B",
        {"case_smcq": 47.57, "case_mmcq": 100.0, "case_mmcq_elastic": 100.0},
    )
    cells = {(c.benchmark, c.column): c for c in compare_with_paper(tmp_path, "qwen2.5-7b")}
    smcq, mmcq = cells[("pceb", "Case SMCQ")], cells[("pceb", "Case MMCQ")]
    assert (smcq.ours, smcq.paper, smcq.difference) == (Fraction("47.57"), Fraction("47.57"), 0)
    assert smcq.interval is not None and smcq.paper_within  # 2 of 4 right: a wide interval holds 47.57
    assert (
        mmcq.difference == Fraction("68.36")
        and mmcq.interval == (100.0, 100.0)
        and mmcq.paper_within is False
    )
    assert cells[("pceb", "Avg.")].paper == Fraction("57.91")
    done = run_harness("compare", "qwen2.5-7b", "--paper", "--results-dir", str(tmp_path))
    assert done.returncode == 0 and "+68.36" in done.stdout and "vs the paper: pceb" in done.stdout
    assert "benchmark's own protocol" in done.stdout  # the title says which protocol the numbers use
    _fake_run(tmp_path, "mine", "My model", {})
    done = run_harness("compare", "mine", "--paper", "--results-dir", str(tmp_path))
    assert done.returncode == 2 and "has no row in the paper's tables" in done.stderr


def test_a_run_without_its_samples_says_so_on_its_row(tmp_path: Path) -> None:
    _fake_run(tmp_path, "strong", "Strong", {"case_smcq": 100.0})
    for samples in tmp_path.rglob("samples"):
        shutil.rmtree(samples)
    ours = next(row for row in leaderboard_rows("pceb", tmp_path) if not row.is_reference)
    assert any(note.startswith("no samples for pceb_case_mmcq") for note in ours.notes), ours.notes
    assert not ours.intervals


def test_table_2s_average_of_our_run_is_the_groups_own_number_and_inside_its_interval(tmp_path: Path) -> None:
    from harness.runs.runner import RunOptions, score_predictions

    docs = [json.loads(line) for line in run_harness("docs", "--tasks", "cpsyexam").stdout.splitlines()]
    # Answered unevenly: knowledge_single all unreadable but one, the others all answered (B).
    predictions = [
        {
            "task": doc["task"],
            "doc_id": doc["doc_id"],
            "response": "无法判断"
            if doc["task"] == "cpsyexam_knowledge_single" and i % 3
            else '{"ans": "B"}',
        }
        for i, doc in enumerate(docs)
    ]
    results = score_predictions("mine", ["cpsyexam"], predictions, RunOptions(output_dir=tmp_path))
    group = results["groups"]["cpsyexam"]["benchmark"]["acc"]
    ours = next(row for row in leaderboard_rows("cpsyexam", tmp_path) if not row.is_reference)
    value = float(ours.values["avg"] or 0)  # Table 2's Avg. over the four zero-shot columns
    assert value == pytest.approx(group)  # one definition: the group's micro accuracy over answered items
    low, high = ours.intervals["avg"]
    assert low <= value <= high


def test_figure_1_hides_no_marker_and_ticks_the_sizes_a_reader_reads(tmp_path: Path) -> None:
    """Every marker (the paper's 14B Qwen2.5 beside the 14B PsycoLLM star; ours at 7B beside the
    paper's 7B models) is apart from every other and from every other run's error bar; the log axis
    is ticked 7B, 14B, 32B, 70B ..., not 10^1 and 10^2."""
    from harness.leaderboard.figures import draw_size_figure

    _fake_run(tmp_path, "ours7b", "Ours-7B", {"case_smcq": 60.0}, params_b=7.6)
    bench = BENCHMARKS["pceb"]
    assert bench.figure is not None
    fig, labels = draw_size_figure(leaderboard_rows("pceb", tmp_path), bench.figure)
    main = fig.axes[0]
    to_pixels = main.transData.transform
    markers = [tuple(to_pixels(offset)) for c in main.collections for offset in c.get_offsets()]
    assert len(markers) > 10
    close = [
        (a, b)
        for i, a in enumerate(markers)
        for b in markers[i + 1 :]
        if abs(a[0] - b[0]) < 6 and abs(a[1] - b[1]) < 6
    ]
    assert close == []
    bars = [c for c in main.containers if c.__class__.__name__ == "ErrorbarContainer"]
    for bar in bars:
        for segment in bar.lines[2][0].get_segments():
            (x, low), (_, high) = (to_pixels(point) for point in segment)
            # another run's marker on the bar (the run's own sits at the bar's x exactly)
            crossed = [m for m in markers if 0.5 < abs(m[0] - x) < 5 and low - 6 < m[1] < high + 6]
            assert crossed == []
    ticks = [t.get_text() for t in main.get_xticklabels()]
    assert {"7B", "14B", "32B", "70B"} <= set(ticks) and not any("10^" in t or "$" in t for t in ticks)
