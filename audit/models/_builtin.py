"""The built-in tabular model, torch only: what the audit trains and what the dashboard's What-if rebuilds.

:class:`MLP` is the model ``[model] kind = "mlp"`` builds; :func:`rebuild_mlp` rebuilds one from a
run's saved weights (read by the one safe loader, :func:`audit.models.read_weights`), its layer widths
taken from the weights themselves. Nothing here trains, so readers of a run (the dashboard) can import it.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "w.pt"
>>> torch.save(MLP(5, hidden=(4, 3)).state_dict(), path)
>>> rebuild_mlp(path, n_features=5).hidden
(4, 3)
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from audit.exceptions import ModelError
from audit.models._weights import _MISMATCH_FIX, _WEIGHTS_FIX, load_state, read_weights

__all__ = ["MLP", "rebuild_mlp"]

_SHAPES = ("{path}: the weights hold layers of shapes {held} (outputs, inputs), the model described needs {needed}; "
           "nothing was built. {fix}")
_NOT_MLP = ("{path}: the weights do not describe the built-in MLP (expected net.<i>.weight / net.<i>.bias pairs of Linear "
            "layers; found keys {keys}). {fix}")


class MLP(nn.Module):
    """The built-in tabular model: Linear-ReLU blocks ending in one logit (or one output per class).

    Parameters
    ----------
    n_features : int
        Number of encoded input columns.
    hidden : sequence of int
        Width of each hidden layer, e.g. ``(64, 32)``.
    dropout : float
        Dropout after each hidden layer (0 disables it).
    n_outputs : int
        Outputs: 1 (a binary logit or a regression value) or the number of classes.

    Examples
    --------
    >>> MLP(10, hidden=(8,))(torch.zeros(3, 10)).shape
    torch.Size([3, 1])
    """

    def __init__(self, n_features: int, hidden: tuple[int, ...] | list[int] = (64, 32), dropout: float = 0.0,
                 n_outputs: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = int(h)
        layers.append(nn.Linear(width, int(n_outputs)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        out: torch.Tensor = self.net(x)
        return out

    @property
    def hidden(self) -> tuple[int, ...]:
        """The width of each hidden layer."""
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        return tuple(m.out_features for m in linears[:-1])


def rebuild_mlp(path: str | Path, *, n_features: int, hidden: tuple[int, ...] | list[int] | None = None,
                n_outputs: int = 1, fix: str | None = None) -> MLP:
    """The built-in MLP whose state dict is at ``path``, rebuilt in eval mode and loaded safely.

    The weights are read by :func:`audit.models.read_weights` (``weights_only=True``, file checks) and must
    fit exactly an ``MLP(n_features, hidden, n_outputs=n_outputs)``; ``hidden`` defaults to the widths
    the weights hold, and dropout layers (which hold no weights and do nothing in eval mode) are put where
    the weights' layer numbering shows them. ``fix`` ends every message (by default, how to fix the
    config's ``model.weights``).

    Raises
    ------
    ModelError
        The weights are not the built-in MLP's, or do not fit ``n_features``, ``hidden`` or ``n_outputs``.
    UnsafeFileError
        The file holds a pickle payload; it is never executed.
    """
    state = read_weights(path, fix=fix or _WEIGHTS_FIX)
    layers = sorted({int(k.split(".")[1]) for k in state if k.startswith("net.") and k.split(".")[1].isdigit()})
    found = [state.get(f"net.{i}.weight") for i in layers]
    weights = [w for w in found if w is not None and w.ndim == 2]
    if not layers or len(weights) != len(found):
        raise ModelError(_NOT_MLP.format(path=path, keys=sorted(state)[:5], fix=fix or _WEIGHTS_FIX))
    widths = [int(w.shape[0]) for w in weights[:-1]]
    wanted = list(widths if hidden is None else hidden)
    held = [tuple(int(d) for d in w.shape) for w in weights]
    needed = list(zip([*wanted, n_outputs], [n_features, *wanted], strict=True))
    if held != needed:  # before building: a recorded width of 200,000 must not allocate a network the weights lack
        raise ModelError(_SHAPES.format(path=path, held=held, needed=needed, fix=fix or _MISMATCH_FIX))
    dropout = 0.5 if len(layers) > 1 and layers[1] - layers[0] == 3 else 0.0  # Linear, ReLU, Dropout per hidden layer
    model = MLP(n_features, hidden=tuple(widths if hidden is None else hidden), dropout=dropout, n_outputs=n_outputs)
    return load_state(model, state, Path(path), fix=fix or _MISMATCH_FIX).eval()
