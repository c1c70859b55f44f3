"""Per-sample scoring shared by the harness and the lm-eval task files (process_results).

A scorer is one object that says which metrics it computes and computes them: the built-in `mcq`
and `open`, or a task's own lm-eval `process_results` (`metadata.scorer: process_results`), whose
metrics are the task's metric_list. The task index checks a task's metric_list against its
scorer, so a metric no scorer computes stops before any generation."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.scoring.answers import EXTRACTOR_VERSION, extract_choices
from harness.scoring.metrics import METRICS_VERSION, elastic_accuracy, standard_accuracy, text_scores
from harness.scoring.protocols import PROTOCOL_VERSION

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


@dataclass(frozen=True)
class Scorer:
    """What scores a task's responses: the metrics it computes (None: whatever the task's
    metric_list names) and the function that computes them per response."""

    name: str
    metrics: tuple[str, ...] | None
    score: Callable[[dict[str, Any], str], SampleScore]


BUILTIN_SCORERS: Mapping[str, Scorer] = {
    "mcq": Scorer("mcq", ("acc", "acc_elastic", "n_unparsed"), score_mcq),
    "open": Scorer("open", ("rouge1", "rougeL", "bleu4"), score_open),
}
OWN_PROCESS_RESULTS = "process_results"  # metadata.scorer: the task's own lm-eval process_results
JUDGE = "judge"  # scored by LLM judges (harness/judge/), not per response here
SCORER_NAMES = (*BUILTIN_SCORERS, OWN_PROCESS_RESULTS, JUDGE)


def process_results_scorer(
    process_results: Callable[[dict[str, Any], list[str]], Mapping[str, Any]],
) -> Scorer:
    """A task's lm-eval `process_results(doc, [response]) -> {metric: value}` as a scorer."""

    def score(doc: dict[str, Any], response: str) -> SampleScore:
        values = process_results(doc, [response])
        return SampleScore(None, {name: float(value) for name, value in dict(values).items()})

    return Scorer(OWN_PROCESS_RESULTS, None, score)
