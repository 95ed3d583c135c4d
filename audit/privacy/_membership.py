"""Membership inference: does the model treat its training rows differently?

Two black-box attacks, both threshold attacks over one score per example:

- ``loss_threshold`` (Yeom et al. 2018): members tend to have lower loss, so the
  score is ``-loss(model(x), y)``; it needs the true label.
- ``score`` (Salem et al. 2019, "ML-Leaks"): members tend to get more confident
  predictions, so the score is the top predicted probability (ranked through the logits in
  float64: the same order, without ties at p = 1); it needs no label.

Reference-model attacks (RMIA, LiRA) and clean non-members are in
:mod:`audit.privacy._membership_audit`.

Each is summarised by ROC AUC, TPR at 1% and 0.1% FPR (Carlini et al. 2022:
what matters is confident identification of a few members) with the evidence behind
them (:mod:`audit.privacy._lowfpr`) and the membership advantage max(TPR - FPR).

Each AUC also carries a one-sided Mann–Whitney p-value against chance (0.5) and, over the
attacks of one model, a Holm adjustment (:func:`chance_tests`): ``above_chance`` says whether the
attack tells members from non-members at all, so a gate never fails on an AUC that chance could
give (a few hundred rows per side put a chance AUC of 0.55–0.6 within reach).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.exceptions import DataError
from audit.models import binary_loss, positive_logit
from audit.privacy._lowfpr import (
    DEFAULT_MIN_FALSE_POSITIVES,
    LOW_FPR_TARGETS,
    low_fpr_point,
    roc_counts,
    roc_with_intervals,
)
from audit.privacy._prepare import PerSampleLoss, as_tensors

__all__ = ["CHANCE_ALPHA", "attack_summary", "chance_tests", "membership_inference", "per_example_loss",
           "confidence_score"]

#: Family-wise level of the test "this model's strongest attack is above chance" (Holm over its attacks).
CHANCE_ALPHA = 0.05

_TOO_FEW = (
    "membership inference needs at least one member and one non-member; found {m} member(s) "
    "and {n} non-member(s). Fix: pass training rows as members and held-out rows as non-members."
)
_ROC_POINTS = "max_roc_points must be an integer >= 2; found {value!r}. Fix: use e.g. 200."


@torch.no_grad()
def _outputs(model: nn.Module, X: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    was_training = model.training
    model.eval()
    out = torch.cat([model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]) if len(X) else torch.zeros(0)
    model.train(was_training)
    return out


@torch.no_grad()
def per_example_loss(model: nn.Module, X: Any, y: Any, *, loss_fn: Callable = binary_loss) -> np.ndarray:
    """Loss of each example under ``model`` (float64 array of length ``len(X)``).

    Vectorised for :func:`binary_loss` and ``nn.Module`` losses with a ``reduction``
    attribute; any other ``loss_fn`` is called once per row.
    """
    X_t, y_t = as_tensors(X, y)
    out = _outputs(model, X_t)
    if PerSampleLoss.supports(loss_fn):
        crit = PerSampleLoss(loss_fn)
        crit.reduction = "none"
        try:  # float64, so that near-equal losses stay distinct when ranked
            return crit(out.double(), y_t.double() if y_t.is_floating_point() else y_t).double().reshape(-1).numpy()
        except RuntimeError:
            return crit(out, y_t).double().reshape(-1).numpy()
    return np.array([float(loss_fn(out[i : i + 1], y_t[i : i + 1])) for i in range(len(X_t))], dtype=np.float64)


@torch.no_grad()
def confidence_score(model: nn.Module, X: Any) -> np.ndarray:
    """The model's top predicted probability per row (binary: max(p, 1 - p))."""
    X_t = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X).float()
    out = _outputs(model, X_t)
    if out.ndim == 2 and out.shape[1] > 2:
        return torch.softmax(out.double(), dim=1).max(dim=1).values.numpy()
    p = torch.sigmoid(positive_logit(out).double())
    return torch.maximum(p, 1 - p).numpy()


@torch.no_grad()
def _confidence_rank(model: nn.Module, X: Any) -> np.ndarray:
    """A float64 score ordered as :func:`confidence_score` but without its saturation at p = 1.

    Binary: |logit| (max(p, 1 - p) grows with it); several classes: the top logit minus the
    log-sum-exp of the others (the top probability is 1 / (1 + exp(-that))). Confident members
    no longer tie at 1.0, which would move the low-FPR figures.
    """
    X_t = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X).float()
    out = _outputs(model, X_t).double()
    if out.ndim == 2 and out.shape[1] > 2:
        top, idx = out.max(dim=1)
        rest = out.scatter(1, idx[:, None], float("-inf"))
        return (top - torch.logsumexp(rest, dim=1)).numpy()
    return positive_logit(out).abs().numpy()


