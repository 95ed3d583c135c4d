"""Holm's step-down adjustment: family-wise error control under any dependence between the tests.

The parity tests of one model share its rows (a feature and the intersection, TPR and equalized
odds), which is the case where Benjamini–Hochberg's guarantee needs an assumption (positive
dependence) nobody checks; and a gate asks "is this disparity real?", a family-wise question.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MULTIPLE_TESTING", "holm", "holm_adjusted"]

MULTIPLE_TESTING = {
    "method": "holm",
    "family": "the elementary parity tests behind every conclusive gate-facing disparity of the model (all sensitive "
              "features, the intersection, every metric): one per group against the others pooled (one for two groups), "
              "each metric and set of groups once, however many disparities (difference, ratio, to overall) read it",
    "p_value": "exact conditional test of a group's count given the total (hypergeometric), two-sided by distance from "
               "the expected count, mid-p; balanced accuracy by inverting its exact box; ROC AUC by Cochran's Q over the "
               "groups' DeLong estimates. A disparity's p_value is the Bonferroni combination of its tests, p_adjusted "
               "the smallest Holm-adjusted p-value among them",
    "why": "Holm controls the family-wise error rate under any dependence between the tests; the disparities of one "
           "model are strongly dependent, where Benjamini-Hochberg's guarantee needs an unchecked assumption",
    "detectable": "the smallest disparity of its kind (at the smallest group, against the others, at the pooled rate) "
                  "that the family's test detects with 80% power at the family-wise level (normal approximation on the "
                  "arcsine scale)",
}


def holm_adjusted(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as given): family-wise error at most ``alpha`` under any
    dependence. Every report's family of parity tests is adjusted here.

    Examples
    --------
    >>> holm_adjusted([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    k = len(p)
    if not k:
        return p
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (k - np.arange(k))))
    out = np.empty(k)
    out[order] = adj
    return out


def holm(p_values: list[float]) -> list[float]:
    """Holm's adjusted p-values as the binary report writes them (floats to 15 decimals).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    return [round(float(v), 15) for v in holm_adjusted(p_values)]
