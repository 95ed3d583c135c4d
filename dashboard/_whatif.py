"""What-if: rebuild a run's built-in MLP from its saved weights, score edited rows and attribute them.

Read-only and safe: weights are read with ``torch.load(..., weights_only=True)`` (no pickle
code runs), the layer shapes come from the state dict itself and are checked against the
recorded config (``[model] kind = "mlp"``, its ``hidden`` widths) and ``models/preprocessor.json``.
No training code is imported. A user factory model is never rebuilt: that would mean importing
and running code named by the run.

Attributions are Integrated Gradients (Riemann, 64 steps) from a baseline of the encoded zero
vector: numeric features at their training mean (they are standardised), categorical one-hot
columns all zero (the training category shares are not in ``preprocessor.json``). They are summed
over each feature's one-hot columns, like the audit's aggregation.
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
_BAD_STATE = ("{path}: the weights do not describe the built-in MLP (expected net.<i>.weight / net.<i>.bias pairs of "
              "Linear layers ending in one output; found {found}). Fix: re-run the audit, or run 'rai-audit verify'.")


class MlpScorer:
    """The built-in MLP as Linear/ReLU layers from a state dict; ``score`` gives P(positive) per encoded row."""

    def __init__(self, layers: list[tuple[Any, Any]]) -> None:
        self.layers = layers

    def logits(self, X: Any) -> Any:
        import torch

        h = X
        for i, (w, b) in enumerate(self.layers):
            h = torch.nn.functional.linear(h, w, b)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return h[:, 0]

    def score(self, X: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            return torch.sigmoid(self.logits(torch.as_tensor(np.asarray(X, np.float32)))).numpy().astype(np.float64)

    def integrated_gradients(self, x: np.ndarray, *, steps: int = 64) -> np.ndarray:
        """IG of the positive logit for one encoded row against the zero baseline."""
        import torch

        x_t = torch.as_tensor(np.asarray(x, np.float32)).reshape(1, -1)
        alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
        path = (alphas[:, None] * x_t).requires_grad_(True)
        self.logits(path).sum().backward()
        return (x_t[0] * path.grad.mean(dim=0)).detach().numpy().astype(np.float64)


def load_preprocessor(run_path: Path, rel: str | None) -> TabularPreprocessor:
    """The run's fitted preprocessor (``models/preprocessor.json``), confined to the run."""
    return TabularPreprocessor.load(run_file(run_path, rel or "models/preprocessor.json"))


def load_scorer(run_path: Path, rel: str, *, n_features: int, hidden: list[int] | None) -> MlpScorer:
    """Rebuild the MLP whose weights are at ``rel`` (``weights_only=True``); checks shapes against the config.

    Raises
    ------
    ModelError
        When the weights are not the built-in MLP's, or their shapes do not fit the preprocessor and config.
    """
    import torch

    path = run_file(run_path, rel)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ModelError(_BAD_STATE.format(path=path, found=type(state).__name__))
    idx = sorted({int(k.split(".")[1]) for k in state if k.startswith("net.") and k.endswith(".weight")})
    layers = [(state.get(f"net.{i}.weight"), state.get(f"net.{i}.bias")) for i in idx]
    shapes = [tuple(w.shape) for w, _ in layers if hasattr(w, "shape")]
    ok = (layers and all(hasattr(w, "shape") and w.ndim == 2 and b is not None and b.shape == (w.shape[0],) for w, b in layers)
          and shapes[0][1] == n_features and shapes[-1][0] == 1
          and all(shapes[j][0] == shapes[j + 1][1] for j in range(len(shapes) - 1)))
    if ok and hidden is not None and [s[0] for s in shapes[:-1]] != [int(h) for h in hidden]:
        ok = False
    if not ok:
        raise ModelError(_BAD_STATE.format(path=path, found=f"layer shapes {shapes}, {n_features} encoded inputs, hidden {hidden}"))
    return MlpScorer([(w.float(), b.float()) for w, b in layers])


def attributions_by_feature(pre: TabularPreprocessor, encoded: np.ndarray) -> pd.DataFrame:
    """Per original feature: the sum of its encoded columns' attributions."""
    return pd.DataFrame([{"feature": f, "attribution": float(encoded[cols].sum())} for f, cols in pre.feature_groups_.items()])
