"""Checks that a model's output carries signal: a fairness verdict on a model without any is inconclusive.

A model that approves everyone has a demographic-parity difference of exactly 0 and passes
every parity gate; a model whose output ignores its input has equal rates in every group by
construction. A model is *degenerate* when its output carries no information about the label.
:func:`degenerate_model_checks` decides it from the scores when there are scores, else from the
decisions:

* **constant output**: the most common decision (``constant_predictions``) or score
  (``constant_scores``) covers at least ``constant_share`` of the rows;
* **scores at chance** (``roc_auc_chance``, with scores): the one-sided Mann-Whitney test of
  "the scores rank positives above negatives" (ROC AUC > 0.5) does not reject at ``1 - level``.
  Its null distribution, scores independent of the label, is the permutation distribution of
  the ranks (drawn where the smaller class has at most 20 rows; its normal approximation above),
  so it stays valid with 2 positives among 300 rows, where DeLong's interval does not (it
  excludes 0.5 for a useless model in 15% of runs there: validity/degenerate.py);
* **decisions without information** (``decisions_informative``, without scores): the
  one-sided Fisher exact test of TPR > FPR (balanced accuracy above 0.5) does not reject.

Accuracy against the majority class (``accuracy_vs_majority``) is kept as information only:
on imbalanced labels a useful model's decisions at 0.5 often tie the majority rate. When the
scores rank but the decisions are (near-)constant or carry no information, the model is not
degenerate: that is a **threshold problem**, reported in ``threshold_problem``. A model constant
within one group (``constant_within_groups``) is a warning: that is a fairness finding.
"""

from __future__ import annotations

import numpy as np

from audit.exceptions import ConfigError, DataError
from audit.fairness._inputs import encode_labels, encode_scores, encode_sensitive

__all__ = ["CONSTANT_SHARE", "DEGENERATE_LEVEL", "MIN_GROUP_ROWS", "degenerate_model_checks"]

CONSTANT_SHARE = 0.99
"""Share of the most common prediction at or above which predictions count as (near-)constant."""
DEGENERATE_LEVEL = 0.95
"""Confidence level of the checks: each test is one-sided at ``1 - level``; the AUC interval is two-sided."""
MIN_GROUP_ROWS = 30
"""Groups smaller than this are not checked for constant predictions (a few rows are often all alike)."""
PERMUTATION_MINORITY = 20
"""With at most this many positives (or negatives), the AUC test uses permutation p-values, not the normal tail."""
_PERMUTATIONS = 4999

_BAD = "{name} = {value!r} is invalid. Expected {expected}. Fix: use {fix}."
_CONSTANT = "the model predicts {label!r} for {share:.1%} of the rows (threshold {threshold:.0%})"
_CONSTANT_SCORES = "the model gives the same score ({score:.4g}) to {share:.1%} of the rows (threshold {threshold:.0%})"
_GROUP_CONSTANT = "within {what} the model predicts a single class for at least {threshold:.0%} of the rows"
_NOT_ABOVE = ("accuracy {acc:.3f} is not shown to be above the majority-class rate {maj:.3f} (always predicting "
              "{label!r}): one-sided exact McNemar p = {p:.3g} >= {alpha:.3g}")
_ABOVE = "accuracy {acc:.3f} is above the majority-class rate {maj:.3f} (one-sided exact McNemar p = {p:.3g})"
_MW = "one-sided Mann-Whitney p = {p:.2g}; {n1:,} positives, {n0:,} negatives"
_AUC_CHANCE = "the model's scores do not rank the classes better than chance: ROC AUC {auc:.3f} (" + _MW + " >= {alpha:.3g})"
_AUC_BELOW = ("the model's scores rank the classes the wrong way round: ROC AUC {auc:.3f} is below 0.5 (one-sided "
              "Mann-Whitney p = {p_below:.2g} for below; {n1:,} positives, {n0:,} negatives)")
_AUC_OK = "the scores rank the classes better than chance: ROC AUC {auc:.3f} (" + _MW + ")"
_FISHER = "TPR {tpr:.3f} vs FPR {fpr:.3f}, balanced accuracy {bacc:.3f}; one-sided Fisher exact p = {p:.2g}"
_NO_INFO = "the model's decisions are not shown to carry information about the label: " + _FISHER + " >= {alpha:.3g}"
_INFO = "the decisions carry information about the label: " + _FISHER
_ONE_CLASS = "y_true has one class in all {n:,} rows: whether the model tells the classes apart cannot be checked"
_THRESHOLD_CONSTANT = ("its decisions are {label!r} for {share:.1%} of the rows at {at}, though its scores rank the "
                       "classes (ROC AUC {auc:.3f}; one-sided Mann-Whitney p = {p:.2g})")
