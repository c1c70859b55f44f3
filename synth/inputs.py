"""The pipeline's inputs as records: source texts (Type I), question banks (Type II, and the
exams of D_cp), subfields (Type III), help-seeking QA pairs (Type IV). A bad record is one line
naming the file and line."""

from __future__ import annotations

from typing import Any

from harness.errors import HarnessError
from harness.runs.results import read_jsonl_lines
from synth.config import BankSource, SynthConfig, TextSource
from synth.records import Passage, QAPair, Question, Subfield, content_id
from synth.replies import question_from

TEXT_SUFFIXES = (".txt", ".md")


def source_texts(config: SynthConfig) -> list[Passage]:
    """Whole source texts (cleaning and chunking are the clean stage's job)."""
    texts: list[Passage] = []
    for source in config.inputs.textbooks:
        found = _cpsyexam_explanations(config, source) if source.source else _text_files(config, source)
        texts.extend(found[: source.limit] if source.limit else found)
    return texts


def subfields(config: SynthConfig) -> list[Subfield]:
    return [Subfield(content_id("subfield", s.name), s.name, s.questions) for s in config.inputs.subfields]


def bank_questions(config: SynthConfig, sources: list[BankSource]) -> list[Question]:
    """Questions of existing banks, each checked like a generated one."""
    questions: list[Question] = []
    for source in sources:
        found = _cpsyexam_questions(config, source) if source.source else _jsonl_questions(config, source)
        questions.extend(found[: source.limit] if source.limit else found)
    return questions


def qa_pairs(config: SynthConfig) -> list[QAPair]:
    pairs = []
    for name in config.inputs.dialogues:
        path = config.resolve(name)
        for number, record in read_jsonl_lines(path, "the dialogue file"):
            where = f"{path}, line {number}"
            question, answer = _text(record, "question", where), _text(record, "answer", where)
            description = str(record.get("description") or "").strip()
            pairs.append(
                QAPair(content_id(question, description, answer), question, answer, where, description)
            )
    return pairs


def _text_files(config: SynthConfig, source: TextSource) -> list[Passage]:
    assert source.path is not None
    root = config.resolve(source.path)
    if not root.exists():
        raise HarnessError(f"{root}: no such text file or folder (inputs.textbooks)")
    files = sorted(p for p in root.rglob("*") if p.suffix in TEXT_SUFFIXES) if root.is_dir() else [root]
    passages = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise HarnessError(f"{path}: cannot read it as UTF-8 text ({error})") from None
        passages.append(Passage(content_id(str(path.name), text), text, str(path)))
    return passages


def _cpsyexam_docs(data_dir: str | None, split: str) -> list[Any]:
    from harness.data import cpsyexam
    from harness.data.location import resolve_data_dir

    root = resolve_data_dir(data_dir)
    docs = []
    for category in ("KG", "CA"):
        for kind in ("single", "multi"):
            report = cpsyexam.load_cpsyexam(root, split, category, kind, strict=False)
            docs.extend(report.docs)
    return docs


def _cpsyexam_explanations(config: SynthConfig, source: TextSource) -> list[Passage]:
    """CPsyExam questions with their explanations, as text (a small real stand-in for textbooks)."""
    from harness.data import cpsyexam
    from harness.data.location import resolve_data_dir
    from harness.data.records import read_json_list

    root = resolve_data_dir(config.data_dir)
    passages = []
    for path in sorted(cpsyexam.split_dir(root, source.split).glob("*.json")):
        for record in read_json_list(path):
            explanation = str(record.get("explanation") or "").strip()
            if explanation:
                text = f"{str(record.get('question', '')).strip()}\n{explanation}"
                passages.append(Passage(content_id(text), text, f"{path.name}#{record.get('id', '')}"))
    return passages


def _cpsyexam_questions(config: SynthConfig, source: BankSource) -> list[Question]:
    return cpsyexam_questions(config.data_dir, source.split)


def cpsyexam_questions(data_dir: str | None, split: str) -> list[Question]:
    """A CPsyExam split (it needs answers: train or dev) as a Type II question bank."""
    questions = []
    for doc in _cpsyexam_docs(data_dir, split):
        if not doc.answer:
            raise HarnessError(f"CPsyExam {split}: the split has no answers; a question bank needs them")
        options = {option.label: option.text for option in doc.options if option.text}
        question, reason = question_from(
            {
                "question": doc.question,
                "options": options,
                "answer": doc.answer,
                "type": "multi" if doc.multi else "single",
            },
            "II",
            f"cpsyexam/{split}/{doc.doc_id}",
        )
        if question is not None:
            questions.append(question)
    return questions


def _jsonl_questions(config: SynthConfig, source: BankSource) -> list[Question]:
    assert source.path is not None
    path = config.resolve(source.path)
    questions = []
    for number, record in read_jsonl_lines(path, "the question bank"):
        question, reason = question_from(record, "II", f"{path.name}:{number}")
        if question is None:
            raise HarnessError(f"{path}, line {number}: {reason}")
        questions.append(question)
    return questions


def _text(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HarnessError(f"{where}: '{key}' should be a non-empty string")
    return value.strip()
