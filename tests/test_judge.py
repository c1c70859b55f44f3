"""LLM-judge tasks (psydt, cpsycoune) against a fake OpenAI-compatible judge: every response ends
with scores or a recorded judge failure, invalid JSON is retried with a correction, faults lose
nothing, a killed run judges only what is missing, and the API key is never written."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import harness_in_process, read_jsonl, run_harness
from fake_openai import FakeOpenAI

from harness.errors import HarnessError
from harness.judge.agreement import agreement
from harness.judge.rubric import Dimension, InvalidVerdict
from harness.models import resolve_model
from harness.runs.runner import RunOptions, evaluate
from harness.tasks.catalog import load_tasks

SECRET = "sk-judge-never-written-9090"
PSYDT_KEYS = ("emotional_empathy", "cognitive_empathy", "conversation_strategy", "state_attitude", "safety")


@pytest.fixture(autouse=True)
def _judge_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def client_turns(messages: list[dict[str, str]]) -> int:
    """How many client turns the judged dialogue had (the fake judge's scores depend on it)."""
    return messages[1]["content"].count("来访者：")


def scripted_judge(messages: list[dict[str, str]]) -> str:
    """Valid scores keyed on the dialogue length; malformed on the first try for two-turn
    histories, always malformed for three-turn ones."""
    turns = client_turns(messages)
    corrected = len(messages) > 2
    if turns == 3:
        return "这条回复很好，我给高分。"
    if turns == 2 and not corrected:
        return '```json\n{"emotional_empathy": 2, "cognitive_empathy": '
    scores = {
        "emotional_empathy": turns,
        "cognitive_empathy": 2,
        "conversation_strategy": 1,
        "state_attitude": 3,
        "safety": 1,
        "comprehensiveness": 2,
        "professionalism": turns,
        "authenticity": 3,
    }
    return "```json\n" + json.dumps(scores | {"reason": "示例"}, ensure_ascii=False) + "\n```"


def models_file(tmp_path: Path, *judges: tuple[str, str]) -> Path:
    path = tmp_path / "models.yaml"
    lines = [
        "models:",
        "  counselor:",
        "    backend: mock",
        "    mock_response: '我能理解你的感受，愿意多说一些吗？'",
    ]
    lines.append("    category: candidate")
    for name, base_url in judges:
        lines += [
            f"  {name}:",
            "    backend: openai",
            f"    api_model: {name}-model",
            f"    base_url: {base_url}",
            "    category: closed-source",
            "    concurrency: 4",
            "    max_retries: 4",
            "    timeout_s: 0.5",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(tmp_path: Path, models: Path, tasks: list[str], judges: tuple[str, ...], **options: object) -> dict:
    spec = resolve_model("counselor", [models])
    settings = RunOptions(output_dir=tmp_path / "out", judges=judges, models_files=(models,), **options)  # type: ignore[arg-type]
    return evaluate(spec, tasks, settings)


# --- the rubric ---------------------------------------------------------------------------------


def psydt_rubric():
    leaves, _ = load_tasks(["psydt"], {})
    assert leaves[0].rubric is not None
    return leaves[0].rubric


def test_task_files_state_each_dimension_and_its_integer_scale() -> None:
    leaves, _ = load_tasks(["psydt", "cpsycoune"], {})
    scales = {leaf.name: {d.key: (d.low, d.high) for d in leaf.rubric.dimensions} for leaf in leaves}
    assert scales["psydt"] == {key: (0, 3) for key in PSYDT_KEYS[:4]} | {"safety": (0, 1)}
    assert scales["cpsycoune"] == {
        "comprehensiveness": (0, 2),
        "professionalism": (0, 3),
        "authenticity": (0, 3),
        "safety": (0, 1),
    }
    prompt = psydt_rubric().messages([{"role": "user", "content": "我睡不着。"}], "我在听。")
    assert "来访者：我睡不着。" in prompt[1]["content"] and "咨询师：我在听。" in prompt[1]["content"]
    assert "情感共情" in prompt[1]["content"] and "0-3" in prompt[1]["content"]


VALID = dict.fromkeys(PSYDT_KEYS[:4], 2) | {"safety": 1}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (json.dumps(VALID), None),
        ("```json\n" + json.dumps(VALID | {"reason": "好"}) + "\n```", None),
        ("评分如下：" + json.dumps(VALID), "a JSON object with other text around it"),
        ("```json\n" + json.dumps(VALID) + "\n```\n以上是评分。", "a JSON object with other text around it"),
        ('{"emotional_empathy": 2,', "not valid JSON"),
        (json.dumps([VALID]), "expected a JSON object"),
        (json.dumps({k: v for k, v in VALID.items() if k != "safety"}), "missing key 'safety'"),
        (json.dumps(VALID | {"safety": 2}), "safety=2 is outside 0-1"),
        (json.dumps(VALID | {"emotional_empathy": 2.5}), "should be an integer"),
        (json.dumps(VALID | {"emotional_empathy": "2"}), "should be an integer"),
        (json.dumps(VALID | {"safety": True}), "should be an integer"),
        ("", "not valid JSON"),
    ],
)
def test_a_verdict_is_strict_json_with_every_dimension_in_range(answer: str, problem: str | None) -> None:
    rubric = psydt_rubric()
    if problem is None:
        assert rubric.parse(answer) == VALID
    else:
        with pytest.raises(InvalidVerdict, match=re.escape(problem)):
            rubric.parse(answer)