_THRESHOLD_NO_INFO = ("its decisions at {at} are not shown to carry information about the label (TPR {tpr:.3f} vs FPR "
                      "{fpr:.3f}; one-sided Fisher exact p = {pf:.2g}), though its scores rank the classes (ROC AUC "
                      "{auc:.3f}; one-sided Mann-Whitney p = {p:.2g})")


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
    """Information only: accuracy against always predicting the majority class (one-sided exact McNemar)."""
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
    return {"flagged": bool(flagged), "role": "information", "accuracy": acc, "majority_class": label,
            "majority_rate": maj, "margin": acc - maj, "model_only_correct": b, "majority_only_correct": c,
            "p_value": pval, "alpha": alpha, "test": "one-sided exact McNemar (binomial on discordant rows)",
            "reason": text}


def _constant_scores(score: np.ndarray | None, threshold: float) -> dict:
    if score is None:
        return {"flagged": None, "role": "degenerate", "reason": "no scores given: not checked"}
    values, counts = np.unique(score, return_counts=True)
    top = int(np.argmax(counts)) if len(counts) else 0
    share = float(counts[top] / len(score)) if len(score) else 1.0
    value = float(values[top]) if len(values) else float("nan")
    return {"flagged": bool(share >= threshold), "role": "degenerate", "most_common": value, "share": share,
            "threshold": float(threshold),
            "reason": _CONSTANT_SCORES.format(score=value, share=share, threshold=threshold)}


def _decisions_informative(y: np.ndarray, p: np.ndarray, *, level: float, role: str) -> dict:
    """One-sided Fisher exact test of TPR > FPR on the 2x2 table of decisions by label (both margins fixed)."""
    from scipy.stats import fisher_exact

    alpha = round(1.0 - level, 12)
    tp, fn = int((p & y).sum()), int((~p & y).sum())
    fp, tn = int((p & ~y).sum()), int((~p & ~y).sum())
    out = {"role": role, "alpha": alpha, "tp": tp, "fn": fn, "fp": fp, "tn": tn,
           "test": "one-sided Fisher exact test of TPR > FPR (decisions by label)"}
    if not (tp + fn) or not (fp + tn):
        return {**out, "flagged": True, "tpr": None, "fpr": None, "balanced_accuracy": None, "p_value": None,
                "reason": _ONE_CLASS.format(n=len(y))}
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    pval = float(fisher_exact([[tp, fn], [fp, tn]], alternative="greater")[1])
    flagged = pval >= alpha
    words = dict(tpr=tpr, fpr=fpr, bacc=(1 + tpr - fpr) / 2, p=pval, alpha=alpha)
    return {**out, "flagged": bool(flagged), "tpr": tpr, "fpr": fpr, "balanced_accuracy": (1 + tpr - fpr) / 2,
            "p_value": pval, "reason": (_NO_INFO if flagged else _INFO).format(**words)}


def _permutation_tails(ranks: np.ndarray, minority: np.ndarray) -> tuple[float, float]:
    """Monte-Carlo permutation p-values (sum at least, at most the observed) of the minority class's rank sum.

    ``(1 + #{draws as extreme}) / (1 + draws)`` is valid for any number of draws; the draws are seeded,
    so a record is reproducible. Used where the smaller class has at most :data:`PERMUTATION_MINORITY`
    rows, where the normal approximation is not trusted (5.2% at the null with 2 positives).
    """
    rng = np.random.default_rng(0)
    n, k, obs = len(ranks), int(minority.sum()), float(ranks[minority].sum())
    if n <= 100:  # small n: random keys, the k smallest (without replacement)
        draws = rng.random((_PERMUTATIONS, n)).argpartition(k - 1, axis=1)[:, :k]
    else:  # k <= 20 of n > 100: draw with replacement, redraw the rows that repeat an index
        draws = rng.integers(0, n, (_PERMUTATIONS, k))
        while True:
            ordered = np.sort(draws, axis=1)
            again = (np.diff(ordered, axis=1) == 0).any(axis=1)
            if not again.any():
                break
            draws[again] = rng.integers(0, n, (int(again.sum()), k))
    sums = ranks[draws].sum(axis=1)
    at_least = (1 + int((sums >= obs - 1e-9).sum())) / (_PERMUTATIONS + 1)
    at_most = (1 + int((sums <= obs + 1e-9).sum())) / (_PERMUTATIONS + 1)
    return at_least, at_most


