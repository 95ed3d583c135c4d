"""Identity-subgroup AUCs (Borkan et al. 2019), as scored in the Jigsaw Unintended Bias competition.

For a subgroup ``g`` (texts mentioning an identity) and its background (the rest):

- **subgroup AUC**: AUC on the texts in ``g`` only (does the model separate toxic from
  non-toxic *within* the subgroup?);
- **BPSN AUC** (background positive, subgroup negative): AUC on the positives outside
  ``g`` together with the negatives inside ``g``; low when the subgroup's negatives
  score above the background's positives (false positives for mentioning ``g``);
- **BNSP AUC** (background negative, subgroup positive): AUC on the negatives outside
  ``g`` together with the positives inside ``g``; low when the subgroup's positives
  score below the background's negatives.

Each family is summarised over subgroups by the generalised power mean
``M_p = (mean(m_s ** p)) ** (1 / p)`` with ``p = -5`` (which weights the worst subgroups),
and the final score is ``0.25 * overall AUC + 0.25 * (M_p(subgroup) + M_p(BPSN) + M_p(BNSP))``.

Each AUC's interval is exact-binomial at an effective size (:func:`audit.text._stats.auc_interval`:
DeLong's variance, never narrower than Birnbaum & Klose's worst case at a perfect or a
reversed ranking), so that it keeps its coverage with 10 texts on a side and AUCs near 1, where a
percentile bootstrap covers 70-80%. The power means and the final score have percentile bootstrap
intervals over rows. ``worst`` holds the lowest AUC of each family over the subgroups, with an
interval adjusted for choosing the lowest (Bonferroni over the subgroups with a value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.stats import rankdata

from audit.exceptions import DataError
from audit.text._stats import auc_interval, bonferroni_level, finite, percentile_interval

__all__ = ["FAMILIES", "auc", "auc_with_interval", "identity_auc_metrics", "power_mean"]

FAMILIES = ("subgroup_auc", "bpsn_auc", "bnsp_auc")
POWER = -5.0
_WEIGHT = 0.25

_BAD_LABELS = "y_true must be {{0, 1}} labels of shape ({n},); found {what}. Fix: pass binary labels, one per text."
_BAD_SCORES = "scores must be {n} finite numbers; found {what}. Fix: pass one score per text."
_BAD_MASK = (
    "Subgroup mask {name!r} must be a boolean array of shape ({n},); found {what}. "
    "Fix: pass one True/False per text, e.g. from audit.text.mentions(texts)."
)
_BAD_PARAM = "{name} must be an integer >= {low}; found {value!r}."
_TOO_SMALL = "{side} has {count} text(s), fewer than min_size={min_size}"
_BAD_LEVEL = "ci_level must be a number in (0, 1); found {value!r}."

_METHOD = {
    "subgroup_auc": "AUC on the texts in the subgroup.",
    "bpsn_auc": "AUC on background positives together with subgroup negatives.",
    "bnsp_auc": "AUC on background negatives together with subgroup positives.",
    "power_mean": "Generalised mean with p = -5 over the subgroups whose AUC has a value.",
    "final_score": "0.25 * overall AUC + 0.25 * each family's power mean (Jigsaw Unintended Bias in Toxicity Classification).",
    "intervals": "Each AUC: Clopper-Pearson at the effective number of pairs given by DeLong's variance, at least the "
                 "smaller side's size (Birnbaum & Klose's bound on the variance of an AUC), never narrower than at a "
                 "perfect ranking. Power means and final score: percentile bootstrap over rows (replicates where a "
                 "side is empty are skipped).",
    "worst": "The lowest AUC of each family over the subgroups; its interval is at level 1 - (1 - ci_level) / "
             "n_subgroups (Bonferroni), so that it covers the chosen subgroup's AUC whichever is chosen; "
             "lower_bound_all_subgroups bounds every subgroup's AUC together.",
    "reference": "Borkan et al. 2019, Nuanced Metrics for Measuring Unintended Bias with Real Data for Text Classification.",
}


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC from ranks (ties count one half); NaN when one class is absent.

    Examples
    --------
    >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    pos = y.astype(bool)
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc_with_interval(y: np.ndarray, s: np.ndarray, level: float) -> tuple[float, list[float] | None]:
    """The AUC (ties one half) and its interval (:func:`audit.text._stats.auc_interval`); NaN and None if a class is absent.

    Examples
    --------
    >>> value, ci = auc_with_interval(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), 0.95)
    >>> value, [round(v, 3) for v in ci]
    (0.75, [0.061, 1.0])
    """
    pos = y.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan"), None
    ranks = rankdata(s)
    below = (ranks[pos] - rankdata(s[pos])) / n_neg          # share of negatives below each positive
    above = 1.0 - (ranks[~pos] - rankdata(s[~pos])) / n_pos  # share of positives above each negative
    return float(below.mean()), auc_interval(below, above, level)


def power_mean(values: Any, p: float = POWER) -> float:
    """Generalised mean ``(mean(v ** p)) ** (1 / p)`` of the finite values; NaN if there are none.

    Examples
    --------
    >>> round(power_mean([0.9, 0.9]), 6)
    0.9
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan")
    return float(np.mean(arr ** p) ** (1.0 / p))


