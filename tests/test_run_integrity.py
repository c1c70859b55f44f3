"""Run integrity: a run is a frozen spec, its coverage is explicit, nothing partial is ranked or
averaged as if complete, writes survive kill -9 and concurrent writers, and bad input is one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA, harness_in_process, read_jsonl, run_harness, write_predictions
from fake_openai import FakeOpenAI, one_prompt_always_fails

from harness.errors import HarnessError
from harness.leaderboard.build import leaderboard_rows
from harness.leaderboard.layout import benchmarks
from harness.leaderboard.rows import ranks
from harness.models import ModelSpec, resolve_model
from harness.runs.results import read_results
from harness.runs.runner import RunOptions, evaluate, score_predictions
from harness.scoring.scorers import SCORING_VERSIONS
from harness.tasks.index import index_tasks

BENCHMARKS = benchmarks(index_tasks())


def _runs(output: Path, model: str) -> list[Path]:
    return sorted(p for p in (output / model).iterdir() if p.is_dir() and not p.is_symlink())


def _one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and done.stderr.strip().splitlines()[-1] == errors[0], done.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


# --- a run is a frozen spec -------------------------------------------------------------------------


def test_a_run_with_other_settings_gets_its_own_folder_and_never_touches_the_first(
    tmp_path: Path, models_file: Path
) -> None:
    spec = resolve_model("always-b", [models_file])
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path, max_new_tokens=64, limit=1))
    [first] = _runs(tmp_path, "always-b")
    before = (first / "results.json").read_bytes()
    evaluate(spec, ["cpsyexam_case_single"], RunOptions(output_dir=tmp_path))
    assert len(_runs(tmp_path, "always-b")) == 2
    assert (first / "results.json").read_bytes() == before
    results = read_results(first / "results.json")
    assert results["generation"]["max_new_tokens"] == 64 and results["spec"]["limit"] == 1
    assert set(results["tasks"]) == {"pceb_moral_smcq"}
    assert results["spec_hash"] == first.name
    latest = read_results(tmp_path / "always-b" / "latest" / "results.json")
    assert set(latest["tasks"]) == {"cpsyexam_case_single"} and latest["generation"]["max_new_tokens"] == 1024


def test_a_rerun_of_the_same_spec_resumes_its_folder_and_adds_tasks(
    tmp_path: Path, models_file: Path
) -> None:
    spec = resolve_model("always-b", [models_file])
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    evaluate(spec, ["pceb_theory_smcq"], RunOptions(output_dir=tmp_path))
    [run] = _runs(tmp_path, "always-b")
    tasks = read_results(run / "results.json")["tasks"]
    assert set(tasks) == {"pceb_moral_smcq", "pceb_theory_smcq"}
    assert all(task["provenance"]["git"]["commit"] for task in tasks.values())


def test_the_split_recorded_is_the_split_the_loader_read(
    tmp_path: Path, models_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSYCHE_CPSYEXAM_SPLIT", "train")
    results = evaluate(
        resolve_model("always-b", [models_file]), ["cpsyexam_case_single"], RunOptions(output_dir=tmp_path)
    )
    task = results["tasks"]["cpsyexam_case_single"]
    assert task["split"] == "train" and results["spec"]["split"] == "train"
    samples = read_jsonl(tmp_path / "always-b" / "latest" / "samples" / "cpsyexam_case_single.jsonl")
    train_ids = {
        record["id"]
        for record in json.loads(
            (FIXTURE_DATA / "CPsyExam/cpsyexam/train/CA-心理咨询-单项选择题.json").read_text(encoding="utf-8")
        )
    }
    assert {sample["doc_id"] for sample in samples} <= {str(i) for i in train_ids} | train_ids


def test_harness_runs_lists_each_run_with_its_coverage(tmp_path: Path, models_file: Path) -> None:
    spec = resolve_model("always-b", [models_file])
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path, limit=1))
    done = run_harness("runs", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "always-b" in line]
    assert len(lines) == 2
    assert any("complete" in line and "incomplete" not in line for line in lines)
    assert any("incomplete" in line for line in lines)


# --- coverage is explicit ---------------------------------------------------------------------------


def test_failed_requests_count_as_wrong_and_mark_the_task_incomplete(tmp_path: Path) -> None:
    faults = one_prompt_always_fails()
    os.environ.setdefault("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI(reply=lambda messages: "答案：A", faults=faults) as server:
        from test_openai_backend import api_spec

        spec = api_spec(server.base_url, max_retries=0)
        with pytest.raises(HarnessError, match="1 request\\(s\\) failed"):
            evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    task = read_results(tmp_path / "fake-api" / "latest" / "results.json")["tasks"]["pceb_moral_smcq"]
    assert (task["n_expected"], task["n"], task["n_scored"], task["n_failed"], task["complete"]) == (
        2,
        2,
        1,
        1,
        False,
    )
    assert task["acc"] in (0.0, 50.0)  # over both items: the failed one counts as wrong, never dropped
    assert task["exact"]["acc"][1] in (1, 2)


def test_scoring_a_partial_predictions_file_is_incomplete_unranked_and_has_no_group(tmp_path: Path) -> None:
    docs = [json.loads(line) for line in run_harness("docs", "--tasks", "pceb_mcq").stdout.splitlines()]
    theory = [doc for doc in docs if doc["task"] == "pceb_theory_smcq"]
    rows = [
        {"task": doc["task"], "doc_id": doc["doc_id"], "response": f"答案：{doc['gold']}"}
        for doc in theory[:1]
    ]
    results = score_predictions("partial", ["pceb_mcq"], rows, RunOptions(output_dir=tmp_path))
    task = results["tasks"]["pceb_theory_smcq"]
    assert task["n_missing"] == len(theory) - 1 and not task["complete"]
    assert task["acc"] == pytest.approx(100 / len(theory))  # 1 right of all theory items, not 100.0
    group = results["groups"]["pceb_mcq"]
    assert group["acc"] is None and group["complete"] is False
    assert any("pceb_theory_smcq" in reason for reason in group["incomplete"])
    rows_ = leaderboard_rows("pceb", tmp_path)
    ours = next(i for i, row in enumerate(rows_) if not row.is_reference)
    assert not rows_[ours].ranked and any(
        note.startswith("partial, not ranked") for note in rows_[ours].notes
    )
    assert not any(index == ours for index, _ in ranks(BENCHMARKS["pceb"], rows_))


def test_a_limited_run_is_shown_but_never_ranked_against_full_rows(tmp_path: Path) -> None:
    predictions = [
        json.loads(line) | {"response": f"答案：{json.loads(line)['gold']}"}
        for line in run_harness("docs", "--tasks", "pceb").stdout.splitlines()
    ]
    score_predictions("perfect", ["pceb"], predictions, RunOptions(output_dir=tmp_path, limit=1))
    rows = leaderboard_rows("pceb", tmp_path)
    ours = next(i for i, row in enumerate(rows) if not row.is_reference)
    assert rows[ours].values["case_smcq"] == 100 and "first 1 items" in rows[ours].source
    assert not any(index == ours for index, _ in ranks(BENCHMARKS["pceb"], rows))


def test_every_task_records_its_scoring_versions_and_a_hash_of_its_docs(
    tmp_path: Path, models_file: Path
) -> None:
    results = evaluate(
        resolve_model("always-b", [models_file]), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path)
    )
    task = results["tasks"]["pceb_moral_smcq"]
    assert task["scoring"] == SCORING_VERSIONS and len(task["docs_hash"]) == 16


def test_a_run_scored_under_another_extractor_is_marked_and_rescored_from_its_responses(
    tmp_path: Path, models_file: Path
) -> None:
    evaluate(resolve_model("always-b", [models_file]), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    path = tmp_path / "always-b" / "latest" / "results.json"
    stale = json.loads(path.read_text(encoding="utf-8"))
    stale["tasks"]["pceb_moral_smcq"]["scoring"] = {"extractor": "0", "metrics": "1"}
    stale["tasks"]["pceb_moral_smcq"]["acc"] = 99.0
    path.write_text(json.dumps(stale), encoding="utf-8")
    row = next(row for row in leaderboard_rows("pceb", tmp_path) if not row.is_reference)
    assert not row.ranked and any("extractor v0" in note for note in row.notes)
    done = run_harness("score", "--run", "always-b", "--output-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    task = read_results(path)["tasks"]["pceb_moral_smcq"]
    assert task["scoring"] == SCORING_VERSIONS and task["acc"] == 0.0  # always B; the gold is D and A


def test_rescoring_keeps_the_prompts_and_responses_the_model_saw(tmp_path: Path, models_file: Path) -> None:
    evaluate(resolve_model("tiny", [models_file]), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    samples = tmp_path / "tiny" / "latest" / "samples" / "pceb_moral_smcq.jsonl"
    before = read_jsonl(samples)
    assert before[0]["prompt"].startswith("<|im_start|>")  # the chat template, not the message list
    done = run_harness("score", "--run", "tiny", "--output-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    after = read_jsonl(samples)
    assert [(s["prompt"], s["response"]) for s in after] == [(s["prompt"], s["response"]) for s in before]


@pytest.mark.parametrize("damage", ["doc_ids of another task", "cut at a line"])
def test_rescoring_damaged_samples_stops_in_one_line_and_rewrites_nothing(
    tmp_path: Path, models_file: Path, damage: str
) -> None:
    evaluate(resolve_model("always-b", [models_file]), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    run = tmp_path / "always-b" / "latest"
    samples = run / "samples" / "pceb_moral_smcq.jsonl"
    rows = read_jsonl(samples)
    if damage == "cut at a line":
        rows = rows[:-1]
    else:
        rows = [row | {"doc_id": f"elsewhere#{i}"} for i, row in enumerate(rows)]
    samples.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    before = {path.name: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    done = run_harness("score", "--run", "always-b", "--output-dir", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "nothing was re-scored or rewritten" in done.stderr and "pceb_moral_smcq.jsonl" in done.stderr
    assert {path.name: path.read_bytes() for path in run.rglob("*") if path.is_file()} == before


# --- predictions are validated before anything is written -------------------------------------------


def test_predictions_matching_no_doc_never_overwrite_a_good_run(tmp_path: Path) -> None:
    docs = [
        json.loads(line) for line in run_harness("docs", "--tasks", "pceb_moral_smcq").stdout.splitlines()
    ]
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"doc_id": d["doc_id"], "response": "答案：A"}) + "\n" for d in docs))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"doc_id": "no-such-doc", "response": "A"}) + "\n")
    out = tmp_path / "out"
    assert (
        run_harness(
            "score", "--tasks", "pceb_moral_smcq", "--predictions", str(good), "--output-dir", str(out)
        ).returncode
        == 0
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    done = run_harness(
        "score", "--tasks", "pceb_moral_smcq", "--predictions", str(bad), "--output-dir", str(out)
    )
    _one_line_error(done, "no prediction matched", "1 unknown doc_id(s)", "nothing was written")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lock"} == before


def test_repeated_doc_ids_in_predictions_stop_with_a_count(tmp_path: Path) -> None:
    docs = [
        json.loads(line) for line in run_harness("docs", "--tasks", "pceb_moral_smcq").stdout.splitlines()
    ]
    path = tmp_path / "p.jsonl"
    rows = [{"doc_id": docs[0]["doc_id"], "response": "A"}, {"doc_id": docs[0]["doc_id"], "response": "B"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = run_harness(
        "score", "--tasks", "pceb_moral_smcq", "--predictions", str(path), "--output-dir", str(tmp_path / "o")
    )
    _one_line_error(done, "1 doc(s) given two different responses")
    assert not (tmp_path / "o").exists()


# --- writes survive kill -9 and concurrent writers --------------------------------------------------

_KILL_AT_FSYNC = textwrap.dedent(
    """
    import os, signal, sys
    target, seen = int(os.environ["KILL_AT_FSYNC"]), [0]
    real_fsync = os.fsync
    def fsync(fd):
        seen[0] += 1
        if seen[0] == target:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-write: the temporary file is written, not renamed
        real_fsync(fd)
    os.fsync = fsync
    sys.argv = ["harness", *sys.argv[1:]]
    from harness.cli import main
    main()
    """
)
_VOLATILE = ("started_at", "finished_at", "timings")


def _snapshot(run: Path) -> dict[str, object]:
    """The run's files as a reader sees them, timestamps left out."""
    snapshot: dict[str, object] = {}
    for path in sorted(run.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.name == "results.json":
            results = read_results(path)
            for key in _VOLATILE:
                results.pop(key)
            for task in results["tasks"].values():
                task.pop("finished_at")
            snapshot[path.name] = results
        elif path.name == "results_lm-eval.json":  # derived from results.json, with its times
            shaped = json.loads(path.read_text(encoding="utf-8"))
            for key in ("date", "start_time", "end_time", "total_evaluation_time_seconds"):
                shaped.pop(key)
            snapshot[path.name] = shaped
        else:
            snapshot[str(path.relative_to(run))] = path.read_bytes()
    return snapshot


def test_kill_minus_nine_during_every_write_leaves_readable_files_and_a_rerun_restores_them(
    tmp_path: Path, models_file: Path
) -> None:
    out = tmp_path / "out"
    command = [
        "eval", "--model", "always-b", "--tasks", "cpsyexam_case_single,cpsyexam_knowledge_single",
        "--split", "test", "--models-file", str(models_file), "--output-dir", str(out),
    ]  # fmt: skip
    assert run_harness(*command).returncode == 0
    [run] = _runs(out, "always-b")
    reference = _snapshot(run)
    assert "cpsyexam_submission.json" in reference
    # two samples files, two submission rewrites, results.json, results_lm-eval.json (spec.json exists already)
    writes = 6
    for kill_at in range(1, writes + 1):
        env = os.environ | {"KILL_AT_FSYNC": str(kill_at)}
        killed = subprocess.run(
            [sys.executable, "-c", _KILL_AT_FSYNC, *command], env=env, capture_output=True, text=True
        )
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        assert _snapshot(run) == reference, kill_at  # every file is the old one or the new one, never half
        again = run_harness(*command)
        assert again.returncode == 0, again.stderr
        assert _snapshot(run) == reference, kill_at


def test_two_processes_writing_one_run_lose_nothing(tmp_path: Path, models_file: Path) -> None:
    out = tmp_path / "out"
    pairs = [
        ("pceb_moral_smcq", "pceb_theory_smcq"),
        ("cpsyexam_case_single", "cpsyexam_case_multi"),
        ("pceb_moral_mmcq", "pceb_theory_mmcq"),
    ]
    base = [sys.executable, "-m", "harness", "eval", "--model", "always-b", "--models-file", str(models_file), "--output-dir", str(out)]  # fmt: skip
    for first, second in pairs:
        processes = [
            subprocess.Popen(
                [*base, "--tasks", task], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            for task in (first, second)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
    [run] = _runs(out, "always-b")
    tasks = read_results(run / "results.json")["tasks"]
    assert set(tasks) == {task for pair in pairs for task in pair}
    assert not list(run.glob(".*.tmp"))


# --- bad input is one line, exit 2, nothing lost ----------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [("--limit", "0"), ("--limit", "-1"), ("--max-new-tokens", "0"), ("--split", "validation")],
)
def test_settings_out_of_range_are_refused(
    option: str, value: str, models_file: Path, tmp_path: Path
) -> None:
    done = harness_in_process(
        "eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", option, value,
        "--models-file", str(models_file), "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip
    _one_line_error(done, option)
    assert not (tmp_path / "out").exists()


def _copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    return data


def test_a_data_file_that_is_not_utf8_is_one_line(tmp_path: Path, models_file: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "PCEB/benchmark/moral/single/second/01 职业道德单选.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    done = harness_in_process("eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--data-dir", str(data), "--models-file", str(models_file), "--output-dir", str(tmp_path / "o"))  # fmt: skip
    _one_line_error(done, "职业道德单选.json: not UTF-8 text")


def test_a_data_file_cut_mid_character_is_one_line(tmp_path: Path, models_file: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "CPsyExam/cpsyexam/dev/CA-心理咨询-单项选择题.json"
    raw = path.read_bytes()
    cut = raw.index("心".encode()) + 1
    path.write_bytes(raw[:cut])
    done = harness_in_process("eval", "--model", "always-b", "--tasks", "cpsyexam_case_single", "--data-dir", str(data), "--models-file", str(models_file), "--output-dir", str(tmp_path / "o"))  # fmt: skip
    _one_line_error(done, "CA-心理咨询-单项选择题.json")


def test_predictions_that_are_not_utf8_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes('{"doc_id": "x", "response": "答案"}\n'.encode("gb18030"))
    done = harness_in_process(
        "score", "--tasks", "pceb_moral_smcq", "--predictions", str(path), "--output-dir", str(tmp_path / "o")
    )
    _one_line_error(done, "p.jsonl: not UTF-8 text (predictions")


def test_a_base_url_that_is_not_a_url_is_one_line(tmp_path: Path) -> None:
    models = tmp_path / "models.yaml"
    models.write_text(
        "models:\n  m:\n    backend: openai\n    api_model: x\n    base_url: 'http://[::1'\n    category: general\n"
    )
    done = harness_in_process(
        "eval", "--model", "m", "--tasks", "pceb_moral_smcq", "--models-file", str(models)
    )
    _one_line_error(done, "model 'm'", "base_url", "not a valid URL")


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_an_output_dir_that_cannot_hold_a_run_is_one_line(
    where: str, tmp_path: Path, models_file: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    output = blocker if where == "a file" else blocker / "results"
    done = harness_in_process("eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--models-file", str(models_file), "--output-dir", str(output))  # fmt: skip
    _one_line_error(done, "is a file, not a folder")
    assert blocker.read_text() == "not a folder"


def test_a_damaged_results_file_stops_the_run_and_is_kept(tmp_path: Path, models_file: Path) -> None:
    command = ["eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--models-file", str(models_file), "--output-dir", str(tmp_path)]  # fmt: skip
    assert harness_in_process(*command).returncode == 0
    [run] = _runs(tmp_path, "always-b")
    (run / "results.json").write_text('{"schema_version": 2, "tasks": {"pceb_theory_smcq": {"acc"')
    done = harness_in_process(*command)
    _one_line_error(done, "results.json: invalid JSON")
    assert (run / "results.json").read_text().endswith('"acc"')


def test_a_truncated_submission_stops_the_run_with_one_line(tmp_path: Path, models_file: Path) -> None:
    command = ["eval", "--model", "always-b", "--tasks", "cpsyexam_case_single", "--split", "test", "--models-file", str(models_file), "--output-dir", str(tmp_path)]  # fmt: skip
    assert harness_in_process(*command).returncode == 0
    [run] = _runs(tmp_path, "always-b")
    (run / "cpsyexam_submission.json").write_text('{"zero_shot": {"CA')
    _one_line_error(harness_in_process(*command), "cpsyexam_submission.json: invalid JSON")


def test_a_garbage_cache_is_one_line(tmp_path: Path, models_file: Path) -> None:
    (tmp_path / "always-b").mkdir()
    (tmp_path / "always-b" / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    done = harness_in_process("eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--models-file", str(models_file), "--output-dir", str(tmp_path))  # fmt: skip
    _one_line_error(done, "cache.sqlite: not a usable response cache")


def test_truncated_samples_stop_compare_with_one_line(tmp_path: Path, models_file: Path) -> None:
    spec = resolve_model("always-b", [models_file])
    evaluate(spec, ["pceb_mcq"], RunOptions(output_dir=tmp_path))
    samples = tmp_path / "always-b" / "latest" / "samples" / "pceb_moral_smcq.jsonl"
    samples.write_text(samples.read_text(encoding="utf-8")[:40], encoding="utf-8")
    done = harness_in_process("compare", "always-b", "always-b", "--results-dir", str(tmp_path))
    _one_line_error(done, "pceb_moral_smcq.jsonl, line 1: invalid JSON")


# --- the API: authentication, interruption, secrets -------------------------------------------------


def test_a_refused_api_key_stops_after_the_first_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    from test_openai_backend import api_spec

    with FakeOpenAI(faults=lambda prompt, attempt: "401") as server:
        spec = api_spec(server.base_url, concurrency=2)
        with pytest.raises(HarnessError, match="refused the API key .* check the key in OPENAI_API_KEY"):
            evaluate(spec, ["pceb"], RunOptions(output_dir=tmp_path))
    assert sum(server.attempts.values()) <= 2  # at most the requests in flight, not every doc


def test_sigterm_prints_what_was_kept_and_how_to_resume(tmp_path: Path) -> None:
    models = tmp_path / "models.yaml"
    with FakeOpenAI(latency_s=5.0) as server:
        models.write_text(
            f"models:\n  slow:\n    backend: openai\n    api_model: m\n    base_url: {server.base_url}\n"
            "    category: closed-source\n    concurrency: 1\n",
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "eval", "--model", "slow", "--tasks", "pceb_moral_smcq",
             "--models-file", str(models), "--output-dir", str(tmp_path / "out")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=os.environ | {"OPENAI_API_KEY": "k"},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not server.attempts and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted: 0 of 2 responses are kept in"), stderr
    assert "resume with: harness eval --model slow --tasks pceb_moral_smcq" in lines[0]


def test_no_written_file_holds_a_key_from_the_environment_the_url_or_its_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "sk-canary-5f2e9d"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    from test_openai_backend import api_spec

    with FakeOpenAI() as server:
        port = server.base_url.split(":")[2].split("/")[0]
        with_secrets = f"http://user:{canary}@127.0.0.1:{port}/v1?api-key={canary}&deployment=x"
        evaluate(api_spec(with_secrets, name="in-url"), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://user:{canary}@127.0.0.1:{port}/v1?token={canary}")
        evaluate(
            api_spec("", name="in-env"),
            ["pceb_moral_smcq"],
            RunOptions(output_dir=tmp_path),
        )
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(written) > 6
    for path in written:
        assert canary.encode() not in path.read_bytes(), path
    recorded = read_results(tmp_path / "in-url" / "latest" / "results.json")
    assert recorded["backend"]["base_url"].startswith("http://REDACTED@127.0.0.1:")
    assert recorded["model"]["base_url"].endswith("/v1?api-key=REDACTED&deployment=REDACTED")


@pytest.mark.parametrize(
    "url",
    [
        "http://h/v1;token={canary}/x",
        "http://h/v1#frag={canary}",
        "http://h/v1?jwt={canary}",
        "http://h/v1?code={canary}&x=1",
        "http://h/v1?sas={canary}",
        "http://u:{canary}@h:8/v1",
    ],
)
def test_a_recorded_url_keeps_no_value_of_any_parameter_or_fragment(url: str) -> None:
    from harness.redaction import redact_url

    canary = "c4n4ry-77"
    recorded = redact_url(url.format(canary=canary))
    assert canary not in recorded and recorded.startswith("http://")


def test_results_record_the_sha256_of_each_data_file_a_task_read(tmp_path: Path) -> None:
    import hashlib

    spec = ModelSpec(name="b", backend="mock", category="candidate", mock_response="答案：B")
    moved = _copy_data(tmp_path)
    here = evaluate(
        spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path / "a", data_dir=str(FIXTURE_DATA))
    )
    there = evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path / "b", data_dir=str(moved)))
    read = "PCEB/benchmark/moral/single/second/01 职业道德单选.json"
    digest = hashlib.sha256((FIXTURE_DATA / read).read_bytes()).hexdigest()
    assert here["tasks"]["pceb_moral_smcq"]["data_files"] == {read: digest}
    # the same files in another folder: the same record, the same docs hash
    assert there["tasks"]["pceb_moral_smcq"]["data_files"] == {read: digest}
    assert here["tasks"]["pceb_moral_smcq"]["docs_hash"] == there["tasks"]["pceb_moral_smcq"]["docs_hash"]


def _open_cache_at(path: str, start: float) -> str:
    from harness.runs.cache import ResponseCache

    while time.time() < start:  # every process opens at the same moment
        pass
    try:
        ResponseCache(Path(path)).close()
    except Exception as error:  # noqa: BLE001 - reported to the test
        return str(error)
    return ""


def test_processes_opening_a_new_cache_at_once_all_get_it(tmp_path: Path) -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(6) as pool:
        for attempt in range(15):
            start = time.time() + 0.3
            path = str(tmp_path / f"m{attempt}" / "cache.sqlite")
            Path(path).parent.mkdir()
            errors = pool.starmap(_open_cache_at, [(path, start)] * 6)
            assert errors == [""] * 6, errors


def test_temporary_files_a_killed_writer_left_are_swept_at_the_next_write(tmp_path: Path) -> None:
    from harness.files import write_text_atomically

    target = tmp_path / "results.json"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    orphan = tmp_path / f".results.json.{dead.stdout.strip()}.abc123.tmp"  # its writer was killed
    live = tmp_path / f".results.json.{os.getpid()}.def456.tmp"  # a writer still at work
    orphan.write_text("half", encoding="utf-8")
    live.write_text("busy", encoding="utf-8")
    write_text_atomically(target, "{}")
    assert target.read_text(encoding="utf-8") == "{}"
    assert not orphan.exists() and live.exists()


def test_a_damaged_spec_json_is_written_again_from_the_runs_spec(tmp_path: Path, models_file: Path) -> None:
    spec = resolve_model("always-b", [models_file])
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    path = tmp_path / "always-b" / "latest" / "spec.json"
    good = path.read_text(encoding="utf-8")
    path.write_text(good[: len(good) // 2], encoding="utf-8")  # cut in half
    evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    assert path.read_text(encoding="utf-8") == good


def test_files_are_written_with_the_mode_open_would_give_them(tmp_path: Path) -> None:
    from harness.files import write_text_atomically

    previous = os.umask(0o022)
    try:
        write_text_atomically(tmp_path / "a.json", "{}")
        os.umask(0o077)
        write_text_atomically(tmp_path / "b.json", "{}")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o600


def test_a_question_id_in_two_subjects_is_answered_and_scored_per_subject(tmp_path: Path) -> None:
    """CPsyExam's test split has ids that sit in two subjects with their options in another order:
    each copy has its own answer in the key and its own prediction (named by subject)."""
    data = _copy_data(tmp_path)
    test = data / "CPsyExam" / "cpsyexam" / "test"
    first, second = sorted(test.glob("*单项选择题.json"))[:2]
    shared = json.loads(first.read_text(encoding="utf-8"))[0]
    copies = json.loads(second.read_text(encoding="utf-8"))
    copies[0] = dict(copies[0], id=shared["id"])  # the same id, another subject
    second.write_text(json.dumps(copies, ensure_ascii=False), encoding="utf-8")
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {
                first.stem: [{"question_id": shared["id"], "answer": "A"}],
                second.stem: [{"question_id": shared["id"], "answer": "C"}],
            },
            ensure_ascii=False,
        ),  # fmt: skip
        encoding="utf-8",
    )
    options = ["--data-dir", str(data), "--split", "test"]
    docs = [
        json.loads(line) for line in run_harness("docs", "--tasks", "cpsyexam", *options).stdout.splitlines()
    ]
    both = [doc for doc in docs if doc["doc_id"] == shared["id"]]
    assert sorted(doc["subject"] for doc in both) == sorted([first.stem, second.stem])
    answer = {first.stem: '{"ans": "A"}', second.stem: '{"ans": "C"}'}
    predictions = write_predictions(
        tmp_path / "p.jsonl",
        docs,
        lambda d: answer.get(d["subject"], "x") if d["doc_id"] == shared["id"] else "x",
    )
    done = run_harness("score", "--tasks", "cpsyexam", "--predictions", str(predictions), *options,
                       "--answer-key", str(key), "--output-dir", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = read_results(tmp_path / "o" / "external" / "latest" / "results.json")
    by_subject = {
        subject: counts
        for task in results["tasks"].values()
        for subject, counts in (task["benchmark"].get("by_subject") or {}).items()
    }
    assert by_subject[first.stem] == [1, 1] and by_subject[second.stem] == [1, 1]  # each copy right
