"""Uncertainty the paper lacks: bootstrap intervals and paired comparisons (pure functions)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

RESAMPLES = 1000
SEED = 20251124


def bootstrap_interval(
    values: Sequence[float], level: float = 0.95, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (same scale as the values)."""
    if not values:
        raise ValueError("no values to bootstrap")
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    low = means[int(math.floor((1 - level) / 2 * (resamples - 1)))]
    high = means[int(math.ceil((1 + level) / 2 * (resamples - 1)))]
    return low, high


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
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x >= 0.5 > y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y >= 0.5 > x)
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


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of b successes in b + c trials at 1/2."""
    trials = b + c
    if trials == 0:
        return 1.0
    tail = sum(math.comb(trials, k) for k in range(min(b, c) + 1)) / 2**trials
    return min(1.0, 2 * tail)
