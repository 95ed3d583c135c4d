"""The decision threshold of a binary model, chosen by a stated rule on validation rows.

A model trained on 88% approvals whose scores rank applicants well (ROC AUC 0.8) can still put
every score above 0.5: at the default threshold it approves everyone, and every audit of its
decisions is about a constant. So the threshold is not 0.5 by default but chosen by a rule on
*validation* rows carved from the training rows (never the test rows, which the audit must judge
unseen), and the same rule serves the reference and the private model:

* ``"base_rate"`` (default): the threshold at which the model selects the training base rate of
  the validation rows: as many positive decisions as the data has positives. Rank-based, so it
  does not depend on calibration or class weights; the decisions are never constant.
* ``"balanced_accuracy"``: the threshold that maximises TPR − FPR on the validation rows (Youden).
* ``"f1"``: the threshold that maximises the positive class's F1 (asymmetric: with a majority
  positive class it can select everyone; the record then says so).
* a number in (0, 1): that threshold, fixed (``0.5`` is the old behaviour).

:func:`choose_threshold` returns the threshold and what it was chosen on (the validation figures
at the threshold and at 0.5), which the record, the card and the dashboard show.

Examples
--------
>>> y = np.array([0] * 80 + [1] * 20)
>>> s = np.r_[np.linspace(0.55, 0.8, 80), np.linspace(0.7, 0.95, 20)]  # every score above 0.5
>>> choice = choose_threshold(y, s, rule="base_rate")
>>> round(choice["threshold"], 3), choice["validation"]["selection_rate"], choice["at_0_5"]["selection_rate"]
(0.781, 0.2, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from audit.choices import THRESHOLD_RULES
from audit.exceptions import ConfigError

__all__ = ["DEFAULT_RULE", "RULE_TEXT", "choose_threshold", "decide", "rule_name"]

DEFAULT_RULE = "base_rate"
#: A threshold objective over the cumulative true and false positives at each candidate, and the class totals.
_Objective = Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]
RULE_TEXT = {
    "base_rate": "the threshold at which the model selects as many validation rows as the training rows' base rate",
    "balanced_accuracy": "the threshold that maximises balanced accuracy (TPR - FPR) on the validation rows",
    "f1": "the threshold that maximises the positive class's F1 on the validation rows",
    "fixed": "a fixed threshold set in the config",
}
_BAD_RULE = ("threshold = {value!r} is invalid. Expected a number strictly between 0 and 1 or one of {rules}. "
             "Fix: use \"base_rate\" (the default) or e.g. 0.5.")


def rule_name(threshold: Any) -> str:
    """The rule a ``[training] threshold`` value names: one of :data:`THRESHOLD_RULES` or ``"fixed"``.

    Examples
    --------
    >>> rule_name("f1"), rule_name(0.3)
    ('f1', 'fixed')
    """
    if isinstance(threshold, str) and threshold in THRESHOLD_RULES:
        return threshold
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) and 0 < float(threshold) < 1:
        return "fixed"
    raise ConfigError(_BAD_RULE.format(value=threshold, rules=list(THRESHOLD_RULES)))


def decide(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Decisions: 1 where the score is at or above the threshold."""
    return (np.asarray(scores, dtype=np.float64) >= threshold).astype(np.int64)


def _figures(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float | int | None]:
    pred = decide(scores, threshold)
    pos, neg = y == 1, y == 0
    tpr = float(pred[pos].mean()) if pos.any() else None
    fpr = float(pred[neg].mean()) if neg.any() else None
    tp = int((pred & pos).sum())
    precision = tp / max(int(pred.sum()), 1) if pred.any() else None
    f1 = (2 * tp / (int(pred.sum()) + int(pos.sum()))) if (pred.sum() + pos.sum()) else None
    return {"rows": int(len(y)), "accuracy": float((pred == y).mean()) if len(y) else None,
            "balanced_accuracy": None if tpr is None or fpr is None else (tpr + 1 - fpr) / 2,
            "tpr": tpr, "fpr": fpr, "precision": precision, "f1": f1,
            "selection_rate": float(pred.mean()) if len(y) else None}


def _candidates(scores: np.ndarray) -> np.ndarray:
    """Every distinct score (a threshold between two of them selects the same rows as the upper one)."""
    return np.unique(scores)


def _best(y: np.ndarray, scores: np.ndarray, objective: _Objective) -> float:
    """The candidate threshold with the largest objective; ties go to the one closest to 0.5."""
    cands = _candidates(scores)
    order = np.argsort(-scores, kind="stable")
    s_sorted, y_sorted = scores[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(1 - y_sorted)
    # selecting every row with a score >= c: the last position with s_sorted >= c
    last = np.searchsorted(-s_sorted, -cands, side="right") - 1
    values = objective(tp[last], fp[last], int(y.sum()), int(len(y) - y.sum()))
    best = np.flatnonzero(values >= values.max() - 1e-12)
    return float(cands[best[np.argmin(np.abs(cands[best] - 0.5))]])


def _balanced(tp: np.ndarray, fp: np.ndarray, p: int, n: int) -> np.ndarray:
    return tp / max(p, 1) - fp / max(n, 1)


def _f1(tp: np.ndarray, fp: np.ndarray, p: int, n: int) -> np.ndarray:
    return np.asarray(2 * tp / np.maximum(tp + fp + p, 1))


def choose_threshold(y_val: np.ndarray, scores_val: np.ndarray, *, rule: Any = DEFAULT_RULE,
                     base_rate: float | None = None) -> dict[str, Any]:
    """The decision threshold by ``rule`` on validation labels and scores, and what it was chosen on.

    Parameters
    ----------
    y_val, scores_val : array-like
        Validation labels (0/1) and positive-class scores.
    rule : str or float
        ``"base_rate"``, ``"balanced_accuracy"``, ``"f1"`` or a fixed threshold in (0, 1).
    base_rate : float, optional
        The share to select under ``"base_rate"`` (the training rows' base rate); default the
        validation rows' own.

    Returns
    -------
    dict
        ``threshold``, ``rule``, ``rule_text``, ``validation`` (figures at the threshold: rows,
        accuracy, balanced accuracy, TPR, FPR, precision, F1, selection rate) and ``at_0_5`` (the
        same figures at 0.5, for comparison).

    Examples
    --------
    >>> choose_threshold([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.4], rule=0.5)["threshold"]
    0.5
    """
    y = np.asarray(y_val, dtype=np.int64)
    s = np.asarray(scores_val, dtype=np.float64)
    name = rule_name(rule)
    if name == "fixed":
        threshold = float(rule)
    elif not len(s):
        threshold = 0.5
    elif name == "base_rate":
        share = float(y.mean()) if base_rate is None else float(base_rate)
        # the smallest threshold selecting at most `share` of the rows: the k-th largest score
        k = int(round(share * len(s)))
        ordered = np.sort(s)[::-1]
        threshold = float(np.nextafter(ordered[0], np.inf)) if k <= 0 else float(ordered[min(k, len(s)) - 1])
    else:
        threshold = _best(y, s, _balanced if name == "balanced_accuracy" else _f1)
    return {"threshold": threshold, "rule": name, "rule_text": RULE_TEXT[name],
            "validation": _figures(y, s, threshold), "at_0_5": _figures(y, s, 0.5)}
