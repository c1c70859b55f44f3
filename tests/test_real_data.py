"""Second tier: the real benchmark files (../shared/data or PSYCHE_REAL_DATA_DIR), when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REAL_DATA, read_jsonl, run_harness, write_predictions

from harness.data.cpsyexam import DEFAULT_SEED, draw_exemplars, exemplar_pool, load_cpsyexam, subject_files
from harness.data.pceb import load_pceb_case_qa, load_pceb_mcq
from harness.resources import builtin_tasks_dir

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not (REAL_DATA / "PCEB").is_dir(), reason="real benchmark files not present"),
]

# Counts in the files (SOURCE.md, the issue), all loaded as PCEB's code loads them; known anomalies
# are kept and listed.
PCEB_COUNTS = {
    ("case", "single"): (748, 1),
    ("case", "multi"): (878, 1),
    ("moral", "single"): (152, 0),
    ("moral", "multi"): (158, 0),
    ("theory", "single"): (1143, 0),
    ("theory", "multi"): (784, 1),
}


@pytest.mark.parametrize(("subset", "expected"), PCEB_COUNTS.items())
def test_pceb_subsets_have_the_published_sizes(subset: tuple[str, str], expected: tuple[int, int]) -> None:
    report = load_pceb_mcq(REAL_DATA, *subset)  # type: ignore[arg-type]
    raw, anomalies = expected
    assert len(report.docs) == raw and not report.skipped
    assert len(report.kept) == anomalies


def test_pceb_has_3863_mcq_and_100_case_questions_in_20_cases() -> None:
    total = sum(raw for raw, _ in PCEB_COUNTS.values())
    assert total == 3863
    qa = load_pceb_case_qa(REAL_DATA)
    assert len(qa.docs) == 100 and len({doc.case_text for doc in qa.docs}) == 20


def test_pceb_case_answers_carry_no_whitespace() -> None:
    docs = load_pceb_mcq(REAL_DATA, "case", "multi").docs
    assert all(doc.answer.isalpha() and doc.answer.isupper() for doc in docs)
    assert all(doc.answer_as_written == doc.answer_as_written.strip() for doc in docs)


def test_cpsyexam_splits_have_the_published_sizes() -> None:
    def count(split: str) -> int:
        return sum(
            len(load_cpsyexam(REAL_DATA, split, c, k).docs)
            for c in ("KG", "CA")
            for k in ("single", "multi")  # type: ignore[arg-type]
        )

    assert count("dev") == 1097
    assert count("test") == 3902


def test_stored_exemplars_are_the_fixed_seed_draw_on_the_real_train_split() -> None:
    stored = json.loads(
        (builtin_tasks_dir() / "cpsyexam" / "fewshot_exemplars.json").read_text(encoding="utf-8")
    )
    assert stored["seed"] == DEFAULT_SEED
    redrawn: dict = {}
    for category in ("KG", "CA"):
        for kind in ("single", "multi"):
            names = {
                p.stem for split in ("dev", "test") for p in subject_files(REAL_DATA, split, category, kind)
            }  # type: ignore[arg-type]
            redrawn |= draw_exemplars(exemplar_pool(REAL_DATA, category, kind), names, DEFAULT_SEED)  # type: ignore[arg-type]
    assert redrawn == stored["subjects"]
    fallbacks = [name for name, entry in stored["subjects"].items() if "note" in entry]
    assert "KG-GEE-临床与咨询心理学-单项选择题" in fallbacks  # its train file holds only multi-answer items


def test_every_real_dev_and_test_doc_gets_five_exemplars(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.tasks.catalog import load_tasks

    monkeypatch.delenv("PSYCHE_CPSYEXAM_EXEMPLARS")
    for split in ("dev", "test"):
        leaves, _ = load_tasks(["cpsyexam_5shot"], {"data_dir": str(REAL_DATA), "split": split})
        assert sum(len(leaf.docs) for leaf in leaves) == (1097 if split == "dev" else 3902)
        assert all(len(doc["exemplars"]) == 5 for leaf in leaves for doc in leaf.docs)


def test_cpsycoune_has_45_dialogues_in_9_topics_and_296_counselor_turns() -> None:
    from harness.data.cpsycoune import load_cpsycoune

    docs = load_cpsycoune(REAL_DATA)
    assert len(docs) == 296
    assert len({doc.dialogue_id for doc in docs}) == 45
    assert len({doc.topic for doc in docs}) == 9
    assert all(doc.history[-1][0] == "user" and doc.reference for doc in docs)


def test_grpo_reads_the_real_cpsyexam_train_split_skipping_malformed_records() -> None:
    from train.config import GRPORunConfig
    from train.data import grpo_rows

    config = GRPORunConfig.model_validate(
        {"run_name": "a", "base_model": "m", "data": [{"source": "cpsyexam"}]}
    )
    loaded = grpo_rows(config.data, str(REAL_DATA))
    assert len(loaded.rows) > 1000
    assert all(row["answer"] and set(row["answer"]) <= set(row["options"]) for row in loaded.rows)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_cpsyexam_replies_are_read_and_scored_as_the_benchmarks_own_code_does(
    split: str, tmp_path: Path
) -> None:
    """Every dev and test item answered with a varied reply (tests/cpsyexam_responses.py: JSON with
    string and non-string "ans", letters, sentences, several letters, garbage, nothing; both copies of
    the ids that sit in two test subjects): each reading and the official MCQA/MRQA of `harness score`
    equal what CPsyExam's evaluate_api.py reads and evaluate_submission.py computes at 2cb3af8
    (fixtures/cpsyexam_reference.json.gz; test scored against a stand-in key)."""
    import gzip

    from cpsyexam_responses import made_up_answer, varied_response

    with gzip.open(FIXTURES / "cpsyexam_reference.json.gz", "rt", encoding="utf-8") as file:
        reference = json.load(file)
    assert reference["commit"].startswith("2cb3af8")
    expected = reference["splits"][split]
    listed = run_harness("docs", "--tasks", "cpsyexam", "--split", split, "--data-dir", str(REAL_DATA))
    docs = [json.loads(line) for line in listed.stdout.splitlines()]
    options = {
        (path.stem, str(record["id"])): record["options"]
        for path in (REAL_DATA / "CPsyExam" / "cpsyexam" / split).glob("*.json")
        for record in json.loads(path.read_text(encoding="utf-8"))
    }
    gold = {
        (d["subject"], d["doc_id"]): d["gold"]
        or made_up_answer(d["subject"], d["doc_id"], options[(d["subject"], d["doc_id"])])
        for d in docs
    }
    predictions = write_predictions(
        tmp_path / "predictions.jsonl",
        docs,
        lambda d: varied_response(split, d["subject"], d["doc_id"], gold[(d["subject"], d["doc_id"])]),
    )
    key_args: list[str] = []
    if split == "test":
        key: dict[str, list[dict[str, str]]] = {}
        for (subject, question_id), answer in gold.items():
            key.setdefault(subject, []).append({"question_id": question_id, "answer": answer})
        (tmp_path / "key.json").write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
        key_args = ["--answer-key", str(tmp_path / "key.json")]
    done = run_harness(
        "score", "--predictions", str(predictions), "--tasks", "cpsyexam", "--split", split,
        "--data-dir", str(REAL_DATA), "--output-dir", str(tmp_path / "out"), *key_args,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [run] = {p.parent.resolve() for p in (tmp_path / "out").glob("*/*/results.json")}
    readings: dict[str, str] = {}
    for task in sorted({d["task"] for d in docs}):
        listed_docs = [d for d in docs if d["task"] == task]
        samples = read_jsonl(run / "samples" / f"{task}.jsonl")
        assert [s["doc_id"] for s in samples] == [d["doc_id"] for d in listed_docs]
        for doc, sample in zip(listed_docs, samples, strict=True):
            read = sample["benchmark"]["extracted"] if sample["benchmark"]["answered"] else ""
            readings[f"{doc['subject']}/{doc['doc_id']}"] = read
    differ = {
        item: (read, expected["readings"][item])
        for item, read in readings.items()
        if read != expected["readings"][item]
    }
    assert readings.keys() == expected["readings"].keys() and not differ, list(differ.items())[:5]
    official = json.loads((run / "results.json").read_text(encoding="utf-8"))["groups"]["cpsyexam"][
        "benchmark"
    ]["official"]
    for number in ("MCQA", "MRQA", "Avg"):
        assert official[number] == pytest.approx(expected["official"][number], abs=1e-9), number
