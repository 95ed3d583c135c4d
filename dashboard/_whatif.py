"""What-if: rebuild a run's built-in MLP from its saved weights, score edited rows and attribute them.

Read-only and safe: the model is the audit's own :class:`audit.models.MLP`, rebuilt by
:func:`audit.models.rebuild_mlp`, whose weights go through the one safe loader
(:func:`audit.models.read_weights`: file checks, then ``torch.load(..., weights_only=True)``, so no
pickle code runs); the layer shapes must fit ``models/preprocessor.json`` and the recorded config
(``[model] kind = "mlp"``, its ``hidden`` widths). No training code is imported. A user factory model
is never rebuilt: that would mean importing and running code named by the run.

Attributions are the audit's Integrated Gradients (:class:`audit.explain.IntegratedGradients`, Riemann
midpoints, 64 steps) from a baseline of the encoded zero vector: numeric features at their training
mean (they are standardised), categorical one-hot columns all zero (the training category shares are
not in ``preprocessor.json``). They are summed over each feature's one-hot columns, like the audit's
aggregation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.data import TabularPreprocessor
from audit.exceptions import ModelError
from dashboard._data import run_file

__all__ = ["FACTORY_NOTE", "MlpScorer", "load_preprocessor", "load_scorer"]

FACTORY_NOTE = ("This run's model comes from a user factory (`[model] kind = \"factory\"`). The dashboard cannot rebuild it "
                "safely: that would mean importing and running the factory's code from the run. What-if works for the "
                "built-in MLP; for a factory model, score edited rows in Python with your own code and `audit.models`.")
_BAD_STATE = "What-if rebuilds the built-in MLP ({n_features} encoded inputs, hidden widths {hidden}, one output). {error}"
_RUN_FIX = "Fix: re-run the audit, or run 'rai-audit verify' on the run."


class MlpScorer:
    """A run's rebuilt built-in MLP: ``score`` gives P(positive) per encoded row, ``integrated_gradients`` attributes one."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def logits(self, X: Any) -> Any:
        """The positive logit of each row of a float tensor, shape ``(n,)``."""
        from audit.models import positive_logit

        return positive_logit(self.model(X))

    def score(self, X: np.ndarray) -> np.ndarray:
        """P(positive) of each encoded row (float64)."""
        from audit.models import predict_proba

        return predict_proba(self.model, np.asarray(X, np.float32))

    def integrated_gradients(self, x: np.ndarray, *, steps: int = 64) -> np.ndarray:
        """IG of the positive logit for one encoded row against the zero baseline (Riemann midpoints)."""
        from audit.explain import IntegratedGradients

        ig = IntegratedGradients(self.model, n_steps=steps, method="riemann_middle")
        return ig.attribute(np.asarray(x, np.float32).reshape(1, -1))[0].astype(np.float64)


def load_preprocessor(run_path: Path, rel: str | None) -> TabularPreprocessor:
    """The run's fitted preprocessor (``models/preprocessor.json``), confined to the run."""
    return TabularPreprocessor.load(run_file(run_path, rel or "models/preprocessor.json"))


def load_scorer(run_path: Path, rel: str, *, n_features: int, hidden: list[int] | None) -> MlpScorer:
    """Rebuild the built-in MLP whose weights are at ``rel`` (:func:`audit.models.rebuild_mlp`).

    ``hidden`` (the recorded config's widths; None: the widths the weights hold) and ``n_features``
    (the preprocessor's encoded columns) must fit the weights, which end in one output.

    Raises
    ------
    ModelError
        When the weights are not the built-in MLP's, or their shapes do not fit the preprocessor and config.
    UnsafeFileError
        When the file holds a pickle payload (never executed).
    """
    from audit.models import rebuild_mlp

    path = run_file(run_path, rel)
    try:
        model = rebuild_mlp(path, n_features=n_features, hidden=hidden, n_outputs=1, fix=_RUN_FIX)
    except ModelError as exc:
        shown = "read from the weights" if hidden is None else list(hidden)
        raise ModelError(_BAD_STATE.format(n_features=n_features, hidden=shown, error=exc)) from None
    return MlpScorer(model)


def attributions_by_feature(pre: TabularPreprocessor, encoded: np.ndarray) -> pd.DataFrame:
    """Per original feature: the sum of its encoded columns' attributions."""
    return pd.DataFrame([{"feature": f, "attribution": float(encoded[cols].sum())} for f, cols in pre.feature_groups_.items()])
