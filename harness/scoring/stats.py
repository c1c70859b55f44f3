"""Uncertainty the paper lacks: bootstrap intervals and paired comparisons (pure functions over
scipy.stats). Used by the judge summaries, the leaderboard and `harness compare`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
SEED = 20251124
LEVEL = 0.95


def bootstrap_interval(
    values: Sequence[float], level: float = LEVEL, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (same scale as the values)."""
    from scipy.stats import bootstrap

    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("no values to bootstrap")
    if np.all(data == data[0]):  # no spread: scipy would warn of a degenerate distribution
        return float(data[0]), float(data[0])
    result = bootstrap(
        (data,),
        np.mean,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def stratified_bootstrap_interval(
    groups: Sequence[Sequence[float]],
    weights: Sequence[float],
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval of a weighted average of group means (each group resampled
    on its own, as its items were drawn): a macro average (equal weights) or a micro one (weights
    proportional to the group sizes) of several tasks."""
    from scipy.stats import bootstrap

    data = [np.asarray(group, dtype=float) for group in groups]
    if not data or any(group.size == 0 for group in data):
        raise ValueError("every group needs values to bootstrap")
    total = float(sum(weights))
    shares = [float(weight) / total for weight in weights]

    # A group without spread (one item, or all alike) resamples to itself: a constant share.
    varying = [i for i, group in enumerate(data) if not np.all(group == group[0])]
    fixed = sum(shares[i] * float(np.mean(group)) for i, group in enumerate(data) if i not in varying)
    if not varying:  # no spread anywhere
        return fixed, fixed

    def average(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        means: np.ndarray = fixed + sum(
            shares[i] * np.mean(sample, axis=axis) for i, sample in zip(varying, samples, strict=True)
        )
        return means

    result = bootstrap(
        tuple(data[i] for i in varying),
        average,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def clustered_bootstrap_interval(
    clusters: Sequence[Sequence[float]],
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile interval of a mean of cluster means (e.g. topics, each the mean of its dialogues),
    bootstrapped the way the estimate is built: resample clusters, then members within each. The
    point estimate np.mean([np.mean(c) for c in clusters]) lies inside it."""
    groups = [np.asarray(cluster, dtype=float) for cluster in clusters if len(cluster)]
    if not groups:
        raise ValueError("no values to bootstrap")
    rng = np.random.default_rng(seed)
    estimates = np.empty(resamples)
    for index in range(resamples):
        chosen = rng.integers(len(groups), size=len(groups))
        estimates[index] = np.mean(
            [groups[i][rng.integers(len(groups[i]), size=len(groups[i]))].mean() for i in chosen]
        )
    alpha = (1 - level) / 2
    low, high = np.quantile(estimates, [alpha, 1 - alpha])
    return float(low), float(high)


@dataclass(frozen=True)
class PairedComparison:
    n: int
    mean_a: float
    mean_b: float
    difference: float  # a - b
    interval: tuple[float, float]  # bootstrap interval of the paired difference
    only_a_right: int  # McNemar's discordant counts (binary correctness)
    only_b_right: int
    p_value: float  # exact two-sided McNemar (binomial) test


def compare_paired(a: Sequence[float], b: Sequence[float], seed: int = SEED) -> PairedComparison:
    """Paired difference of per-item scores with a bootstrap interval and an exact McNemar test."""
    if len(a) != len(b) or not a:
        raise ValueError("paired comparison needs two equally long, non-empty score lists")
    differences = [x - y for x, y in zip(a, b, strict=True)]
    only_a, only_b = _discordant(a, b)
    return PairedComparison(
        n=len(a),
        mean_a=sum(a) / len(a),
        mean_b=sum(b) / len(b),
        difference=sum(differences) / len(differences),
        interval=bootstrap_interval(differences, seed=seed),
        only_a_right=only_a,
        only_b_right=only_b,
        p_value=mcnemar_exact(only_a, only_b),
    )


def compare_paired_tasks(
    tasks: Sequence[tuple[Sequence[float], Sequence[float]]], weights: Sequence[float], seed: int = SEED
) -> PairedComparison:
    """Paired difference of a weighted average of task means (a group's aggregate: equal weights
    for a macro mean, task sizes for a micro one), with a bootstrap interval that resamples each
    task's items on its own; McNemar's counts and test pool the items of every task."""
    if not tasks or any(len(a) != len(b) or not a for a, b in tasks):
        raise ValueError("paired comparison needs two equally long, non-empty score lists per task")
    total = float(sum(weights))
    shares = [float(weight) / total for weight in weights]
    mean_a = sum(share * sum(a) / len(a) for share, (a, _) in zip(shares, tasks, strict=True))
    mean_b = sum(share * sum(b) / len(b) for share, (_, b) in zip(shares, tasks, strict=True))
    differences = [[x - y for x, y in zip(a, b, strict=True)] for a, b in tasks]
    counts = [_discordant(a, b) for a, b in tasks]
    only_a, only_b = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return PairedComparison(
        n=sum(len(a) for a, _ in tasks),
        mean_a=mean_a,
        mean_b=mean_b,
        difference=sum(share * sum(d) / len(d) for share, d in zip(shares, differences, strict=True)),
        interval=stratified_bootstrap_interval(differences, weights, seed=seed),
        only_a_right=only_a,
        only_b_right=only_b,
        p_value=mcnemar_exact(only_a, only_b),
    )


def _discordant(a: Sequence[float], b: Sequence[float]) -> tuple[int, int]:
    """McNemar's discordant counts of binary correctness: (only a right, only b right)."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x >= 0.5 > y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y >= 0.5 > x)
    return only_a, only_b


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of b successes in b + c trials at 1/2."""
    from scipy.stats import binomtest

    if b + c == 0:
        return 1.0
    return float(binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
