"""Degenerate-model checks: a model is degenerate when its output carries no signal, and only then.

Every simulated audit runs the function a run calls (:func:`audit.fairness.degenerate_model_checks`,
``multiclass_degenerate_checks``, ``regression_degenerate_checks``) on a test set with known truth:

* **binary**: a useful model on 2%, 8%, 20% or 50% positives (binormal scores, ROC AUC 0.65, 0.75 or
  0.86, calibrated probabilities, decisions at 0.5: on imbalanced labels they are nearly all
  negative) on 300 to 5,000 rows; a constant model; a model whose scores ignore the label;
* **multiclass**: 3, 5 or 10 classes with a 70% majority; a useful, a constant and an
  uninformative model;
* **regression**: models whose MAE equals that of predicting the training mean (the null of the
  MAE test), with skewed targets and skewed or heavy-tailed model errors, 20 to 1,000 rows; and a
  model worse than the mean (MAE 1.19 against 0.78) that the Wilcoxon signed-rank test called better.

A useful model's cell is *detectable* when its AUC sits at least 4 null standard errors above 0.5
(``(AUC - 0.5) / sqrt((n + 1) / (12 n1 n0)) >= 4``, about 99% power for a 5% test); there the
share called degenerate must be at most 5%. Below that no test valid at 5% can reach 95% power
(6 positives among 300 rows, say), and the row compares ours with the rule the issue names, a
DeLong interval that excludes 0.5.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

from audit.fairness import degenerate_model_checks
from audit.fairness._degenerate_tasks import multiclass_degenerate_checks, regression_degenerate_checks
from audit.fairness._scores import auc_delong
from validity._harness import Check, Row, error_row, power_row

DETECTABLE_Z = 4.0
"""A useful model's cell is detectable when its AUC is this many null standard errors above 0.5."""


def _reps(quick: bool, full: int, fast: int) -> int:
    return fast if quick else full


def _all_row(check: str, cell: dict, *, hits: int, reps: int, measure: str, detail: str = "") -> Row:
    """A rate that must be exactly 100% (a constant model is degenerate in every run)."""
    return Row(check, dict(cell), measure, hits / max(reps, 1), "= 100%", hits == reps, reps, detail)


def _none_row(check: str, cell: dict, *, hits: int, reps: int, measure: str, detail: str = "") -> Row:
    """A count that must be 0 (the words never contradict the figures)."""
    return Row(check, dict(cell), measure, hits / max(reps, 1), "= 0%", hits == 0, reps, detail)


