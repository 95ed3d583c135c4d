"""Checks that say whether an explanation can be believed.

- completeness (convergence delta) for methods whose attributions should sum
  to ``f(x) - f(baseline)``;
- Captum's ``infidelity`` and ``sensitivity_max``;
- a deletion curve: remove the top-k features (set them to the baseline) and
  measure how far the prediction moves, against random orders;
- the model-parameter randomisation test of Adebayo et al. (2018): an
  explanation that barely changes when the model's weights are re-initialised
  does not explain the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from audit.explain._aggregate import aggregate_groups
from audit.explain._base import Explainer, _eval_mode, reinitialised_copy

__all__ = [
    "convergence_delta",
    "convergence_summary",
    "infidelity_score",
    "sensitivity_score",
    "deletion_curve",
    "randomization_test",
    "rowwise_spearman",
]

#: Mean |convergence delta| (in units of the explained output) above which a warning is raised.
DEFAULT_DELTA_TOLERANCE = 0.05
#: Mean rank correlation with a re-initialised model at or above which a method is flagged.
DEFAULT_RANDOMIZATION_THRESHOLD = 0.5

_DELTA_WARNING = (
    "{method}: attributions miss the completeness check by {mean:.3g} on average (max {max:.3g}) in "
    "units of the explained output; expected under {tol:g}. The path integral is under-resolved: "
    "raise n_steps or check for saturating or non-smooth layers."
)


def _flat(X: torch.Tensor) -> torch.Tensor:
    return X.reshape(len(X), -1)


def _groups_for(X: torch.Tensor, feature_groups: Mapping[str, Sequence[int]] | None) -> dict[str, list[int]]:
    if feature_groups is not None:
        return {str(k): [int(i) for i in v] for k, v in feature_groups.items()}
    return {str(i): [i] for i in range(_flat(X).shape[1])}


def _scores(explainer: Explainer, X: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """The explained output for each row, in batches, without gradients."""
    with torch.no_grad(), _eval_mode(explainer.model):
        return torch.cat([
            explainer.forward_target(X[s : s + 8192], None if target is None else target[s : s + 8192])
            for s in range(0, len(X), 8192)
        ])


def _probabilities(explainer: Explainer, X: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """The explained class's probability: sigmoid of the positive logit, or softmax of the target class."""
    with torch.no_grad(), _eval_mode(explainer.model):
        parts = []
        for s in range(0, len(X), 8192):
            out = explainer.model(X[s : s + 8192])
            if target is None:
                parts.append(torch.sigmoid(explainer.forward_target(X[s : s + 8192], None)) if out.ndim == 1 or out.shape[1] != 2
                             else torch.softmax(out, dim=1)[:, 1])
            else:
                parts.append(torch.softmax(out, dim=1).gather(1, target[s : s + 8192].view(-1, 1)).squeeze(1))
        return torch.cat(parts)


