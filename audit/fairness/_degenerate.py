"""Checks that a model predicts something: a fairness verdict on a model that does not is inconclusive.

A model that approves everyone has a demographic-parity difference of exactly 0 and passes
every parity gate; a model whose output ignores its input has equal rates in every group by
construction. :func:`degenerate_model_checks` reports such models:

* **constant predictions**: the most common prediction covers at least ``constant_share`` of
  the rows (overall: makes the model degenerate; within a group of at least ``min_group_size``
  rows: a warning, since a model constant within one group is a fairness finding, not an
  inconclusive one);
* **accuracy not above the majority class**: the model against the constant classifier that
  predicts the test set's majority class, on the same rows. The one-sided exact McNemar test
  (a binomial test on the rows where exactly one of the two is right) must show the model
  better at ``1 - level``; a tiny margin on a small test set counts as "not above";
* **ROC AUC at chance** (with scores): DeLong's ``level`` interval of the AUC reaches 0.5
  (or lies below it: the scores rank worse than chance).
"""

from __future__ import annotations

import numpy as np

from audit.exceptions import ConfigError, DataError
from audit.fairness._inputs import encode_labels, encode_scores, encode_sensitive
from audit.fairness._scores import auc_delong

__all__ = ["CONSTANT_SHARE", "DEGENERATE_LEVEL", "MIN_GROUP_ROWS", "degenerate_model_checks"]

CONSTANT_SHARE = 0.99
"""Share of the most common prediction at or above which predictions count as (near-)constant."""
DEGENERATE_LEVEL = 0.95
"""Confidence level of the accuracy test (one-sided, at ``1 - level``) and of the AUC interval."""
MIN_GROUP_ROWS = 30
"""Groups smaller than this are not checked for constant predictions (a few rows are often all alike)."""

_BAD = "{name} = {value!r} is invalid. Expected {expected}. Fix: use {fix}."
_CONSTANT = "the model predicts {label!r} for {share:.1%} of the rows (threshold {threshold:.0%})"
_GROUP_CONSTANT = "within {what} the model predicts a single class for at least {threshold:.0%} of the rows"
_NOT_ABOVE = ("accuracy {acc:.3f} is not shown to be above the majority-class rate {maj:.3f} (always predicting "
              "{label!r}): one-sided exact McNemar p = {p:.3g} >= {alpha:.3g}")
_ABOVE = "accuracy {acc:.3f} is above the majority-class rate {maj:.3f} (one-sided exact McNemar p = {p:.3g})"
_AUC_CHANCE = "ROC AUC {auc:.3f} is not distinguishable from chance: its {level:.0%} DeLong interval [{lo:.3f}, {hi:.3f}] contains 0.5"
_AUC_BELOW = "ROC AUC {auc:.3f} is below chance: its {level:.0%} DeLong interval [{lo:.3f}, {hi:.3f}] lies under 0.5"
_AUC_OK = "ROC AUC {auc:.3f} is above chance ({level:.0%} DeLong interval [{lo:.3f}, {hi:.3f}])"


def _check_params(*, constant_share, level, min_group_size) -> None:
    problems = []
    if not isinstance(constant_share, (int, float)) or not 0.5 < float(constant_share) <= 1:
        problems.append(_BAD.format(name="constant_share", value=constant_share, expected="a number in (0.5, 1]",
                                    fix=str(CONSTANT_SHARE)))
    if not isinstance(level, (int, float)) or not 0 < float(level) < 1:
        problems.append(_BAD.format(name="level", value=level, expected="a number in (0, 1)", fix=str(DEGENERATE_LEVEL)))
    if not isinstance(min_group_size, (int, np.integer)) or isinstance(min_group_size, bool) or min_group_size < 1:
        problems.append(_BAD.format(name="min_group_size", value=min_group_size, expected="an integer >= 1",
                                    fix=str(MIN_GROUP_ROWS)))
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)


def _json(v):
    return v.item() if isinstance(v, np.generic) else v


def _constant(p: np.ndarray, names: tuple, threshold: float) -> dict:
    share_pos = float(p.mean())
    positive = share_pos >= 0.5
    share = share_pos if positive else 1.0 - share_pos
    label = _json(names[1] if positive else names[0])
    flagged = share >= threshold
    return {"flagged": bool(flagged), "most_common": _json(label), "share": share, "threshold": float(threshold),
            "reason": _CONSTANT.format(label=label, share=share, threshold=threshold)}


def _constant_groups(p: np.ndarray, features, names: tuple, *, threshold: float, min_rows: int) -> dict:
    found = []
    for f in features:
        n_g = np.bincount(f.codes, minlength=len(f.groups))
        pos_g = np.bincount(f.codes, weights=p, minlength=len(f.groups))
        for k, group in enumerate(f.groups):
            if n_g[k] >= min_rows:
                share_pos = pos_g[k] / n_g[k]
                share = max(share_pos, 1.0 - share_pos)
                if share >= threshold:
                    found.append({"feature": f.name, "group": group, "count": int(n_g[k]), "share": float(share),
                                  "most_common": _json(names[1] if share_pos >= 0.5 else names[0])})
    what = ", ".join(f"{x['feature']}={x['group']!r}" for x in found)
    return {"flagged": bool(found), "groups": found, "threshold": float(threshold), "min_group_size": int(min_rows),
            "reason": _GROUP_CONSTANT.format(what=what, threshold=threshold) if found else None}


def _accuracy_vs_majority(y: np.ndarray, p: np.ndarray, names: tuple, *, level: float) -> dict:
    from scipy.stats import binomtest  # imported here: scipy.stats costs 0.3 s

    majority_pos = y.mean() > 0.5
    majority = np.full(len(y), majority_pos)
    model_right, majority_right = p == y, majority == y
    b = int((model_right & ~majority_right).sum())  # only the model is right
    c = int((~model_right & majority_right).sum())  # only the majority guess is right
    pval = float(binomtest(b, b + c, 0.5, alternative="greater").pvalue) if b + c else 1.0
    alpha = round(1.0 - level, 12)
    acc, maj = float(model_right.mean()), float(majority_right.mean())
    label = _json(names[1] if majority_pos else names[0])
    flagged = pval >= alpha
    text = (_NOT_ABOVE if flagged else _ABOVE).format(acc=acc, maj=maj, label=label, p=pval, alpha=alpha)
    return {"flagged": bool(flagged), "accuracy": acc, "majority_class": label, "majority_rate": maj,
            "margin": acc - maj, "model_only_correct": b, "majority_only_correct": c, "p_value": pval, "alpha": alpha,
            "test": "one-sided exact McNemar (binomial on discordant rows)", "reason": text}


def _auc_chance(y: np.ndarray, score: np.ndarray | None, *, level: float) -> dict:
    if score is None:
        return {"flagged": None, "reason": "no scores given: not checked"}
    if y.all() or not y.any():
        return {"flagged": None, "reason": "y_true has one class: ROC AUC is undefined"}
    auc, lo, hi = auc_delong(y, score, level=level)
    if not np.isfinite(lo):  # a single positive or negative: no DeLong variance
        lo, hi = 0.0, 1.0
    below, chance = hi < 0.5, lo <= 0.5 <= hi
    text = (_AUC_BELOW if below else _AUC_CHANCE if chance else _AUC_OK).format(auc=auc, level=level, lo=lo, hi=hi)
    return {"flagged": bool(below or chance), "value": float(auc), "ci": [float(lo), float(hi)], "level": float(level),
            "method": "DeLong", "reason": text}


def degenerate_model_checks(
    *,
    y_true,
    y_pred,
    y_score=None,
    sensitive=None,
    pos_label=1,
    constant_share: float = CONSTANT_SHARE,
    level: float = DEGENERATE_LEVEL,
    min_group_size: int = MIN_GROUP_ROWS,
) -> dict:
    """Whether a binary classifier is degenerate (constant, no better than the majority class, at chance).

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels (two distinct values; ``pos_label`` is the favourable one).
    y_score : array-like, optional
        Probability of the positive class; adds the ROC AUC check.
    sensitive : DataFrame, optional
        Sensitive features; each group of at least ``min_group_size`` rows is checked for
        constant predictions (a warning, not a reason).
    pos_label : scalar
        The positive label.
    constant_share : float
        Share of the most common prediction at or above which predictions are constant (0.99).
    level : float
        Confidence level of the accuracy test and of the AUC interval (0.95).
    min_group_size : int
        Smallest group checked for constant predictions (30).

    Returns
    -------
    dict
        ``degenerate`` (bool), ``reasons`` (why, in plain English), ``warnings`` (groups with
        constant predictions), ``checks`` (``constant_predictions``, ``constant_within_groups``,
        ``accuracy_vs_majority``, ``roc_auc_chance``: each with its numbers, ``flagged`` and
        ``reason``), ``thresholds`` and ``n``.

    Examples
    --------
    >>> r = degenerate_model_checks(y_true=[0, 1, 0, 0, 1, 0], y_pred=[0, 0, 0, 0, 0, 0])
    >>> r["degenerate"], r["checks"]["constant_predictions"]["share"]
    (True, 1.0)
    >>> r["reasons"][0]
    'the model predicts 0 for 100.0% of the rows (threshold 99%)'
    """
    _check_params(constant_share=constant_share, level=level, min_group_size=min_group_size)
    problems: list[str] = []
    y, p, labels = encode_labels(y_true, y_pred, pos_label=pos_label, problems=problems)
    score = encode_scores(y_score, problems=problems) if y_score is not None else None
    n = 0 if y is None else len(y)
    if y is not None and (len(p) != n or (score is not None and len(score) != n)):
        problems.append(f"y_pred and y_score must have one entry per row of y_true ({n}). Fix: pass the same rows.")
    features = encode_sensitive(sensitive, n=n, problems=problems, require_two=False) if sensitive is not None else []
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    negative = next((_json(v) for v in labels if v != pos_label), f"not {pos_label!r}")
    names = (negative, _json(pos_label))
    checks = {
        "constant_predictions": _constant(p, names, constant_share),
        "constant_within_groups": _constant_groups(p, features, names, threshold=constant_share, min_rows=min_group_size),
        "accuracy_vs_majority": _accuracy_vs_majority(y, p, names, level=level),
        "roc_auc_chance": _auc_chance(y, score, level=level),
    }
    reasons = [c["reason"] for k, c in checks.items() if c["flagged"] and k != "constant_within_groups"]
    warnings = [checks["constant_within_groups"]["reason"]] if checks["constant_within_groups"]["flagged"] else []
    return {"degenerate": bool(reasons), "reasons": reasons, "warnings": warnings, "checks": checks,
            "thresholds": {"constant_share": float(constant_share), "level": float(level),
                           "min_group_size": int(min_group_size)}, "n": int(n)}
