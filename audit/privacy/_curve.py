"""Privacy-utility curve: accuracy and fairness at a grid of ε.

DP-SGD's clipping and noise do not cost every group alike: Bagdasaryan et al.
(2019, "Differential Privacy Has Disparate Impact on Model Accuracy") found the
accuracy drop falls hardest on small groups. So each point reports accuracy by
group and the disparities, and, when the non-private point is included, each
group's accuracy drop against it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from audit.exceptions import DataError
from audit.fairness._counts import count_cells, grouping
from audit.fairness._engine import Engine
from audit.fairness._inputs import Feature
from audit.models import predict_proba
from audit.privacy._plain import train_non_private
from audit.privacy._train import train_private

__all__ = ["privacy_utility_curve"]

_SENSITIVE = (
    "sensitive_test must be a DataFrame with one row per test example ({n}); found {what}. "
    "Fix: pass the test split's sensitive columns, e.g. test[['sex', 'race']]."
)
_LABELS = (
    "y_test must hold binary labels 0 and 1 (the curve scores binary decisions); found {found}. "
    "Fix: encode the positive class as 1 and the other as 0."
)
_EPSILONS = "epsilons must be a non-empty sequence of numbers > 0; found {value!r}. Fix: use e.g. (0.5, 1, 2, 4, 8)."


_SOURCE_REUSED = "the audited private model (same settings; not trained again)"
_SOURCE_TRAINED = "trained for this curve with the audit's DP settings at this ε"
_SOURCE_NON_PRIVATE = ("trained for this curve without DP, with the DP settings' epochs, batch size and learning rate "
                       "(like for like with the private points; not the audit's reference model)")


def _group_keys(col: pd.Series) -> np.ndarray:
    # Missing values form their own group, named explicitly, instead of vanishing.
    return col.astype(object).where(col.notna(), "<missing>").astype(str).to_numpy()


def _features(sensitive: pd.DataFrame) -> list[Feature]:
    """Each sensitive column's groups (sorted names, missing values named) and every row's group code."""
    out = []
    for feature in sensitive.columns:
        codes, groups = pd.factorize(_group_keys(sensitive[feature]), sort=True)  # np.unique's order, 40x faster
        out.append(Feature(name=str(feature), codes=np.asarray(codes, dtype=np.int64), groups=[str(g) for g in groups]))
    return out


def _point(epsilon: float | None, y_true: np.ndarray, y_pred: np.ndarray, features: list[Feature]) -> dict:
    """One point's figures from the confusion counts of every cell (the engine of the run's fairness report).

    Accuracy by group, demographic parity and equalized odds differences as Fairlearn's MetricFrame
    defines them (tests compare them with it); one ``bincount`` over the rows instead of a
    MetricFrame per feature and metric.
    """
    cells = count_cells(y_true, y_pred, features)
    groupings = [grouping(cells, [j]) for j in range(len(features))]
    figures = Engine(cells, groupings, undefined="zero").evaluate(cells.counts)
    by_group, dpd, eod = {}, {}, {}
    for gi, (feature, g) in enumerate(zip(features, groupings, strict=True)):
        accuracy = figures[(gi, "group", "accuracy")]
        by_group[feature.name] = {label: float(a) for label, a in zip(g.labels, accuracy, strict=True)}
        dpd[feature.name] = float(figures[(gi, "disparity", "demographic_parity_difference")])
        eod[feature.name] = float(figures[(gi, "disparity", "equalized_odds_difference")])
    return {
        "epsilon": None if epsilon is None else float(epsilon),
        "accuracy": float(figures[("overall", "accuracy")]),
        "by_group_accuracy": by_group,
        "demographic_parity_difference": dpd,
        "equalized_odds_difference": eod,
    }


def privacy_utility_curve(
    *,
    model_factory: Callable[[], nn.Module],
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    sensitive_test: pd.DataFrame,
    epsilons: tuple[float, ...] = (0.5, 1, 2, 4, 8),
    include_non_private: bool = True,
    seed: int = 0,
    threshold: float | Callable[[nn.Module], float] = 0.5,
    progress: Callable[[str], None] | None = None,
    trained: dict[float, nn.Module] | None = None,
    **training_kwargs: Any,
) -> list[dict]:
    """Train at each ε (and without DP) and report accuracy and fairness at each.

    Parameters
    ----------
    model_factory : callable
        Returns a fresh model; called once per point after seeding torch with ``seed``,
        so every point starts from the same initial weights.
    X_train, y_train, X_test, y_test : array-like
        Encoded data; binary labels in {0, 1}.
    sensitive_test : DataFrame
        Sensitive columns of the test rows (original values).
    epsilons : tuple of float
        Target ε values.
    include_non_private : bool
        Add a non-private point (``"epsilon": None``) trained with the same settings.
    threshold : float or callable
        The decision threshold, or ``threshold(model) -> float`` choosing each point's by the audit's
        rule (as the audited models' were chosen), so the audited model's point shows its own accuracy.
    progress : callable, optional
        Called with one line after each point (ε, accuracy, seconds): each point is a full training.
    trained : dict, optional
        ``{ε: model}`` already trained with these settings (the audited private model): used for
        that point instead of training it again, and the point says so (``"source"``).
    **training_kwargs
        Passed to :func:`train_private` (and the shared ones to the non-private trainer).

    Returns
    -------
    list of dict
        ``[{"epsilon", "accuracy", "by_group_accuracy": {feature: {group: acc}},
        "demographic_parity_difference": {feature: value}, "equalized_odds_difference":
        {feature: value}, "source"}, ...]``, non-private point last; with it, each private point
        also has ``"accuracy_drop_by_group"`` (non-private minus private, by group). ``source``
        says where each point's model came from; the non-private point is trained with the DP
        settings (epochs, batch, learning rate), so it is not the audit's reference model.

    Examples
    --------
    >>> curve = privacy_utility_curve(model_factory=lambda: MLP(X.shape[1]), X_train=X, y_train=y,
    ...     X_test=Xt, y_test=yt, sensitive_test=test[["sex"]], epsilons=(1,))  # doctest: +SKIP
    """
    y_true = np.asarray(y_test).astype(np.int64).reshape(-1)
    if not isinstance(sensitive_test, pd.DataFrame) or len(sensitive_test) != len(y_true) or sensitive_test.shape[1] == 0:
        what = type(sensitive_test).__name__ if not isinstance(sensitive_test, pd.DataFrame) else f"shape {sensitive_test.shape}"
        raise DataError(_SENSITIVE.format(n=len(y_true), what=what))
    if len(y_true) and not np.isin(y_true, (0, 1)).all():
        raise DataError(_LABELS.format(found=sorted(set(np.unique(y_true).tolist()))[:10]))
    eps_list = list(epsilons) if not isinstance(epsilons, (int, float)) else None
    if not eps_list or not all(isinstance(e, (int, float)) and not isinstance(e, bool) and e > 0 for e in eps_list):
        raise DataError(_EPSILONS.format(value=epsilons))
    features = _features(sensitive_test.reset_index(drop=True))
    plain_keys = ("epochs", "batch_size", "learning_rate", "optimizer", "loss_fn")
    private_only = ("validation", "patience")  # early stopping: the private trainer's, as for the audited model
    points = []
    grid = eps_list + ([None] if include_non_private else [])
    reuse = {float(k): m for k, m in (trained or {}).items()}
    for i, eps in enumerate(grid, start=1):
        started = time.perf_counter()
        if eps is not None and float(eps) in reuse:
            model, source = reuse[float(eps)], _SOURCE_REUSED
        else:
            torch.manual_seed(seed)
            model, source = model_factory(), (_SOURCE_NON_PRIVATE if eps is None else _SOURCE_TRAINED)
            if eps is None:
                model = train_non_private(model, X_train, y_train, seed=seed,
                                          **{k: v for k, v in training_kwargs.items() if k in plain_keys
                                             and k not in private_only})
            else:
                model = train_private(model, X_train, y_train, epsilon=float(eps), seed=seed, **training_kwargs).model
        cut = threshold(model) if callable(threshold) else threshold
        y_pred = (predict_proba(model, X_test) >= cut).astype(np.int64)
        points.append({**_point(eps, y_true, y_pred, features), "source": source, "threshold": float(cut)})
        if progress is not None:
            label = ("non-private" if eps is None else f"ε={eps:g}") + (
                ", the audited private model" if source == _SOURCE_REUSED else "")
            progress(f"point {i}/{len(grid)} ({label}): accuracy {points[-1]['accuracy']:.4f} "
                     f"in {time.perf_counter() - started:.1f}s")
    if include_non_private:
        ref = points[-1]["by_group_accuracy"]
        for p in points[:-1]:
            p["accuracy_drop_by_group"] = {
                f: {g: ref[f][g] - acc for g, acc in groups.items()} for f, groups in p["by_group_accuracy"].items()
            }
    return points
