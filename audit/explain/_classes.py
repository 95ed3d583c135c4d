"""Explaining a multiclass model one class at a time: the log-odds of class k against the rest.

``ClassLogOdds(model, k)`` turns a model with one logit per class into a one-output model whose
output is log(p_k / (1 - p_k)) = z_k - logsumexp_{j != k} z_j. Every tabular method, baseline,
view and faithfulness check then applies unchanged, reading the explanation in the same logit units
as a binary model's. :func:`per_class_importance` attributes each class's log-odds on the same rows.

Examples
--------
>>> import torch
>>> m = torch.nn.Linear(3, 4)
>>> ClassLogOdds(m, 2)(torch.zeros(5, 3)).shape
torch.Size([5])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.explain._aggregate import aggregate_groups, global_importance
from audit.explain._base import make_explainer

__all__ = ["ClassLogOdds", "TargetUnits", "per_class_importance"]


class ClassLogOdds(nn.Module):
    """A multiclass model's log-odds of one class, shape (n,).

    Parameters
    ----------
    model : nn.Module
        Outputs one logit per class, shape (n, K).
    k : int
        The class explained.
    """

    def __init__(self, model: nn.Module, k: int) -> None:
        super().__init__()
        self.model, self.k = model, int(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        z = self.model(x)
        rest = torch.cat([z[:, : self.k], z[:, self.k + 1 :]], dim=1)
        return z[:, self.k] - torch.logsumexp(rest, dim=1)


class TargetUnits(nn.Module):
    """A regression model's prediction in the target's units: ``output * scale + mean``, shape (n,).

    The model learns the standardised target; explaining this wrapper puts the attributions in
    target units (Integrated Gradients' completeness scales with the output).

    Examples
    --------
    >>> TargetUnits(torch.nn.Linear(2, 1), mean=100.0, scale=10.0)(torch.zeros(3, 2)).shape
    torch.Size([3])
    """

    def __init__(self, model: nn.Module, *, mean: float, scale: float) -> None:
        super().__init__()
        self.model, self.mean, self.scale = model, float(mean), float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.model(x).reshape(len(x)) * self.scale + self.mean


def per_class_importance(model: nn.Module, X: np.ndarray, *, baselines: np.ndarray, classes: Sequence[str],
                         feature_groups: dict[str, list[int]], method: str = "integrated_gradients",
                         seed: int = 0) -> dict[str, Any]:
    """Global importance of the original features for each class's log-odds, on the same rows.

    Returns ``{class: [{"feature", "mean_abs", "mean", ...}, ...]}`` (most important first), the
    rows' mean attribution magnitude without intervals (the full explanation with intervals and
    checks is computed for one class).
    """
    features = list(feature_groups)
    out = {}
    for k, label in enumerate(classes):
        explainer = make_explainer(method, ClassLogOdds(model, k).eval(), feature_groups=feature_groups)
        encoded = explainer.attribute(X, baselines=baselines, seed=seed)
        out[str(label)] = global_importance(aggregate_groups(encoded, feature_groups), features, n_boot=0, seed=seed)
    return out
