"""Metrics: accuracy definitions and the PCEB text metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scoring.metrics import (
    TextScores,
    elastic_accuracy,
    segment_words,
    standard_accuracy,
    text_scores,
)


def test_standard_accuracy_needs_the_exact_set() -> None:
    assert standard_accuracy("AC", "CA") == 1.0
    assert standard_accuracy("A", "AC") == 0.0
    assert standard_accuracy(None, "A") == 0.0


def test_elastic_accuracy_gives_partial_credit_for_subset() -> None:
    assert elastic_accuracy("A", "ACD") == pytest.approx(1 / 3)
    assert elastic_accuracy("AC", "ACD") == pytest.approx(2 / 3)
    assert elastic_accuracy("ACD", "ACD") == 1.0


def test_elastic_accuracy_gives_nothing_for_a_wrong_letter_or_no_answer() -> None:
    assert elastic_accuracy("AB", "ACD") == 0.0
    assert elastic_accuracy("ABCD", "ACD") == 0.0
    assert elastic_accuracy(None, "ACD") == 0.0
    assert elastic_accuracy("", "ACD") == 0.0


def test_elastic_equals_standard_on_single_answer_questions() -> None:
    for predicted in ("A", "B", "AB", None):
        assert elastic_accuracy(predicted, "A") == standard_accuracy(predicted, "A")


def test_text_scores_are_100_for_an_identical_answer() -> None:
    scores = text_scores("该求助者的诊断是一般心理问题。", "该求助者的诊断是一般心理问题。")
    assert scores.rouge1 == pytest.approx(100.0, abs=1e-4)
    assert scores.rougeL == pytest.approx(100.0, abs=1e-4)
    assert scores.bleu4 == pytest.approx(100.0, abs=1e-4)


def test_text_scores_are_partial_for_an_overlapping_answer() -> None:
    scores = text_scores("诊断是一般心理问题", "该求助者的诊断是严重心理问题")
    assert 0 < scores.rouge1 < 100
    assert 0 < scores.bleu4 < scores.rouge1


def test_text_scores_are_zero_for_an_empty_response_without_crashing() -> None:
    assert text_scores("", "参考答案").rouge1 == 0.0
    assert text_scores("   ", "参考答案").bleu4 == 0.0
    assert text_scores("...", "参考答案") == text_scores("\n\n", "参考答案") == TextScores(0.0, 0.0, 0.0)


def test_rouge_l_is_the_rouge_packages_summary_level_union_lcs() -> None:
    # an ASCII full stop splits "sentences" for `rouge` (PCEB's): the union LCS over sentences
    # matches both halves; rouge-chinese's plain LCS over all words (the stop a word) gives 33.33
    scores = text_scores("甲 乙. 丙 丁", "丙 丁. 甲 乙")
    assert scores.rouge1 == pytest.approx(100.0, abs=1e-4)
    assert scores.rougeL == pytest.approx(100.0, abs=1e-4)


def test_segment_words_uses_chinese_words_not_characters() -> None:
    assert "心理咨询" in segment_words("心理咨询师的工作")
    # as PCEB's code: spaces removed before segmenting, line breaks kept as words
    assert segment_words("第一点\n第二 点") == ["第一点", "\n", "第二点"]


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "pceb" / "mcq_scores_8ff40f3.jsonl"


@pytest.mark.realdata
@pytest.mark.skipif(not REFERENCE.is_file(), reason="the PCEB reference scores are not present")
def test_credit_per_item_matches_the_pceb_codes_correct_rate_compute() -> None:
    """On 3,863 responses scored by PCEB's own code: given its extracted letters, elastic credit is
    its rate on every answered item; standard credit differs only where PCEB compares letter strings
    (the full answer in another order or with a letter twice, 'DCA' or 'AACD' for 'ACD', is wrong
    there, right here)."""
    rows = [json.loads(line) for line in REFERENCE.read_text(encoding="utf-8").splitlines()]
    answered = [row for row in rows if not row["bench_missing"]]
    assert len(rows) == 3863 and len(answered) > 3000
    for row in answered:
        predicted, gold = row["bench_extracted"], row["gold_raw"].strip()
        assert elastic_accuracy(predicted, gold) == pytest.approx(row["bench_rate"], abs=1e-12), row["doc_id"]
        if standard_accuracy(predicted, gold) != (row["bench_type"] == 0):
            assert set(predicted) == set(gold) and predicted != gold, row["doc_id"]


CASE_QA = REFERENCE.with_name("case_qa_scores_8ff40f3.jsonl")


@pytest.mark.realdata
@pytest.mark.skipif(not CASE_QA.is_file(), reason="the PCEB reference scores are not present")
def test_case_qa_scores_equal_the_pceb_codes_per_item() -> None:
    """On 100 responses scored by PCEB's own code: R-1, R-L and B-4 equal per item (to 1e-6); the
    five empty responses, where PCEB's code stops with an error, score 0."""
    rows = [json.loads(line) for line in CASE_QA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 100
    for row in rows:
        scores = text_scores(row["response"], row["reference"])
        if row["error"]:
            assert scores == TextScores(0.0, 0.0, 0.0), row["doc_id"]
            continue
        for metric in ("rouge1", "rougeL", "bleu4"):
            assert getattr(scores, metric) == pytest.approx(row[metric], abs=1e-6), (row["doc_id"], metric)