def _subsets(y: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Row selectors of each family, by the definitions of Borkan et al. (2019)."""
    pos = y == 1
    return {
        "subgroup_auc": mask,
        "bpsn_auc": (~mask & pos) | (mask & ~pos),
        "bnsp_auc": (~mask & ~pos) | (mask & pos),
    }


def _sides(y: np.ndarray, mask: np.ndarray) -> dict[str, dict[str, int]]:
    """The two sides each family's AUC compares, with their sizes."""
    pos = y == 1
    sg_pos, sg_neg = int((mask & pos).sum()), int((mask & ~pos).sum())
    bg_pos, bg_neg = int((~mask & pos).sum()), int((~mask & ~pos).sum())
    return {
        "subgroup_auc": {"subgroup positives": sg_pos, "subgroup negatives": sg_neg},
        "bpsn_auc": {"background positives": bg_pos, "subgroup negatives": sg_neg},
        "bnsp_auc": {"subgroup positives": sg_pos, "background negatives": bg_neg},
    }


def _point(y: np.ndarray, s: np.ndarray, masks: Mapping[str, np.ndarray]) -> dict[str, dict[str, float]]:
    return {name: {fam: auc(y[sel], s[sel]) for fam, sel in _subsets(y, mask).items()} for name, mask in masks.items()}


def _summary(values: dict[str, dict[str, float]], overall: float, usable: dict[str, dict[str, bool]]) -> dict[str, float]:
    means = {fam: power_mean([values[g][fam] for g in values if usable[g][fam]]) for fam in FAMILIES}
    final = _WEIGHT * overall + sum(_WEIGHT * means[fam] for fam in FAMILIES)
    return {**{f"power_mean_{fam}": means[fam] for fam in FAMILIES}, "final_score": final}


def _bootstrap(y: np.ndarray, s: np.ndarray, masks: dict[str, np.ndarray], usable: dict[str, dict[str, bool]],
               n_boot: int, seed: int) -> dict[str, list[float]]:
    """The power means, the overall AUC and the final score over ``n_boot`` row resamples (NaN where undefined).

    Each resample is the row draw ``rng.integers(0, n, n)`` kept as its count per row; every AUC of a block of
    resamples is then one weighted Mann-Whitney sum over the rows sorted once (:func:`_weighted_aucs`), the same
    figure as ranking the resampled rows (ties one half), without re-sorting them for each resample and family.
    """
    rng = np.random.default_rng(seed)
    summ: dict[str, list[float]] = {}
    per_block = max(1, _BLOCK_CELLS // max(len(y), 1))
    ranked = _Ranked(y, s)
    everyone = np.ones(len(y), dtype=bool)
    for start in range(0, n_boot, per_block):
        counts = np.stack([np.bincount(rng.integers(0, len(y), size=len(y)), minlength=len(y))
                           for _ in range(min(per_block, n_boot - start))]).astype(np.float64)
        overall = ranked.aucs(counts, everyone)
        values = {g: {fam: ranked.aucs(counts, sel) for fam, sel in _subsets(y, m).items()} for g, m in masks.items()}
        means = {fam: _power_means(np.array([values[g][fam] for g in values if usable[g][fam]]).reshape(-1, len(counts)))
                 for fam in FAMILIES}
        final = _WEIGHT * overall + sum(_WEIGHT * means[fam] for fam in FAMILIES)
        for key, arr in (("overall_auc", overall), *((f"power_mean_{fam}", means[fam]) for fam in FAMILIES),
                         ("final_score", final)):
            summ.setdefault(key, []).extend(float(v) for v in arr)
    return summ


_BLOCK_CELLS = 1 << 21  # resamples x rows held at once (16 MiB of float64 counts)


class _Ranked:
    """The rows sorted by score once, with the start of each run of tied scores, for weighted AUCs."""

    def __init__(self, y: np.ndarray, s: np.ndarray) -> None:
        self.order = np.argsort(s, kind="stable")
        sorted_s = s[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
        self.pos = (y[self.order] == 1).astype(np.float64)

    def aucs(self, counts: np.ndarray, sel: np.ndarray) -> np.ndarray:
        """The AUC of each resample (a row of ``counts``) on the rows ``sel`` picks; NaN when a class is absent."""
        w = counts[:, self.order] * sel[self.order]
        P = np.add.reduceat(w * self.pos, self.starts, axis=1)  # positive weight at each distinct score
        N = np.add.reduceat(w * (1.0 - self.pos), self.starts, axis=1)
        below = np.cumsum(N, axis=1) - N  # negative weight strictly below each distinct score
        n_pos, n_neg = P.sum(axis=1), N.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (P * (below + 0.5 * N)).sum(axis=1) / (n_pos * n_neg)
        return np.where((n_pos > 0) & (n_neg > 0), out, np.nan)


def _power_means(values: np.ndarray, p: float = POWER) -> np.ndarray:
    """:func:`power_mean` of each column of ``values`` (subgroups x resamples), over its finite entries."""
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(finite, np.where(finite, values, 1.0) ** p, 0.0).sum(axis=0)
        count = finite.sum(axis=0)
        return np.where(count > 0, (total / np.maximum(count, 1)) ** (1.0 / p), np.nan)


def _check(y_true: Any, scores: Any, subgroup_masks: Any, min_size: int,
           n_boot: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    y = np.asarray(y_true)
    n = y.shape[0] if y.ndim == 1 else -1
    if y.ndim != 1 or not np.isin(y, [0, 1]).all():
        raise DataError(_BAD_LABELS.format(n=max(n, 0), what=f"shape {y.shape}, values {np.unique(y)[:5].tolist()}"))
    s = np.asarray(scores, dtype=float)
    if s.shape != y.shape or not np.isfinite(s).all():
        raise DataError(_BAD_SCORES.format(n=n, what=f"shape {s.shape}" if s.shape != y.shape else "non-finite values"))
    if not isinstance(subgroup_masks, Mapping):
        raise DataError(_BAD_MASK.format(name="subgroup_masks", n=n, what=type(subgroup_masks).__name__))
    masks: dict[str, np.ndarray] = {}
    for name, mask in subgroup_masks.items():
        arr = np.asarray(mask)
        if arr.shape != y.shape or arr.dtype != bool:
            raise DataError(_BAD_MASK.format(name=name, n=n, what=f"shape {arr.shape}, dtype {arr.dtype}"))
        masks[str(name)] = arr
    for name, value, low in (("min_size", min_size, 1), ("n_boot", n_boot, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise DataError(_BAD_PARAM.format(name=name, low=low, value=value))
    return y.astype(int), s, masks


def _check_level(ci_level: Any) -> float:
    if isinstance(ci_level, bool) or not isinstance(ci_level, (int, float, np.floating)) or not 0.0 < ci_level < 1.0:
        raise DataError(_BAD_LEVEL.format(value=ci_level))
    return float(ci_level)


def _entry(value: float, ci: list[float] | None, sides: dict[str, int], min_size: int) -> dict[str, Any]:
    small = [_TOO_SMALL.format(side=side, count=c, min_size=min_size) for side, c in sides.items() if c < min_size]
    if small:
        return {"value": None, "ci": None, "n": sum(sides.values()), "sides": sides, "reason": "; ".join(small)}
    return {"value": finite(value), "ci": ci, "n": sum(sides.values()), "sides": sides}


def _worst(y: np.ndarray, s: np.ndarray, masks: dict[str, np.ndarray], subgroups: dict[str, dict[str, Any]],
           level: float) -> dict[str, dict[str, Any]]:
    """The lowest AUC of each family over the subgroups, its interval adjusted for the choice (what a gate reads)."""
    out: dict[str, dict[str, Any]] = {}
    for fam in FAMILIES:
        found = [(g, sg[fam]) for g, sg in subgroups.items() if sg[fam]["value"] is not None]
        if not found:
            out[fam] = {"value": None, "ci": None, "subgroup": None, "n_subgroups": 0,
                        "reason": "no identity subgroup has enough test texts on both sides of this AUC"}
            continue
        each = bonferroni_level(level, len(found))
        adjusted = {g: auc_with_interval(y[sel], s[sel], each)[1]
                    for g, _ in found for sel in [_subsets(y, masks[g])[fam]]}
        name, entry = min(found, key=lambda item: (item[1]["value"], item[0]))
        lows = [ci[0] for ci in adjusted.values() if ci is not None]
        out[fam] = {"value": entry["value"], "ci": adjusted[name], "ci_subgroup": entry["ci"], "subgroup": name,
                    "n_subgroups": len(found), "level_each": each, "adjustment": "bonferroni",
                    "lower_bound_all_subgroups": min(lows) if lows else None}
    return out


def identity_auc_metrics(
    y_true: Any,
    scores: Any,
    subgroup_masks: Mapping[str, Any],
    *,
    min_size: int = 10,
    n_boot: int = 200,
    ci_level: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Subgroup, BPSN and BNSP AUC per identity subgroup, their power means and the Jigsaw final score.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Labels (1 = the positive class, e.g. toxic).
    scores : array-like of float
        The model's score for the positive class.
    subgroup_masks : dict of str to bool array
        Texts mentioning each identity (e.g. flattened from :func:`audit.text.mentions`).
    min_size : int
        Each side an AUC compares (e.g. subgroup negatives and background positives for BPSN)
        needs at least this many texts; otherwise the entry gives a ``reason`` instead of a value.
    n_boot : int
        Bootstrap replicates (rows resampled) for the intervals of the power means and the final score; 0 for
        none (each AUC's interval needs no resampling).
    ci_level : float
        Interval level.
    seed : int
        Seeds the bootstrap.

    Returns
    -------
    dict
        ``overall_auc`` {value, ci}, ``subgroups`` {name: {n, n_positive, n_negative,
        subgroup_auc, bpsn_auc, bnsp_auc}} (each {value, ci, n, sides[, reason]}),
        ``power_mean_subgroup_auc``, ``power_mean_bpsn_auc``, ``power_mean_bnsp_auc`` and
        ``final_score`` (each {value, ci, n_subgroups}), ``worst`` {family: {value, ci (adjusted for
        choosing the lowest), ci_subgroup, subgroup, n_subgroups, level_each, adjustment,
        lower_bound_all_subgroups}}, ``power``, ``weights``, ``min_size``, ``n_boot``, ``ci_level``,
        ``method``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400); s = y + rng.normal(size=400); g = rng.random(400) < 0.3
    >>> out = identity_auc_metrics(y, s, {"g": g}, n_boot=0)
    >>> sorted(out["subgroups"]["g"])[:3]
    ['bnsp_auc', 'bpsn_auc', 'n']
    """
    y, s, masks = _check(y_true, scores, subgroup_masks, min_size, n_boot)
    ci_level = _check_level(ci_level)
    sides = {g: _sides(y, m) for g, m in masks.items()}
    usable = {g: {fam: min(sides[g][fam].values()) >= min_size for fam in FAMILIES} for g in masks}
    point = _point(y, s, masks)
    overall, overall_ci = auc_with_interval(y, s, ci_level)
    summ = _bootstrap(y, s, masks, usable, n_boot, seed) if n_boot else {}
    subgroups: dict[str, dict[str, Any]] = {}
    for g, m in masks.items():
        subgroups[g] = {"n": int(m.sum()), "n_positive": int((m & (y == 1)).sum()), "n_negative": int((m & (y == 0)).sum())}
        for fam, sel in _subsets(y, m).items():
            ci = auc_with_interval(y[sel], s[sel], ci_level)[1] if usable[g][fam] else None
            subgroups[g][fam] = _entry(point[g][fam], ci, sides[g][fam], min_size)
    summary = _summary(point, overall, usable)
    n_used = {fam: sum(usable[g][fam] for g in masks) for fam in FAMILIES}
    out: dict[str, Any] = {"overall_auc": {"value": finite(overall), "ci": overall_ci}}
    for key, value in summary.items():
        fam = key.removeprefix("power_mean_")
        out[key] = {"value": finite(value), "ci": percentile_interval(summ.get(key, []), ci_level),
                    "n_subgroups": n_used.get(fam, min(n_used.values(), default=0))}
    return {**out, "subgroups": subgroups, "worst": _worst(y, s, masks, subgroups, ci_level), "power": POWER,
            "weights": {"overall_auc": _WEIGHT, **dict.fromkeys(FAMILIES, _WEIGHT)},
            "min_size": int(min_size), "n_boot": int(n_boot), "ci_level": float(ci_level), "method": dict(_METHOD)}
