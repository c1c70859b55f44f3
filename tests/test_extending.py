"""A new benchmark is one task file plus one small module in a folder of the user's: the harness
lists it, runs it, scores predictions for it, compares runs on it and draws its leaderboard, with
no edit to the harness."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.data.mcq_records import mcq_docs
from harness.errors import HarnessError
from harness.tasks.index import index_tasks

TASK_FILE = """\
task: toy_mcq
custom_dataset: !function utils.toy_dataset
test_split: test
output_type: generate_until
description: "回答下列选择题。"
doc_to_text: "{% if context %}材料：{{ context }}\\n{% endif %}{{ question }}{% for o in options %}\\n{{ o.label }}. {{ o.text }}{% endfor %}\\n答案："
doc_to_target: "{{ answer }}"
process_results: !function utils.process_mcq
generation_kwargs: {until: [], max_gen_toks: 16, do_sample: false, temperature: 0.0}
metric_list:
  - {metric: acc, aggregation: mean, higher_is_better: true}
  - {metric: acc_elastic, aggregation: mean, higher_is_better: true}
metadata:
  version: 1.0
  scorer: mcq
  leaderboard:
    title: "Toy benchmark"
    file_stem: toy
    columns:
      - {key: standard, group: Toy, task: toy_mcq, metric: acc}
      - {key: elastic, group: Toy, task: toy_mcq, metric: acc_elastic}
"""
MODULE = """\
from pathlib import Path

from harness.lmeval_tasks import mcq_dataset, process_mcq

__all__ = ["process_mcq", "toy_dataset"]


def toy_dataset(**_):
    return mcq_dataset(Path(__file__).with_name("questions.jsonl"))
"""
QUESTIONS = [
    {"id": "q1", "question": "共情的核心是？", "options": {"A": "评判", "B": "理解"}, "answer": "B"},
    {
        "id": "q2",
        "question": "哪项属于认知行为疗法？",
        "options": ["自由联想", "认知重构", "释梦"],
        "answer": "B",
    },
    {
        "id": "q3",
        "question": "下列说法正确的是？",
        "options": ["甲", "乙", "丙"],
        "answer": "A",
        "context": "一段材料",
    },
    {"id": "q4", "question": "哪些是咨询技术？", "options": ["倾听", "说教", "澄清"], "answer": "AC"},
]


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "toy.yaml").write_text(TASK_FILE, encoding="utf-8")
    (folder / "utils.py").write_text(MODULE, encoding="utf-8")
    (folder / "questions.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8"
    )
    (tmp_path / "models.yaml").write_text(
        "models:\n  always-b:\n    backend: mock\n    mock_response: '答案：B'\n    category: candidate\n",
        encoding="utf-8",
    )
    return folder


def harness(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_toy_benchmark_in_a_user_folder_runs_through_every_command(toy: Path, tmp_path: Path) -> None:
    out, include = str(tmp_path / "out"), ("--include-path", str(toy))
    assert "toy_mcq" in harness("tasks", *include)
    assert "toy_mcq" not in harness("tasks")

    harness("eval", "--model", "always-b", "--tasks", "toy_mcq", "--output-dir", out,
            "--models-file", str(tmp_path / "models.yaml"), *include)  # fmt: skip
    run = json.loads((tmp_path / "out" / "always-b" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert run["tasks"]["toy_mcq"]["acc"] == 50.0  # q1 and q2 are B
    assert run["tasks"]["toy_mcq"]["exact"]["acc"] == [1, 2]

    predictions = tmp_path / "oracle.jsonl"
    predictions.write_text(
        "".join(
            json.dumps({"doc_id": q["id"], "response": f"答案：{q['answer']}"}) + "\n" for q in QUESTIONS
        ),
        encoding="utf-8",
    )
    harness("score", "--tasks", "toy_mcq", "--predictions", str(predictions), "--model-name", "oracle",
            "--output-dir", out, *include)  # fmt: skip
    oracle = json.loads((tmp_path / "out" / "oracle" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert oracle["tasks"]["toy_mcq"]["acc"] == 100.0

    compared = harness("compare", "oracle", "always-b", "--tasks", "toy_mcq", "--results-dir", out, *include)
    assert "+50.00" in compared

    table = harness("leaderboard", "--benchmark", "toy_mcq", "--results-dir", out, *include)
    assert "## Toy benchmark" in table and "Toy Acc." in table and "Toy Acc. (el.)" in table
    lines = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    assert "100.00" in lines["oracle"] and "50.00" in lines["always-b"]


def test_the_prompt_shows_the_context_and_lettered_options(toy: Path) -> None:
    docs = [
        json.loads(line)
        for line in harness("docs", "--tasks", "toy_mcq", "--include-path", str(toy)).splitlines()
    ]
    third = next(doc for doc in docs if doc["doc_id"] == "q3")
    assert third["messages"] == [
        {"role": "system", "content": "回答下列选择题。"},
        {"role": "user", "content": "材料：一段材料\n下列说法正确的是？\nA. 甲\nB. 乙\nC. 丙\n答案："},
    ]
    assert next(doc for doc in docs if doc["doc_id"] == "q4")["gold"] == "AC"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"question": "q", "options": ["x", "y"], "answer": "C"}, "record 0: answer 'C' names C"),
        ({"question": "q", "options": ["x", "y"], "answer": "A", "contxt": "c"}, "unknown setting 'contxt'"),
        ({"question": "q", "options": ["x"], "answer": "A"}, "at least two non-empty options"),
    ],
)
def test_bad_question_records_are_one_line_errors(record: dict, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        mcq_docs([record], "questions.jsonl")


def test_an_undeclared_metric_in_a_task_file_names_the_file(toy: Path) -> None:
    path = toy / "toy.yaml"
    path.write_text(TASK_FILE.replace("metric: acc_elastic,", "metric: acc_elastc,"), encoding="utf-8")
    with pytest.raises(HarnessError, match=rf"{path}: metric 'acc_elastc' is not declared"):
        index_tasks([toy])


STRICT_SCORER = """
from harness.scoring.scorers import MCQ_SCORER, scorer


