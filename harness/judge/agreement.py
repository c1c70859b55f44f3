"""Agreement of two judges on the same responses, per dimension: Spearman's rank correlation
(scipy) and quadratic-weighted Cohen's kappa (scikit-learn)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from harness.judge.rubric import Dimension


def agreement(dimension: Dimension, first: Sequence[int], second: Sequence[int]) -> dict[str, Any]:
    """{"n", "spearman", "qwk"} over paired scores; a statistic is None where it is undefined
    (fewer than two pairs, or a judge that gave one score to everything)."""
    n = len(first)
    result: dict[str, Any] = {"n": n, "spearman": None, "qwk": None}
    if n < 2:
        return result
    from scipy.stats import spearmanr
    from sklearn.metrics import cohen_kappa_score

    if len(set(first)) > 1 and len(set(second)) > 1:
        rho = float(spearmanr(first, second).statistic)
        result["spearman"] = None if math.isnan(rho) else rho
    if len(set(first) | set(second)) > 1:  # one shared constant score leaves kappa undefined (0/0)
        kappa = float(cohen_kappa_score(first, second, weights="quadratic", labels=list(dimension.scale())))
        result["qwk"] = None if math.isnan(kappa) else kappa
    return result
