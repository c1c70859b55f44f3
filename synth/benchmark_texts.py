"""The texts of the evaluation benchmarks the harness knows, for decontamination: PCEB (every
question with its options, and every case), CPsyExam dev and test, CPsyCounE (client turns)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from harness.errors import HarnessError


def benchmark_texts(data_dir: Path, benchmarks: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """((item id, text) for every benchmark item found, benchmarks that could not be read)."""
    readers = {"pceb": _pceb, "cpsyexam": _cpsyexam, "cpsycoune": _cpsycoune}
    items: list[tuple[str, str]] = []
    missing: list[str] = []
    for name in benchmarks:
        try:
            items.extend(readers[name](data_dir))
        except HarnessError as error:
            missing.append(f"{name} ({error})")
    return items, missing


def _doc_text(doc: object) -> str:
    """A question with its options as a set (sorted by text): a copy with its options reordered
    reads the same."""
    options = " ".join(sorted(option.text for option in getattr(doc, "options", ())))
    return f"{getattr(doc, 'question', '')} {options}".strip()


def _pceb(data_dir: Path) -> Iterator[tuple[str, str]]:
    from harness.data import pceb

    cases: dict[str, str] = {}
    for area in ("case", "moral", "theory"):
        for kind in ("single", "multi"):
            for doc in pceb.load_pceb_mcq(data_dir, area, kind).docs:
                yield f"pceb/{doc.doc_id}", _doc_text(doc)
                if doc.case_text:
                    cases.setdefault(doc.case_text, f"pceb/case/{doc.doc_id}")
    for doc in pceb.load_pceb_case_qa(data_dir).docs:
        yield f"pceb/case_qa/{doc.doc_id}", doc.question
        if doc.case_text:
            cases.setdefault(doc.case_text, f"pceb/case_qa/{doc.doc_id}")
    for text, item in cases.items():
        yield item + "/case", text


def _cpsyexam(data_dir: Path) -> Iterator[tuple[str, str]]:
    from harness.data import cpsyexam

    for split in ("dev", "test"):
        for category in ("KG", "CA"):
            for kind in ("single", "multi"):
                report = cpsyexam.load_cpsyexam(data_dir, split, category, kind, strict=False)
                for doc in report.docs:
                    yield f"cpsyexam/{split}/{doc.doc_id}", _doc_text(doc)


def _cpsycoune(data_dir: Path) -> Iterator[tuple[str, str]]:
    from harness.data.cpsycoune import load_cpsycoune

    seen: set[str] = set()
    for doc in load_cpsycoune(Path(data_dir)):
        for role, content in doc.history:
            if role == "user" and content not in seen:
                seen.add(content)
                yield f"cpsycoune/{doc.dialogue_id}", content