@scorer(metrics=["acc", "acc_strict"])
def strict(doc, response):
    scored = MCQ_SCORER.score(doc, response).metrics
    return {"acc": scored["acc"], "acc_strict": scored["acc"]}
"""


def test_a_task_file_can_declare_a_new_metric_once(toy: Path) -> None:
    declared = (
        TASK_FILE.replace(
            "  version: 1.0\n",
            "  version: 1.0\n  metrics:\n    - {name: acc_strict, header: Strict, scale: fraction, exact: true}\n",
        )
        .replace("metric: acc_elastic,", "metric: acc_strict,")
        .replace("process_results: !function utils.process_mcq", "process_results: !function utils.strict")
        .replace("  scorer: mcq\n", "")
    )
    (toy / "toy.yaml").write_text(declared, encoding="utf-8")
    (toy / "utils.py").write_text(MODULE + STRICT_SCORER, encoding="utf-8")
    index = index_tasks([toy])
    assert index.registry["acc_strict"].header == "Strict" and index.registry["acc_strict"].factor == 100
    (toy / "toy.yaml").write_text(
        declared.replace("header: Strict", "header: Strict, unit: x"), encoding="utf-8"
    )
    with pytest.raises(HarnessError, match=r"metadata.metrics\[0\]: unknown setting 'unit'"):
        index_tasks([toy])


def test_the_task_file_names_its_scorer_once_for_lm_eval_and_the_harness(toy: Path) -> None:
    """process_results names the scorer object, which is lm-eval's hook as well: the index takes the
    scorer from there, and metadata.scorer is not needed."""
    from harness.scoring.scorers import MCQ_SCORER

    (toy / "toy.yaml").write_text(TASK_FILE.replace("  scorer: mcq\n", ""), encoding="utf-8")
    entry = index_tasks([toy]).entry("toy_mcq")
    assert entry.scorer == "mcq" and entry.scoring is MCQ_SCORER
    doc = {"options": [{"label": "A", "text": "x"}, {"label": "B", "text": "y"}], "answer": "B"}
    assert MCQ_SCORER(doc, ["答案：B"]) == {"acc": 1.0, "acc_elastic": 1.0, "n_unparsed": 0.0}


OWN_METRIC = (
    TASK_FILE.replace(
        "process_results: !function utils.process_mcq", "process_results: !function utils.with_length"
    )
    .replace(
        "  - {metric: acc_elastic, aggregation: mean, higher_is_better: true}\n",
        "  - {metric: reply_len, aggregation: mean, higher_is_better: true}\n",
    )
    .replace(
        "  scorer: mcq\n",
        "  metrics:\n    - {name: reply_len, header: reply chars, scale: count, interval: none}\n",
    )
)
WITH_LENGTH_SCORER = """
from harness.scoring.scorers import scorer


@scorer(metrics=["acc", "reply_len"])
def with_length(doc, response):
    return process_mcq.score(doc, response).metrics | {"reply_len": len(response)}
"""
WITH_LENGTH_FUNCTION = """

def with_length(doc, results):
    return process_mcq(doc, results) | {"reply_len": len(results[0])}
