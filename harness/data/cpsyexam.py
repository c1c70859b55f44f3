"""CPsyExam, read from its original per-subject files, with fixed five-shot exemplars.

Layout under the data directory: CPsyExam/cpsyexam/{train,dev,test}/<KG|CA>-<subject>-<单项|多项>选择题.json.
The test split withholds answers: its docs have answer "" unless an answer key is given.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from harness.data.records import (
    Doc,
    Exemplar,
    LoadReport,
    check_answer_letters,
    parse_options,
    read_json_list,
    require,
)
from harness.errors import HarnessError

Category = Literal["KG", "CA"]
Kind = Literal["single", "multi"]
Split = Literal["train", "dev", "test"]

SPLITS: tuple[str, ...] = ("train", "dev", "test")
SHOTS = 5
_KIND_SUFFIX = {"single": "单项选择题", "multi": "多项选择题"}
_LEADING_LETTERS = re.compile(r"^\s*([A-Z](?:[\s、,，]*[A-Z])*)")


def split_dir(data_dir: Path, split: str) -> Path:
    """The folder of one split, or a HarnessError naming what is missing."""
    if split not in SPLITS:
        raise HarnessError(f"unknown CPsyExam split {split!r}: use one of {', '.join(SPLITS)}")
    folder = Path(data_dir) / "CPsyExam" / "cpsyexam" / split
    if not folder.is_dir():
        raise HarnessError(
            f"CPsyExam not found: {folder} does not exist (set --data-dir or PSYCHE_DATA_DIR to the folder holding CPsyExam/)"
        )
    return folder


def subject_files(data_dir: Path, split: str, category: Category, kind: Kind) -> list[Path]:
    """The split's subject files of one category (KG/CA) and question type."""
    files = sorted(split_dir(data_dir, split).glob(f"{category}-*-{_KIND_SUFFIX[kind]}.json"))
    if not files:
        raise HarnessError(f"{split_dir(data_dir, split)}: no {category} {_KIND_SUFFIX[kind]} files found")
    return files


def load_cpsyexam(
    data_dir: Path,
    split: str,
    category: Category,
    kind: Kind,
    answer_key: AnswerKey | None = None,
    strict: bool = True,
) -> LoadReport:
    """Load one category x type of a split; `answer_key` ((subject, question id) -> letters) fills
    withheld answers.

    With strict=False a malformed record is skipped and counted instead of stopping the load.
    """
    report = LoadReport()
    for path in subject_files(data_dir, split, category, kind):
        records = read_json_list(path)
        if not records:
            report.skipped.append(f"{path}: empty subject file")
        for index, record in enumerate(records):
            try:
                doc = _parse_record(path, index, record, kind, report, answer_key)
            except HarnessError as error:
                if strict:
                    raise
                report.skipped.append(str(error))
                continue
            if doc is not None:
                report.docs.append(doc)
    return report


def _parse_record(
    path: Path,
    index: int,
    record: dict[str, Any],
    kind: Kind,
    report: LoadReport,
    answer_key: AnswerKey | None,
) -> Doc | None:
    doc_id = str(record.get("id", "")) or f"{path.stem}#{index}"
    where = f"{path}, record {doc_id}"
    question = require(record, "question", where)  # as written: CPsyExam's prompt shows it so
    options = parse_options(record, where)
    withheld = False
    if "answer" in record:
        answer = _normalise_answer(require(record, "answer", where), where, report)
    elif answer_key is not None and (path.stem, doc_id) in answer_key:
        answer = answer_key[(path.stem, doc_id)]
    elif path.parent.name == "test":
        answer, withheld = "", True  # withheld by the benchmark's authors
    else:
        raise HarnessError(f"{where}: missing 'answer'")
    blank = {str(label) for label, text in record["options"].items() if not str(text).strip()}
    if set(answer) & blank:
        report.skipped.append(f"{where}: answer {answer} names an option with no text")
        return None
    if answer:
        answer = check_answer_letters(answer, options, where)
    if record.get("question_type", kind) != kind:
        report.skipped.append(f"{where}: tagged {record.get('question_type')!r} inside a {kind} file")
        return None
    return Doc(
        doc_id=doc_id,
        subject=path.stem,
        subject_name=str(record.get("subject_name", "")),
        question=question,
        answer=answer,
        multi=kind == "multi",
        options=options,
        source=str(path),
        answer_withheld=withheld,
        answer_as_written=str(record["answer"]) if "answer" in record else answer,
        options_text=cpsyexam_options_text(record["options"]),
        option_keys="".join(letter for letter in string.ascii_uppercase if letter in record["options"]),
    )


def cpsyexam_options_text(options: dict[str, Any]) -> str:
    """The options as CPsyExam's evaluate_api.py (2cb3af8) lists them after the question: a line
    "X. text" for each letter A-Z the record has, in letter order, whose text is not empty (texts
    as written)."""
    return "".join(
        f"\n{letter}. {options[letter]}" for letter in string.ascii_uppercase if options.get(letter)
    )


