"""The figures of the counterfactual audit: per term pair, per category, and the largest over pairs.

Texts are the unit of every interval. A term pair (``from`` → ``to``) gets one counterfactual
from each text that mentions ``from``, so its flip rate is a share of texts: the exact
Clopper–Pearson interval. A category pools the 8 to 14 counterfactuals of each text, which are
correlated (a text near the threshold flips whichever term goes in), so its intervals come from
:func:`audit.text._stats.cluster_share_interval` (texts as clusters). Mean absolute score changes
(each in [0, 1]) are treated alike.

The largest flip rate over many pairs is biased upward and its own interval would not cover
the chosen pair's rate (the winner's curse): the maxima carry an interval adjusted for the
choice, Bonferroni over the eligible pairs (each pair's interval at level
``1 - (1 - ci_level) / n_pairs``), so that all pairs' intervals hold together with probability
``ci_level`` and the chosen one holds whichever is chosen. ``upper_bound_all_pairs`` is the
largest upper end: every pair's rate is below it with that probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit.text._stats import bonferroni_level, clopper_pearson, cluster_share_interval, mean_t_interval

__all__ = ["category_summary", "max_entry", "pair_figures"]

#: How the maxima's intervals are adjusted for choosing the largest of many pairs (the record's ``adjustment``).
ADJUSTMENT = "bonferroni"
_METRICS = ("flip_rate", "mean_abs_score_change")


def _abs_share(values: np.ndarray, level: float) -> dict[str, Any]:
    """Mean of values in [0, 1], one per text, with the effective-size interval."""
    return cluster_share_interval(values, np.ones(values.size), level)


def pair_figures(flips: np.ndarray, delta: np.ndarray, level: float) -> dict[str, Any]:
    """Flip rate, mean and mean absolute score change of one pair (one counterfactual per text).

    Examples
    --------
    >>> out = pair_figures(np.array([True, False, False, False]), np.array([0.6, 0.0, 0.1, -0.1]), 0.95)
    >>> out["n_flips"], out["flip_rate"]["value"], round(out["mean_abs_score_change"]["value"], 2)
    (1, 0.25, 0.2)
    """
    k, n = int(np.sum(flips)), int(flips.size)
    return {"n_flips": k, "flip_rate": {"value": k / n if n else None, "ci": clopper_pearson(k, n, level)},
            "mean_score_change": mean_t_interval(delta, level),
            "mean_abs_score_change": _abs_share(np.abs(delta), level)}


def _adjusted(metric: str, pair: dict[str, Any], level: float) -> list[float] | None:
    if metric == "flip_rate":
        return clopper_pearson(pair["n_flips"], pair["n"], level)
    return _abs_share(np.abs(np.asarray(pair["_delta"], dtype=float)), level)["ci"]


def max_entry(pairs: list[dict[str, Any]], metric: str, *, min_pair_size: int, level: float) -> dict[str, Any]:
    """The pair with the largest ``metric`` among those with at least ``min_pair_size`` texts, adjusted for the choice.

    Returns ``value`` (the largest observed figure: biased upward, as a maximum is), ``ci`` (the
    chosen pair's interval at the Bonferroni level over the ``n_pairs`` eligible pairs),
    ``ci_pair`` (its own interval, not adjusted), ``upper_bound_all_pairs``, ``n``, ``pair``.

    Examples
    --------
    >>> pairs = [{"category": "c", "from": "a", "to": "b", "n": 15, "n_flips": 2,
    ...           "flip_rate": {"value": 2 / 15, "ci": clopper_pearson(2, 15, 0.95)}}]
    >>> out = max_entry(pairs * 200, "flip_rate", min_pair_size=10, level=0.95)
    >>> out["n_pairs"], round(out["ci"][0], 4), round(out["ci_pair"][0], 4)
    (200, 0.0011, 0.0166)
    """
    eligible = [p for p in pairs if p["n"] >= min_pair_size and p[metric]["value"] is not None]
    if not eligible:
        return {"value": None, "ci": None, "pair": None, "n": None, "n_pairs": 0,
                "reason": f"no term pair has at least min_pair_size={min_pair_size} counterfactuals"}
    each = bonferroni_level(level, len(eligible))
    best = max(eligible, key=lambda p: (p[metric]["value"], p["n"]))
    uppers = [ci[1] for p in eligible if (ci := _adjusted(metric, p, each)) is not None]
    out = {"value": best[metric]["value"], "ci": _adjusted(metric, best, each), "ci_pair": best[metric]["ci"],
           "n": best["n"], "pair": {"category": best["category"], "from": best["from"], "to": best["to"]},
           "n_pairs": len(eligible), "level_each": each, "adjustment": ADJUSTMENT,
           "upper_bound_all_pairs": max(uppers, default=None)}
    if metric == "flip_rate":
        out["n_flips"] = best["n_flips"]
    return out


def _per_text(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-text totals of ``values`` and counts, texts in order of first appearance."""
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    return np.bincount(inverse, weights=values.astype(float)), counts.astype(float)


def category_summary(rows: np.ndarray, flips: np.ndarray, delta: np.ndarray, pairs: list[dict[str, Any]], *,
                     min_pair_size: int, level: float) -> dict[str, Any]:
    """One category: flip rate and mean |Δscore| over its counterfactuals (texts as clusters), and its maxima.

    Examples
    --------
    >>> out = category_summary(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]), np.array([.5, .5, 0., 0.]), [],
    ...                        min_pair_size=10, level=0.95)
    >>> out["n_texts"], out["flip_rate"]["value"], out["flip_rate"]["n_texts"]
    (2, 0.5, 2)
    """
    maxima = {f"max_{m}": max_entry(pairs, m, min_pair_size=min_pair_size, level=level) for m in _METRICS}
    if rows.size == 0:
        return {"n_texts": 0, "n_counterfactuals": 0, "flip_rate": {"value": None, "ci": None},
                "mean_abs_score_change": {"value": None, "ci": None}, **maxima}
    flip_totals, sizes = _per_text(rows, flips)
    abs_totals, _ = _per_text(rows, np.abs(delta))
    n_texts = int(sizes.size)
    return {"n_texts": n_texts, "n_counterfactuals": int(rows.size),
            "flip_rate": {**cluster_share_interval(flip_totals, sizes, level), "n_texts": n_texts},
            "mean_abs_score_change": {**cluster_share_interval(abs_totals, sizes, level), "n_texts": n_texts},
            **maxima}
