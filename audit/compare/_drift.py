"""Data drift between the two runs' test sets, per feature and per sensitive group.

Numeric features: the two-sample Kolmogorov–Smirnov test, its statistic (the largest gap between
the two distribution functions) as the effect size, and the standardised mean difference (B − A over
the pooled standard deviation). Categorical features, the label and each sensitive feature: the
chi-square test of homogeneity with Cramér's V, and for sensitive features each group's share in both
runs. The p-values are Holm-adjusted over every drift test. At audit sizes a tiny shift is
significant: read the effect sizes (KS ≥ 0.1, |SMD| ≥ 0.1 or V ≥ 0.1 are the usual "worth a look").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from audit.fairness._holm import holm_adjusted

__all__ = ["drift_tests"]


def _numeric(name: str, a: pd.Series, b: pd.Series) -> dict[str, Any] | None:
    xa, xb = a.dropna().to_numpy(np.float64), b.dropna().to_numpy(np.float64)
    if len(xa) < 2 or len(xb) < 2:
        return None
    ks = stats.ks_2samp(xa, xb)
    pooled = np.sqrt((xa.var(ddof=1) + xb.var(ddof=1)) / 2)
    smd = float((xb.mean() - xa.mean()) / pooled) if pooled > 0 else 0.0
    return {"feature": name, "kind": "numeric", "test": "two-sample Kolmogorov-Smirnov", "statistic": float(ks.statistic),
            "p_value": float(ks.pvalue), "effect": float(ks.statistic), "effect_name": "KS distance",
            "smd": smd, "mean_a": float(xa.mean()), "mean_b": float(xb.mean())}


def _categorical(name: str, a: pd.Series, b: pd.Series, *, shares: bool) -> dict[str, Any] | None:
    ca = a.astype("string").fillna("<missing>").value_counts()
    cb = b.astype("string").fillna("<missing>").value_counts()
    table = pd.concat([ca, cb], axis=1).fillna(0).to_numpy(np.float64).T  # 2 runs × categories
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or min(table.sum(axis=1)) == 0:
        return None
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    v = float(np.sqrt(chi2 / table.sum()))  # Cramér's V with two rows: min(r, c) - 1 = 1
    out = {"feature": name, "kind": "categorical", "test": "chi-square test of homogeneity", "statistic": float(chi2),
           "p_value": float(p), "effect": v, "effect_name": "Cramér's V"}
    if shares:
        cats = pd.concat([ca, cb], axis=1).fillna(0)
        cats.columns = ["a", "b"]
        out["shares"] = {str(k): {"a": float(r["a"] / ca.sum()), "b": float(r["b"] / cb.sum())} for k, r in cats.iterrows()}
    return out


def drift_tests(a: pd.DataFrame, b: pd.DataFrame, *, numeric: set[str], sensitive: list[str]) -> list[dict[str, Any]]:
    """Drift tests of every column both test sets hold, Holm-adjusted together.

    Examples
    --------
    >>> a = pd.DataFrame({"x": np.arange(200.0), "g": ["u", "v"] * 100})
    >>> b = pd.DataFrame({"x": np.arange(200.0) + 100, "g": ["u"] * 150 + ["v"] * 50})
    >>> [(t["feature"], t["significant"]) for t in drift_tests(a, b, numeric={"x"}, sensitive=["g"])]
    [('x', True), ('g', True)]
    """
    out = []
    for col in [c for c in a.columns if c in b.columns]:
        test = (_numeric(col, a[col], b[col]) if col in numeric
                else _categorical(col, a[col], b[col], shares=col in sensitive))
        if test is not None:
            test["sensitive"] = col in sensitive
            out.append(test)
    for t, p in zip(out, holm_adjusted([t["p_value"] for t in out]), strict=True):
        t["p_holm"] = float(p)
        t["significant"] = bool(p < 0.05)
    return out
