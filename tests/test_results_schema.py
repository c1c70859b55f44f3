"""results.json has one documented shape: a pydantic model, its JSON Schema exported to the repo,
checked on every write and read; older files are read by upgrading them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.runs.results import read_results
from harness.runs.results_schema import SCHEMA_VERSION, json_schema
from harness.runs.runner import RunOptions, evaluate

EXPORTED = Path(__file__).resolve().parents[1] / "schemas" / "results.schema.json"
ALWAYS_B = ModelSpec(name="b", backend="mock", category="candidate", mock_response="答案：B")


def test_the_exported_schema_is_the_models_schema() -> None:
    assert EXPORTED.read_text(encoding="utf-8") == json_schema(), (
        "schemas/results.schema.json is stale: regenerate it with `harness schema > schemas/results.schema.json`"
    )


def test_a_written_results_file_validates_against_the_exported_schema(tmp_path: Path) -> None:
    evaluate(ALWAYS_B, ["pceb", "cpsyexam_case_single"], RunOptions(output_dir=tmp_path))
    written = json.loads((tmp_path / "b" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert written["schema_version"] == SCHEMA_VERSION == 3
    jsonschema.validate(written, json.loads(EXPORTED.read_text(encoding="utf-8")))
    assert written["tasks"]["pceb_case_qa"]["metrics"] == ["rouge1", "rougeL", "bleu4"]


def test_a_version_1_file_is_read_by_upgrading_it(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    first_layout = {
        "schema_version": 1,
        "model": {"name": "old", "category": "candidate"},
        "generation": {"temperature": 0.0},
        "tasks": {"pceb_moral_smcq": {"version": "1.0", "split": "test", "n": 2, "n_failed": 0, "acc": 50.0}},
        "groups": {},
        "provenance": {},
        "started_at": "2026-11-01T00:00:00+00:00",
        "finished_at": "2026-11-01T00:00:00+00:00",
    }
    path.write_text(json.dumps(first_layout), encoding="utf-8")
    read = read_results(path)
    task = read["tasks"]["pceb_moral_smcq"]
    assert read["upgraded_from"] == 1 and read["spec_hash"] is None
    assert (task["metrics"], task["complete"], task["n_scored"], task["n_expected"]) == (["acc"], True, 2, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda task: task.update(acc="fifty"), "metric 'acc' should be a number"),
        (lambda task: task.pop("n_scored"), "missing setting 'tasks.pceb_moral_smcq.scored.n_scored'"),
    ],
)
def test_a_results_file_of_the_wrong_shape_is_a_one_line_error(tmp_path: Path, change, message: str) -> None:
    evaluate(ALWAYS_B, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    path = tmp_path / "b" / "latest" / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["tasks"]["pceb_moral_smcq"])
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(HarnessError, match=message) as raised:
        read_results(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_run_is_read_back_as_typed_records(tmp_path: Path) -> None:
    """Scored and judged tasks are told apart by their type, not by a key; each metric and the
    benchmark block are read through the record."""
    from fractions import Fraction

    from harness.runs.results import read_results_file
    from harness.runs.results_schema import BenchmarkBlock, GroupResult, ScoredTask
    from harness.scoring.summary import task_value

    evaluate(ALWAYS_B, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    run = read_results_file(tmp_path / "b" / "latest" / "results.json")
    task = run.scored()["pceb_moral_smcq"]
    assert isinstance(task, ScoredTask) and run.judged() == {}
    assert isinstance(task.benchmark, BenchmarkBlock) and task.benchmark.protocol.startswith("pceb")
    numerator, denominator = task.exact["acc"]
    assert task_value(task, "acc") == Fraction(numerator, denominator) * 100
    assert task.value("acc") == pytest.approx(100 * numerator / denominator)
    assert all(isinstance(group, GroupResult) for group in run.groups.values())


def test_results_json_holds_what_the_run_set_and_nothing_added(tmp_path: Path) -> None:
    """The file is the typed record as built: no field the run did not set appears as null."""
    evaluate(ALWAYS_B, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    written = json.loads((tmp_path / "b" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert "upgraded_from" not in written and "judges" not in written
    assert written["backend"]["class"] == "mock"
    assert "subset" not in written["tasks"]["pceb_moral_smcq"]
