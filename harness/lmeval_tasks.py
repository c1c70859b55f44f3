"""What the task files in tasks/ call (custom_dataset, process_results), so that stock lm-eval and
the harness load the same docs and score them the same way."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.data.location import resolve_data_dir
from harness.data.records import DocRow
from harness.resources import builtin_tasks_dir
from harness.scoring.scorers import MCQ_SCORER, OPEN_SCORER

Rows = list[DocRow]


def dataset_loader(rows: Callable[..., Rows]) -> Callable[..., Any]:
    """A task file's custom_dataset from a function returning the docs as rows: lm-eval calls it and
    gets {"test": Dataset}; the harness calls its `.rows` and builds no Dataset (harness/tasks/direct.py).
    """

    @functools.wraps(rows)
    def custom_dataset(*args: Any, **kwargs: Any) -> Any:
        return as_dataset(rows(*args, **kwargs))

    custom_dataset.rows = rows  # type: ignore[attr-defined]
    return custom_dataset


@dataset_loader
def pceb_dataset(subset: str, kind: str = "", data_dir: str | None = None, **_: Any) -> Rows:
    """PCEB docs of one subset (case/moral/theory x single/multi, or case_qa)."""
    from harness.data.pceb import load_pceb_case_qa, load_pceb_mcq

    root = resolve_data_dir(data_dir)
    report = load_pceb_case_qa(root) if subset == "case_qa" else load_pceb_mcq(root, subset, kind)  # type: ignore[arg-type]
    report.warn("PCEB")
    return [doc.to_row() for doc in report.docs]


@dataset_loader
def cpsyexam_dataset(
    category: str,
    kind: str,
    shots: int = 0,
    split: str | None = None,
    data_dir: str | None = None,
    exemplars_file: str | None = None,
    answer_key: str | None = None,
    **_: Any,
) -> Rows:
    """CPsyExam docs of one category x type of a split (default dev, or $PSYCHE_CPSYEXAM_SPLIT)."""
    from harness.data import cpsyexam

    root = resolve_data_dir(data_dir)
    chosen_split = split or os.environ.get("PSYCHE_CPSYEXAM_SPLIT", "dev")
    key = cpsyexam.read_answer_key(Path(answer_key)) if answer_key else None
    report = cpsyexam.load_cpsyexam(root, chosen_split, category, kind, answer_key=key)  # type: ignore[arg-type]
    report.warn("CPsyExam")
    docs = report.docs
    if shots:
        chosen = exemplars_file or os.environ.get("PSYCHE_CPSYEXAM_EXEMPLARS")
        source = Path(chosen) if chosen else builtin_tasks_dir() / "cpsyexam" / "fewshot_exemplars.json"
        stored = json.loads(source.read_text(encoding="utf-8"))
        pool = cpsyexam.exemplar_pool(root, category, kind)  # type: ignore[arg-type]
        docs = cpsyexam.attach_exemplars(docs, stored["subjects"], pool, str(source))
    return [doc.to_row() for doc in docs]


@dataset_loader
def psydt_dataset(
    data_dir: str | None = None, sample_size: int | None = None, seed: int | None = None, **_: Any
) -> Rows:
    """A fixed-seed random sample of PsyDTCorpus's single-turn test split (the task file sets 200)."""
    from harness.data import psydt

    docs = psydt.load_psydt(psydt.locate_psydt(data_dir))
    chosen = psydt.sample_docs(docs, sample_size, psydt.DEFAULT_SEED if seed is None else seed)
    return [doc.to_row() for doc in chosen]


@dataset_loader
def cpsycoune_dataset(data_dir: str | None = None, **_: Any) -> Rows:
    """One doc per counselor turn of CPsyCounE's 45 dialogues."""
    from harness.data.cpsycoune import load_cpsycoune

    return [doc.to_row() for doc in load_cpsycoune(resolve_data_dir(data_dir))]


@dataset_loader
def mcq_dataset(path: str | Path, **_: Any) -> Rows:
    """A new MCQ benchmark's docs from a .jsonl or .json file of records (question, options, answer,
    optional context, subject, id; see harness/data/mcq_records.py). A task
    file's small module calls it with a path beside the file."""
    from harness.data.mcq_records import read_mcq_file

    return [doc.to_row() for doc in read_mcq_file(Path(path))]


def process_judged(doc: DocRow, results: list[str]) -> dict[str, float]:
    """lm-eval process_results for judge-scored tasks. Stock lm-eval only generates and reports the
    reply length: the judge scores come from `harness eval` (concurrent, cached, retried)."""
    return {"response_chars": float(len(results[0]))}


# lm-eval's process_results of the built-in scorers: the scorer objects themselves, so a task file's
# `process_results: !function utils.process_mcq` is the one place it says how it is scored.
process_mcq = MCQ_SCORER
process_open = OPEN_SCORER


def total(values: list[float]) -> float:
    """lm-eval aggregation: the sum (used for the count of unparsed responses)."""
    return float(sum(values))


def as_dataset(rows: Rows) -> Any:
    """Rows as the {"test": Dataset} a task file's custom_dataset returns."""
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})
