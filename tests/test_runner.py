"""The runner and CLI on the mock backend: results files, aggregates, resume, re-scoring, errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import harness_in_process, read_jsonl, run_harness

from harness.models import resolve_model
from harness.runs.results import read_results
from harness.runs.runner import RunOptions, evaluate, rescore_run, score_predictions


def test_eval_writes_results_and_samples_with_paper_aggregates(tmp_path: Path, models_file: Path) -> None:
    spec = resolve_model("always-b", [models_file])
    results = evaluate(spec, ["pceb"], RunOptions(output_dir=tmp_path))
    on_disk = read_results(tmp_path / "always-b" / "latest" / "results.json")
    assert on_disk["tasks"] == results["tasks"]
    tasks = results["tasks"]
    # gold answers in the fixtures: theory single B,C,A -> 1/3; moral single D,A -> 0; case single
    # B, BCD (a known anomaly, kept), A -> 1/3
    assert tasks["pceb_theory_smcq"]["acc"] == pytest.approx(100 / 3)
    assert tasks["pceb_moral_smcq"]["acc"] == 0.0
    assert tasks["pceb_case_smcq"]["acc"] == pytest.approx(100 / 3)
    # multi: "B" is a proper subset of ABD (case) and of AB (theory) -> elastic credit, no standard
    # credit; the theory item with an empty gold (kept, as PCEB keeps it) is never right
    assert tasks["pceb_case_mmcq"]["acc"] == 0.0
    assert tasks["pceb_case_mmcq"]["acc_elastic"] == pytest.approx(100 / 3)
    assert tasks["pceb_theory_mmcq"]["acc_elastic"] == pytest.approx((0 + 50 + 0) / 3)
    # beside them, PCEB's own protocol: B within BCD earns a third there, and every item is answered
    assert tasks["pceb_case_smcq"]["benchmark"] | {"exact": None} == {
        "protocol": "pceb v1",
        "acc": pytest.approx(100 / 3),
        "acc_elastic": pytest.approx(100 * (1 + 1 / 3) / 3),
        "n_answered": 3,
        "n_unanswered": 0,
        "n_without_response": 0,
        "exact": None,
    }
    six = [
        "pceb_case_smcq",
        "pceb_case_mmcq",
        "pceb_moral_smcq",
        "pceb_moral_mmcq",
        "pceb_theory_smcq",
        "pceb_theory_mmcq",
    ]
    group = results["groups"]["pceb_mcq"]
    assert group["acc"] == pytest.approx(sum(tasks[t]["acc"] for t in six) / 6)
    assert group["acc_elastic"] == pytest.approx(sum(tasks[t]["acc_elastic"] for t in six) / 6)
    assert group["benchmark"]["acc"] == pytest.approx(sum(tasks[t]["benchmark"]["acc"] for t in six) / 6)
    assert tasks["pceb_case_qa"]["rouge1"] is not None and tasks["pceb_case_qa"]["n"] == 2
    assert on_disk["provenance"]["git"]["commit"] and "lm_eval" in on_disk["provenance"]["packages"]
    sample = read_jsonl(tmp_path / "always-b" / "latest" / "samples" / "pceb_theory_smcq.jsonl")[0]
    assert sample["response"] == "答案：B" and sample["extracted"] == "B" and sample["gold"] == "B"
    assert "情绪的ABC理论" in sample["prompt"] and sample["scores"]["acc"] == 1.0


def test_cpsyexam_overall_is_the_micro_average(tmp_path: Path, models_file: Path) -> None:
    results = evaluate(
        resolve_model("always-b", [models_file]), ["cpsyexam"], RunOptions(output_dir=tmp_path)
    )
    tasks = results["tasks"]
    total = sum(t["n"] for t in tasks.values())
    micro = sum(t["acc"] * t["n"] for t in tasks.values()) / total
    assert results["groups"]["cpsyexam"]["acc"] == pytest.approx(micro)
    assert tasks["cpsyexam_knowledge_single"]["split"] == "dev"


def test_each_run_writes_an_lm_eval_results_file_that_lm_eval_reads(
    tmp_path: Path, models_file: Path
) -> None:
    from lm_eval.utils import get_latest_filename, get_results_filenames, make_table

    evaluate(
        resolve_model("always-b", [models_file]),
        ["pceb_mcq", "cpsyexam_5shot_case_multi"],
        RunOptions(output_dir=tmp_path),
    )
    files = [str(path) for path in (tmp_path / "always-b").rglob("*.json")]
    exported = Path(get_latest_filename(get_results_filenames(files)))  # lm-eval's own finders
    assert exported.name == "results_lm-eval.json"
    shaped = json.loads(exported.read_text(encoding="utf-8"))
    theory = shaped["results"]["pceb_theory_smcq"]
    # fractions, not percent; the strict numbers under filter "none", PCEB's protocol under "benchmark"
    assert theory["acc,none"] == pytest.approx(1 / 3) and theory["acc_stderr,none"] == pytest.approx(
        (1 / 3 * 2 / 3 / 2) ** 0.5
    )
    assert theory["acc,benchmark"] == pytest.approx(1 / 3) and theory["acc_elastic_stderr,none"] == "N/A"
    assert shaped["groups"]["pceb_mcq"]["acc,none"] == pytest.approx(
        sum(shaped["results"][t]["acc,none"] for t in shaped["group_subtasks"]["pceb_mcq"]) / 6
    )
    assert shaped["n-shot"]["cpsyexam_5shot_case_multi"] == 5 and shaped["n-shot"]["pceb_theory_smcq"] == 0
    assert shaped["versions"]["pceb_theory_smcq"] == 2.0
    assert shaped["n-samples"]["pceb_theory_smcq"] == {"original": 3, "effective": 3}
    table = make_table(shaped)  # lm-eval's own results table reads it
    assert "pceb_theory_smcq" in table and "0.3333" in table and "benchmark" in table
    assert "pceb_mcq" in make_table(shaped, "groups")


def test_unparsed_responses_are_counted_and_scored_wrong(tmp_path: Path, models_file: Path) -> None:
    results = evaluate(
        resolve_model("rambler", [models_file]), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path)
    )
    task = results["tasks"]["pceb_moral_smcq"]
    # unparsed is not failed: every item was answered and scored, and none earned credit
    assert (task["n_unparsed"], task["n_scored"], task["n_failed"], task["n"]) == (2, 2, 0, 2)
    assert task["acc"] == 0.0 and task["acc_elastic"] == 0.0
    samples = read_jsonl(tmp_path / "rambler" / "latest" / "samples" / "pceb_moral_smcq.jsonl")
    assert [(s["status"], s["extracted"], s["scores"]["acc"]) for s in samples] == [("scored", None, 0.0)] * 2


def test_five_shot_prompts_show_the_stored_exemplars(tmp_path: Path, models_file: Path) -> None:
    evaluate(
        resolve_model("always-b", [models_file]),
        ["cpsyexam_5shot_case_multi"],
        RunOptions(output_dir=tmp_path),
    )
    prompt = read_jsonl(tmp_path / "always-b" / "latest" / "samples" / "cpsyexam_5shot_case_multi.jsonl")[0][
        "prompt"
    ]
    # the exemplars as chat turns before the question, as CPsyExam's evaluate_api.py sends them
    messages = json.loads(prompt)
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 5 + ["user"]
    assert all(m["content"].startswith("答案：") for m in messages[2:-1:2])
    assert "训练题" in messages[1]["content"] and "验证题0" in messages[-1]["content"]


def test_test_split_writes_a_submission_in_the_official_format(tmp_path: Path, models_file: Path) -> None:
    results = evaluate(
        resolve_model("always-b", [models_file]), ["cpsyexam"], RunOptions(output_dir=tmp_path, split="test")
    )
    assert results["tasks"]["cpsyexam_case_single"]["acc"] is None
    # no gold, so no accuracy by the benchmark's protocol either (never 0.00), and nothing ranked
    for task in results["tasks"].values():
        assert task["benchmark"]["acc"] is None and "official" not in task["benchmark"]
    assert results["groups"]["cpsyexam"]["benchmark"]["acc"] is None
    from harness.leaderboard.build import leaderboard_rows

    row = next(row for row in leaderboard_rows("cpsyexam", tmp_path) if not row.is_reference)
    assert not row.ranked and all(value is None for value in row.values.values())
    assert any("no gold answers" in note for note in row.notes)
    submission = json.loads(
        (tmp_path / "always-b" / "latest" / "cpsyexam_submission.json").read_text(encoding="utf-8")
    )
    entries = submission["zero_shot"]["CA-心理咨询-单项选择题"]
    # merge_answers.py's entries, the prediction read as CPsyExam's code reads "答案：B"
    assert [(e["question_id"], e["prediction"], e["n_shot"]) for e in entries] == [
        ("心理咨询-single-200", "B", 0),
        ("心理咨询-single-201", "B", 0),
    ]
    assert set(entries[0]) == {"question_id", "question", "options", "prediction", "n_shot"}


def test_rerun_uses_the_cache_and_no_cache_regenerates(tmp_path: Path, models_file: Path) -> None:
    spec = resolve_model("always-b", [models_file])
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    calls: list[int] = []

    def progress(total: int, what: str):
        calls.append(total)
        return lambda: None

    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path), progress)
    assert calls == []  # nothing left to generate
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path, use_cache=False), progress)
    assert calls == [2]


def test_results_record_the_seconds_each_phase_of_the_command_took(tmp_path: Path, models_file: Path) -> None:
    results = evaluate(
        resolve_model("always-b", [models_file]), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path)
    )
    timings = read_results(tmp_path / "always-b" / "latest" / "results.json")["timings"]
    assert timings == results["timings"]
    assert list(timings) == ["setup", "generation", "judging", "scoring", "writing"]
    assert all(seconds >= 0 for seconds in timings.values())


def test_score_rescores_predictions_without_a_model(tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    docs = run_harness("docs", "--tasks", "pceb_moral_smcq")
    assert docs.returncode == 0, docs.stderr
    rows = [json.loads(line) for line in docs.stdout.splitlines()]
    predictions.write_text(
        "".join(
            json.dumps({"doc_id": r["doc_id"], "response": f"答案：{r['gold']}"}, ensure_ascii=False) + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    results = score_predictions(
        "external",
        ["pceb_moral_smcq"],
        [json.loads(x) for x in predictions.read_text().splitlines()],
        RunOptions(output_dir=tmp_path),
    )
    assert results["tasks"]["pceb_moral_smcq"]["acc"] == 100.0
    assert results["model"]["category"] == "candidate" and results["model"]["params_b"] is None
    assert results["generation"] == {"decoding": "unknown"}  # not settings the harness never used
    named = score_predictions(
        "qwen2.5-7b",
        ["pceb_moral_smcq"],
        [json.loads(x) for x in predictions.read_text().splitlines()],
        RunOptions(output_dir=tmp_path),
        decoding="temperature 0.7, top-p 0.8 (vLLM 0.9)",
    )
    assert named["generation"] == {"decoding": "temperature 0.7, top-p 0.8 (vLLM 0.9)"}
    rescored = rescore_run(tmp_path / "qwen2.5-7b" / "latest", RunOptions())
    assert (
        rescored["generation"] == named["generation"] and rescored["tasks"]["pceb_moral_smcq"]["acc"] == 100.0
    )
    # A models.yaml name lends the row its label, category and size; the backend stays "from a file".
    model = named["model"]
    assert (model["display_name"], model["category"], model["params_b"]) == ("Qwen2.5-7B", "general", 7.0)
    assert model["backend"] == "mock" and model["notes"] == "scored from a predictions file"


def test_docs_prints_id_prompt_and_gold_as_jsonl() -> None:
    done = run_harness("docs", "--tasks", "pceb_case_smcq")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["gold"] for r in rows] == ["B", "BCD", "A"]
    # PCEB's code sends its system and user texts joined, as one user message
    [message] = rows[0]["messages"]
    assert message["role"] == "user" and message["content"].startswith("你是一位专业的心理咨询助手")
    assert "**求助者的个人信息**：\n求助者，女性，28岁" in message["content"]


def test_tasks_lists_every_task_with_its_size() -> None:
    done = run_harness("tasks")
    assert done.returncode == 0, done.stderr
    assert "pceb_case_qa" in done.stdout and "cpsyexam_5shot_case_multi" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--model", "no-such-model", "--tasks", "pceb"], "unknown model 'no-such-model'"),
        (["eval", "--model", "always-b", "--tasks", "nope"], "unknown task(s) nope"),
        (
            ["eval", "--model", "always-c", "--tasks", "pceb"],
            "unknown model 'always-c' (did you mean always-b?)",
        ),
        (
            ["eval", "--model", "always-b", "--tasks", "pceb_theroy_smcq"],
            "unknown task(s) pceb_theroy_smcq (did you mean pceb_theory_smcq or pceb_theory_mmcq?)",
        ),
        (
            ["eval", "--model", "always-b", "--tasks", "pceb", "--data-dir", "/does/not/exist"],
            "does not exist",
        ),
    ],
)
def test_user_mistakes_give_one_line_and_a_non_zero_exit(
    args: list[str], message: str, models_file: Path
) -> None:
    if "--model" in args:
        args = [*args, "--models-file", str(models_file)]
    done = harness_in_process(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0


def test_lm_eval_flags_mean_what_they_mean_in_lm_eval(tmp_path: Path, tiny_model_dir: Path) -> None:
    def lm_eval_style(tasks: str, *more: str) -> subprocess.CompletedProcess[str]:
        return harness_in_process(
            "eval", "--model", "hf", "--model-args", f"pretrained={tiny_model_dir},dtype=float32",
            "--tasks", tasks, "--num-fewshot", "5", "--limit", "1", "--output-path", str(tmp_path), *more,
        )  # fmt: skip

    done = lm_eval_style("cpsyexam_case_multi,pceb_moral_smcq")  # PCEB has no five-shot version
    assert done.returncode == 2 and "pceb_moral_smcq has no 5-shot version (it offers 0-shot)" in done.stderr
    done = lm_eval_style(
        "cpsyexam_case_multi", "--gen-kwargs", "max_gen_toks=3,do_sample=false", "--batch-size", "2",
        "--no-apply-chat-template",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = read_results(tmp_path / tiny_model_dir.name / "latest" / "results.json")
    assert list(results["tasks"]) == ["cpsyexam_5shot_case_multi"]
    assert results["generation"]["max_new_tokens"] == 3 and results["generation"]["temperature"] == 0.0
    assert results["model"]["batch_size"] == 2 and results["model"]["dtype"] == "float32"
    assert results["model"]["chat_template"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gen-kwargs", "until=x"], "--gen-kwargs until=...: stop sequences belong to the task file"),
        (["--gen-kwargs", "temperature=-1"], "--gen-kwargs: setting 'temperature'"),
        (
            ["--model", "hf", "--model-args", "pretrained=x,bogus=1"],
            "--model-args: bogus not understood here",
        ),
        (
            ["--model", "gguf", "--model-args", "pretrained=x"],
            "--model gguf with --model-args: use one of hf",
        ),
        (["--batch-size", "zero"], "--batch-size 'zero': a whole number from 1, or auto"),
    ],
)
def test_lm_eval_flag_mistakes_are_one_line(args: list[str], message: str) -> None:
    done = harness_in_process("eval", "--tasks", "pceb_moral_smcq", "--limit", "1", *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_help_reads_as_sentences_without_type_tags() -> None:
    import os

    shown = {
        command: subprocess.run(
            [sys.executable, "-m", "harness", *command.split(), "--help"],
            capture_output=True,
            text=True,
            env=os.environ | {"COLUMNS": "200"},
        ).stdout
        for command in ("", "eval")
    }
    assert "write the same results files." in shown[""]  # a docstring's line break is not a cut
    assert "<bool>" not in shown["eval"] and "<str>" not in shown["eval"]
    assert re.search(r"--no-cache +Regenerate", shown["eval"]) and re.search(
        r"--limit +INTEGER", shown["eval"]
    )


def test_models_file_rejects_unknown_settings(tmp_path: Path) -> None:
    bad = tmp_path / "models.yaml"
    bad.write_text(
        "models:\n  m:\n    backend: hf\n    category: general\n    temprature: 0\n", encoding="utf-8"
    )
    done = harness_in_process("eval", "--model", "m", "--tasks", "pceb", "--models-file", str(bad))
    assert (
        done.returncode == 2 and "unknown setting 'temprature'" in done.stderr and "model 'm'" in done.stderr
    )


def test_models_file_requires_a_backend(tmp_path: Path) -> None:
    bad = tmp_path / "models.yaml"
    bad.write_text("models:\n  m:\n    category: general\n", encoding="utf-8")
    done = harness_in_process("eval", "--model", "m", "--tasks", "pceb", "--models-file", str(bad))
    assert done.returncode == 2 and "missing setting 'backend'" in done.stderr


def test_malformed_data_stops_eval_with_one_line(tmp_path: Path, models_file: Path) -> None:
    import shutil

    from conftest import FIXTURE_DATA

    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    (data / "PCEB/benchmark/moral/single/second/01 职业道德单选.json").write_text("[{", encoding="utf-8")
    done = harness_in_process(
        "eval",
        "--model",
        "always-b",
        "--tasks",
        "pceb_moral_smcq",
        "--data-dir",
        str(data),
        "--models-file",
        str(models_file),
    )
    assert (
        done.returncode == 2
        and "职业道德单选.json: invalid JSON" in done.stderr
        and "Traceback" not in done.stderr
    )


def test_answer_key_scores_the_test_split(tmp_path: Path, models_file: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {
                "CA-心理咨询-单项选择题": [
                    {"question_id": "心理咨询-single-200", "answer": "B"},
                    {"question_id": "心理咨询-single-201", "answer": "C"},
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    results = evaluate(
        resolve_model("always-b", [models_file]),
        ["cpsyexam_case_single"],
        RunOptions(output_dir=tmp_path, split="test", answer_key=str(key)),
    )
    assert results["tasks"]["cpsyexam_case_single"]["acc"] == 50.0
    assert results["tasks"]["cpsyexam_case_single"]["split"] == "test"


def test_a_reader_that_stops_early_ends_harness_docs_quietly() -> None:
    import fcntl
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: a small pipe, so the writer meets the closed end
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "docs", "--tasks", "pceb"], stdout=write_end, stderr=subprocess.PIPE
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.readline().startswith(b"{")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0 and b"Traceback" not in stderr and b"Broken pipe" not in stderr


def test_a_response_cut_inside_a_character_loses_the_broken_character() -> None:
    from harness.backends.lmeval_lm import without_cut_character

    assert without_cut_character("答案是心理\ufffd\ufffd") == "答案是心理"
    assert without_cut_character("答案：B") == "答案：B"


def test_progress_off_a_terminal_is_a_line_every_few_seconds_and_at_the_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from harness.progress import ProgressDisplay

    with ProgressDisplay(interval_s=0.0) as progress:
        advance = progress(3, "generating")
        for _ in range(3):
            advance()
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "generating: 1/3",
        "generating: 2/3",
        "generating: 3/3",
    ]
    with ProgressDisplay(interval_s=3600) as progress:
        advance = progress(3, "judging")
        for _ in range(3):
            advance()
    assert [line.split(" (")[0] for line in capsys.readouterr().err.splitlines()] == ["judging: 3/3"]


def test_a_run_on_a_labelled_subset_scores_only_those_items_is_complete_and_rescored_alike(
    tmp_path: Path, models_file: Path
) -> None:
    from harness.errors import HarnessError
    from harness.leaderboard.layout import benchmark
    from harness.leaderboard.rows import run_rows
    from harness.runs.runner import rescore_run
    from harness.tasks.index import index_tasks

    labels = tmp_path / "labels"
    labels.mkdir()
    every = evaluate(
        resolve_model("always-b", [models_file]),
        ["pceb_theory_smcq"],
        RunOptions(output_dir=tmp_path / "all"),
    )
    docs = [
        row["doc_id"]
        for row in read_jsonl(next((tmp_path / "all").glob("*/*/samples/pceb_theory_smcq.jsonl")))
    ]
    items = {doc: {"challenging": number != 0} for number, doc in enumerate(docs)}
    (labels / "pceb_theory_smcq.json").write_text(json.dumps({"items": items}), encoding="utf-8")
    options = RunOptions(output_dir=tmp_path / "out", subset="challenging", labels=labels)
    results = evaluate(resolve_model("always-b", [models_file]), ["pceb_theory_smcq"], options)
    task = results["tasks"]["pceb_theory_smcq"]
    assert (task["n"], task["n_expected"], task["complete"]) == (2, 2, True)
    assert task["subset"]["name"] == "challenging" and results["spec"]["subset"]["labels_sha256"]
    assert every["spec_hash"] != results["spec_hash"] and "subset" not in every["spec"]
    folder = next((tmp_path / "out").glob("always-b/*/results.json")).parent
    assert rescore_run(folder, RunOptions())["tasks"]["pceb_theory_smcq"]["n"] == 2
    row = run_rows(benchmark(index_tasks(), "pceb"), tmp_path / "out")[0]
    assert "challenging items only" in row.source and not row.ranked
    (labels / "pceb_theory_smcq.json").write_text(json.dumps({"items": {}}), encoding="utf-8")
    with pytest.raises(HarnessError, match="changed since this run"):
        rescore_run(folder, RunOptions())


def test_subset_without_labels_is_a_one_line_error() -> None:
    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="--subset and --labels go together"):
        RunOptions(subset="challenging")


def test_off_a_terminal_a_long_wait_still_prints_a_heartbeat_line(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from harness.progress import ProgressDisplay

    with ProgressDisplay(interval_s=5.0, heartbeat_s=0.3) as progress:
        advance = progress(2, "generating")
        time.sleep(1.2)  # one answer that takes long: nothing finishes
        advance()
        advance()
    lines = capsys.readouterr().err.splitlines()
    waiting = [line for line in lines if line.startswith("generating: 0/2") and "still working" in line]
    assert len(waiting) >= 2, lines
    assert lines[-1].startswith("generating: 2/2")


def test_progress_lines_say_how_long_is_left_at_the_pace_so_far(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from harness.progress import ProgressDisplay

    with ProgressDisplay(interval_s=0.0, heartbeat_s=0.3) as progress:
        advance = progress(3, "generating")
        time.sleep(0.4)
        advance()  # one answer in about 0.4 s: two more, about 1 s
        time.sleep(1.0)  # a heartbeat or more while the second is awaited
        advance()
        advance()
    lines = capsys.readouterr().err.splitlines()
    assert next(line for line in lines if line.startswith("generating: 1/3")).startswith(
        "generating: 1/3 (0 s, about 1 s left"
    )
    assert any(line.startswith("generating: 1/3") and "left, still working" in line for line in lines)
    assert lines[-1].startswith("generating: 3/3") and "left" not in lines[-1]


def test_a_long_cpu_run_says_so_before_it_starts(caplog: pytest.LogCaptureFixture) -> None:
    from harness.backends.base import GenerationRequest
    from harness.runs.runner import warn_if_long

    class CpuModel:
        def describe(self) -> dict[str, object]:
            return {"device": "cpu"}

    requests = [GenerationRequest(str(i), (), "q", (), 128, 0.0, 1.0) for i in range(3963)]
    warn_if_long(CpuModel(), requests[:8])  # type: ignore[arg-type]
    assert not caplog.records
    warn_if_long(CpuModel(), requests)  # type: ignore[arg-type]
    [record] = caplog.records
    assert (
        "3963 answers of up to 128 new tokens" in record.getMessage() and "--limit 4" in record.getMessage()
    )


def test_the_results_table_never_cuts_a_task_name(tmp_path: Path, models_file: Path) -> None:
    """Piped (160 columns) with PCEB and CPsyExam's many metric columns, every task name is printed whole
    (it was 'pceb_theory_s…')."""
    done = run_harness(
        "eval", "--model", "always-b", "--tasks", "pceb,cpsyexam", "--models-file", str(models_file),
        "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for task in ("pceb_theory_smcq", "pceb_case_qa", "cpsyexam_knowledge_single", "cpsyexam_case_multi"):
        assert task in done.stdout, done.stdout
    assert "…" not in "".join(line.split("│")[1] for line in done.stdout.splitlines() if line.count("│") > 2)


def test_a_new_source_of_responses_is_one_class_handed_to_run(tmp_path: Path, models_file: Path) -> None:
    """A source only says each doc's response; planning, scoring and writing are run()'s, the same
    for every source: here, one that answers every question "B" without a model."""
    from harness.runs.planning import generation_settings, plan_task, run_spec_for
    from harness.runs.results import run_dir
    from harness.runs.runner import RunPlan, run
    from harness.runs.sources import Answers, PredictionResponses
    from harness.scoring.summary import MISSING
    from harness.tasks.catalog import load_tasks

    class AlwaysB:
        absent, generates = MISSING, False

        def answers(self, plan, cache, progress):
            return Answers(lambda task, request, doc: "答案：B")

        def asked(self, plan):
            return []

        def describe(self):
            return {"backend": {"name": "always B"}}

    options = RunOptions(output_dir=tmp_path)
    spec = resolve_model("always-b", [models_file])
    leaves, groups = load_tasks(["pceb_theory_smcq"], options.metadata())
    settings = generation_settings(spec, options)
    planned = [plan_task(leaf, None, str, spec, settings) for leaf in leaves]
    run_spec = run_spec_for(spec.name, spec, settings, options, "model")
    folder = run_dir(tmp_path, spec.name, run_spec.digest)
    results = run(RunPlan(spec, run_spec, folder, planned, groups, options), AlwaysB(), [])

    assert results["tasks"]["pceb_theory_smcq"]["acc"] == pytest.approx(100 / 3)
    assert results["backend"] == {"name": "always B"}
    assert read_results(folder / "results.json")["tasks"] == results["tasks"]
    # a source that asks no model and no judge opens no response cache
    assert not (tmp_path / spec.name / "cache.sqlite").exists()
    assert PredictionResponses({}).generates is False
