"""The benchmark protocol: each benchmark's own reading and credit, beside the strict one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA, REAL_DATA, read_jsonl, run_harness

from harness.runs.runner import RunOptions, score_predictions
from harness.scoring.protocols import (
    BenchmarkCredit,
    cpsyexam_extract,
    official_numbers,
    pceb_credit,
    pceb_extract,
    summarize_protocol,
)
from harness.tasks.catalog import load_tasks

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "pceb"
HAVE_REFERENCE = (REFERENCE / "mcq_scores_8ff40f3.jsonl").is_file() and (REAL_DATA / "PCEB").is_dir()


@pytest.mark.parametrize(
    ("response", "extraction", "read"),
    [
        ("答案：B。A项、C项不符合题意", "single", "C"),  # the last letter anywhere, as PCEB reads it
        ("答案：A、C", "multiple", "AC"),
        ("综上所述，选项B和选项C是正确的答案。", "case", "BC"),
        ("我认为应该选'A'，'B'和 'D'", "multiple", "ABD"),
        ("这道题考查共情。", "multiple", "E"),  # no letter: unanswered
        ("答案：Ａ", "single", "E"),  # full-width letters are not read
    ],
)
def test_pceb_reads_answers_as_its_code_does(response: str, extraction: str, read: str) -> None:
    assert pceb_extract(response, extraction) == read  # type: ignore[arg-type]


def test_pceb_credit_compares_letter_strings() -> None:
    assert pceb_credit("ACD", "ACD") == (0, 1.0)
    assert pceb_credit("DCA", "ACD") == (1, 1.0)  # the full set in another order: a subset, not right
    assert pceb_credit("A", "ACD") == (1, pytest.approx(1 / 3))
    assert pceb_credit("AB", "ACD") == (2, 0.0)
    assert pceb_credit("B", "") == (2, 0.0)  # an empty gold is never right


@pytest.mark.realdata
@pytest.mark.skipif(not HAVE_REFERENCE, reason="the real data and PCEB reference outputs are not present")
def test_every_pceb_prompt_equals_the_pceb_codes(tmp_path: Path) -> None:
    reference = {row["doc_id"]: row for row in read_jsonl(REFERENCE / "prompts_8ff40f3.jsonl")}
    leaves, _ = load_tasks(["pceb"], RunOptions(data_dir=str(REAL_DATA)).metadata())
    rendered = {doc["doc_id"]: leaf.messages(doc) for leaf in leaves for doc in leaf.docs}
    assert len(rendered) == len(reference) == 3963
    for doc_id, row in reference.items():
        assert rendered[doc_id] == [{"role": "user", "content": row["system"] + row["user"]}], doc_id
    leaf = next(leaf for leaf in leaves if leaf.name == "pceb_theory_smcq")
    doc = leaf.docs[0]
    assert leaf.messages(doc, "system_user") == [
        {"role": "system", "content": reference[doc["doc_id"]]["system"]},
        {"role": "user", "content": reference[doc["doc_id"]]["user"]},
    ]


@pytest.mark.realdata
@pytest.mark.skipif(not HAVE_REFERENCE, reason="the real data and PCEB reference outputs are not present")
def test_the_benchmark_protocol_equals_the_pceb_codes_on_every_reference_response(tmp_path: Path) -> None:
    rows = read_jsonl(REFERENCE / "mcq_scores_8ff40f3.jsonl")
    predictions = [{"task": r["task"], "doc_id": r["doc_id"], "response": r["response"]} for r in rows]
    results = score_predictions(
        "reference", ["pceb_mcq"], predictions, RunOptions(data_dir=str(REAL_DATA), output_dir=tmp_path)
    )
    samples = {
        (task, sample["doc_id"]): sample
        for task in results["groups"]["pceb_mcq"]["subtasks"]
        for sample in read_jsonl(tmp_path / "reference" / "latest" / "samples" / f"{task}.jsonl")
    }
    assert len(samples) == len(rows) == 3863
    for row in rows:
        ours = samples[(row["task"], row["doc_id"])]["benchmark"]
        assert (ours["extracted"], ours["type"]) == (row["bench_extracted"], row["bench_type"]), row["doc_id"]
        assert ours["rate"] == pytest.approx(row["bench_rate"], abs=1e-12), row["doc_id"]
    for task, summary in results["tasks"].items():
        mine = [row for row in rows if row["task"] == task]
        answered = [row for row in mine if not row["bench_missing"]]
        block = summary["benchmark"]
        assert (block["n_answered"], block["n_unanswered"]) == (len(answered), len(mine) - len(answered))
        assert block["acc"] == pytest.approx(
            100 * sum(r["bench_type"] == 0 for r in answered) / len(answered)
        )
        assert block["acc_elastic"] == pytest.approx(
            100 * sum(r["bench_rate"] for r in answered) / len(answered)
        )
    assert json.dumps(results["groups"]["pceb_mcq"]["benchmark"])  # the paper's Avg, by the same protocol


@pytest.mark.parametrize(
    ("response", "multi", "read"),
    [
        ('{"ans": "b"}', False, "B"),  # the JSON answer its prompt asks for, upper-cased
        ('{"ans": "CA"}', True, "AC"),  # multiple: option letters, sorted
        ("答案：B", False, "B"),  # no JSON: the first capital letter
        ("The answer is B", False, ""),  # ... which is T here: not an option, so unanswered
        ("我选(B)和(C)，A不对", True, "BCA"),  # multiple: every option letter, in order
        ("无法判断", False, ""),
        ('{"ans": "F"}', False, "A"),  # a string that is no option: its regex then reads the A of "ANS"
        ('{"ans": ["B"]}', False, ""),  # not a string: its .upper() fails and it stops; never a letter
        ('{"ans": null}', False, ""),
        ('{"ans": 2}', True, ""),
        ('{"ans": {"x": "B"}}', True, ""),
    ],
)
def test_cpsyexam_reads_answers_as_its_code_does(response: str, multi: bool, read: str) -> None:
    assert cpsyexam_extract(response, "ABCDE", multi) == read


def test_cpsyexam_official_numbers_count_a_repeated_id_once_and_average_subjects() -> None:
    right, wrong = BenchmarkCredit("B", 0, 1.0), BenchmarkCredit("C", 2, 0.0)
    keys = [
        ("KG-x-单项选择题", "1"),
        ("KG-x-单项选择题", "1"),
        ("KG-x-单项选择题", "2"),
        ("KG-y-多项选择题", "3"),
    ]
    block = summarize_protocol([wrong, right, right, wrong], "cpsyexam", keys)
    assert block["n_repeated_ids"] == 1 and block["by_subject"] == {
        "KG-x-单项选择题": [2, 2],
        "KG-y-多项选择题": [0, 1],
    }
    assert official_numbers(block["by_subject"]) == {
        "MCQA": 100.0,
        "MRQA": 0.0,
        "Avg": 50.0,
        "by_subject": {"KG-x-单项选择题": 100.0, "KG-y-多项选择题": 0.0},
    }


@pytest.mark.parametrize(
    "task",
    ["cpsyexam_knowledge_single", "cpsyexam_knowledge_multi", "cpsyexam_case_single", "cpsyexam_case_multi"],
)
def test_cpsyexam_prompts_are_its_evaluate_api_layout(task: str) -> None:
    leaves, _ = load_tasks([task], RunOptions().metadata())
    kind = "多选题" if task.endswith("multi") else "单选题"
    for doc in leaves[0].docs:
        system, user = leaves[0].messages(doc)
        assert system["role"] == "system" and "只需要给出答案，无需任何分析" in system["content"]
        assert f'关于"{doc["subject_name"]}"考试的{kind}题' in system["content"]  # sic: its format string
        assert system["content"].endswith('答案格式为"{"ans":"您选择的答案"}".')
        options = "".join(f"\n{o['label']}. {o['text']}" for o in doc["options"])
        expected = f"科目：{doc['subject_name']}\n题型：{kind}\n问题：{doc['question']}{options}".strip()
        assert user == {"role": "user", "content": expected}


def test_cpsyexam_five_shot_sends_the_exemplars_as_chat_turns() -> None:
    leaves, _ = load_tasks(["cpsyexam_5shot_case_multi"], RunOptions().metadata())
    doc = leaves[0].docs[0]
    messages = leaves[0].messages(doc)
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 5 + ["user"]
    for exemplar, (user, assistant) in zip(
        doc["exemplars"], zip(messages[1:-1:2], messages[2:-1:2], strict=True), strict=True
    ):
        assert user["content"].startswith(
            f"科目：{doc['subject_name']}\n题型：多选题\n问题：{exemplar['question']}"
        )
        assert (
            user["content"].endswith(f"\n答案：{exemplar['answer']}")
            and assistant["content"] == f"答案：{exemplar['answer']}"
        )


def test_the_submission_scores_as_cpsyexams_evaluate_submission_does(tmp_path: Path) -> None:
    """With an answer key, the submission file (merge_answers.py's format) scored the way
    evaluate_submission.py scores it gives the numbers the harness reports."""
    from conftest import FIXTURE_DATA

    from harness.models import ModelSpec
    from harness.runs.runner import evaluate

    key: dict[str, list[dict[str, str]]] = {}
    for path in sorted((FIXTURE_DATA / "CPsyExam" / "cpsyexam" / "test").glob("*.json")):
        answer = "B" if "单项选择题" in path.stem else "AB"
        key[path.stem] = [
            {"question_id": r["id"], "answer": answer} for r in json.loads(path.read_text("utf-8"))
        ]
    (tmp_path / "key.json").write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
    model = ModelSpec(name="b", backend="mock", category="candidate", mock_response="答案：B")
    options = RunOptions(output_dir=tmp_path / "out", split="test", answer_key=str(tmp_path / "key.json"))
    results = evaluate(model, ["cpsyexam"], options)
    submission = json.loads(
        (tmp_path / "out" / "b" / "latest" / "cpsyexam_submission.json").read_text("utf-8")
    )
    entry = next(iter(next(iter(submission["zero_shot"].values()))))
    assert set(entry) == {"question_id", "question", "options", "prediction", "n_shot"}
    # evaluate_submission.py: per subject, predictions matched to answers by id, exact string match
    accuracy = {}
    for subject, answers in key.items():
        predicted = {str(e["question_id"]): e["prediction"] for e in submission["zero_shot"].get(subject, [])}
        golds = {str(a["question_id"]): a["answer"] for a in answers}
        shared = [qid for qid in golds if qid in predicted]
        if shared:
            accuracy[subject] = 100 * sum(predicted[q] == golds[q] for q in shared) / len(shared)
    single = [v for s, v in accuracy.items() if "单项选择题" in s]
    multi = [v for s, v in accuracy.items() if "单项选择题" not in s]
    mcqa, mrqa = sum(single) / len(single), sum(multi) / len(multi)
    official = results["groups"]["cpsyexam"]["benchmark"]["official"]
    assert (
        (official["MCQA"], official["MRQA"], official["Avg"])
        == (mcqa, mrqa, (mcqa + mrqa) / 2)
        == (100, 0, 50)
    )
    assert official["by_subject"] == accuracy


def test_a_failed_or_missing_request_counts_wrong_and_never_raises_the_benchmark_accuracy() -> None:
    from harness.scoring.protocols import BenchmarkCredit, summarize_protocol

    right, wrong, unread = (
        BenchmarkCredit("A", 0, 1.0),
        BenchmarkCredit("B", 2, 0.0),
        BenchmarkCredit("E", 2, 0.0, False),
    )
    complete = summarize_protocol([right, wrong, unread, right], "pceb")
    assert complete["acc"] == pytest.approx(100 * 2 / 3)  # the unreadable answer leaves the denominator
    failed = summarize_protocol([right, wrong, unread, None], "pceb")  # the last request failed
    assert failed["acc"] == pytest.approx(100 * 1 / 3) and failed["n_without_response"] == 1
    assert failed["acc"] <= complete["acc"]
    assert (failed["n_answered"], failed["n_unanswered"]) == (3, 1)


def test_without_gold_answers_the_benchmark_gives_no_accuracy() -> None:
    from harness.scoring.protocols import BenchmarkCredit, summarize_protocol

    keys = [("KG-心理学-单项选择题", "1"), ("KG-心理学-单项选择题", "2")]
    block = summarize_protocol([BenchmarkCredit("A", 2, 0.0)] * 2, "cpsyexam", keys, has_gold=False)
    assert block["acc"] is None and block["acc_elastic"] is None and "official" not in block


def test_five_shot_exemplar_answers_are_shown_as_the_train_file_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    train = data / "CPsyExam" / "cpsyexam" / "train" / "KG-GEE-发展心理学-多项选择题.json"
    records = json.loads(train.read_text(encoding="utf-8"))
    for record in records:
        if record["id"] == "发展心理学-multi-003":
            record["answer"] = "B,D"  # as some of CPsyExam's files write a multiple answer
    train.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("PSYCHE_DATA_DIR", str(data))
    done = run_harness("docs", "--tasks", "cpsyexam_5shot_knowledge_multi")
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    answers = [m["content"] for m in first["messages"] if m["role"] == "assistant"]
    assert "答案：B,D" in answers  # evaluate_api.py: f"答案：{example['answer']}", not normalised to BD