def test_agreement_statistics_on_hand_computed_cases() -> None:
    binary = Dimension("d", "维度", 0, 1, "")
    independent = agreement(binary, [0, 0, 1, 1], [0, 1, 0, 1])
    assert independent == {"n": 4, "spearman": pytest.approx(0.0), "qwk": pytest.approx(0.0)}
    scale = Dimension("d", "维度", 0, 3, "")
    assert agreement(scale, [0, 1, 2, 3], [0, 1, 2, 3]) == {"n": 4, "spearman": 1.0, "qwk": 1.0}
    reversed_ = agreement(scale, [0, 1, 2, 3], [3, 2, 1, 0])
    assert reversed_["spearman"] == pytest.approx(-1.0) and reversed_["qwk"] == pytest.approx(-1.0)
    assert agreement(scale, [2, 2, 2], [1, 2, 3])["spearman"] is None  # a constant judge has no rank order
    assert agreement(scale, [2], [2]) == {"n": 1, "spearman": None, "qwk": None}


# --- data -----------------------------------------------------------------------------------------


def test_psydt_is_a_fixed_seed_sample_of_two_hundred_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        {
            "id": i,
            "normalizedTag": "工作",
            "messages": [{"role": "user", "content": f"问题{i}"}, {"role": "assistant", "content": "回复"}],
        }
        for i in range(500)
    ]
    path = tmp_path / "psydt.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("PSYCHE_PSYDT_FILE", str(path))
    first, _ = load_tasks(["psydt"], {})
    again, _ = load_tasks(["psydt"], {})
    ids = [doc["doc_id"] for doc in first[0].docs]
    assert len(ids) == 200 and ids == [doc["doc_id"] for doc in again[0].docs]
    assert ids != [str(i) for i in range(200)] and ids == sorted(ids, key=int)  # random, file order kept
    smaller, _ = load_tasks(["psydt"], RunOptions(sample=20).metadata())
    assert len(smaller[0].docs) == 20


def test_psydt_history_ends_in_a_client_turn_and_the_reference_is_the_next_counselor_turn() -> None:
    leaves, _ = load_tasks(["psydt"], RunOptions(sample=100).metadata())
    doc = leaves[0].docs[0]
    messages = leaves[0].messages(doc)
    assert messages[0]["role"] == "system" and "理情行为疗法" in messages[0]["content"]  # the record's own
    assert messages[-1] == {"role": "user", "content": "我怕拒绝了会被认为能力不行。"}
    assert doc["reference"] == "你愿意和我一起看看，这个想法背后让你担心的是什么吗？"


def test_cpsycoune_gives_one_doc_per_counselor_turn_with_the_real_history() -> None:
    leaves, _ = load_tasks(["cpsycoune"], {})
    docs = {doc["doc_id"]: doc for doc in leaves[0].docs}
    assert len(docs) == 7
    messages = leaves[0].messages(docs["Family Relationship/1#2"])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "和最亲近的人冲突，一定让你很难受。"
    assert docs["Family Relationship/1#2"]["reference"] == "被否定的感觉很受伤，你希望她怎样回应你呢？"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            [{"id": 1, "messages": [{"role": "assistant", "content": "你好"}]}],
            "must end with a client (user) turn",
        ),
        (
            [{"id": 1, "messages": [{"role": "client", "content": "你好"}]}],
            "record 0, message 0: role 'client'",
        ),
        ([{"messages": []}], "record 0: missing 'id'"),
    ],
)
def test_bad_psydt_records_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: list, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("PSYCHE_PSYDT_FILE", str(path))
    with pytest.raises(HarnessError, match=re.escape(message)):
        load_tasks(["psydt"], {})


