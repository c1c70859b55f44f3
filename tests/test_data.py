"""Loaders: the fixture files load; malformed input fails with one line naming file and record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA, FIXTURES

from harness.data.cpsyexam import (
    attach_exemplars,
    draw_exemplars,
    exemplar_pool,
    load_cpsyexam,
    read_answer_key,
)
from harness.data.pceb import load_pceb_case_qa, load_pceb_mcq
from harness.errors import HarnessError


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, target)
    return target


def test_pceb_case_questions_follow_their_single_or_multiple_prefix() -> None:
    single = load_pceb_mcq(FIXTURE_DATA, "case", "single")
    multi = load_pceb_mcq(FIXTURE_DATA, "case", "multi")
    assert [d.answer for d in single.docs] == ["B", "BCD", "A"]  # BCD: a known anomaly, kept
    assert [d.answer for d in multi.docs] == ["ABD", "ABD"]
    assert all(d.case_info and d.case_text for d in single.docs + multi.docs)
    assert single.docs[0].case_info == "求助者，女性，28岁，公司职员。"


def test_pceb_known_anomalies_are_kept_as_the_benchmark_keeps_them_and_listed() -> None:
    single = load_pceb_mcq(FIXTURE_DATA, "case", "single")
    assert len(single.kept) == 1 and "answer BCD" in single.kept[0] and not single.skipped
    theory_multi = load_pceb_mcq(FIXTURE_DATA, "theory", "multi")
    assert len(theory_multi.docs) == 3 and "empty answer" in theory_multi.kept[0]
    empty = next(doc for doc in theory_multi.docs if not doc.answer)
    assert not empty.answer_withheld  # an empty gold is never right; it is not a withheld one


def test_pceb_answers_are_stripped_of_surrounding_whitespace() -> None:
    theory = load_pceb_mcq(FIXTURE_DATA, "theory", "single")
    assert [d.answer for d in theory.docs] == ["B", "C", "A"]


def test_pceb_case_qa_gives_one_doc_per_question_with_its_case() -> None:
    report = load_pceb_case_qa(FIXTURE_DATA)
    assert len(report.docs) == 2
    assert report.docs[1].answer.startswith("近期目标")
    assert report.docs[0].doc_id != report.docs[1].doc_id


def _theory_file(root: Path) -> Path:
    return root / "PCEB/benchmark/theory/single/second/01 理论单选.json"


def _edit_first_record(path: Path, change) -> None:
    records = json.loads(path.read_text(encoding="utf-8"))
    change(records[0])
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("question"), "missing 'question'"),
        (lambda r: r.pop("options"), "missing 'options'"),
        (lambda r: r.pop("answer"), "missing 'answer'"),
        (lambda r: r.update(answer="F"), "not an option"),
    ],
)
def test_malformed_record_names_file_and_record(data_copy: Path, change, message: str) -> None:
    _edit_first_record(_theory_file(data_copy), change)
    with pytest.raises(HarnessError) as caught:
        load_pceb_mcq(data_copy, "theory", "single")
    text = str(caught.value)
    assert message in text and "01 理论单选.json" in text and "record 1" in text and "\n" not in text


def test_invalid_json_names_the_file_and_line(data_copy: Path) -> None:
    _theory_file(data_copy).write_text('[{"id": 1,\n "question": }]', encoding="utf-8")
    with pytest.raises(HarnessError, match=r"01 理论单选.json: invalid JSON at line 2"):
        load_pceb_mcq(data_copy, "theory", "single")


def test_empty_file_is_an_error(data_copy: Path) -> None:
    _theory_file(data_copy).write_text("", encoding="utf-8")
    with pytest.raises(HarnessError, match="the file is empty"):
        load_pceb_mcq(data_copy, "theory", "single")


def test_missing_benchmark_folder_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="PSYCHE_DATA_DIR"):
        load_pceb_mcq(tmp_path, "theory", "single")


def test_cpsyexam_dev_has_answers_and_test_withholds_them() -> None:
    dev = load_cpsyexam(FIXTURE_DATA, "dev", "KG", "multi")
    test = load_cpsyexam(FIXTURE_DATA, "test", "KG", "multi")
    assert [d.answer for d in dev.docs] == ["CD", "ABC", "BD"]
    assert test.docs and all(d.answer == "" for d in test.docs)
    assert all(d.multi for d in dev.docs) and dev.docs[0].subject == "KG-GEE-发展心理学-多项选择题"


def test_cpsyexam_empty_option_texts_are_dropped() -> None:
    doc = load_cpsyexam(FIXTURE_DATA, "dev", "CA", "single").docs[0]
    assert [o.label for o in doc.options] == ["A", "B", "C", "D"]


def test_cpsyexam_answer_key_fills_withheld_answers(tmp_path: Path) -> None:
    key_path = tmp_path / "key.json"
    key_path.write_text(
        json.dumps(
            {"KG-GEE-发展心理学-单项选择题": [{"question_id": "发展心理学-single-200", "answer": "C"}]}
        ),
        encoding="utf-8",
    )
    docs = load_cpsyexam(FIXTURE_DATA, "test", "KG", "single", answer_key=read_answer_key(key_path)).docs
    assert [d.answer for d in docs] == ["C", ""]


def test_cpsyexam_answers_with_text_are_normalised_to_letters(data_copy: Path) -> None:
    path = data_copy / "CPsyExam/cpsyexam/dev/KG-GEE-发展心理学-单项选择题.json"
    _edit_first_record(path, lambda r: r.update(answer="D、选项四"))
    report = load_cpsyexam(data_copy, "dev", "KG", "single")
    assert report.docs[0].answer == "D" and len(report.repaired) == 1


def test_fewshot_exemplars_are_reproducible_and_come_from_the_same_subject() -> None:
    pool = exemplar_pool(FIXTURE_DATA, "KG", "single")
    first = draw_exemplars(pool, ["KG-GEE-发展心理学-单项选择题"], seed=7)
    again = draw_exemplars(pool, ["KG-GEE-发展心理学-单项选择题"], seed=7)
    other = draw_exemplars(pool, ["KG-GEE-发展心理学-单项选择题"], seed=8)
    assert first == again and first != other
    ids = first["KG-GEE-发展心理学-单项选择题"]["ids"]
    assert len(ids) == 5 and all(i.startswith("发展心理学-single") for i in ids)


def test_fewshot_falls_back_to_the_same_category_and_says_so() -> None:
    pool = {"S1": exemplar_pool(FIXTURE_DATA, "KG", "single")["KG-GEE-发展心理学-单项选择题"][:2]}
    pool["S2"] = exemplar_pool(FIXTURE_DATA, "KG", "single")["KG-GEE-发展心理学-单项选择题"][2:]
    drawn = draw_exemplars(pool, ["S1"], seed=1)["S1"]
    assert len(drawn["ids"]) == 5 and "only 2" in drawn["note"]


def test_stored_fixture_exemplars_attach_to_every_doc() -> None:
    stored = json.loads((FIXTURES / "cpsyexam_exemplars.json").read_text(encoding="utf-8"))["subjects"]
    docs = load_cpsyexam(FIXTURE_DATA, "dev", "CA", "multi").docs
    attached = attach_exemplars(docs, stored, exemplar_pool(FIXTURE_DATA, "CA", "multi"), "fixture")
    assert all(len(d.exemplars) == 5 and d.exemplars[0].answer for d in attached)
