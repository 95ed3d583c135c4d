"""Disparity intervals that reach parity when the groups are equal.

A disparity is a max/min over group estimates (``max - min``, ``min / max``, or
the largest gap to the overall rate), so it is biased away from parity, and its
bootstrap replicates more so: a plain percentile interval excludes parity
almost always when the groups are in fact equal. Three intervals are combined:

* the percentile interval ``[q_lo, q_hi]``, right far from parity;
* the basic (reverse-percentile) interval ``[2θ̂ - q_hi, 2θ̂ - q_lo]``, which
  removes the first-order bias, right near parity with few groups;
* the "box" bound from simultaneous intervals of the group rates (max-t
  bootstrap): if every group rate lies in its interval, a between-group
  difference is at least ``max L - min U`` and a ratio at most ``min U / max L``;
  right at parity with many groups, where the bias grows with the number of groups.

The reported interval is the union of the first two, clipped to [0, 1] and
containing the estimate, extended to parity (0 for a difference, 1 for a ratio)
when the simultaneous group intervals are consistent with parity (for ``*_to_overall``:
when every group's simultaneous interval around the overall rate reaches it; ``*_mean``
disparities are at parity exactly when the metrics they average are). Away from
parity the box would only widen the interval, so it is not used there. Coverage measured by
simulation is in docs/fairness.md and tested in tests/audit/fairness/test_bootstrap.py.
"""

from __future__ import annotations

import numpy as np

from audit.fairness._bootstrap import disparity_interval
from audit.fairness._metrics import NAMED_DISPARITIES
from audit.fairness._simultaneous import group_boxes

__all__ = ["DISPARITY_CI_METHOD", "disparity_intervals"]

DISPARITY_CI_METHOD = (
    "union of the percentile and basic bootstrap intervals, extended on the parity side by the bound "
    "implied by simultaneous (max-t) intervals of the group rates; clipped to [0, 1]"
)


def _parity_bound(name: str, box: dict[str, dict[str, float]]) -> tuple[str, float] | None:
    """('lower'|'upper', bound) on the parity side of disparity ``name``, or None if not covered.

    Only whether the bound reaches parity is used. A ``*_mean`` disparity is at parity exactly when
    every metric it averages is, and a ``*_ratio_to_overall`` exactly when every group equals the
    overall rate, so both share the box of their max-based / difference counterparts.
    """
    to_overall = name.endswith("_to_overall")
    stem = name.removesuffix("_to_overall").removesuffix("_mean")
    for suffix, kind in (("_difference", "difference"), ("_ratio", "ratio")):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        return None
    metrics = ["tpr", "fpr"] if stem == "equalized_odds" else [NAMED_DISPARITIES.get(stem, stem)]
    values = [box.get(m, {}).get("difference_to_overall" if to_overall else kind) for m in metrics]
    if any(v is None for v in values):
        return None
    if to_overall:
        gap = max(values)  # every group's interval around the overall rate reaches it when gap == 0
        return ("lower", gap) if kind == "difference" else ("upper", 1.0 if gap == 0.0 else 0.0)
    side = "upper" if kind == "ratio" else "lower"
    # equalized odds is the worse of TPR and FPR: max of differences, min of ratios
    return side, (max(values) if kind != "ratio" else min(values))


def disparity_intervals(
    samples: dict[str, np.ndarray],
    estimates: dict[str, float],
    *,
    group_samples: dict[str, np.ndarray],
    group_estimates: dict[str, np.ndarray],
    overall_samples: dict[str, np.ndarray] | None = None,
    overall_estimates: dict[str, float] | None = None,
    level: float,
    boxes: dict[str, dict[str, float]] | None = None,
) -> dict[str, tuple[float, float]]:
    """Interval of every disparity of one grouping (see the module docstring).

    Parameters
    ----------
    samples, estimates : dict
        Bootstrap replicates (B,) and point estimate of each disparity.
    group_samples, group_estimates : dict
        Replicates (B, G) and estimates (G,) of each group rate metric.
    overall_samples, overall_estimates : dict, optional
        Replicates (B,) and estimate of each overall rate metric; needed only for the
        ``*_to_overall`` disparities.
    level : float
        Confidence level.
    boxes : dict, optional
        The box bounds of :func:`~audit.fairness._simultaneous.group_boxes`, when already computed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> groups = 0.3 + 0.02 * rng.standard_normal((500, 5))      # five equal groups
    >>> diffs = groups.max(1) - groups.min(1)
    >>> out = disparity_intervals({"selection_rate_difference": diffs}, {"selection_rate_difference": 0.04},
    ...     group_samples={"selection_rate": groups}, group_estimates={"selection_rate": np.full(5, 0.3)},
    ...     overall_samples={"selection_rate": groups.mean(1)}, overall_estimates={"selection_rate": 0.3}, level=0.95)
    >>> out["selection_rate_difference"][0]  # reaches parity
    0.0
    """
    box = boxes if boxes is not None else group_boxes(group_samples, group_estimates, overall_samples,
                                                      overall_estimates, level=level)[0]
    out = {}
    for name, reps in samples.items():
        est = float(estimates[name])
        if not np.isfinite(est):
            out[name] = (np.nan, np.nan)
            continue
        lo, hi = (float(v) for v in disparity_interval(reps, est, level, bounds=(0.0, 1.0)))
        parity = _parity_bound(name, box)
        # Only a bound that reaches parity is used: away from it the box is wider than needed.
        if parity == ("lower", 0.0):
            lo = 0.0
        elif parity == ("upper", 1.0):
            hi = 1.0
        out[name] = (lo, hi)
    return out
