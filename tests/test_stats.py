"""Intervals and paired tests: what the numbers beside a score promise."""

from __future__ import annotations

from statistics import fmean

import pytest

from harness.judge.rubric import rubric_from_metadata
from harness.judge.summary import summarize_judged
from harness.runs.sample import Sample
from harness.scoring.stats import (
    bootstrap_interval,
    clustered_bootstrap_interval,
    compare_paired,
    mcnemar_exact,
    stratified_bootstrap_interval,
)

RUBRIC = rubric_from_metadata(
    "toy",
    {
        "judge": {
            "system": "s",
            "template": "$history $response $rubric $json_format",
            "correction": "$reason",
            "aggregate": "dialogue_then_topic",
            "dimensions": [{"key": "warmth", "name": "温暖", "min": 0, "max": 3, "criteria": "c"}],
        }
    },
)


def judged_turn(topic: str, dialogue: str, score: int) -> Sample:
    verdict = {"status": "ok", "scores": {"warmth": score}}
    return Sample(
        doc_id=f"{dialogue}#1", prompt="p", response="r", gold=None, status="scored",
        topic=topic, dialogue_id=dialogue, turn=1, judges={"j": verdict},
    )  # fmt: skip


def test_bootstrap_interval_of_a_known_case() -> None:
    assert bootstrap_interval([1.0] * 20) == (1.0, 1.0)
    low, high = bootstrap_interval([1.0] * 50 + [0.0] * 50)
    assert 0.38 < low < 0.5 < high < 0.62


def test_an_average_of_tasks_gets_an_interval_resampling_each_task_on_its_own() -> None:
    small = [1.0] * 9 + [0.0]  # a 90% task of 10 items
    large = [1.0] * 50 + [0.0] * 50  # a 50% task of 100 items
    low, high = stratified_bootstrap_interval([small, large], [1, 1])  # macro: 70%
    assert low < 0.70 < high and high - low < 0.4
    micro_low, micro_high = stratified_bootstrap_interval([small, large], [10, 100])  # micro: 54/110
    assert micro_low < 54 / 110 < micro_high and micro_high - micro_low < high - low
    assert stratified_bootstrap_interval([[1.0, 1.0], [0.5]], [1, 1]) == (0.75, 0.75)  # no spread


def test_mcnemar_exact_test_on_known_counts() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(3, 9) == pytest.approx(2 * sum((1, 12, 66, 220)) / 2**12)


def test_paired_comparison_counts_discordant_items() -> None:
    result = compare_paired([1, 1, 1, 0], [0, 0, 1, 0])
    assert (result.only_a_right, result.only_b_right, result.difference) == (2, 0, 0.5)


def test_clustered_interval_holds_the_mean_of_unbalanced_cluster_means() -> None:
    clusters = [[0.0] * 9, [3.0]]
    estimate = fmean(fmean(c) for c in clusters)  # 1.5; a flat mean over members would be 0.3
    low, high = clustered_bootstrap_interval(clusters)
    assert low <= estimate <= high


def test_cpsycoune_interval_resamples_topics_then_dialogues_as_its_mean_averages_them() -> None:
    # one topic of nine dialogues scored 0 and one topic of a single dialogue scored 3: the mean of
    # topic means is 1.5, which an interval over dialogues ([0.0, 0.82] before) does not contain.
    samples = [judged_turn("Family", f"f{i}", 0) for i in range(9)] + [judged_turn("Career", "c0", 3)]
    summary = summarize_judged(RUBRIC, samples, ["j"])
    assert summary["warmth"] == pytest.approx(1.5)
    low, high = summary["warmth_ci95"]
    assert low <= 1.5 <= high
    assert summary["n_dialogues"] == 10