def _mann_whitney(y: np.ndarray, score: np.ndarray) -> tuple[float, float, float]:
    """ROC AUC and the one-sided p-values (above 0.5, below 0.5) of the Mann-Whitney test, ties corrected.

    The normal approximation with continuity and tie corrections (as ``scipy.stats.mannwhitneyu``'s
    asymptotic method), or permutation p-values where the smaller class has at most
    :data:`PERMUTATION_MINORITY` rows; both tails from one ranking.
    """
    from scipy.special import ndtr
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n1, n0 = int(y.sum()), int((~y).sum())
    n = n1 + n0
    u = float(ranks[y].sum()) - n1 * (n1 + 1) / 2.0
    auc = u / (n1 * n0)
    _, ties = np.unique(ranks, return_counts=True)
    var = n1 * n0 / 12.0 * ((n + 1) - float((ties**3 - ties).sum()) / (n * (n - 1)))
    if var <= 0:  # every score equal
        return auc, 1.0, 1.0
    if min(n1, n0) <= PERMUTATION_MINORITY:
        at_least, at_most = _permutation_tails(ranks, y if n1 <= n0 else ~y)
        return (auc, at_least, at_most) if n1 <= n0 else (auc, at_most, at_least)
    centre, sd = n1 * n0 / 2.0, np.sqrt(var)
    above = float(ndtr(-(u - centre - 0.5) / sd))
    below = float(ndtr((u - centre + 0.5) / sd))
    return auc, min(above, 1.0), min(below, 1.0)


def _auc_chance(y: np.ndarray, score: np.ndarray | None, *, level: float) -> dict:
    if score is None:
        return {"flagged": None, "role": "degenerate", "reason": "no scores given: not checked"}
    if y.all() or not y.any():
        return {"flagged": None, "role": "degenerate", "reason": "y_true has one class: ROC AUC is undefined"}
    auc, above, below = _mann_whitney(y, score)
    alpha = round(1.0 - level, 12)
    n1, n0 = int(y.sum()), int((~y).sum())
    flagged = above >= alpha
    text = (_AUC_OK if not flagged else _AUC_BELOW if below < alpha else _AUC_CHANCE).format(
        auc=auc, p=above, p_below=below, alpha=alpha, n1=n1, n0=n0)
    return {"flagged": bool(flagged), "role": "degenerate", "value": float(auc), "p_value": above,
            "p_value_below": below, "alpha": alpha, "n_positive": n1, "n_negative": n0,
            "test": "one-sided Mann-Whitney U (null: scores independent of the label; normal with tie correction)",
            "level": float(level), "reason": text}


def _threshold_problem(checks: dict, *, at: str) -> str | None:
    """Why the decisions carry no information while the scores rank, or None."""
    auc, const, info = checks["roc_auc_chance"], checks["constant_predictions"], checks["decisions_informative"]
    if const["flagged"]:
        return _THRESHOLD_CONSTANT.format(label=const["most_common"], share=const["share"], at=at, auc=auc["value"],
                                          p=auc["p_value"])
    if info["flagged"]:
        return _THRESHOLD_NO_INFO.format(at=at, tpr=info["tpr"], fpr=info["fpr"], pf=info["p_value"],
                                         auc=auc["value"], p=auc["p_value"])
    return None


