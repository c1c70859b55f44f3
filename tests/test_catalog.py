"""Loading tasks to run: tasks built straight from their files, prompts rendered once per template,
are lm-eval's own tasks and prompts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REAL_DATA

from harness.errors import HarnessError
from harness.resources import builtin_tasks_dir
from harness.runs.runner import RunOptions
from harness.tasks.catalog import lmeval_messages, load_tasks

QUESTION_TASKS = ["pceb", "cpsyexam", "cpsyexam_5shot"]


def without_exemplar_turns(messages: list[dict[str, str]], doc: dict) -> list[dict[str, str]]:
    """The system and question messages: five-shot exemplars are chat turns between them, which
    lm-eval's own rendering (one question per doc) does not make."""
    turns = 2 * len(doc.get("exemplars") or [])
    assert [m["role"] for m in messages[1 : 1 + turns]] == ["user", "assistant"] * (turns // 2)
    return messages[:1] + messages[1 + turns :]


def assert_built_directly_as_lm_eval_builds(names: list[str], metadata: dict, every: int = 1) -> int:
    """The tasks built straight from their files equal lm-eval's TaskManager's: the same leaves and
    groups, docs, stop strings, shots, and for each question the messages lm-eval's fewshot_context
    renders."""
    direct, direct_groups = load_tasks(names, metadata)
    built, built_groups = load_tasks(names, metadata, through_lm_eval=True)
    assert direct_groups == built_groups
    assert [leaf.name for leaf in direct] == [leaf.name for leaf in built]
    checked = 0
    for ours, theirs in zip(direct, built, strict=True):
        assert ours.lm_task is None, f"{ours.name} was built by lm-eval"
        assert theirs.template is not None, f"{theirs.name} fell back to lm-eval's slow path"
        assert (ours.docs, ours.stop, ours.shots, ours.description) == (
            theirs.docs,
            theirs.stop,
            theirs.shots,
            theirs.description,
        ), ours.name
        for doc in ours.docs[::every]:
            if doc.get("history"):  # dialogues are sent as chat turns, by both alike
                assert ours.messages(doc) == theirs.messages(doc), (ours.name, doc["doc_id"])
                continue
            rendered = without_exemplar_turns(ours.messages(doc, "system_user"), doc)
            assert rendered == lmeval_messages(theirs.lm_task, doc), (ours.name, doc["doc_id"])
            checked += 1
    return checked


@pytest.mark.parametrize("split", ["dev", "test"])
def test_tasks_built_from_their_files_equal_lm_evals_on_every_fixture_doc(split: str) -> None:
    checked = assert_built_directly_as_lm_eval_builds(
        [*QUESTION_TASKS, "cpsycoune", "psydt"], RunOptions(split=split).metadata()
    )
    assert checked > 20


def test_a_task_file_using_lm_evals_own_features_is_built_by_lm_eval(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        "include: " + str(builtin_tasks_dir() / "pceb" / "_mcq_template_yaml") + "\n"
        "task: mine\n"
        "dataset_kwargs: {subset: moral, kind: single}\n"
        "process_docs: !function utils.first_only\n"
        'doc_to_text: "{{ question }}"\n',
        encoding="utf-8",
    )
    (folder / "utils.py").write_text(
        "from harness.lmeval_tasks import pceb_dataset, process_mcq, total\n\n"
        "def first_only(dataset):\n    return dataset.select([0])\n",
        encoding="utf-8",
    )
    leaves, _ = load_tasks(["mine", "pceb_moral_smcq"], {}, [folder])
    assert all(leaf.lm_task is not None for leaf in leaves)  # one needs lm-eval: both go through it
    assert len(leaves[0].docs) == 1 and len(leaves[1].docs) == 2


def test_building_the_asked_tasks_imports_neither_lm_eval_nor_datasets() -> None:
    probe = (
        "import sys; from harness.tasks.catalog import load_tasks; "
        "load_tasks(['pceb', 'cpsyexam_5shot'], {}); "
        "print(sorted(m for m in ('lm_eval', 'datasets', 'pandas', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
    load_tasks(["pceb_moral_smcq"], {}, through_lm_eval=True)
    assert logger.level == logging.INFO
    logger.setLevel(logging.NOTSET)


@pytest.mark.realdata
@pytest.mark.skipif(not (REAL_DATA / "PCEB").is_dir(), reason="real benchmark files not present")
def test_tasks_built_from_their_files_equal_lm_evals_on_the_real_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PSYCHE_CPSYEXAM_EXEMPLARS")  # the shipped exemplars, drawn from the real data
    metadata = RunOptions(data_dir=str(REAL_DATA), split="test").metadata()
    # every doc is compared; the messages of a seventh of them keep it to seconds (all pass, checked once)
    assert assert_built_directly_as_lm_eval_builds([*QUESTION_TASKS, "cpsycoune"], metadata, every=7) > 500


def test_a_custom_dataset_naming_a_missing_function_is_one_line_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        "include: " + str(builtin_tasks_dir() / "pceb" / "_mcq_template_yaml") + "\n"
        "task: mine\ncustom_dataset: !function utils.no_such_loader\n"
        'doc_to_text: "{{ question }}"\n',
        encoding="utf-8",
    )
    (folder / "utils.py").write_text(
        "from harness.lmeval_tasks import process_mcq, total\n", encoding="utf-8"
    )
    with pytest.raises(
        HarnessError, match="utils.no_such_loader: .*utils.py defines no function 'no_such_loader'"
    ):
        load_tasks(["mine"], {}, [folder])