def attack_summary(member_scores: np.ndarray, nonmember_scores: np.ndarray, *, max_roc_points: int = 200,
                   min_false_positives: int = DEFAULT_MIN_FALSE_POSITIVES, confidence: float = 0.95) -> dict:
    """AUC, advantage, low-FPR figures with their evidence, and a down-sampled ROC for one attack score.

    Higher scores mean "member"; scores are ranked in float64. ``low_fpr`` holds, for 1% and 0.1%
    FPR, the TPR with an interval that includes the threshold's uncertainty, the true and false
    positives behind the threshold and the number of non-members the threshold may admit; a TPR
    resting on fewer than ``min_false_positives`` non-members is not reported (``tpr_at_*`` is
    then None). ``auc_p_value`` is the one-sided Mann–Whitney p-value of "AUC above 0.5".

    Examples
    --------
    >>> s = attack_summary(np.array([3.0, 2.0]), np.array([1.0, 0.0]))
    >>> s["auc"], s["advantage"], s["tpr_at_1pct_fpr"], round(s["auc_p_value"], 3)
    (1.0, 1.0, None, 0.167)
    """
    from scipy.stats import mannwhitneyu
    from sklearn.metrics import roc_auc_score

    m = np.asarray(member_scores, dtype=np.float64)
    n = np.asarray(nonmember_scores, dtype=np.float64)
    labels = np.r_[np.ones(len(m)), np.zeros(len(n))]
    tp, fp = roc_counts(m, n)
    points = [low_fpr_point(tp, fp, n_members=len(m), n_nonmembers=len(n), target=t,
                            min_false_positives=min_false_positives, confidence=confidence) for t in LOW_FPR_TARGETS]
    return {
        "auc": float(roc_auc_score(labels, np.r_[m, n])),
        "auc_p_value": float(mannwhitneyu(m, n, alternative="greater").pvalue),
        "tpr_at_1pct_fpr": points[0]["tpr"],
        "tpr_at_0.1pct_fpr": points[1]["tpr"],
        "advantage": float(np.max(tp / len(m) - fp / len(n))),
        "low_fpr": points,
        "roc": roc_with_intervals(tp, fp, n_members=len(m), n_nonmembers=len(n), max_points=max_roc_points,
                                  confidence=confidence),
    }


def chance_tests(attacks: dict[str, dict], *, alpha: float = CHANCE_ALPHA) -> dict[str, dict]:
    """Holm-adjust the attacks' AUC p-values (one model's family) and flag those above chance, in place.

    Each attack gets ``auc_p_holm`` and ``above_chance`` (``auc_p_holm < alpha``). Holm holds the
    family-wise error at ``alpha`` whatever the dependence between the attacks, so a model without
    a membership effect has any attack flagged in at most ``alpha`` of audits.

    Examples
    --------
    >>> a = chance_tests({"x": {"auc_p_value": 0.01}, "y": {"auc_p_value": 0.04}})
    >>> a["x"]["auc_p_holm"], a["x"]["above_chance"], a["y"]["above_chance"]
    (0.02, True, True)
    """
    named = sorted((a["auc_p_value"], name) for name, a in attacks.items() if a.get("auc_p_value") is not None)
    running = 0.0
    for i, (p, name) in enumerate(named):
        running = max(running, min(1.0, (len(named) - i) * p))
        attacks[name]["auc_p_holm"] = running
        attacks[name]["above_chance"] = bool(running < alpha)
    return attacks


def membership_inference(
    model: nn.Module,
    *,
    X_members: Any,
    y_members: Any,
    X_nonmembers: Any,
    y_nonmembers: Any,
    loss_fn: Callable = binary_loss,
    max_roc_points: int = 200,
    min_false_positives: int = DEFAULT_MIN_FALSE_POSITIVES,
    score_attack: bool = True,
) -> dict:
    """Loss-threshold and confidence-score membership inference against ``model``.

    Parameters
    ----------
    model : nn.Module
        The trained model.
    X_members, y_members : array-like
        Rows the model was trained on.
    X_nonmembers, y_nonmembers : array-like
        Held-out rows from the same distribution (e.g. the test split).
    loss_fn : callable
        The training loss.
    max_roc_points : int
        The ROC curve is down-sampled to at most this many points.
    min_false_positives : int
        A TPR at a low FPR is reported only when its threshold may admit at least this many
        non-members (see :func:`attack_summary`).
    score_attack : bool
        Also attack the top class probability (a regression has none: its loss is the attack).

    Returns
    -------
    dict
        ``{"n_members", "n_nonmembers", "attacks": {"loss_threshold": {...}, "score": {...}}}``,
        each attack with ``auc``, ``auc_p_value``, ``auc_p_holm``, ``above_chance``,
        ``tpr_at_1pct_fpr``, ``tpr_at_0.1pct_fpr``, ``advantage`` and ``roc`` (``fpr``, ``tpr``
        lists). AUC 0.5 means no measurable leakage.

    Examples
    --------
    >>> from audit.models import MLP
    >>> X = np.zeros((4, 3), dtype=np.float32); y = np.array([0, 1, 0, 1], dtype=np.float32)
    >>> r = membership_inference(MLP(3, hidden=(2,)), X_members=X, y_members=y,
    ...                          X_nonmembers=X, y_nonmembers=y)
    >>> r["attacks"]["loss_threshold"]["auc"]
    0.5
    """
    if not (isinstance(max_roc_points, int) and max_roc_points >= 2):
        raise DataError(_ROC_POINTS.format(value=max_roc_points))
    n_m, n_n = len(X_members), len(X_nonmembers)
    if n_m == 0 or n_n == 0:
        raise DataError(_TOO_FEW.format(m=n_m, n=n_n))
    loss_m = per_example_loss(model, X_members, y_members, loss_fn=loss_fn)
    loss_n = per_example_loss(model, X_nonmembers, y_nonmembers, loss_fn=loss_fn)
    attacks = {"loss_threshold": attack_summary(-loss_m, -loss_n, max_roc_points=max_roc_points,
                                                min_false_positives=min_false_positives)}
    if score_attack:
        conf_m, conf_n = _confidence_rank(model, X_members), _confidence_rank(model, X_nonmembers)
        attacks["score"] = attack_summary(conf_m, conf_n, max_roc_points=max_roc_points,
                                          min_false_positives=min_false_positives)
    return {"n_members": int(n_m), "n_nonmembers": int(n_n), "attacks": chance_tests(attacks)}