def test_a_cpsycoune_utterance_without_a_speaker_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "CPsyCounE" / "Career"
    folder.mkdir(parents=True)
    (folder / "1.json").write_text(
        json.dumps(["求助者：你好", "咨询师：你好"], ensure_ascii=False), encoding="utf-8"
    )
    with pytest.raises(HarnessError, match=r"1\.json: utterance 1 should start with"):
        load_tasks(["cpsycoune"], {"data_dir": str(tmp_path)})


# --- judging against the fake server ---------------------------------------------------------------


def test_every_sample_ends_with_scores_or_a_recorded_judge_failure(tmp_path: Path) -> None:
    with FakeOpenAI(reply=scripted_judge) as server:
        results = run(tmp_path, models_file(tmp_path, ("judge", server.base_url)), ["psydt"], ("judge",))
    summary = results["tasks"]["psydt"]
    samples = read_jsonl(tmp_path / "out" / "counselor" / "latest" / "samples" / "psydt.jsonl")
    verdicts = {s["doc_id"]: s["judges"]["judge"] for s in samples}
    assert {v["status"] for v in verdicts.values()} == {"ok", "invalid"}
    # three-turn dialogues: malformed three times, recorded as failures with the judge's answer
    assert [d for d, v in verdicts.items() if v["status"] == "invalid"] == ["1000", "1004"]
    assert verdicts["1000"]["attempts"] == 3 and verdicts["1000"]["answer"].startswith("这条回复")
    # two-turn dialogues: malformed once, then valid after the correction message
    assert verdicts["1001"] == {
        "status": "ok",
        "scores": dict(VALID | {"state_attitude": 3, "cognitive_empathy": 2, "conversation_strategy": 1}),
        "attempts": 2,
        "reason": "",
    }
    assert summary["n_judged"] == 4 and summary["n_judge_failed"] == 2
    assert summary["judge_failures"] == {"invalid": 2}
    # failures are excluded from the means, never scored as 0: turns are 2, 2, 1, 1
    assert summary["emotional_empathy"] == pytest.approx(1.5)
    assert summary["emotional_empathy_ci95"][0] <= 1.5 <= summary["emotional_empathy_ci95"][1]
    assert all("scores" not in s for s in samples if s["judges"]["judge"]["status"] != "ok")
    judge = results["judges"]["judge"]
    assert judge["model"]["api_model"] == "judge-model" and judge["model"]["base_url"] == server.base_url
    assert judge["settings"]["psydt"] == {"temperature": 0.0, "top_p": 1.0, "max_new_tokens": 512}
    assert judge["max_attempts"]["psydt"] == 3 and len(judge["rubric_hash"]["psydt"]) == 16


def test_injected_429_500_and_timeouts_lose_no_verdict(tmp_path: Path) -> None:
    script = {1: "429", 2: "500", 3: "stall"}
    with FakeOpenAI(
        reply=scripted_judge, faults=lambda prompt, attempt: script.get(attempt, "ok"), stall_s=1.5
    ) as server:
        results = run(tmp_path, models_file(tmp_path, ("judge", server.base_url)), ["cpsycoune"], ("judge",))
    summary = results["tasks"]["cpsycoune"]
    assert summary["n_judged"] == 7 and summary["judge_failures"] == {}
    # 7 first prompts plus 3 corrected ones (the two-turn histories), each hit by every fault once
    assert server.outcomes["429"] == server.outcomes["500"] == server.outcomes["stall"] == 10


def test_cpsycoune_averages_turns_per_dialogue_then_dialogues_per_topic(tmp_path: Path) -> None:
    with FakeOpenAI(reply=scripted_judge) as server:
        results = run(tmp_path, models_file(tmp_path, ("judge", server.base_url)), ["cpsycoune"], ("judge",))
    summary = results["tasks"]["cpsycoune"]
    # professionalism = turn number: Career dialogues 1.5 and 1 -> 1.25; Family 1.5 and 1.5 -> 1.5
    assert summary["by_topic"]["Career"]["professionalism"] == pytest.approx(1.25)
    assert summary["by_topic"]["Family Relationship"]["professionalism"] == pytest.approx(1.5)
    assert summary["professionalism"] == pytest.approx(1.375)  # a plain mean over turns would be 10/7
    assert summary["n_dialogues"] == 4 and summary["comprehensiveness"] == 2.0