"""


@pytest.mark.parametrize(
    ("module", "scorer_line"),
    [
        (WITH_LENGTH_SCORER, ""),  # a scorer object named once, as process_results
        (WITH_LENGTH_FUNCTION, ""),  # a plain lm-eval process_results function
        (WITH_LENGTH_FUNCTION, "  scorer: process_results\n"),  # the same, said in metadata too
    ],
)
def test_a_task_scores_a_metric_of_its_own_with_its_own_scorer(
    toy: Path, tmp_path: Path, module: str, scorer_line: str
) -> None:
    (toy / "toy.yaml").write_text(
        OWN_METRIC.replace("  metrics:\n", scorer_line + "  metrics:\n"), encoding="utf-8"
    )
    (toy / "utils.py").write_text(MODULE + module, encoding="utf-8")
    harness("eval", "--model", "always-b", "--tasks", "toy_mcq", "--output-dir", str(tmp_path / "out"),
            "--models-file", str(tmp_path / "models.yaml"), "--include-path", str(toy))  # fmt: skip
    run = json.loads((tmp_path / "out" / "always-b" / "latest" / "results.json").read_text(encoding="utf-8"))
    task = run["tasks"]["toy_mcq"]
    assert (
        task["metrics"] == ["acc", "reply_len"]
        and task["reply_len"] == len("答案：B")
        and task["acc"] == 50.0
    )


@pytest.mark.parametrize(
    ("module", "change", "message"),
    [
        (
            WITH_LENGTH_FUNCTION,
            ("  metrics:\n", "  scorer: procss_results\n  metrics:\n"),
            "metadata.scorer 'procss_results' (did you mean process_results?)",
        ),
        (
            WITH_LENGTH_FUNCTION,
            ("  metrics:\n", "  scorer: mcq\n  metrics:\n"),
            "process_results utils.with_length is not scorer 'mcq' (metadata.scorer), so stock lm-eval and "
            "the harness would score it differently",
        ),
        (
            WITH_LENGTH_SCORER.replace('["acc", "reply_len"]', '["acc"]'),
            ("", ""),
            "metric 'reply_len' is not computed by scorer 'with_length' (it computes acc)",
        ),
        (
            MODULE.replace("process_mcq", "process_open"),
            ("utils.with_length", "utils.process_open"),
            "metric 'acc' is not computed by scorer 'open'",
        ),
    ],
)
def test_a_scorer_that_cannot_compute_the_metric_list_stops_before_any_generation(
    toy: Path, module: str, change: tuple[str, str], message: str
) -> None:
    path = toy / "toy.yaml"
    path.write_text(OWN_METRIC.replace(*change), encoding="utf-8")
    (toy / "utils.py").write_text(MODULE + module, encoding="utf-8")
    with pytest.raises(HarnessError, match=re.escape(f"{path}: {message}")):
        index_tasks([toy])


def test_a_scorer_that_does_not_return_a_metric_it_declares_stops_in_one_line(
    toy: Path, tmp_path: Path
) -> None:
    (toy / "toy.yaml").write_text(OWN_METRIC, encoding="utf-8")
    forgetful = WITH_LENGTH_SCORER.replace(' | {"reply_len": len(response)}', "")
    (toy / "utils.py").write_text(MODULE + forgetful, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--model", "always-b", "--tasks", "toy_mcq",
                                      "--output-dir", str(tmp_path / "out"), "--models-file",
                                      str(tmp_path / "models.yaml"), "--include-path", str(toy)])  # fmt: skip
    assert isinstance(result.exception, HarnessError)
    assert "scorer 'with_length' declares metric 'reply_len' but did not return it" in str(result.exception)


def test_a_leaderboard_layout_naming_an_unknown_column_is_a_one_line_error(toy: Path, tmp_path: Path) -> None:
    layout = (
        TASK_FILE
        + "    averages:\n      - {key: avg, header: Avg., weighting: macro, parts: [standard, nope]}\n"
    )
    (toy / "toy.yaml").write_text(layout, encoding="utf-8")
    result = CliRunner().invoke(app, ["leaderboard", "--benchmark", "toy_mcq", "--include-path", str(toy),
                                      "--results-dir", str(tmp_path)])  # fmt: skip
    assert isinstance(result.exception, HarnessError)
    assert "metadata.leaderboard" in str(result.exception) and "nope" in str(result.exception)


def test_a_missing_include_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="--include-path .*: no such folder"):
        index_tasks([tmp_path / "absent"])


def test_listing_tasks_reads_no_data_and_imports_no_lm_eval(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = textwrap.dedent(
        """
        import sys
        from typer.testing import CliRunner
        from harness.cli import app
        result = CliRunner().invoke(app, ["tasks"])
        assert result.exit_code == 0, result.output
        print(sorted(m for m in ("lm_eval", "datasets", "torch", "transformers") if m in sys.modules))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PSYCHE_DATA_DIR": str(tmp_path / "absent"),
        "PSYCHE_CACHE_DIR": str(tmp_path),
    }
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_task_whose_docs_lack_a_doc_id_stops_in_one_line_naming_it(toy: Path, tmp_path: Path) -> None:
    """Every doc row has a doc_id (harness/data/records.py DocRow): a task module that gives rows
    without one is named before any generation, not a KeyError deep in scoring."""
    without_ids = """\
from harness.lmeval_tasks import dataset_loader, process_mcq

__all__ = ["process_mcq", "toy_dataset"]


@dataset_loader
def toy_dataset(**_):
    options = [{"label": "A", "text": "评判"}, {"label": "B", "text": "理解"}]
    return [{"question": "共情的核心是？", "options": options, "answer": "B", "multi": False}]
"""
    (toy / "utils.py").write_text(without_ids, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--model", "always-b", "--tasks", "toy_mcq",
                                      "--output-dir", str(tmp_path / "out"), "--models-file",
                                      str(tmp_path / "models.yaml"), "--include-path", str(toy)])  # fmt: skip
    assert isinstance(result.exception, HarnessError), result.output
    assert "doc 1 has no doc_id" in str(result.exception) and "utils.toy_dataset" in str(result.exception)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("results.json"))
