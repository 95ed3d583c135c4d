"""The shared base of every attribution method: input checks, targets, baselines.

Each method lives in its own module and implements only ``_attribute`` on
normalised tensors; :class:`Explainer` validates inputs, targets and baselines,
runs the method with the model in eval mode, refuses NaN results and returns a
NumPy array in the caller's shape, as Captum's base classes do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from audit.choices import IMAGE_METHODS, TABULAR_METHODS
from audit.exceptions import ExplainError, ModelError
from audit.explain._aggregate import aggregate_groups, check_feature_groups
from audit.models import check_output_shape, positive_logit

__all__ = ["Explainer", "EXPLAINERS", "TABULAR_METHODS", "IMAGE_METHODS", "check_feature_groups", "make_explainer", "register"]

_UNKNOWN_METHOD = (
    "Unknown attribution method {name!r}. Expected one of: {valid}. "
    "Fix: pick one of these names (e.g. in the config's [explain] method)."
)
_BAD_TARGET = (
    "Target {target} is out of range: the model returns {width} output(s) per row, so valid "
    "targets are 0..{last}. Fix: pass a class index below {width}, or target=None for a binary "
    "classifier's positive logit."
)
_TARGET_NEEDS_2D = (
    "A class target was given, but the model's output has shape {shape}: expected (n, n_classes). "
    "Fix: pass target=None to explain a binary model's positive logit."
)
_TARGET_LENGTH = (
    "Got {found} per-row targets for {n} rows; expected one target per row or a single integer. "
    "Fix: pass one class index per row."
)
_NOT_BINARY = (
    "target=None explains a binary classifier's positive logit, but {detail} "
    "Fix: pass target=<class index> (or one index per row) for a multi-class model."
)
_BAD_INPUT_SHAPE = (
    "The inputs to explain have shape {shape}; expected at least 2 dimensions with rows first "
    "(n_rows, n_features) or (n_rows, channels, height, width), and at least one row. "
    "Fix: pass a batch, e.g. X[None] for a single row."
)
_NAN_INPUT = (
    "The inputs to explain contain {count} NaN or infinite value(s) (first in row {row}); "
    "expected finite encoded features. Fix: impute missing values in preprocessing before explaining."
)
_BAD_BASELINE = (
    "The baseline has shape {shape}; expected {row} (one reference input), (1, {row_list}) or "
    "(k, {row_list}) for k reference inputs. Fix: build the baseline from training rows encoded "
    "like the inputs, e.g. X_train.mean(axis=0)."
)
_NAN_BASELINE = (
    "The baseline contains {count} NaN or infinite value(s); expected finite values. "
    "Fix: compute it from imputed, encoded training rows."
)
_NAN_ATTRIBUTIONS = (
    "{method} produced {count} NaN or infinite attribution(s) out of {total} (first in row {row}); "
    "expected finite values. This means the model returns NaN/inf for these rows or somewhere "
    "between them and the baseline (e.g. log, sqrt or division without clamping). "
    "Fix: check the model's outputs on these rows, or use method=\"feature_ablation\"."
)
_NOT_DIFFERENTIABLE = (
    "{method} needs gradients, but {why} The model uses a non-differentiable operation "
    "(e.g. round, argmax, a comparison, .detach(), .numpy() or torch.no_grad inside forward). "
    "Fix: use method=\"feature_ablation\" (or \"permutation\"), which needs only forward passes."
)

EXPLAINERS: dict[str, type[Explainer]] = {}
# TABULAR_METHODS (in the order the config lists them) and IMAGE_METHODS come from audit.choices;
# check_feature_groups lives in _aggregate, beside aggregate_groups which needs it. Both stay importable from here.


def register(cls: type[Explainer]) -> type[Explainer]:
    """Class decorator adding an explainer to :data:`EXPLAINERS` under ``cls.name``."""
    EXPLAINERS[cls.name] = cls
    return cls


def make_explainer(name: str, model: nn.Module, **options: Any) -> Explainer:
    """Build the explainer registered under ``name``.

    Parameters
    ----------
    name : str
        One of :data:`EXPLAINERS` (e.g. ``"integrated_gradients"``).
    model : nn.Module
        The model to explain.
    **options
        Keyword options of that explainer (``target``, ``feature_groups``, ...).

    Examples
    --------
    >>> from audit.models import MLP
    >>> make_explainer("integrated_gradients", MLP(3, hidden=(4,))).name
    'integrated_gradients'
    """
    if name not in EXPLAINERS:
        raise ExplainError(_UNKNOWN_METHOD.format(name=name, valid=", ".join(sorted(EXPLAINERS))))
    return EXPLAINERS[name](model, **options)


def _unwrap(model: nn.Module) -> nn.Module:
    # Opacus wraps private models in GradSampleModule, whose hooks would record
    # per-sample gradients on every explanation backward pass: explain the inner model.
    inner = getattr(model, "_module", None)
    if type(model).__name__ in {"GradSampleModule", "DPDDP"} and isinstance(inner, nn.Module):
        return _unwrap(inner)
    return model


class Explainer:
    """Base class: attribute a model's output for a batch of inputs to the input features.

    Subclasses set :attr:`name` and implement ``_attribute(X, baselines, target)``
    on validated tensors: ``X`` of shape ``(n, *row)``, ``baselines`` of shape
    ``(k, *row)`` and ``target`` either ``None`` (a binary model's positive
    logit) or a long tensor of one class index per row.

    Parameters
    ----------
    model : nn.Module
        The model. It is put in eval mode while explaining and restored after.
    target : int or sequence of int, optional
        The output to explain: ``None`` for a binary classifier's positive
        logit (see :func:`audit.models.positive_logit`), else a class index
        (or one per row) into a ``(n, n_classes)`` output.
    feature_groups : dict of str to list of int, optional
        Original feature -> encoded columns. Methods that perturb whole
        features (ablation, permutation) perturb each group together and
        spread its attribution evenly over its columns, so summing a group
        gives the feature's attribution for every method.
    """

    name: ClassVar[str] = "base"
    #: Whether the method back-propagates (and so needs a differentiable model).
    needs_gradients: ClassVar[bool] = False
    #: Whether attributions sum to f(x) - f(baseline), so the convergence delta is meaningful.
    completeness: ClassVar[bool] = False
    #: Whether the method uses the baseline at all (permutation does not).
    uses_baseline: ClassVar[bool] = True
    #: Whether attributions are global (input-scaled, like IG) rather than local (like gradients):
    #: decides how Captum's infidelity expresses a perturbation.
    multiplies_by_inputs: ClassVar[bool] = True

    def __init__(
        self,
        model: nn.Module,
        *,
        target: int | Sequence[int] | np.ndarray | torch.Tensor | None = None,
        feature_groups: Mapping[str, Sequence[int]] | None = None,
        **options: Any,
    ) -> None:
        self.model = _unwrap(model)
        self.target = target
        self.feature_groups = None if feature_groups is None else {str(k): [int(i) for i in v] for k, v in feature_groups.items()}
        self.options = dict(options)

    # ----------------------------------------------------------------- public
    def with_model(self, model: nn.Module) -> Explainer:
        """The same explainer, same options, on another model (used by the randomisation test)."""
        return type(self)(model, target=self.target, feature_groups=self.feature_groups, **self.options)

    def attribute(
        self,
        X: np.ndarray | torch.Tensor,
        *,
        baselines: np.ndarray | torch.Tensor | float | None = None,
        seed: int = 0,
    ) -> np.ndarray:
        """Attributions of the target output to each input column, shape ``X.shape``.

        Parameters
        ----------
        X : array of shape (n, ...)
            Inputs as the model takes them (encoded, float).
        baselines : array, optional
            One reference input shaped like a row (or ``(1, ...)``), or ``k``
            reference inputs ``(k, ...)`` whose attributions are averaged.
            Defaults to zeros.
        seed : int
            Seeds the sampling methods (GradientShap, permutation).

        Returns
        -------
        numpy.ndarray of float32, the shape of ``X``.

        Examples
        --------
        >>> from audit.models import MLP
        >>> from audit.explain import IntegratedGradients
        >>> ig = IntegratedGradients(MLP(3, hidden=(4,)))
        >>> ig.attribute(np.ones((2, 3), dtype=np.float32), baselines=np.zeros(3)).shape
        (2, 3)
        """
        X_t = self._inputs(X)
        B_t = self._baselines(baselines, X_t)
        target = self._target(X_t)
        with _eval_mode(self.model), _seeded(seed):
            if self.needs_gradients:
                self._check_differentiable(X_t, target)
            with torch.enable_grad():
                attr = self._attribute(X_t, B_t, target)
        out = attr.detach().to("cpu", torch.float32).numpy()
        self._check_finite(out)
        return out

    def attribute_groups(
        self,
        X: np.ndarray | torch.Tensor,
        *,
        baselines: np.ndarray | torch.Tensor | float | None = None,
        seed: int = 0,
    ) -> np.ndarray:
        """Attributions summed over each feature group, shape ``(n, n_groups)``.

        Examples
        --------
        >>> from audit.models import MLP
        >>> from audit.explain import FeatureAblation
        >>> fa = FeatureAblation(MLP(3, hidden=(4,)), feature_groups={"a": [0, 1], "b": [2]})
        >>> fa.attribute_groups(np.ones((2, 3), dtype=np.float32)).shape
        (2, 2)
        """
        if self.feature_groups is None:
            raise ExplainError("attribute_groups needs feature_groups; pass feature_groups={feature: [columns]} to the explainer.")
        return aggregate_groups(self.attribute(X, baselines=baselines, seed=seed), self.feature_groups)

    def forward_target(self, X: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """The explained output for each row, shape ``(n,)`` (gradients flow)."""
        return _select(self.model(X), target)

    @torch.no_grad()
    def score(self, X: np.ndarray | torch.Tensor) -> np.ndarray:
        """The explained output (e.g. positive logit) for each row, float64."""
        X_t = self._inputs(X)
        target = self._target(X_t)
        with _eval_mode(self.model):
            out = [self.forward_target(X_t[s : s + 8192], None if target is None else target[s : s + 8192])
                   for s in range(0, len(X_t), 8192)]
        return torch.cat(out).double().cpu().numpy()

    # ------------------------------------------------------------ subclasses
    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def _forward_fn(self, target: torch.Tensor | None) -> tuple[nn.Module, torch.Tensor | None]:
        """A forward function for Captum plus the target to pass it."""
        if target is None:
            return _PositiveLogit(self.model), None
        return self.model, target

    # ------------------------------------------------------------ validation
    def _device(self) -> torch.device:
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def _inputs(self, X: np.ndarray | torch.Tensor) -> torch.Tensor:
        X_t = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).detach()
        if X_t.ndim < 2 or X_t.shape[0] == 0:
            raise ExplainError(_BAD_INPUT_SHAPE.format(shape=tuple(X_t.shape)))
        X_t = X_t.to(self._device(), torch.float32)
        bad = ~torch.isfinite(X_t)
        if bad.any():
            row = int(bad.reshape(len(X_t), -1).any(1).nonzero()[0, 0])
            raise ExplainError(_NAN_INPUT.format(count=int(bad.sum()), row=row))
        return X_t

    def _baselines(self, baselines: Any, X: torch.Tensor) -> torch.Tensor:
        row = tuple(X.shape[1:])
        if baselines is None:
            return torch.zeros((1, *row), device=X.device)
        if isinstance(baselines, (int, float)):
            return torch.full((1, *row), float(baselines), device=X.device)
        B = torch.as_tensor(np.asarray(baselines) if not isinstance(baselines, torch.Tensor) else baselines).detach()
        B = B.to(X.device, torch.float32)
        if tuple(B.shape) == row:
            B = B.unsqueeze(0)
        if B.ndim != len(row) + 1 or tuple(B.shape[1:]) != row or B.shape[0] == 0:
            row_list = ", ".join(str(r) for r in row)
            raise ExplainError(_BAD_BASELINE.format(shape=tuple(B.shape), row=row, row_list=row_list))
        bad = ~torch.isfinite(B)
        if bad.any():
            raise ExplainError(_NAN_BASELINE.format(count=int(bad.sum())))
        return B

    def _target(self, X: torch.Tensor) -> torch.Tensor | None:
        with torch.no_grad(), _eval_mode(self.model):
            out = self.model(X[:2])
        n = min(2, len(X))
        if self.target is None:
            try:
                check_output_shape(out, n)
            except ModelError as exc:
                raise ExplainError(_NOT_BINARY.format(detail=str(exc))) from None
            return None
        if out.ndim != 2:
            raise ExplainError(_TARGET_NEEDS_2D.format(shape=tuple(out.shape)))
        width = int(out.shape[1])
        t = torch.as_tensor(np.asarray(self.target) if not isinstance(self.target, torch.Tensor) else self.target)
        if t.ndim == 0:
            t = t.reshape(1).expand(len(X))
        if t.ndim != 1 or len(t) != len(X):
            raise ExplainError(_TARGET_LENGTH.format(found=int(t.numel()), n=len(X)))
        if t.dtype.is_floating_point and not torch.equal(t, t.round()):
            raise ExplainError(_BAD_TARGET.format(target=t.tolist()[:5], width=width, last=width - 1))
        t = t.long()
        bad = (t < 0) | (t >= width)
        if bad.any():
            raise ExplainError(_BAD_TARGET.format(target=int(t[bad][0]), width=width, last=width - 1))
        return t.to(X.device)

    def _check_differentiable(self, X: torch.Tensor, target: torch.Tensor | None) -> None:
        probe = X[:64].clone().requires_grad_(True)
        with torch.enable_grad():
            out = self.forward_target(probe, None if target is None else target[:64])
            if not out.requires_grad:
                raise ExplainError(_NOT_DIFFERENTIABLE.format(
                    method=self.name, why="the model's output does not depend differentiably on its inputs (no grad_fn)."))
            (grad,) = torch.autograd.grad(out.sum(), probe, allow_unused=True)
        # Zero gradient everywhere while the output varies between rows is the
        # signature of a step function (round, comparisons): IG would be all zeros.
        varies = out.detach().max() - out.detach().min() > 1e-6
        if (grad is None or not grad.abs().any()) and bool(varies):
            raise ExplainError(_NOT_DIFFERENTIABLE.format(
                method=self.name, why="the gradient of the output is zero for every probed row although the output varies between rows."))

    def _check_finite(self, attr: np.ndarray) -> None:
        bad = ~np.isfinite(attr)
        if bad.any():
            row = int(np.nonzero(bad.reshape(len(attr), -1).any(axis=1))[0][0])
            raise ExplainError(_NAN_ATTRIBUTIONS.format(method=self.name, count=int(bad.sum()), total=attr.size, row=row))


class _PositiveLogit(nn.Module):
    """Wraps a binary model so its forward returns the positive logit, shape (n,).

    A module (not a lambda) because DeepLift and Occlusion need an ``nn.Module``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return positive_logit(self.model(x))


