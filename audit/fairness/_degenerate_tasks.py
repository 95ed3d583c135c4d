"""Degenerate-model checks for multiclass and regression models (the binary ones are in ``_degenerate``).

* **multiclass**: the most common predicted class covers at least ``constant_share`` of the rows;
  accuracy is not shown above always predicting the test set's majority class (one-sided exact
  McNemar test on the rows where exactly one of the two is right).
* **regression**: the predictions barely vary (their standard deviation is below 1% of the
  target's); the model's absolute error is not shown below that of always predicting the
  training mean (one-sided Wilcoxon signed-rank test on the paired absolute errors).

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

from audit.fairness._degenerate import CONSTANT_SHARE, DEGENERATE_LEVEL

__all__ = ["multiclass_degenerate_checks", "regression_degenerate_checks"]

#: Predictions whose standard deviation is below this share of the target's count as constant.
CONSTANT_SPREAD = 0.01

_CONSTANT = "the model predicts {label!r} for {share:.1%} of the rows (threshold {threshold:.0%})"
_NOT_ABOVE = ("accuracy {acc:.3f} is not shown to be above the majority-class rate {maj:.3f} (always predicting "
              "{label!r}): one-sided exact McNemar p = {p:.3g} >= {alpha:.3g}")
_ABOVE = "accuracy {acc:.3f} is above the majority-class rate {maj:.3f} (one-sided exact McNemar p = {p:.3g})"
_FLAT = ("the predictions barely vary: their standard deviation {sd:.4g} is below {share:.0%} of the target's "
         "({target_sd:.4g})")
_NOT_BETTER = ("mean absolute error {mae:.4g} is not shown to be below that of always predicting the training mean "
               "({base:.4g}): one-sided Wilcoxon signed-rank p = {p:.3g} >= {alpha:.3g}")
_BETTER = ("mean absolute error {mae:.4g} is below that of always predicting the training mean ({base:.4g}; one-sided "
           "Wilcoxon signed-rank p = {p:.3g})")


def _record(checks: dict, n: int, thresholds: dict) -> dict:
    reasons = [c["reason"] for c in checks.values() if c["flagged"]]
    return {"degenerate": bool(reasons), "reasons": reasons, "warnings": [], "checks": checks,
            "thresholds": thresholds, "n": int(n)}


def multiclass_degenerate_checks(*, y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str],
                                 constant_share: float = CONSTANT_SHARE, level: float = DEGENERATE_LEVEL) -> dict:
    """Whether a multiclass model is degenerate: (near-)constant, or no better than the majority class."""
    from scipy.stats import binomtest

    y, p = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    counts = np.bincount(p, minlength=len(classes))
    top = int(np.argmax(counts))
    share = float(counts[top] / max(len(p), 1))
    constant = {"flagged": share >= constant_share, "most_common": str(classes[top]), "share": share,
                "threshold": float(constant_share),
                "reason": _CONSTANT.format(label=str(classes[top]), share=share, threshold=constant_share)}
    majority = int(np.argmax(np.bincount(y, minlength=len(classes))))
    model_right, majority_right = p == y, y == majority
    b, c = int((model_right & ~majority_right).sum()), int((~model_right & majority_right).sum())
    pval = float(binomtest(b, b + c, 0.5, alternative="greater").pvalue) if b + c else 1.0
    alpha = round(1.0 - level, 12)
    acc, maj = float(model_right.mean()), float(majority_right.mean())
    flagged = pval >= alpha
    versus = {"flagged": flagged, "accuracy": acc, "majority_class": str(classes[majority]), "majority_rate": maj,
              "margin": acc - maj, "model_only_correct": b, "majority_only_correct": c, "p_value": pval, "alpha": alpha,
              "test": "one-sided exact McNemar (binomial on discordant rows)",
              "reason": (_NOT_ABOVE if flagged else _ABOVE).format(acc=acc, maj=maj, label=str(classes[majority]), p=pval,
                                                                   alpha=alpha)}
    return _record({"constant_predictions": constant, "accuracy_vs_majority": versus}, len(y),
                   {"constant_share": float(constant_share), "level": float(level)})


def regression_degenerate_checks(*, y_true: Sequence[float], y_pred: Sequence[float], train_mean: float,
                                 level: float = DEGENERATE_LEVEL) -> dict:
    """Whether a regression model is degenerate: flat predictions, or no better than predicting the training mean.

    Examples
    --------
    >>> r = regression_degenerate_checks(y_true=[1.0, 2.0, 3.0, 4.0], y_pred=[2.5] * 4, train_mean=2.5)
    >>> r["degenerate"]
    True
    """
    from scipy.stats import wilcoxon

    y, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    sd, target_sd = float(np.std(p)), float(np.std(y))
    flat = {"flagged": sd < CONSTANT_SPREAD * target_sd, "prediction_sd": sd, "target_sd": target_sd,
            "threshold": CONSTANT_SPREAD,
            "reason": _FLAT.format(sd=sd, share=CONSTANT_SPREAD, target_sd=target_sd)}
    err, base_err = np.abs(p - y), np.abs(train_mean - y)
    diff = base_err - err
    pval = float(wilcoxon(diff, alternative="greater").pvalue) if np.any(diff != 0) else 1.0
    alpha = round(1.0 - level, 12)
    mae, base = float(err.mean()), float(base_err.mean())
    flagged = pval >= alpha
    versus = {"flagged": flagged, "mae": mae, "baseline_mae": base, "baseline": "the training mean",
              "margin": base - mae, "p_value": pval, "alpha": alpha,
              "test": "one-sided Wilcoxon signed-rank test on paired absolute errors",
              "reason": (_NOT_BETTER if flagged else _BETTER).format(mae=mae, base=base, p=pval, alpha=alpha)}
    return _record({"constant_predictions": flat, "error_vs_mean": versus}, len(y),
                   {"constant_spread": CONSTANT_SPREAD, "level": float(level)})
