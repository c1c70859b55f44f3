"""Per-sample scoring shared by the harness and the lm-eval task files (process_results)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.answers import EXTRACTOR_VERSION, extract_choices
from harness.metrics import METRICS_VERSION, elastic_accuracy, standard_accuracy, text_scores
from harness.protocols import PROTOCOL_VERSION

# Recorded with every task result: a run scored under other versions is marked for re-scoring.
SCORING_VERSIONS = {"extractor": EXTRACTOR_VERSION, "metrics": METRICS_VERSION, "protocols": PROTOCOL_VERSION}


@dataclass(frozen=True)
class SampleScore:
    """What one response earned; `extracted` is the parsed answer (None when unparsed)."""

    extracted: str | None
    metrics: dict[str, float]


def option_letters(doc: dict[str, Any]) -> str:
    """The option labels of a doc row ("ABCD")."""
    return "".join(option["label"] for option in doc.get("options") or [])


def score_mcq(doc: dict[str, Any], response: str) -> SampleScore:
    """Standard and elastic accuracy of one MCQ response; NaN accuracies when the gold is withheld."""
    extracted = extract_choices(response, option_letters(doc), multi=bool(doc.get("multi")))
    gold = doc.get("answer") or ""
    unparsed = float(extracted is None)
    if doc.get("answer_withheld"):
        return SampleScore(extracted, {"acc": math.nan, "acc_elastic": math.nan, "n_unparsed": unparsed})
    return SampleScore(
        extracted,
        {
            "acc": standard_accuracy(extracted, gold),
            "acc_elastic": elastic_accuracy(extracted, gold),
            "n_unparsed": unparsed,
        },
    )


def score_open(doc: dict[str, Any], response: str) -> SampleScore:
    """ROUGE-1, ROUGE-L and BLEU-4 (x100) of one open answer against the reference."""
    scores = text_scores(response, doc.get("answer") or "")
    return SampleScore(None, {"rouge1": scores.rouge1, "rougeL": scores.rougeL, "bleu4": scores.bleu4})


SCORERS = {"mcq": score_mcq, "open": score_open}