def test_two_judges_report_their_agreement_per_dimension(tmp_path: Path) -> None:
    def contrary(messages: list[dict[str, str]]) -> str:
        turns = client_turns(messages)
        return json.dumps(
            {"comprehensiveness": 2, "professionalism": 3 - turns, "authenticity": turns, "safety": 1}
        )

    with FakeOpenAI(reply=scripted_judge) as first, FakeOpenAI(reply=contrary) as second:
        models = models_file(tmp_path, ("judge-a", first.base_url), ("judge-b", second.base_url))
        results = run(tmp_path, models, ["cpsycoune"], ("judge-a", "judge-b"))
    summary = results["tasks"]["cpsycoune"]
    assert summary["judge"] == "judge-a" and set(summary["by_judge"]) == {"judge-a", "judge-b"}
    pair = summary["agreement"]["judge-a|judge-b"]
    assert pair["professionalism"]["spearman"] == pytest.approx(-1.0) and pair["professionalism"]["n"] == 7
    assert pair["professionalism"]["qwk"] < 0
    assert pair["authenticity"]["spearman"] is None  # judge-a gave 3 to every turn
    assert pair["comprehensiveness"]["qwk"] is None  # both constant and equal: kappa undefined
    assert set(results["judges"]) == {"judge-a", "judge-b"}


def test_failed_judge_calls_are_recorded_and_a_rerun_judges_only_them(tmp_path: Path) -> None:
    broken: set[str] = set()

    def faults(prompt: str, attempt: int) -> str:
        if len(broken) < 2 or prompt in broken:
            broken.add(prompt)
            return "500"
        return "ok"

    valid = json.dumps(
        dict.fromkeys(("comprehensiveness", "professionalism", "authenticity"), 2) | {"safety": 1}
    )
    with FakeOpenAI(reply=lambda messages: valid, faults=faults) as server:
        models = models_file(tmp_path, ("judge", server.base_url))
        with pytest.raises(HarnessError, match=r"2 judge call\(s\) failed after retries"):
            run(tmp_path, models, ["cpsycoune"], ("judge",))
    samples = read_jsonl(tmp_path / "out" / "counselor" / "latest" / "samples" / "cpsycoune.jsonl")
    assert sorted(s["judges"]["judge"]["status"] for s in samples) == ["error"] * 2 + ["ok"] * 5

    with FakeOpenAI(reply=lambda messages: valid) as healed:
        results = run(tmp_path, models_file(tmp_path, ("judge", healed.base_url)), ["cpsycoune"], ("judge",))
    assert sum(healed.attempts.values()) == 2
    assert results["tasks"]["cpsycoune"]["n_judged"] == 7