# ---------------------------------------------------------------- binary
def _binormal(rng: np.random.Generator, n: int, share: float, auc: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels with exactly round(share * n) positives and calibrated probabilities of a binormal model."""
    y = np.zeros(n, dtype=np.int64)
    y[: max(1, round(share * n))] = 1
    mu = math.sqrt(2.0) * float(ndtri(auc))
    s = rng.standard_normal(n) + mu * y
    logit = math.log(share / (1 - share)) + mu * s - mu * mu / 2.0
    return y, 1.0 / (1.0 + np.exp(-logit))


def _null_z(n: int, share: float, auc: float) -> float:
    n1 = max(1, round(share * n))
    return (auc - 0.5) / math.sqrt((n + 1) / (12.0 * n1 * (n - n1)))


def _old_rule(r: dict, y: np.ndarray, score: np.ndarray) -> bool:
    """What the tool said before: constant, accuracy not above the majority rate, or DeLong interval reaching 0.5."""
    _, lo, _ = auc_delong(y.astype(bool), score, level=0.95)
    return bool(r["checks"]["constant_predictions"]["flagged"] or r["checks"]["accuracy_vs_majority"]["flagged"]
                or not lo > 0.5)


def _delong_informative(y: np.ndarray, score: np.ndarray) -> bool:
    _, lo, _ = auc_delong(y.astype(bool), score, level=0.95)
    return bool(np.isfinite(lo) and lo > 0.5)


def _run_binary_useful(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    reps = _reps(quick, 1000, 120)
    sizes = (300, 1000, 5000)
    for share_i, share in enumerate((0.02, 0.08, 0.2, 0.5)):
        for auc_i, auc in enumerate((0.65, 0.75, 0.86)):
            for n in sizes if not quick else (300, 1000):
                rng = np.random.default_rng([seed, 1, share_i, auc_i, n])
                degenerate = threshold = old = delong = 0
                for _ in range(reps):
                    y, score = _binormal(rng, n, share, auc)
                    pred = (score >= 0.5).astype(np.int64)
                    r = degenerate_model_checks(y_true=y, y_pred=pred, y_score=score, threshold=0.5)
                    degenerate += r["degenerate"]
                    threshold += r["threshold_problem"] is not None
                    old += _old_rule(r, y, score)
                    delong += _delong_informative(y, score)
                cell = {"positives": f"{share:.0%}", "AUC": auc, "n": n}
                z = _null_z(n, share, auc)
                if z >= DETECTABLE_Z:
                    rows.append(error_row("binary_useful", cell, errors=degenerate, reps=reps,
                                          measure="useful model called degenerate",
                                          detail=f"threshold problem {threshold / reps:.0%}; old rule "
                                                 f"(accuracy vs majority, DeLong) {old / reps:.0%}"))
                else:
                    rows.append(power_row("binary_useful", cell, ours=reps - degenerate, baseline=delong, reps=reps,
                                          baseline_name="DeLong 95% interval above 0.5",
                                          measure=f"called informative (not detectable: z = {z:.1f} < 4)"))
    return rows


def _run_binary_null(*, quick: bool, seed: int) -> list[Row]:
    """A constant model is degenerate in every run; a model whose scores ignore the label is called informative
    in at most 5% of runs (the tests' level), with few positives and tied scores too."""
    rows = []
    reps = _reps(quick, 2000, 200)
    for share_i, share in enumerate((0.01, 0.02, 0.08, 0.5)):
        for n in (100, 300, 1000, 5000) if not quick else (100, 300):
            rng = np.random.default_rng([seed, 2, share_i, n])
            constant = constant_decisions = informative = decisions_informative = delong = 0
            for _ in range(reps):
                y, _ = _binormal(rng, n, share, 0.5)
                flat = np.full(n, 0.3)
                constant += degenerate_model_checks(y_true=y, y_pred=np.zeros(n, np.int64), y_score=flat)["degenerate"]
                constant_decisions += degenerate_model_checks(y_true=y, y_pred=np.ones(n, np.int64))["degenerate"]
                score = rng.random(n)
                score = np.round(score, 1) if rng.random() < 0.5 else score  # tied scores half the time
                rate = (0.01, 0.1, 0.5)[int(rng.integers(3))]
                pred = (score >= np.quantile(score, 1 - rate)).astype(np.int64)
                informative += not degenerate_model_checks(y_true=y, y_pred=pred, y_score=score)["degenerate"]
                delong += _delong_informative(y, score)
                decisions_informative += not degenerate_model_checks(y_true=y, y_pred=pred)["degenerate"]
            cell = {"positives": f"{share:.0%}", "n": n, "positives n": max(1, round(share * n))}
            rows.append(_all_row("binary_null", cell, hits=constant, reps=reps,
                                 measure="constant model (decisions and scores) called degenerate"))
            rows.append(_all_row("binary_null", cell, hits=constant_decisions, reps=reps,
                                 measure="constant decisions, no scores, called degenerate"))
            rows.append(error_row("binary_null", cell, errors=informative, reps=reps,
                                  measure="scores ignoring the label called informative",
                                  detail=f"called degenerate {1 - informative / reps:.1%}; a DeLong interval "
                                         f"above 0.5 (the old rule): {delong / reps:.1%}"))
            rows.append(error_row("binary_null", cell, errors=decisions_informative, reps=reps,
                                  measure="decisions ignoring the label (no scores) called informative",
                                  detail="decisions at 1%, 10% or 50%"))
    return rows


def _run_binary_decisions(*, quick: bool, seed: int) -> list[Row]:
    """Without scores, decisions that carry signal (the top share of a useful score) are not degenerate.

    Decisions hold less information than a ranking: with 20 positives the top-2% decisions of an AUC-0.86
    model catch 2 or fewer of them in 8% of runs, which no test can tell from chance. Cells with at least
    50 positives.
    """
    rows = []
    reps = _reps(quick, 1000, 150)
    for share_i, share in enumerate((0.02, 0.08, 0.2, 0.5)):
        for n in (1000, 5000) if not quick else (1000,):
            if round(share * n) < 50:
                continue
            rng = np.random.default_rng([seed, 3, share_i, n])
            degenerate = old = 0
            for _ in range(reps):
                y, score = _binormal(rng, n, share, 0.86)
                pred = (score >= np.quantile(score, 1 - share)).astype(np.int64)  # as many positive decisions as labels
                r = degenerate_model_checks(y_true=y, y_pred=pred)
                degenerate += r["degenerate"]
                old += r["checks"]["accuracy_vs_majority"]["flagged"] or r["checks"]["constant_predictions"]["flagged"]
            rows.append(error_row("binary_decisions", {"positives": f"{share:.0%}", "AUC": 0.86, "n": n},
                                  errors=degenerate, reps=reps, measure="useful decisions called degenerate",
                                  detail=f"old rule (accuracy vs majority) {old / reps:.0%}"))
    return rows


# ---------------------------------------------------------------- multiclass
def _prior(k: int) -> np.ndarray:
    return np.r_[0.7, np.full(k - 1, 0.3 / (k - 1))]


def _run_multiclass(*, quick: bool, seed: int) -> list[Row]:
    """70% majority: a useful model (right on 40% of the minority rows, else the majority) is not degenerate;
    a constant one always is; one whose predictions ignore the class is called informative in at most 5%."""
    rows = []
    reps = _reps(quick, 3000, 150)
    for k in (3, 5, 10):
        prior = _prior(k)
        skewed = np.r_[0.95, np.full(k - 1, 0.05 / (k - 1))]
        for n in (30, 100, 300, 1000, 5000) if not quick else (30, 300, 1000):
            rng = np.random.default_rng([seed, 4, k, n])
            useful = old = constant = informative = 0
            classes = [f"c{i}" for i in range(k)]
            for _ in range(reps):
                y = rng.choice(k, n, p=prior)
                pred = np.where(rng.random(n) < 0.4, y, 0)
                r = multiclass_degenerate_checks(y_true=y, y_pred=pred, classes=classes)
                useful += r["degenerate"]
                old += r["checks"]["accuracy_vs_majority"]["flagged"]
                constant += multiclass_degenerate_checks(y_true=y, y_pred=np.zeros(n, np.int64),
                                                         classes=classes)["degenerate"]
                noise = rng.choice(k, n, p=skewed if rng.random() < 0.5 else prior)
                informative += not multiclass_degenerate_checks(y_true=y, y_pred=noise, classes=classes)["degenerate"]
            cell = {"classes": k, "majority": "70%", "n": n}
            if n >= 300:  # 30 or 100 rows hold too few minority rows for a 40%-right model to be detectable
                rows.append(error_row("multiclass", cell, errors=useful, reps=reps,
                                      measure="useful model called degenerate",
                                      detail=f"old rule (accuracy vs majority) {old / reps:.0%}"))
            rows.append(_all_row("multiclass", cell, hits=constant, reps=reps, measure="constant model called degenerate"))
            rows.append(error_row("multiclass", cell, errors=informative, reps=reps,
                                  measure="predictions ignoring the class called informative",
                                  detail="predicted classes drawn from the prior or 95% majority"))
    return rows


# ---------------------------------------------------------------- regression
def _draw(kind: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """Standardized errors (mean 0, variance 1) of one shape."""
    if kind == "normal":
        return rng.standard_normal(size)
    if kind == "exponential":  # skewness 2
        return rng.exponential(1.0, size) - 1.0
    if kind == "lognormal":  # sigma 1: skewness 6.2
        return (rng.lognormal(0.0, 1.0, size) - math.exp(0.5)) / math.sqrt((math.e - 1) * math.e)
    if kind == "lognormal 0.5":  # skewness 1.75
        return (rng.lognormal(0.0, 0.5, size) - math.exp(0.125)) / math.sqrt((math.exp(0.25) - 1) * math.exp(0.25))
    if kind == "t3":
        return rng.standard_t(3, size) / math.sqrt(3.0)
    if kind == "5% x 3":  # 5% of rows with three times the spread
        return np.where(rng.random(size) < 0.05, 3.0, 1.0) * rng.standard_normal(size) / math.sqrt(0.95 + 0.05 * 9)
    raise ValueError(kind)


_TAU: dict[tuple[str, str], float] = {}


def _tau(target: str, noise: str, rho: float) -> float:
    """Noise scale at which the model (rho * error + tau * noise) has the mean predictor's MAE: E|e| = E|(1-rho)e - tau v|."""
    key = (target, noise)
    if key not in _TAU:
        rng = np.random.default_rng(12345)
        e, v = _draw(target, rng, 2_000_000), _draw(noise, rng, 2_000_000)
        goal, lo, hi = float(np.abs(e).mean()), 0.0, 10.0
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if np.abs((1 - rho) * e - mid * v).mean() > goal else (mid, hi)
        _TAU[key] = (lo + hi) / 2
    return _TAU[key]


_NULL_SHAPES = (("normal", "normal"), ("exponential", "normal"), ("lognormal", "normal"), ("normal", "exponential"),
                ("normal", "lognormal 0.5"), ("normal", "t3"), ("exponential", "t3"), ("normal", "5% x 3"))


def _run_regression_null(*, quick: bool, seed: int) -> list[Row]:
    """At the null (the model's MAE equals the mean predictor's), "better than the mean" in at most 5% of runs."""
    rows = []
    reps = _reps(quick, 2000, 300)
    rho = 0.5
    shapes = _NULL_SHAPES if not quick else _NULL_SHAPES[2:6]
    for shape_i, (target, noise) in enumerate(shapes):
        tau = _tau(target, noise, rho)
        for n in (20, 50, 200, 1000) if not quick else (20, 50):
            rng = np.random.default_rng([seed, 5, shape_i, n])
            better = 0
            for _ in range(reps):
                e = _draw(target, rng, n)
                pred = rho * e + tau * _draw(noise, rng, n)  # the training mean is 0
                better += not regression_degenerate_checks(y_true=e, y_pred=pred, train_mean=0.0)["checks"][
                    "error_vs_mean"]["flagged"]
            rows.append(error_row("regression_null", {"target": target, "model errors": noise, "n": n}, errors=better,
                                  reps=reps, measure="MAE called below the mean's at equal MAE"))
    return rows


def _worse_than_mean(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Right to 0.02 on 70% of the rows, N(0, 5²) off on 30%: MAE 1.19 against 0.80 for the mean."""
    y = rng.standard_normal(n)
    return y, y + np.where(rng.random(n) < 0.3, 5.0, 0.0214) * rng.standard_normal(n)


def _run_regression_worse(*, quick: bool, seed: int) -> list[Row]:
    """A model worse than the mean (MAE 1.19 vs 0.80) is called better in at most 5% of runs (in practice almost
    never), and the words never say "below" where the MAE is above."""
    from scipy.stats import wilcoxon

    rows = []
    reps = _reps(quick, 2000, 300)
    for n in (20, 50, 200, 1000) if not quick else (20, 200):
        rng = np.random.default_rng([seed, 6, n])
        better = contradicts = old = 0
        for _ in range(reps):
            y, pred = _worse_than_mean(rng, n)
            check = regression_degenerate_checks(y_true=y, y_pred=pred, train_mean=0.0)["checks"]["error_vs_mean"]
            better += not check["flagged"]
            said_below = " is below that of" in check["reason"]
            contradicts += said_below != (check["mae"] < check["baseline_mae"]) and said_below
            old += wilcoxon(np.abs(y) - np.abs(pred - y), alternative="greater").pvalue < 0.05
        cell = {"MAE": "1.19 vs 0.80", "n": n}
        rows.append(error_row("regression_worse", cell, errors=better, reps=reps, measure="worse model called better",
                              detail=f"Wilcoxon signed-rank (old): {old / reps:.0%}"))
        rows.append(_none_row("regression_worse", cell, hits=contradicts, reps=reps,
                              measure="text says 'below' while the MAE is above"))
    return rows


CHECKS: list[Check] = [
    Check("binary_useful", "Binary: a useful imbalanced model is not degenerate",
          "A useful model (ROC AUC 0.65-0.86, calibrated, decided at 0.5) on 2-50% positives and 300-5,000 rows is "
          "called degenerate in at most 5% of runs wherever its ranking is detectable (AUC at least 4 null standard "
          "errors above 0.5); its decisions, nearly all negative on imbalanced labels, are a threshold problem, not a "
          "degenerate model. Below that, ours (one-sided Mann-Whitney) finds the signal at least as often as a DeLong "
          "interval above 0.5.", _run_binary_useful),
    Check("binary_null", "Binary: constant and uninformative models",
          "A constant model (constant decisions and scores, or constant decisions alone) is degenerate in 100% of "
          "runs; one whose scores (or decisions) ignore the label is called informative in at most 5%, with 1 to "
          "2,500 positives and tied scores.", _run_binary_null),
    Check("binary_decisions", "Binary: useful decisions without scores",
          "Decisions that carry signal (the top share of an AUC-0.86 score, as many as the positives; at least 50 "
          "positives) are called degenerate in at most 5% of runs (one-sided Fisher exact test of TPR > FPR).",
          _run_binary_decisions),
    Check("multiclass", "Multiclass: useful, constant and uninformative models under a 70% majority",
          "With 3-10 classes and a 70% majority: a useful model is called degenerate in at most 5% of runs; a "
          "constant one in 100%; one whose predictions ignore the class is called informative in at most 5% (kappa "
          "> 0 by its permutation distribution, margins fixed).", _run_multiclass),
    Check("regression_null", "Regression: the MAE test at the null",
          "A model whose MAE equals that of predicting the training mean is called better in at most 5% of runs, for "
          "skewed targets (exponential, lognormal) and skewed or heavy-tailed model errors (exponential, lognormal "
          "sigma 0.5, t3, 5% of rows with 3x the spread), 20 to 1,000 rows (paired t interval of the MAE difference).",
          _run_regression_null),
    Check("regression_worse", "Regression: a model worse than the mean",
          "A model with MAE 1.19 against 0.80 for the mean (right on 70% of the rows, far off on 30%: the Wilcoxon "
          "test called it better) is called better in at most 5% of runs, and its text never says 'below'.",
          _run_regression_worse),
]

__all__ = ["CHECKS"]
