"""Feature Ablation through Captum: replace each original feature by the baseline."""

from __future__ import annotations

import torch

from audit.explain._base import Explainer, register

__all__ = ["FeatureAblation", "feature_mask", "spread_over_groups"]

_CHUNK_ROWS = 8192


def feature_mask(feature_groups: dict[str, list[int]] | None, n_columns: int) -> torch.Tensor:
    """Captum's ``feature_mask``: one id per encoded column, shared within a group."""
    if feature_groups is None:
        return torch.arange(n_columns).unsqueeze(0)
    mask = torch.zeros(n_columns, dtype=torch.long)
    for gid, cols in enumerate(feature_groups.values()):
        mask[cols] = gid
    return mask.unsqueeze(0)


def spread_over_groups(attr: torch.Tensor, feature_groups: dict[str, list[int]] | None) -> torch.Tensor:
    """Captum repeats a group's attribution on each of its columns; divide by the group
    size so that summing a group's columns gives the feature's attribution once."""
    if feature_groups is None:
        return attr
    sizes = torch.ones(attr.shape[1], dtype=attr.dtype, device=attr.device)
    for cols in feature_groups.values():
        sizes[cols] = float(len(cols))
    return attr / sizes


@register
class FeatureAblation(Explainer):
    """Ablation: attribution of a feature = f(x) - f(x with that feature set to the baseline).

    One-hot groups are ablated together (all their columns take the baseline's
    values), so each original feature costs one forward pass. Needs no
    gradients, so it works for any model. With ``k`` baselines the attributions
    are averaged over them.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> fa = FeatureAblation(MLP(3, hidden=(4,)), feature_groups={"a": [0, 1], "b": [2]})
    >>> fa.attribute(np.ones((2, 3), dtype=np.float32)).shape
    (2, 3)
    """

    name = "feature_ablation"

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr import FeatureAblation as CaptumFeatureAblation

        forward, _ = self._forward_fn(target)
        method = CaptumFeatureAblation(forward)
        mask = feature_mask(self.feature_groups, X.shape[1]).to(X.device) if X.ndim == 2 else None
        total = torch.zeros_like(X)
        with torch.no_grad():
            for b in baselines:
                for start in range(0, len(X), _CHUNK_ROWS):
                    x = X[start : start + _CHUNK_ROWS]
                    t = None if target is None else target[start : start + _CHUNK_ROWS]
                    total[start : start + _CHUNK_ROWS] += method.attribute(
                        x, baselines=b.unsqueeze(0), target=t, feature_mask=mask, perturbations_per_eval=4)
        return spread_over_groups(total / len(baselines), self.feature_groups)
