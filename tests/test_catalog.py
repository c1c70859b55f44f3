"""Loading tasks to run: prompts rendered once per template are lm-eval's own prompts."""

from __future__ import annotations

import pytest
from conftest import REAL_DATA

from harness.catalog import lmeval_messages, load_tasks
from harness.runner import RunOptions

QUESTION_TASKS = ["pceb", "cpsyexam", "cpsyexam_5shot"]


def without_exemplar_turns(messages: list[dict[str, str]], doc: dict) -> list[dict[str, str]]:
    """The system and question messages: five-shot exemplars are chat turns between them, which
    lm-eval's own rendering (one question per doc) does not make."""
    turns = 2 * len(doc.get("exemplars") or [])
    assert [m["role"] for m in messages[1 : 1 + turns]] == ["user", "assistant"] * (turns // 2)
    return messages[:1] + messages[1 + turns :]


@pytest.mark.parametrize("split", ["dev", "test"])
def test_compiled_prompts_equal_lm_evals_fewshot_context_on_every_fixture_doc(split: str) -> None:
    leaves, _ = load_tasks(QUESTION_TASKS, RunOptions(split=split).metadata())
    checked = 0
    for leaf in leaves:
        assert leaf.template is not None, f"{leaf.name} fell back to lm-eval's slow path"
        for doc in leaf.docs:
            rendered = without_exemplar_turns(leaf.messages(doc, "system_user"), doc)
            assert rendered == lmeval_messages(leaf.lm_task, doc), (leaf.name, doc["doc_id"])
            checked += 1
    assert checked > 20


def test_tasks_record_the_split_their_docs_come_from() -> None:
    leaves, _ = load_tasks(["pceb_moral_smcq", "cpsyexam_case_single"], RunOptions(split="test").metadata())
    splits = {leaf.name: leaf.split for leaf in leaves}
    assert splits == {"pceb_moral_smcq": "test", "cpsyexam_case_single": "test"}
    leaves, _ = load_tasks(["cpsyexam_case_single"], RunOptions().metadata())
    assert leaves[0].split == "dev" and leaves[0].submission == "cpsyexam"


def test_loading_tasks_leaves_lm_evals_logger_as_it_was() -> None:
    import logging

    logger = logging.getLogger("lm_eval")
    logger.setLevel(logging.INFO)
    load_tasks(["pceb_moral_smcq"], {})
    assert logger.level == logging.INFO
    logger.setLevel(logging.NOTSET)


@pytest.mark.realdata
@pytest.mark.skipif(not (REAL_DATA / "PCEB").is_dir(), reason="real benchmark files not present")
def test_compiled_prompts_equal_lm_evals_on_the_real_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSYCHE_CPSYEXAM_EXEMPLARS")  # the shipped exemplars, drawn from the real data
    leaves, _ = load_tasks(QUESTION_TASKS, RunOptions(data_dir=str(REAL_DATA), split="test").metadata())
    for leaf in leaves:
        for doc in leaf.docs[::7]:  # a seventh of the docs keeps it to seconds; all pass (checked once)
            rendered = without_exemplar_turns(leaf.messages(doc, "system_user"), doc)
            assert rendered == lmeval_messages(leaf.lm_task, doc), (leaf.name, doc["doc_id"])