def _outputs(explainer: Explainer, X: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """The explained output itself (a regression's prediction)."""
    with torch.no_grad(), _eval_mode(explainer.model):
        return torch.cat([explainer.forward_target(X[s : s + 8192], None if target is None else target[s : s + 8192])
                          for s in range(0, len(X), 8192)])


def convergence_delta(explainer: Explainer, X: np.ndarray, attributions: np.ndarray, *, baselines: Any) -> np.ndarray:
    """Per row: sum of attributions minus ``f(x) - mean_k f(b_k)`` (Captum's completeness delta).

    Examples
    --------
    >>> from torch import nn
    >>> from audit.explain import IntegratedGradients
    >>> ig = IntegratedGradients(nn.Linear(3, 1))  # linear: IG is exact, delta ~ 0
    >>> X = np.ones((2, 3), dtype=np.float32)
    >>> d = convergence_delta(ig, X, ig.attribute(X, baselines=np.zeros(3)), baselines=np.zeros(3))
    >>> bool(np.abs(d).max() < 1e-3)
    True
    """
    X_t = explainer._inputs(X)
    B_t = explainer._baselines(baselines, X_t)
    target = explainer._target(X_t)
    fx = _scores(explainer, X_t, target).double()
    if target is None:
        fb = _scores(explainer, B_t, None).double().mean()
    else:
        # One baseline score per row's target class, averaged over the baselines.
        fb = torch.stack([_scores(explainer, b.unsqueeze(0).expand_as(X_t), target).double() for b in B_t]).mean(0)
    total = torch.as_tensor(np.asarray(attributions, dtype=np.float64)).reshape(len(X_t), -1).sum(1)
    return (total - (fx.cpu() - fb.cpu())).numpy()


def convergence_summary(delta: np.ndarray, *, tolerance: float = DEFAULT_DELTA_TOLERANCE, method: str = "") -> dict[str, Any]:
    """Mean and max |delta|, the tolerance and whether it was exceeded (on the mean)."""
    abs_d = np.abs(np.asarray(delta, dtype=np.float64))
    mean_abs = float(abs_d.mean()) if abs_d.size else 0.0
    max_abs = float(abs_d.max()) if abs_d.size else 0.0
    out: dict[str, Any] = {"mean_abs": mean_abs, "max_abs": max_abs, "tolerance": float(tolerance),
                           "warning": bool(mean_abs > tolerance)}
    if out["warning"]:
        out["message"] = _DELTA_WARNING.format(method=method or "attributions", mean=mean_abs, max=max_abs, tol=tolerance)
    return out


def infidelity_score(
    explainer: Explainer,
    X: np.ndarray | torch.Tensor,
    attributions: np.ndarray,
    *,
    baseline: Any,
    feature_groups: Mapping[str, Sequence[int]] | None = None,
    n_perturb_samples: int = 10,
    p_remove: float = 0.3,
    seed: int = 0,
) -> float:
    """Mean Captum ``infidelity`` under removal perturbations of whole features.

    Each perturbation removes a random subset of features (each with
    probability ``p_remove``), setting their columns to the baseline. Following
    Captum's convention for attributions that multiply by inputs (IG, DeepLift,
    ablation), the perturbation passed to Captum is the 0/1 removal mask (for
    gradient-like methods such as saliency, the input change itself), so
    ``I . attr`` is the attribution of the removed features and infidelity is
    the mean squared gap between that and the true output change
    ``f(x) - f(x_removed)``. Units: squared explained output.

    Examples
    --------
    >>> from audit.models import MLP
    >>> from audit.explain import FeatureAblation
    >>> fa = FeatureAblation(MLP(3, hidden=(4,)))
    >>> X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    >>> infidelity_score(fa, X, fa.attribute(X), baseline=np.zeros(3)) >= 0
    True
    """
    from captum.metrics import infidelity

    X_t = explainer._inputs(X)
    b = explainer._baselines(baseline, X_t)[:1]
    target = explainer._target(X_t)
    groups = list(_groups_for(X_t, feature_groups).values())
    gen = torch.Generator().manual_seed(int(seed))
    flat_shape = _flat(X_t).shape[1]

    def perturb(inputs: torch.Tensor, baselines: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keep = torch.rand((len(inputs), len(groups)), generator=gen) < p_remove
        mask = torch.zeros((len(inputs), flat_shape), dtype=inputs.dtype)
        for g, cols in enumerate(groups):
            mask[:, cols] = keep[:, g : g + 1].to(inputs.dtype)
        mask = mask.view_as(inputs).to(inputs.device)
        removed = mask * (inputs - baselines)
        # Captum's convention: global attributions pair with the 0/1 mask, local ones
        # (gradients) with the actual input change.
        return (mask if explainer.multiplies_by_inputs else removed), inputs - removed

    forward, captum_target = explainer._forward_fn(target)
    attr_t = torch.as_tensor(np.asarray(attributions, dtype=np.float32)).to(X_t.device).view_as(X_t)
    with _eval_mode(explainer.model):
        values = infidelity(forward, perturb, X_t, attr_t, baselines=b.expand_as(X_t), target=captum_target,
                            n_perturb_samples=n_perturb_samples)
    return float(values.double().mean())


def sensitivity_score(
    explainer: Explainer,
    X: np.ndarray | torch.Tensor,
    *,
    baselines: Any,
    feature_groups: Mapping[str, Sequence[int]] | None = None,
    perturb_radius: float = 0.02,
    n_perturb_samples: int = 5,
    seed: int = 0,
) -> float:
    """Mean over rows of Captum's ``sensitivity_max``: the largest relative change of the
    (feature-level) explanation under input noise of L-inf radius ``perturb_radius``.

    Examples
    --------
    >>> from audit.models import MLP
    >>> from audit.explain import IntegratedGradients
    >>> ig = IntegratedGradients(MLP(3, hidden=(4,)))
    >>> X = np.ones((2, 3), dtype=np.float32)
    >>> sensitivity_score(ig, X, baselines=np.zeros(3)) >= 0
    True
    """
    from captum.metrics import sensitivity_max

    X_t = explainer._inputs(X)
    target = explainer._target(X_t)

    def explain(inputs: torch.Tensor | tuple[torch.Tensor]) -> torch.Tensor | tuple[torch.Tensor]:
        # Captum calls this on the rows, then on n_perturb_samples noisy copies of each
        # row (repeat_interleave order): per-row class targets are repeated to match.
        # Captum passes its formatted tuple on the first call and expects a tuple back.
        as_tuple = isinstance(inputs, tuple)
        if isinstance(inputs, tuple):
            (inputs,) = inputs
        exp = explainer
        if target is not None:
            exp = explainer.with_model(explainer.model)
            exp.target = torch.repeat_interleave(target.cpu(), len(inputs) // len(X_t))
        attr = exp.attribute(inputs, baselines=baselines, seed=seed)
        if feature_groups is not None:
            attr = aggregate_groups(attr, feature_groups)
        out = torch.from_numpy(attr.reshape(len(attr), -1))
        return (out,) if as_tuple else out

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        values = sensitivity_max(explain, X_t, perturb_radius=perturb_radius, n_perturb_samples=n_perturb_samples)
    return float(values.double().mean())


def _k_grid(n_features: int, max_points: int = 21) -> list[int]:
    if n_features + 1 <= max_points:
        return list(range(n_features + 1))
    return sorted({int(round(v)) for v in np.linspace(0, n_features, max_points)})


def deletion_curve(
    explainer: Explainer,
    X: np.ndarray | torch.Tensor,
    grouped_attributions: np.ndarray,
    *,
    baseline: Any,
    feature_groups: Mapping[str, Sequence[int]] | None = None,
    n_random: int = 5,
    seed: int = 0,
    output: str = "probability",
) -> dict[str, Any]:
    """Mean |change in the explained class's probability| after removing the top-k features.

    ``output = "value"`` measures the change of the explained output itself (a regression's
    prediction), which no probability describes.

    Features are removed (their columns set to the baseline) in order of
    decreasing |attribution| ("top") and in random orders ("random", averaged
    over ``n_random`` orders). A faithful explanation moves the prediction
    sooner: "top" lies above "random", and its area is larger.

    Returns
    -------
    dict with ``k``, ``top``, ``random``, ``area_top``, ``area_random`` (mean over k)
    and ``top_beats_random``.

    Examples
    --------
    >>> from audit.models import MLP
    >>> from audit.explain import FeatureAblation
    >>> fa = FeatureAblation(MLP(3, hidden=(4,)))
    >>> X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    >>> deletion_curve(fa, X, fa.attribute(X), baseline=np.zeros(3))["k"]
    [0, 1, 2, 3]
    """
    X_t = explainer._inputs(X)
    b = explainer._baselines(baseline, X_t)[:1]
    target = explainer._target(X_t)
    groups = list(_groups_for(X_t, feature_groups).values())
    n, G = len(X_t), len(groups)
    A = np.abs(np.asarray(grouped_attributions, dtype=np.float64)).reshape(n, -1)
    if A.shape[1] != G:
        A = np.abs(aggregate_groups(np.asarray(grouped_attributions).reshape(n, -1),
                                    {str(g): cols for g, cols in enumerate(groups)}))
    ks = _k_grid(G)
    # One column-membership matrix: a row's removal mask is its chosen groups times this.
    member = torch.zeros((G, _flat(X_t).shape[1]))
    for g, cols in enumerate(groups):
        member[g, cols] = 1.0
    base_flat = _flat(b)
    x_flat = _flat(X_t)
    measure = _probabilities if output == "probability" else _outputs
    p0 = measure(explainer, X_t, target)
    rng = np.random.default_rng(seed)
    orders = {"top": [np.argsort(-A, axis=1, kind="stable")]}
    orders["random"] = [np.argsort(rng.random((n, G)), axis=1) for _ in range(n_random)]
    out: dict[str, Any] = {"k": ks}
    for kind, order_list in orders.items():
        curves = []
        for order in order_list:
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(G)[None, :].repeat(n, 0), axis=1)
            rank_t = torch.as_tensor(rank)
            batch = []
            for k in ks:
                removed = (rank_t < k).float() @ member  # (n, columns) 0/1
                batch.append(x_flat - removed * (x_flat - base_flat))
            Xk = torch.cat(batch).view(len(ks) * n, *X_t.shape[1:])
            tk = None if target is None else target.repeat(len(ks))
            pk = measure(explainer, Xk, tk).view(len(ks), n)
            curves.append((pk - p0.unsqueeze(0)).abs().mean(1).double().cpu().numpy())
        out[kind] = [float(v) for v in np.mean(curves, axis=0)]
    out["area_top"] = float(np.mean(out["top"]))
    out["area_random"] = float(np.mean(out["random"]))
    out["top_beats_random"] = bool(out["area_top"] > out["area_random"])
    what = "predicted probability" if output == "probability" else "prediction"
    out["metric"] = f"mean |change in {what}| after setting the top-k features to the baseline"
    return out


def rowwise_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rank correlation between ``a[i]`` and ``b[i]`` for each row (NaN where a row is constant).

    Examples
    --------
    >>> rowwise_spearman(np.array([[1, 2, 3]]), np.array([[10, 20, 30]]))
    array([1.])
    """
    from scipy.stats import rankdata

    ra = rankdata(np.asarray(a, dtype=np.float64), axis=1)
    rb = rankdata(np.asarray(b, dtype=np.float64), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (ra * rb).sum(1) / np.where(denom > 0, denom, 1.0), np.nan)


def randomization_test(
    explainer: Explainer,
    X: np.ndarray | torch.Tensor,
    *,
    baselines: Any = None,
    feature_groups: Mapping[str, Sequence[int]] | None = None,
    reference: np.ndarray | None = None,
    threshold: float = DEFAULT_RANDOMIZATION_THRESHOLD,
    n_models: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Model-parameter randomisation test (Adebayo et al. 2018).

    Attributions of the trained model and of ``n_models`` copies with all
    parameters re-initialised are compared per row by the Spearman correlation
    of their absolute values (per feature group); the mean over rows and
    models is reported. The method is flagged when it stays at or above
    ``threshold``: the explanation then reflects the input more than the model.

    Examples
    --------
    >>> from audit.models import MLP
    >>> from audit.explain import IntegratedGradients
    >>> X = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32)
    >>> r = randomization_test(IntegratedGradients(MLP(5, hidden=(8,))), X)
    >>> sorted(r)
    ['flagged', 'n_models', 'n_rows', 'spearman', 'threshold']
    """
    def feature_level(attr: np.ndarray) -> np.ndarray:
        attr = attr.reshape(len(attr), -1) if feature_groups is None else aggregate_groups(attr, feature_groups)
        return np.abs(attr)

    if reference is None:
        reference = explainer.attribute(X, baselines=baselines, seed=seed)
    ref = feature_level(np.asarray(reference))
    rhos = []
    for i in range(n_models):
        random_model = reinitialised_copy(explainer.model, seed=seed + 1 + i)
        other = feature_level(explainer.with_model(random_model).attribute(X, baselines=baselines, seed=seed))
        rhos.append(rowwise_spearman(ref, other))
    rho = np.concatenate(rhos)
    spearman = float(np.nanmean(rho)) if np.isfinite(rho).any() else None
    return {
        "spearman": spearman,
        "threshold": float(threshold),
        "flagged": bool(spearman is not None and spearman >= threshold),
        "n_rows": int(len(ref)),
        "n_models": int(n_models),
    }