def _verdict(checks: dict, *, scored: bool, at: str) -> tuple[list[str], str | None]:
    """(reasons the model is degenerate, the threshold problem): scores decide when they can, else decisions."""
    if scored:
        for key in ("constant_predictions", "decisions_informative"):
            checks[key]["role"] = "threshold"
        order: tuple[str, ...] = ("constant_predictions", "constant_scores", "roc_auc_chance")
        degenerate = bool(checks["constant_scores"]["flagged"] or checks["roc_auc_chance"]["flagged"])
        if degenerate:
            return [checks[k]["reason"] for k in order if checks[k]["flagged"]], None
        return [], _threshold_problem(checks, at=at)
    order = ("constant_predictions", "decisions_informative")
    return [checks[k]["reason"] for k in order if checks[k]["flagged"]], None


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
    threshold: float | None = None,
) -> dict:
    """Whether a binary classifier is degenerate (its output carries no information about the label).

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels (two distinct values; ``pos_label`` is the favourable one).
    y_score : array-like, optional
        Probability of the positive class. With scores, the scores decide (constant, or ranking
        no better than chance); decisions without information are then a threshold problem.
    sensitive : DataFrame, optional
        Sensitive features; each group of at least ``min_group_size`` rows is checked for
        constant predictions (a warning, not a reason).
    pos_label : scalar
        The positive label.
    constant_share : float
        Share of the most common prediction (or score) at or above which the output is constant (0.99).
    level : float
        Each test is one-sided at ``1 - level`` (0.95: at 5%).
    min_group_size : int
        Smallest group checked for constant predictions (30).
    threshold : float, optional
        The score threshold that made the decisions, named in the threshold-problem text.

    Returns
    -------
    dict
        ``degenerate`` (bool), ``reasons`` (why, in plain English), ``threshold_problem`` (why the
        decisions carry no information while the scores rank, or None), ``warnings`` (groups with
        constant predictions), ``checks`` (``constant_predictions``, ``constant_scores``,
        ``decisions_informative``, ``roc_auc_chance``, ``accuracy_vs_majority`` (information),
        ``constant_within_groups``: each with its numbers, ``flagged``, ``role`` and ``reason``),
        ``thresholds`` and ``n``.

    Examples
    --------
    >>> r = degenerate_model_checks(y_true=[0, 1, 0, 0, 1, 0], y_pred=[0, 0, 0, 0, 0, 0])
    >>> r["degenerate"], r["checks"]["constant_predictions"]["share"]
    (True, 1.0)
    >>> r["reasons"][0]
    'the model predicts 0 for 100.0% of the rows (threshold 99%)'
    >>> r = degenerate_model_checks(y_true=[0] * 8 + [1] * 2, y_pred=[0] * 10, threshold=0.5,
    ...                             y_score=[.1, .1, .2, .2, .3, .1, .2, .1, .45, .4])
    >>> r["degenerate"], r["threshold_problem"].split(",")[0]
    (False, 'its decisions are 0 for 100.0% of the rows at the 0.5 threshold')
    """
    _check_params(constant_share=constant_share, level=level, min_group_size=min_group_size)
    problems: list[str] = []
    y, p, labels = encode_labels(y_true, y_pred, pos_label=pos_label, problems=problems)
    score = encode_scores(y_score, problems=problems) if y_score is not None else None
    n = 0 if y is None else len(y)
    if y is not None and p is not None and (len(p) != n or (score is not None and len(score) != n)):
        problems.append(f"y_pred and y_score must have one entry per row of y_true ({n}). Fix: pass the same rows.")
    features = encode_sensitive(sensitive, n=n, problems=problems, require_two=False) if sensitive is not None else []
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    assert y is not None and p is not None  # encode_labels leaves one None only beside a problem
    negative = next((_json(v) for v in labels if v != pos_label), f"not {pos_label!r}")
    names = (negative, _json(pos_label))
    checks = {
        "constant_predictions": {**_constant(p, names, constant_share), "role": "degenerate"},
        "constant_scores": _constant_scores(score, constant_share),
        "decisions_informative": _decisions_informative(y, p, level=level, role="degenerate"),
        "roc_auc_chance": _auc_chance(y, score, level=level),
        "accuracy_vs_majority": _accuracy_vs_majority(y, p, names, level=level),
        "constant_within_groups": {**_constant_groups(p, features, names, threshold=constant_share,
                                                      min_rows=min_group_size), "role": "warning"},
    }
    at = f"the {threshold:.3g} threshold" if threshold is not None else "the model's threshold"
    reasons, threshold_problem = _verdict(checks, scored=checks["roc_auc_chance"]["flagged"] is not None, at=at)
    warnings = [checks["constant_within_groups"]["reason"]] if checks["constant_within_groups"]["flagged"] else []
    return {"degenerate": bool(reasons), "reasons": reasons, "threshold_problem": threshold_problem,
            "warnings": warnings, "checks": checks,
            "thresholds": {"constant_share": float(constant_share), "level": float(level),
                           "alpha": round(1.0 - level, 12), "min_group_size": int(min_group_size)}, "n": int(n)}
