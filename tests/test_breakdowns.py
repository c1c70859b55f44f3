"""`harness leaderboard --by`: our runs below the columns, per PCEB exam level, CPsyExam subject and
CPsyCounE topic (per judge)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURE_DATA, run_harness

from harness.judge.summary import summarize_judged
from harness.leaderboard.breakdown import breakdowns
from harness.models import resolve_model
from harness.runs.results import read_results
from harness.runs.runner import RunOptions, evaluate
from harness.runs.sample import Sample
from harness.scoring.summary import coverage
from harness.tasks.catalog import load_tasks


def _cell(text: str) -> tuple[float, int]:
    value, count = text.split(" (")
    return float(value), int(count.rstrip(")"))


def test_pceb_breaks_down_by_exam_level_and_the_levels_add_up_to_the_task(
    tmp_path: Path, models_file: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    theory = data / "PCEB" / "benchmark" / "theory" / "single"
    (theory / "third").mkdir()
    shutil.copy(theory / "second" / "01 理论单选.json", theory / "third" / "02 理论单选.json")
    options = RunOptions(data_dir=str(data), output_dir=tmp_path / "out")
    results = evaluate(resolve_model("always-b", [models_file]), ["pceb_mcq"], options)
    [table] = breakdowns("level", tmp_path / "out")
    rows = dict(table.rows)
    assert set(rows) == {"second", "third", "all"}
    column = table.columns.index("Theory SMCQ")
    second, third, whole = (_cell(rows[level][column]) for level in ("second", "third", "all"))
    assert second[1] == third[1] and whole[1] == second[1] + third[1]  # the copy: as many items
    assert whole[0] == round(results["tasks"]["pceb_theory_smcq"]["benchmark"]["acc"], 2)
    assert rows["third"][table.columns.index("Moral SMCQ")] == ""  # no third-level moral items


def test_cpsyexam_breaks_down_by_subject_with_its_own_protocols_counts(
    tmp_path: Path, models_file: Path
) -> None:
    results = evaluate(
        resolve_model("always-b", [models_file]), ["cpsyexam"], RunOptions(output_dir=tmp_path)
    )
    [table] = breakdowns("subject", tmp_path)
    column = table.columns.index("Zero-shot Knowledge SMCQ")
    counted = [_cell(cells[column]) for _, cells in table.rows if cells[column]]
    assert (
        sum(n for _, n in counted) == results["tasks"]["cpsyexam_knowledge_single"]["benchmark"]["n_answered"]
    )
    done = run_harness(
        "leaderboard", "--by", "subject", "--results-dir", str(tmp_path), "--protocol", "strict"
    )
    assert done.returncode == 2 and "use --protocol benchmark" in done.stderr


def test_cpsycoune_breaks_down_by_topic_and_dimension_for_every_judge(tmp_path: Path) -> None:
    [leaf], _ = load_tasks(["cpsycoune"], {})
    assert leaf.rubric is not None
    keys = leaf.rubric.keys

    def verdict(score: int) -> dict:
        return {"status": "ok", "scores": {key: score for key in keys}}

    samples = [  # two topics, one dialogue each; the second judge scores everything one lower
        Sample(
            f"d{i}",
            "",
            "回复",
            None,
            "scored",
            topic=topic,
            dialogue_id=f"{topic}-1",
            turn=i,
            judges={"gpt-4o": verdict(score), "qwen-judge": verdict(score - 1)},
        )
        for i, (topic, score) in enumerate([("婚恋", 2), ("婚恋", 1), ("职场", 1)])
    ]
    folder = tmp_path / "counselor" / "0123456789ab"
    (folder / "samples").mkdir(parents=True)
    task = coverage(samples, 3) | summarize_judged(leaf.rubric, samples, ["gpt-4o", "qwen-judge"])
    results = {"schema_version": 3, "spec_hash": "0123456789ab", "spec": {}, "model": {"name": "counselor"}}
    (folder / "results.json").write_text(
        json.dumps(results | {"tasks": {"cpsycoune": task}}), encoding="utf-8"
    )
    read_results(folder / "results.json")  # a results file the harness accepts
    first, second = breakdowns("topic", tmp_path)
    assert "judged by gpt-4o" in first.title and "judged by qwen-judge" in second.title
    assert first.columns == tuple(keys)
    rows = dict(first.rows)
    assert rows["婚恋"] == ("1.500",) * len(keys) and rows["职场"] == ("1.000",) * len(keys)
    assert rows["all topics"] == ("1.250",) * len(keys)  # the mean of topic means
    assert dict(second.rows)["婚恋"] == ("0.500",) * len(keys)
    done = run_harness("leaderboard", "--by", "topic", "--results-dir", str(tmp_path), "--format", "csv")
    assert done.returncode == 0 and f"婚恋,{keys[0]},1.500" in done.stdout


def test_a_limited_run_is_marked_partial_in_its_breakdown(tmp_path: Path, models_file: Path) -> None:
    evaluate(resolve_model("always-b", [models_file]), ["pceb_mcq"], RunOptions(output_dir=tmp_path, limit=1))
    [table] = breakdowns("level", tmp_path)
    assert "(partial: " in table.title and "1 of 2 items scored" in table.title
