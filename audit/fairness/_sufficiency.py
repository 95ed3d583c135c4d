"""Which groups have enough data for which metric, and which groups a disparity may rest on.

A group is *sufficient* for a metric when it has at least ``min_group_size`` rows and,
for a metric that divides by a subset of the rows, at least ``min_group_positives`` of
that subset (the metric's *denominator*, declared with the binary metric specifications,
:data:`audit.fairness._specs.BINARY_METRICS`; the test is the engine's,
:func:`audit.fairness._group_report.sufficient`):

========================  =================================================
metric                    denominator counted against ``min_group_positives``
========================  =================================================
tpr, fnr                  actual positives (TP + FN)
fpr, tnr                  actual negatives (TN + FP)
precision                 predicted positives (TP + FP)
balanced_accuracy         actual positives and actual negatives
roc_auc                   actual positives and actual negatives
selection_rate, accuracy, rows only
base_rate, ece
========================  =================================================

A disparity compares one metric (two for equalized odds: TPR and FPR) across groups;
the groups it may rest on are those sufficient for every metric it compares.
"""

from __future__ import annotations

import numpy as np

from audit.choices import DISPARITY_GROUPS
from audit.config import DEFAULT_MIN_GROUP_POSITIVES
from audit.fairness._counts import FN, FP, TN, TP
from audit.fairness._group_report import few_groups, sufficient
from audit.fairness._metrics import NAMED_DISPARITIES, RATE_METRICS
from audit.fairness._specs import BINARY_METRICS

__all__ = [
    "DEFAULT_MIN_GROUP_POSITIVES",
    "DISPARITY_GROUPS_MODES",
    "METRIC_DENOMINATORS",
    "denominator_counts",
    "disparity_metrics",
    "insufficient_for",
    "sufficient_mask",
]

# Defined with the config (one source for every default and allowed value); see audit.config for why 10.
DISPARITY_GROUPS_MODES = DISPARITY_GROUPS
"""``fairness_report(disparity_groups=...)``: which groups the gate-facing ``disparities`` use."""

METRIC_DENOMINATORS: dict[str, tuple[str, ...]] = {name: m.denominators for name, m in BINARY_METRICS.items()}
"""Metric -> the counts (besides rows) it divides by, each needing ``min_group_positives``."""

_DENOMINATOR_CELLS = {"positives": (TP, FN), "negatives": (TN, FP), "predicted_positives": (TP, FP)}
_DENOMINATOR_TEXT = {"positives": "actual positives", "negatives": "actual negatives",
                     "predicted_positives": "predicted positives"}


def denominator_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Rows and each denominator count per group from counts (..., G, 4).

    Examples
    --------
    >>> {k: v.tolist() for k, v in denominator_counts(np.array([[5, 1, 2, 3]])).items()}
    {'rows': [11], 'positives': [5], 'negatives': [6], 'predicted_positives': [4]}
    """
    c = np.asarray(counts, dtype=np.int64)
    out = {"rows": c.sum(axis=-1)}
    for name, cells in _DENOMINATOR_CELLS.items():
        out[name] = c[..., cells[0]] + c[..., cells[1]]
    return out


def sufficient_mask(den: dict[str, np.ndarray], metrics, *, min_group_size: int, min_group_positives: int) -> np.ndarray:
    """(G,) True where a group is sufficient for every metric in ``metrics``."""
    mask = sufficient(den["rows"], min_group_size=min_group_size)
    for m in metrics:
        if m in BINARY_METRICS:
            mask = mask & sufficient(den["rows"], BINARY_METRICS[m], den, min_group_size=min_group_size,
                                     min_group_positives=min_group_positives)
    return mask


def insufficient_for(den: dict[str, np.ndarray], metrics, *, min_group_size: int,
                     min_group_positives: int) -> list[list[str]]:
    """For each group, the metrics (of ``metrics``) it has too little data for."""
    masks = {m: sufficient_mask(den, [m], min_group_size=min_group_size, min_group_positives=min_group_positives)
             for m in metrics}
    return [[m for m in metrics if not masks[m][k]] for k in range(len(den["rows"]))]


def disparity_metrics(name: str) -> tuple[str, ...]:
    """The group metric(s) a disparity compares.

    Examples
    --------
    >>> disparity_metrics("equalized_odds_ratio_to_overall"), disparity_metrics("predictive_parity_difference")
    (('tpr', 'fpr'), ('precision',))
    """
    stem = name.removesuffix("_to_overall").removesuffix("_mean")
    if stem.startswith("equalized_odds"):
        return ("tpr", "fpr")
    for suffix in ("_difference", "_ratio"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    metric = NAMED_DISPARITIES.get(stem, stem)
    if metric not in RATE_METRICS and metric != "roc_auc":
        raise KeyError(f"unknown disparity {name!r}")
    return (metric,)


def inconclusive_reason(metrics, *, used: int, total: int, min_group_size: int, min_group_positives: int) -> str:
    """The plain-English reason a disparity over ``metrics`` rests on fewer than two groups."""
    dens = sorted({d for m in metrics for d in METRIC_DENOMINATORS.get(m, ())})
    extra = "".join(f" and {min_group_positives} {_DENOMINATOR_TEXT[d]}" for d in dens)
    return few_groups(used, total, min_rows=min_group_size, metrics=" and ".join(metrics), extra=extra)
