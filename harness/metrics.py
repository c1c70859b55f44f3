"""Metrics as pure functions: per-item scores; aggregation is a plain mean over items.

MCQ metrics follow PsycoLLM's PCEB definitions; the open-question metrics follow the PCEB
evaluation scripts (jieba words, rouge-chinese F1, nltk sentence BLEU-4 with smoothing method1,
all x100, averaged over items).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

# Bump when a change can alter any per-item score (results record it next to the extractor version).
METRICS_VERSION = "1"


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
    """Chinese word segmentation with jieba (the segmentation the PCEB scripts use)."""
    return [token for token in _jieba().lcut(text.strip()) if token.strip()]


def text_scores(response: str, reference: str) -> TextScores:
    """Score one open answer; an empty response (or reference) scores 0 on every metric."""
    hyp_words, ref_words = segment_words(response or ""), segment_words(reference or "")
    if not hyp_words or not ref_words:
        return TextScores(0.0, 0.0, 0.0)
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from rouge_chinese import Rouge

    rouge = Rouge().get_scores(" ".join(hyp_words), " ".join(ref_words))[0]
    bleu = sentence_bleu(
        [ref_words],
        hyp_words,
        weights=(0.25, 0.25, 0.25, 0.25),
        smoothing_function=SmoothingFunction().method1,
    )
    return TextScores(
        rouge1=100.0 * rouge["rouge-1"]["f"], rougeL=100.0 * rouge["rouge-l"]["f"], bleu4=100.0 * float(bleu)
    )


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba
