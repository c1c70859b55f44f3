"""Metrics as pure functions: per-item scores; aggregation is a plain mean over items.

MCQ metrics follow PsycoLLM's PCEB definitions; the open-question metrics are those of PCEB's
evaluation code per item (jieba words, the `rouge` package's F1, nltk sentence BLEU-4 with
smoothing method1, all x100), averaged over items.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from harness.errors import HarnessError

# Bump when a change can alter any per-item score (results record it next to the extractor version).
METRICS_VERSION = "2"  # 2: case QA scored with the `rouge` package and PCEB's tokens


def standard_accuracy(predicted: str | None, gold: str) -> float:
    """1.0 when the predicted letter set equals the gold set exactly, else 0.0."""
    if not predicted:
        return 0.0
    return float(set(predicted) == set(gold))


def elastic_accuracy(predicted: str | None, gold: str) -> float:
    """|pred|/|gold| when the prediction is a non-empty subset of the gold set, else 0.0."""
    if not predicted or not gold:
        return 0.0
    chosen, correct = set(predicted), set(gold)
    return len(chosen) / len(correct) if chosen <= correct else 0.0


@dataclass(frozen=True)
class TextScores:
    """ROUGE-1 / ROUGE-L F1 and BLEU-4 of one response against its reference, each x100."""

    rouge1: float
    rougeL: float
    bleu4: float


def segment_words(text: str) -> list[str]:
    """Words as PCEB's evaluation code makes them: spaces removed, then jieba's segmentation, every
    token kept (line breaks included, which count for BLEU)."""
    return list(_jieba().cut(text.replace(" ", "")))


def text_scores(response: str, reference: str) -> TextScores:
    """Score one open answer as PCEB's code (MACLAB-HFUT/Evaluation 8ff40f3, SimilarMetric.py) does
    per item: jieba words joined by spaces; the `rouge` package's ROUGE-1 and summary-level ROUGE-L
    F1; nltk's sentence BLEU-4 with smoothing method1; each x100. An empty (or blank) response or
    reference scores 0 on every metric, where PCEB's code stops with an error."""
    hyp_words, ref_words = segment_words(response or ""), segment_words(reference or "")
    if not "".join(hyp_words).strip() or not "".join(ref_words).strip():
        return TextScores(0.0, 0.0, 0.0)
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    try:
        with _recursion_limit(100_000):  # rouge's LCS reconstruction recurses once per word
            rouge = _rouge_class()().get_scores(" ".join(hyp_words), " ".join(ref_words))[0]
    except ValueError:  # nothing but full stops: rouge finds no sentence ("Hypothesis is empty")
        rouge = {"rouge-1": {"f": 0.0}, "rouge-l": {"f": 0.0}}
    bleu = sentence_bleu(
        [ref_words],
        hyp_words,
        weights=(0.25, 0.25, 0.25, 0.25),
        smoothing_function=SmoothingFunction().method1,
    )
    return TextScores(
        rouge1=100.0 * rouge["rouge-1"]["f"], rougeL=100.0 * rouge["rouge-l"]["f"], bleu4=100.0 * float(bleu)
    )


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    """At least `limit` while inside, then as it was (Python calls use no C stack since 3.11)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@cache
def _rouge_class() -> Any:
    """The `rouge` package's Rouge (1.0.1, as PCEB pins). rouge-chinese installs its own module
    named `rouge` over it, whose ROUGE-L differs (no union LCS across sentences): refuse that one."""
    from rouge import Rouge

    if hasattr(Rouge, "cut_sent"):
        raise HarnessError(
            "the installed `rouge` module is rouge-chinese's, whose ROUGE-L differs from the `rouge` "
            "package PCEB uses: run `pip uninstall -y rouge-chinese && pip install --force-reinstall rouge==1.0.1`"
        )
    return Rouge


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba
