"""Degenerate-model checks for multiclass and regression models (the binary ones are in ``_degenerate``).

A model is degenerate when its output carries no signal about the target:

* **multiclass**: the most common predicted class covers at least ``constant_share`` of the rows;
  or the predictions are not shown to agree with the true class more often than chance
  (``agreement_vs_chance``: the number of correct rows against its permutation distribution
  with both margins fixed, i.e. Cohen's kappa > 0, one-sided at ``1 - level``). Accuracy
  against always predicting the majority class (``accuracy_vs_majority``) is information only:
  under imbalance a useful model's accuracy often ties the majority rate.
* **regression**: the predictions barely vary (their standard deviation is below 1% of the
  target's); or the model's mean absolute error is not shown below that of always predicting
  the training mean (``error_vs_mean``): the ``level`` Student-t interval of the mean paired
  difference of absolute errors, model minus mean, must lie below 0. The test is about the
  MAE itself (not a pseudo-median, as the Wilcoxon signed-rank test would be), and the
  two-sided interval (one-sided at ``(1 - level) / 2``) keeps the error at the null within 5%
  where the model's own errors are skewed or heavy-tailed (validity/degenerate.py).

Same record shape as :func:`audit.fairness.degenerate_model_checks`.

Examples
--------
>>> r = multiclass_degenerate_checks(y_true=[0, 1, 2, 2], y_pred=[2, 2, 2, 2], classes=["a", "b", "c"])
>>> r["degenerate"], r["checks"]["constant_predictions"]["most_common"]
(True, 'c')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from audit.fairness._degenerate import CONSTANT_SHARE, DEGENERATE_LEVEL

__all__ = ["multiclass_degenerate_checks", "regression_degenerate_checks"]

#: Predictions whose standard deviation is below this share of the target's count as constant.
CONSTANT_SPREAD = 0.01

_CONSTANT = "the model predicts {label!r} for {share:.1%} of the rows (threshold {threshold:.0%})"
_NOT_ABOVE = ("accuracy {acc:.3f} is not shown to be above the majority-class rate {maj:.3f} (always predicting "
              "{label!r}): one-sided exact McNemar p = {p:.3g} >= {alpha:.3g}")
_ABOVE = "accuracy {acc:.3f} is above the majority-class rate {maj:.3f} (one-sided exact McNemar p = {p:.3g})"
_AGREE = ("accuracy {acc:.3f} against {chance:.3f} expected by chance from the class margins (Cohen's kappa "
          "{kappa:.3f}; one-sided permutation z-test p = {p:.2g}")
_NO_AGREEMENT = ("the model's predictions are not shown to agree with the true class more often than chance: "
                 + _AGREE + " >= {alpha:.3g})")
_AGREEMENT = "the predictions agree with the true class more often than chance: " + _AGREE + ")"
_FLAT = ("the predictions barely vary: their standard deviation {sd:.4g} is below {share:.0%} of the target's "
         "({target_sd:.4g})")
_DIFF = "difference {diff:+.4g}, {level:.0%} interval [{lo:+.4g}, {hi:+.4g}] (paired t on the absolute errors)"
_WORSE = "mean absolute error {mae:.4g} is above that of always predicting the training mean ({base:.4g}): " + _DIFF
_NOT_BETTER = ("mean absolute error {mae:.4g} is not shown to be below that of always predicting the training mean "
               "({base:.4g}): " + _DIFF + " reaches 0")
_BETTER = "mean absolute error {mae:.4g} is below that of always predicting the training mean ({base:.4g}): " + _DIFF
_TOO_FEW = ("mean absolute error {mae:.4g} against {base:.4g} for always predicting the training mean cannot be "
            "compared on {n} row(s): at least 2 are needed")


def _record(checks: dict, n: int, thresholds: dict) -> dict:
    reasons = [c["reason"] for c in checks.values() if c["flagged"] and c.get("role", "degenerate") == "degenerate"]
    return {"degenerate": bool(reasons), "reasons": reasons, "threshold_problem": None, "warnings": [],
            "checks": checks, "thresholds": thresholds, "n": int(n)}


def _agreement(y: np.ndarray, p: np.ndarray, k: int, *, alpha: float) -> dict:
    """Correct rows against their permutation distribution with both margins fixed (exact mean and variance)."""
    from scipy.special import ndtr

    n = len(y)
    r, c = np.bincount(y, minlength=k).astype(float), np.bincount(p, minlength=k).astype(float)
    hits = float((y == p).sum())
    rc = r * c
    expected = float(rc.sum() / max(n, 1))
    var = 0.0 if n < 2 else float((rc * (n - r) * (n - c)).sum() / (n * n * (n - 1))
                                  + (rc.sum() ** 2 - (rc**2).sum()) / (n * n * (n - 1)))
    # continuity-corrected normal tail; conservative in the simulated grid (validity/degenerate.py)
    pval = float(ndtr(-(hits - 0.5 - expected) / np.sqrt(var))) if var > 0 else 1.0
    acc, chance = hits / max(n, 1), expected / max(n, 1)
    kappa = (acc - chance) / (1.0 - chance) if chance < 1 else 0.0
    flagged = pval >= alpha
    text = (_NO_AGREEMENT if flagged else _AGREEMENT).format(acc=acc, chance=chance, kappa=kappa, p=pval, alpha=alpha)
    return {"flagged": bool(flagged), "role": "degenerate", "accuracy": acc, "chance_accuracy": chance,
            "kappa": kappa, "p_value": pval, "alpha": alpha,
            "test": "one-sided permutation z-test of agreement (Cohen's kappa > 0; margins fixed)", "reason": text}


def _versus_majority(y: np.ndarray, p: np.ndarray, classes: Sequence[str], *, alpha: float) -> dict:
    """Information only: accuracy against always predicting the test set's majority class."""
    from scipy.stats import binomtest

    majority = int(np.argmax(np.bincount(y, minlength=len(classes))))
    model_right, majority_right = p == y, y == majority
    b, c = int((model_right & ~majority_right).sum()), int((~model_right & majority_right).sum())
    pval = float(binomtest(b, b + c, 0.5, alternative="greater").pvalue) if b + c else 1.0
    acc, maj = float(model_right.mean()), float(majority_right.mean())
    flagged = pval >= alpha
    return {"flagged": flagged, "role": "information", "accuracy": acc, "majority_class": str(classes[majority]),
            "majority_rate": maj, "margin": acc - maj, "model_only_correct": b, "majority_only_correct": c,
            "p_value": pval, "alpha": alpha, "test": "one-sided exact McNemar (binomial on discordant rows)",
            "reason": (_NOT_ABOVE if flagged else _ABOVE).format(acc=acc, maj=maj, label=str(classes[majority]),
                                                                 p=pval, alpha=alpha)}


def multiclass_degenerate_checks(*, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, classes: Sequence[str],
                                 constant_share: float = CONSTANT_SHARE, level: float = DEGENERATE_LEVEL) -> dict:
    """Whether a multiclass model is degenerate: (near-)constant, or agreeing with the true class only by chance.

    Examples
    --------
    >>> r = multiclass_degenerate_checks(y_true=[0, 0, 1, 1, 2, 2] * 5, y_pred=[0, 0, 1, 1, 2, 2] * 5,
    ...                                  classes=["a", "b", "c"])
    >>> r["degenerate"], round(r["checks"]["agreement_vs_chance"]["kappa"], 3)
    (False, 1.0)
    """
    y, p = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    alpha = round(1.0 - level, 12)
    counts = np.bincount(p, minlength=len(classes))
    top = int(np.argmax(counts))
    share = float(counts[top] / max(len(p), 1))
    constant = {"flagged": share >= constant_share, "role": "degenerate", "most_common": str(classes[top]),
                "share": share, "threshold": float(constant_share),
                "reason": _CONSTANT.format(label=str(classes[top]), share=share, threshold=constant_share)}
    checks = {"constant_predictions": constant, "agreement_vs_chance": _agreement(y, p, len(classes), alpha=alpha),
              "accuracy_vs_majority": _versus_majority(y, p, classes, alpha=alpha)}
    return _record(checks, len(y), {"constant_share": float(constant_share), "level": float(level), "alpha": alpha})


def _error_vs_mean(y: np.ndarray, p: np.ndarray, train_mean: float, *, level: float) -> dict:
    """The MAE difference, model minus training mean, with its paired Student-t interval."""
    from scipy.stats import t as student_t

    err, base_err = np.abs(p - y), np.abs(train_mean - y)
    diff = err - base_err  # below 0: the model is closer
    n = len(diff)
    mae, base = float(err.mean()) if n else float("nan"), float(base_err.mean()) if n else float("nan")
    out = {"mae": mae, "baseline_mae": base, "baseline": "the training mean", "margin": base - mae,
           "level": float(level), "test": "paired Student-t interval of the mean difference of absolute errors"}
    if n < 2:
        return {**out, "flagged": True, "role": "degenerate", "difference": None, "ci": None, "p_value": None,
                "reason": _TOO_FEW.format(mae=mae, base=base, n=n)}
    mean, se = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(n))
    half = float(student_t.ppf(0.5 + level / 2.0, n - 1)) * se
    lo, hi = mean - half, mean + half
    pval = float(student_t.cdf(mean / se, n - 1)) if se > 0 else (0.0 if mean < 0 else 1.0)  # one-sided, below 0
    better = hi < 0
    template = _BETTER if better else _WORSE if mae > base else _NOT_BETTER
    text = template.format(mae=mae, base=base, diff=mean, level=level, lo=lo, hi=hi)
    return {**out, "flagged": not better, "role": "degenerate", "difference": mean, "ci": [lo, hi],
            "p_value": pval, "reason": text}


def regression_degenerate_checks(*, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, train_mean: float,
                                 level: float = DEGENERATE_LEVEL) -> dict:
    """Whether a regression model is degenerate: flat predictions, or an MAE not shown below the training mean's.

    Examples
    --------
    >>> r = regression_degenerate_checks(y_true=[1.0, 2.0, 3.0, 4.0], y_pred=[2.5] * 4, train_mean=2.5)
    >>> r["degenerate"]
    True
    """
    y, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    sd, target_sd = float(np.std(p)), float(np.std(y))
    flat = {"flagged": sd < CONSTANT_SPREAD * target_sd, "role": "degenerate", "prediction_sd": sd,
            "target_sd": target_sd, "threshold": CONSTANT_SPREAD,
            "reason": _FLAT.format(sd=sd, share=CONSTANT_SPREAD, target_sd=target_sd)}
    checks = {"constant_predictions": flat, "error_vs_mean": _error_vs_mean(y, p, float(train_mean), level=level)}
    return _record(checks, len(y), {"constant_spread": CONSTANT_SPREAD, "level": float(level)})