def _normalise_answer(raw: str, where: str, report: LoadReport) -> str:
    """Bare letters from answers such as 'D、华生' or 'C,' (known anomalies of the real files)."""
    stripped = raw.strip()
    if re.fullmatch(r"[A-Z]*", stripped):
        return stripped
    match = _LEADING_LETTERS.match(stripped)
    if not match:
        raise HarnessError(f"{where}: answer {raw!r} has no option letters")
    report.repaired.append(f"{where}: {raw!r}")
    return re.sub(r"[^A-Z]", "", match.group(1))


AnswerKey = dict[tuple[str, str], str]  # (subject file name, question id) -> letters


def read_answer_key(path: Path) -> AnswerKey:
    """An answer key in the official format {subject: [{"question_id", "answer"}]}, keyed by
    (subject, question id) as the benchmark's files are: a question id can sit in two subjects with
    its options in another order (two test ids do), and each copy has its own answer."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HarnessError(f"{path}: cannot read the answer key ({error})") from None
    if not isinstance(data, dict):
        raise HarnessError(f"{path}: expected {{subject: [{{question_id, answer}}]}}")
    key: AnswerKey = {}
    for subject, entries in data.items():
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or "question_id" not in entry or "answer" not in entry:
                raise HarnessError(f"{path}, subject {subject}: every entry needs question_id and answer")
            key[(str(subject), str(entry["question_id"]))] = str(entry["answer"]).strip()
    return key


# --- five-shot exemplars -----------------------------------------------------------------


def exemplar_pool(data_dir: Path, category: Category, kind: Kind) -> dict[str, list[Doc]]:
    """Train docs of one category x type, by subject, that may serve as exemplars."""
    report = load_cpsyexam(data_dir, "train", category, kind, strict=False)
    pool: dict[str, list[Doc]] = {}
    for doc in report.docs:
        if doc.answer:
            pool.setdefault(doc.subject, []).append(doc)
    return pool


def draw_exemplars(
    pool: dict[str, list[Doc]], subjects: Iterable[str], seed: int
) -> dict[str, dict[str, Any]]:
    """Pick SHOTS exemplar ids per subject, seeded per subject; short subjects are filled from the
    same category x type, and the fill is recorded in a note."""
    drawn: dict[str, dict[str, Any]] = {}
    everyone = sorted((doc for docs in pool.values() for doc in docs), key=lambda d: d.doc_id)
    for subject in sorted(subjects):
        rng = random.Random(f"{seed}:{subject}")
        own = sorted(pool.get(subject, []), key=lambda d: d.doc_id)
        picked = rng.sample(own, min(SHOTS, len(own)))
        entry: dict[str, Any] = {"ids": [doc.doc_id for doc in picked]}
        if len(picked) < SHOTS:
            others = [doc for doc in everyone if doc.subject != subject]
            fill = rng.sample(others, SHOTS - len(picked))
            entry["ids"] += [doc.doc_id for doc in fill]
            entry["note"] = (
                f"only {len(picked)} train item(s) in this subject; {len(fill)} drawn from other subjects of the same "
                "category and question type"
            )
        drawn[subject] = entry
    return drawn


def attach_exemplars(
    docs: list[Doc], exemplars: dict[str, dict[str, Any]], pool: dict[str, list[Doc]], source: str
) -> list[Doc]:
    """Docs with their subject's stored exemplars; a HarnessError when an id is not in the train split."""
    by_id = {doc.doc_id: doc for docs_ in pool.values() for doc in docs_}
    attached = []
    for doc in docs:
        entry = exemplars.get(doc.subject)
        if entry is None:
            raise HarnessError(f"{source}: no exemplars stored for subject {doc.subject!r}; redraw them")
        shots = []
        for exemplar_id in entry["ids"]:
            if exemplar_id not in by_id:
                raise HarnessError(
                    f"{source}: exemplar {exemplar_id} of {doc.subject!r} is not in the train split"
                )
            found = by_id[exemplar_id]
            shots.append(
                Exemplar(
                    question=found.question,
                    options=found.options,
                    answer=found.answer_as_written or found.answer,  # as evaluate_api.py shows it
                    options_text=found.options_text,
                )
            )
        attached.append(_with_exemplars(doc, tuple(shots)))
    return attached


def _with_exemplars(doc: Doc, shots: tuple[Exemplar, ...]) -> Doc:
    from dataclasses import replace

    return replace(doc, exemplars=shots)


def main(argv: list[str] | None = None) -> None:
    """Draw the five-shot exemplars for every dev and test subject: python -m harness.data.cpsyexam DATA_DIR [SEED]."""
    import sys

    args = argv if argv is not None else sys.argv[1:]
    data_dir, seed = Path(args[0]), int(args[1]) if len(args) > 1 else DEFAULT_SEED
    subjects: dict[str, dict[str, Any]] = {}
    for category in ("KG", "CA"):
        for kind in ("single", "multi"):
            pool = exemplar_pool(data_dir, category, kind)
            names = {
                p.stem for split in ("dev", "test") for p in subject_files(data_dir, split, category, kind)
            }
            subjects |= draw_exemplars(pool, names, seed)
    print(
        json.dumps(
            {"seed": seed, "source_split": "train", "shots": SHOTS, "subjects": subjects},
            ensure_ascii=False,
            indent=1,
        )
    )


DEFAULT_SEED = 20250801

if __name__ == "__main__":
    main()
