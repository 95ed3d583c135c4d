"""Permutation importance per row through Captum's ``FeaturePermutation``."""

from __future__ import annotations

import torch

from audit.exceptions import ExplainError
from audit.explain._base import Explainer, register
from audit.explain._feature_ablation import feature_mask, spread_over_groups

__all__ = ["FeaturePermutation"]

# Values are shuffled within a chunk, so a chunk must be a fair sample of rows.
_CHUNK_ROWS = 4096
_ONE_ROW = (
    "permutation needs at least 2 rows to shuffle values between; found {n}. "
    "Fix: explain more rows, or use method=\"feature_ablation\" for a single row."
)


@register
class FeaturePermutation(Explainer):
    """Permutation: attribution = f(x) - f(x with the feature's values shuffled across rows).

    The replacement values come from the other explained rows, not from a
    baseline, so ``baselines`` is ignored. One-hot groups are shuffled together.
    Needs at least two rows.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> FeaturePermutation(MLP(3, hidden=(4,))).attribute(np.eye(3, dtype=np.float32)).shape
    (3, 3)
    """

    name = "permutation"
    uses_baseline = False

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr import FeaturePermutation as CaptumFeaturePermutation

        if len(X) < 2:
            raise ExplainError(_ONE_ROW.format(n=len(X)))
        forward, _ = self._forward_fn(target)
        method = CaptumFeaturePermutation(forward)
        mask = feature_mask(self.feature_groups, X.shape[1]).to(X.device) if X.ndim == 2 else None
        parts = []
        n_chunks = max(1, round(len(X) / _CHUNK_ROWS))
        with torch.no_grad():
            # Even chunks: never leave a 1-row remainder, which cannot be permuted.
            for x, t in zip(torch.tensor_split(X, n_chunks),
                            torch.tensor_split(target, n_chunks) if target is not None else [None] * n_chunks,
                            strict=True):  # n_chunks pieces each
                parts.append(method.attribute(x, target=t, feature_mask=mask, perturbations_per_eval=4))
        return spread_over_groups(torch.cat(parts), self.feature_groups)