def _select(output: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    if target is None:
        return positive_logit(output)
    return output.gather(1, target.view(-1, 1)).squeeze(1)


class _eval_mode:
    """Context manager: model.eval() inside, the previous mode restored after."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.was_training = self.model.training
        self.model.eval()

    def __exit__(self, *exc: object) -> None:
        self.model.train(self.was_training)


class _seeded:
    """Seed torch and NumPy's global RNGs inside (Captum samples from both), restore after."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __enter__(self) -> None:
        self._np_state = np.random.get_state()
        self._torch_state = torch.random.get_rng_state()
        torch.manual_seed(self.seed)
        np.random.seed(self.seed % 2**32)

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self._np_state)
        torch.random.set_rng_state(self._torch_state)


def reinitialised_copy(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A deep copy of ``model`` with every parameter re-initialised (randomisation test).

    Modules with ``reset_parameters`` are reset with their own initialiser;
    parameters of other modules are shuffled, keeping their distribution but
    destroying what training learned.
    """
    clone = copy.deepcopy(_unwrap(model))
    gen = torch.Generator().manual_seed(int(seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        reset: set[int] = set()
        for module in clone.modules():
            if hasattr(module, "reset_parameters") and callable(module.reset_parameters):
                module.reset_parameters()
                reset.update(id(p) for p in module.parameters(recurse=False))
        with torch.no_grad():
            for p in clone.parameters():
                if id(p) not in reset:
                    flat = p.reshape(-1)
                    p.copy_(flat[torch.randperm(flat.numel(), generator=gen)].reshape(p.shape))
    return clone
