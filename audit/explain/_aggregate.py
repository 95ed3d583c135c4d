"""From encoded columns back to original features, and global importance with CIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audit.exceptions import ExplainError

__all__ = ["aggregate_groups", "check_feature_groups", "global_importance", "bootstrap_mean_ci"]

_BAD_GROUPS = ("The feature groups are invalid: {problems}. Fix: map each original feature to the indices of its encoded "
               "columns, each column in exactly one group.")


def check_feature_groups(groups: Mapping[str, Sequence[int]], n_columns: int) -> dict[str, list[int]]:
    """Validate a map of original feature -> encoded column indices; raise once with every problem."""
    problems: list[str] = []
    seen: dict[int, str] = {}
    clean: dict[str, list[int]] = {}
    for name, idx in groups.items():
        cols = [int(i) for i in idx]
        if not cols:
            problems.append(f"group {name!r} has no columns")
        for i in cols:
            if not 0 <= i < n_columns:
                problems.append(f"group {name!r} has column {i}, outside 0..{n_columns - 1}")
            elif i in seen:
                problems.append(f"column {i} is in both {seen[i]!r} and {name!r}")
            else:
                seen[i] = name
        clean[str(name)] = cols
    missing = sorted(set(range(n_columns)) - set(seen))
    if missing:
        problems.append(f"columns {missing[:10]} belong to no group")
    if problems:
        raise ExplainError(_BAD_GROUPS.format(problems="; ".join(problems)), problems=problems)
    return clean


def aggregate_groups(attributions: np.ndarray, feature_groups: Mapping[str, Sequence[int]]) -> np.ndarray:
    """Sum attributions over each group of encoded columns (one-hot -> original feature).

    Parameters
    ----------
    attributions : array of shape (n, n_columns)
    feature_groups : dict of str to list of int
        Original feature -> its encoded columns, in original-feature order.

    Returns
    -------
    numpy.ndarray of shape (n, n_groups), float32, columns in ``feature_groups`` order.

    Examples
    --------
    >>> aggregate_groups(np.array([[1.0, 2.0, 3.0]]), {"a": [0, 2], "b": [1]})
    array([[4., 2.]], dtype=float32)
    """
    attributions = np.asarray(attributions)
    groups = check_feature_groups(feature_groups, attributions.shape[1])
    # One matrix product instead of a Python loop over groups: exact for 0/1 weights.
    membership = np.zeros((attributions.shape[1], len(groups)), dtype=np.float64)
    for g, cols in enumerate(groups.values()):
        membership[cols, g] = 1.0
    return (attributions.astype(np.float64) @ membership).astype(np.float32)


def bootstrap_mean_ci(values: np.ndarray, *, n_boot: int, level: float = 0.95, seed: int = 0) -> np.ndarray:
    """Percentile bootstrap CI of the column means of ``values`` (rows resampled).

    Each resample is summarised by how often it drew each row, so all resample
    means come from one ``(n_boot, n) @ (n, p)`` product instead of a loop.

    Returns
    -------
    numpy.ndarray of shape (2, p): lower and upper bounds.

    Examples
    --------
    >>> v = np.arange(100, dtype=float)[:, None]
    >>> lo, hi = bootstrap_mean_ci(v, n_boot=200)
    >>> bool(lo[0] < 49.5 < hi[0])
    True
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_boot, n)) + np.arange(n_boot)[:, None] * n
    counts = np.bincount(draws.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(np.float64)
    means = counts @ values / n
    alpha = (1.0 - level) / 2.0
    return np.quantile(means, [alpha, 1.0 - alpha], axis=0)


def global_importance(
    grouped: np.ndarray,
    feature_names: Sequence[str],
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Mean |attribution| per feature with a bootstrap CI, and the signed mean; sorted by importance.

    Examples
    --------
    >>> rows = global_importance(np.array([[1.0, -3.0], [-1.0, -1.0]]), ["a", "b"], n_boot=0)
    >>> [(r["feature"], r["mean_abs"], r["mean_signed"]) for r in rows]
    [('b', 2.0, -2.0), ('a', 1.0, 0.0)]
    """
    grouped = np.asarray(grouped, dtype=np.float64)
    abs_attr = np.abs(grouped)
    mean_abs = abs_attr.mean(axis=0)
    mean_signed = grouped.mean(axis=0)
    ci = bootstrap_mean_ci(abs_attr, n_boot=n_boot, level=level, seed=seed) if n_boot > 0 and len(grouped) > 1 else None
    rows = [
        {
            "feature": str(name),
            "mean_abs": float(mean_abs[j]),
            "ci": None if ci is None else [float(ci[0, j]), float(ci[1, j])],
            "mean_signed": float(mean_signed[j]),
        }
        for j, name in enumerate(feature_names)
    ]
    return sorted(rows, key=lambda r: -r["mean_abs"])