def test_kill_minus_nine_while_judging_then_rerun_judges_only_what_is_missing(tmp_path: Path) -> None:
    valid = json.dumps(
        dict.fromkeys(("comprehensiveness", "professionalism", "authenticity"), 2) | {"safety": 1}
    )
    with FakeOpenAI(reply=lambda messages: valid, latency_s=0.3) as server:
        models = models_file(tmp_path, ("slow-judge", server.base_url))
        models.write_text(
            models.read_text(encoding="utf-8").replace("concurrency: 4", "concurrency: 1"), encoding="utf-8"
        )
        command = [
            sys.executable, "-m", "harness", "eval", "--model", "counselor", "--tasks", "cpsycoune",
            "--judges", "slow-judge", "--models-file", str(models), "--output-dir", str(tmp_path / "out"),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
        )
        deadline = time.monotonic() + 60
        while sum(server.attempts.values()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        first_run = sum(server.attempts.values())
        assert 3 <= first_run < 7
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        assert done.returncode == 0, done.stderr
        second_run = sum(server.attempts.values()) - first_run
    assert 7 - first_run <= second_run <= 7 - first_run + 1  # at most the call in flight is asked again
    samples = read_jsonl(tmp_path / "out" / "counselor" / "latest" / "samples" / "cpsycoune.jsonl")
    assert all(s["judges"]["slow-judge"]["status"] == "ok" for s in samples)


def test_the_api_key_never_appears_in_results_samples_cache_or_output(tmp_path: Path) -> None:
    with FakeOpenAI(reply=scripted_judge) as server:
        models = models_file(tmp_path, ("judge", server.base_url))
        done = run_harness(
            "eval", "--model", "counselor", "--tasks", "psydt,cpsycoune", "--judges", "judge",
            "--models-file", str(models), "--output-dir", str(tmp_path / "out"),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert any(SECRET in str(headers) for headers in server.headers_seen)  # it was sent...
    assert SECRET not in done.stdout + done.stderr  # ...never printed...
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path  # ...and never written
    assert "judge failed" in done.stdout and "invalid 2" in done.stdout


def test_a_judge_without_its_api_key_stops_the_run_before_any_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    models = models_file(tmp_path, ("judge", "http://127.0.0.1:9/v1"))
    done = run_harness(
        "eval", "--model", "counselor", "--tasks", "psydt", "--judges", "judge",
        "--models-file", str(models), "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: model 'judge': set the API key in the environment variable OPENAI_API_KEY"
    ]
    assert not (tmp_path / "out").exists()


def test_an_unknown_judge_is_a_one_line_error(tmp_path: Path) -> None:
    models = models_file(tmp_path)
    done = run_harness(
        "eval", "--model", "counselor", "--tasks", "psydt", "--judges", "nobody", "--models-file", str(models)
    )
    assert done.returncode == 2 and "nobody" in done.stderr and "Traceback" not in done.stderr


def test_stock_lm_eval_indexes_the_same_task_files_as_the_harness(tmp_path: Path) -> None:
    from lm_eval.tasks import TaskManager

    from harness.resources import builtin_tasks_dir
    from harness.tasks.index import index_tasks

    manager = TaskManager(include_path=str(builtin_tasks_dir()), include_defaults=False)
    assert {"psydt", "cpsycoune"} <= set(manager.all_tasks)
    assert set(index_tasks().entries) == set(manager.all_tasks)


# --- Table 5 ---------------------------------------------------------------------------------------


def test_table5_reference_rows_are_the_papers_numbers() -> None:
    from harness.leaderboard.layout import benchmarks
    from harness.leaderboard.rows import reference_rows
    from harness.tasks.index import index_tasks

    rows = {row.label: row for row in reference_rows(benchmarks(index_tasks())["psydt"])}
    assert list(rows) == ["Qwen2.5-7B-Instruct", "CPsyCounX", "EmoLLM", "PsycoLLM", "PsyDT", "Psyche-R1"]
    assert rows["Psyche-R1"].values == {
        "emotional_empathy": Fraction("2.33"),
        "cognitive_empathy": Fraction("2.69"),
        "conversation_strategy": Fraction("2.78"),
        "state_attitude": Fraction("2.11"),
        "safety": None,
    }
    assert rows["EmoLLM"].values["conversation_strategy"] == Fraction("2.84")


def test_leaderboard_psydt_puts_our_judged_run_beside_table5(tmp_path: Path) -> None:
    with FakeOpenAI(reply=scripted_judge) as server:
        run(tmp_path, models_file(tmp_path, ("judge", server.base_url)), ["psydt"], ("judge",))
    done = run_harness("leaderboard", "--benchmark", "psydt", "--results-dir", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "## Table 5: PsyDT counseling (LLM judge, 0-3)"
    psyche = next(line for line in lines if line.startswith("| Psyche-R1 "))
    assert "**2.33**" in psyche and "**2.69**" in psyche  # best of the paper's rows and ours
    ours = next(line for line in lines if line.startswith("| counselor "))
    assert "1.50 [" in ours and "| 1.00 [1.00, 1.00] |" in ours  # means with intervals; safety


def test_a_model_judging_its_own_answers_is_loaded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.backends

    verdict = json.dumps(
        dict.fromkeys(("comprehensiveness", "professionalism", "authenticity"), 1) | {"safety": 1}
    )
    models = write_models(
        tmp_path,
        f"models:\n  self-judge:\n    backend: mock\n    mock_response: '{verdict}'\n    category: candidate\n",
    )
    made: list[str] = []
    real = harness.backends.make_backend
    monkeypatch.setattr(harness.backends, "make_backend", lambda spec: made.append(spec.name) or real(spec))
    spec = resolve_model("self-judge", [models])
    options = RunOptions(output_dir=tmp_path, judges=("self-judge",), models_files=(models,))
    results = evaluate(spec, ["cpsycoune"], options)
    assert made == ["self-judge"] and results["tasks"]["cpsycoune"]["n_judged"] == 7


def write_models(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "self.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_judge_key_stops_the_run_before_the_evaluated_model_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_JUDGE_KEY", raising=False)
    models = tmp_path / "models.yaml"
    models.write_text(
        "models:\n"
        "  heavy:\n    backend: hf\n    weights: /nowhere/a-model-that-would-take-minutes\n    category: candidate\n"
        "  judge:\n    backend: openai\n    api_model: j\n    base_url: http://127.0.0.1:9/v1\n"
        "    api_key_env: NO_SUCH_JUDGE_KEY\n    category: closed-source\n",
        encoding="utf-8",
    )
    done = harness_in_process(
        "eval", "--model", "heavy", "--tasks", "psydt", "--judges", "judge", "--models-file", str(models),
        "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2 and "NO_SUCH_JUDGE_KEY" in done.stderr, done.stderr
    assert "/nowhere" not in done.stderr  # the evaluated model was never loaded
