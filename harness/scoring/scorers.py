"""Per-sample scoring shared by the harness and the lm-eval task files.

A scorer is one object that says which metrics it computes and computes them: the built-in `mcq`
and `open`, one a task's folder defines with `@scorer(metrics=[...])`, or a task's own plain
lm-eval `process_results` function, whose metrics are the task's metric_list. A scorer is also
lm-eval's `process_results` hook (it is called as `process_results(doc, results)`), so a task file
names it once, `process_results: !function utils.name`, and stock lm-eval and the harness score
with the same object. The task index checks a task's metric_list against its scorer, so a metric
no scorer computes stops before any generation."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.data.records import DocRow
from harness.errors import HarnessError
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


def option_letters(doc: DocRow) -> str:
    """The option labels of a doc row ("ABCD")."""
    return "".join(option["label"] for option in doc.get("options") or [])


def score_mcq(doc: DocRow, response: str) -> SampleScore:
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


def score_open(doc: DocRow, response: str) -> SampleScore:
    """ROUGE-1, ROUGE-L and BLEU-4 (x100) of one open answer against the reference."""
    scores = text_scores(response, doc.get("answer") or "")
    return SampleScore(None, {"rouge1": scores.rouge1, "rougeL": scores.rougeL, "bleu4": scores.bleu4})


@dataclass(frozen=True)
class Scorer:
    """What scores a task's responses: the metrics it computes (None: whatever the task's
    metric_list names) and the function that computes them per response. Called with lm-eval's
    arguments it is that task's `process_results`."""

    name: str
    metrics: tuple[str, ...] | None
    score: Callable[[DocRow, str], SampleScore] = field(repr=False)

    def __call__(self, doc: DocRow, results: list[str]) -> dict[str, float]:
        """lm-eval's process_results(doc, results): the metrics of the one generated response."""
        return dict(self.score(doc, results[0]).metrics)


MCQ_SCORER = Scorer("mcq", ("acc", "acc_elastic", "n_unparsed"), score_mcq)
OPEN_SCORER = Scorer("open", ("rouge1", "rougeL", "bleu4"), score_open)
BUILTIN_SCORERS: Mapping[str, Scorer] = {scorer.name: scorer for scorer in (MCQ_SCORER, OPEN_SCORER)}
OWN_PROCESS_RESULTS = "process_results"  # metadata.scorer: the task's own lm-eval process_results
JUDGE = "judge"  # scored by LLM judges (harness/judge/), not per response here
SCORER_NAMES = (*BUILTIN_SCORERS, OWN_PROCESS_RESULTS, JUDGE)


PerResponse = Callable[[DocRow, str], "Mapping[str, float] | SampleScore"]


def scorer(*, metrics: Sequence[str], name: str | None = None) -> Callable[[PerResponse], Scorer]:
    """A task's own scorer from a function of (doc row, response) returning its metrics (a mapping,
    or a SampleScore with the parsed answer), as inspect_ai's `@scorer(metrics=...)`:

        @scorer(metrics=["acc", "reply_len"])
        def with_length(doc, response):
            return MCQ_SCORER.score(doc, response).metrics | {"reply_len": len(response)}

    The task file names it as `process_results: !function utils.with_length`; a metric it declares
    but does not return stops the run with one line naming the scorer."""
    declared = tuple(metrics)

    def wrap(function: PerResponse) -> Scorer:
        label = name or function.__name__

        def score(doc: DocRow, response: str) -> SampleScore:
            value = function(doc, response)
            result = value if isinstance(value, SampleScore) else SampleScore(None, dict(value))
            missing = [metric for metric in declared if metric not in result.metrics]
            if missing:
                raise HarnessError(
                    f"scorer {label!r} declares metric {missing[0]!r} but did not return it "
                    f"(it returned {', '.join(result.metrics) or 'nothing'})"
                )
            return SampleScore(result.extracted, {key: float(v) for key, v in result.metrics.items()})

        return Scorer(label, declared, score)

    return wrap


def process_results_scorer(
    process_results: Callable[[DocRow, list[str]], Mapping[str, Any]],
) -> Scorer:
    """A task's lm-eval `process_results(doc, [response]) -> {metric: value}` as a scorer."""

    def score(doc: DocRow, response: str) -> SampleScore:
        values = process_results(doc, [response])
        return SampleScore(None, {name: float(value) for name, value in dict(values).items()})

    return Scorer(OWN_PROCESS_RESULTS, None, score)
