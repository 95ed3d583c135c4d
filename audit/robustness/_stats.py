"""The figures of one cell (a perturbation on some rows) and their exact intervals.

A cell's **flip rate** is the share of rows whose decision changes under the perturbation; its interval
is exact (Clopper–Pearson). Its **accuracy drop** is accuracy before minus after on the same rows,
``p10 − p01`` where ``p10`` is the share of rows right before and wrong after and ``p01`` the reverse;
its interval joins exact intervals of ``p10`` and ``p01`` at level ``1 − α/2`` each (Bonferroni), so it
covers at level ``1 − α`` whatever the rates, however few the rows (conservative where a Wald interval
for paired proportions would undercover: rare flips, groups of 20).

Every interval is reported twice: ``*_ci`` is simultaneous over the whole family of cells (every
perturbation setting × the overall rows and every group) at the Bonferroni level ``1 − α / n_family``, so
it covers the cell a ranking or a "worst" gate selects; ``*_ci_marginal`` is at ``level`` itself, right only
for a cell chosen in advance.

Examples
--------
>>> import numpy as np
>>> before = np.array([1, 1, 0, 0, 1]); after = np.array([1, 0, 0, 1, 1]); y = np.array([1, 1, 0, 0, 0])
>>> cell = cell_figures(before, after, y, level=0.95, n_family=1)
>>> cell["flips"], cell["accuracy"], cell["accuracy_perturbed"], round(cell["accuracy_drop"], 2)
(2, 0.8, 0.4, 0.4)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audit.slices import clopper_pearson

__all__ = ["INTERVAL", "cell_figures", "drop_interval", "simultaneous_level"]

INTERVAL = ("flip rate: exact Clopper-Pearson; accuracy drop (p10 - p01, paired on the same rows): exact intervals of "
            "p10 and p01 at level 1 - alpha/2 each, joined (Bonferroni), valid at any rate and size. ci: simultaneous "
            "over every cell of the family (Bonferroni level 1 - alpha/n_family), so it covers a selected cell; "
            "ci_marginal: at level, for a cell chosen in advance")


def simultaneous_level(level: float, n_family: int) -> float:
    """The Bonferroni level that makes ``n_family`` intervals cover at once with probability ``level``.

    Examples
    --------
    >>> simultaneous_level(0.95, 10)
    0.995
    """
    return 1.0 - (1.0 - level) / max(n_family, 1)


def _interval(k: int, n: int, level: float) -> list[float | None]:
    if n == 0:
        return [None, None]
    lo, hi = clopper_pearson(np.array([k]), np.array([n]), level=level)
    return [float(lo[0]), float(hi[0])]


def drop_interval(n10: int, n01: int, n: int, level: float) -> list[float | None]:
    """An interval for ``p10 − p01`` from exact intervals of each at level ``1 − (1 − level)/2``.

    Examples
    --------
    >>> [round(x, 3) for x in drop_interval(0, 0, 1000, 0.95)]
    [-0.004, 0.004]
    """
    if n == 0:
        return [None, None]
    half = 1.0 - (1.0 - level) / 2
    lo10, hi10 = _interval(n10, n, half)
    lo01, hi01 = _interval(n01, n, half)
    assert None not in (lo10, hi10, lo01, hi01)
    return [float(lo10) - float(hi01), float(hi10) - float(lo01)]  # type: ignore[arg-type]


def cell_figures(before: np.ndarray, after: np.ndarray, y_true: np.ndarray, *, level: float,
                 n_family: int) -> dict[str, Any]:
    """Flip rate and accuracy drop of one cell, each with its simultaneous and marginal interval.

    Examples
    --------
    >>> cell = cell_figures(np.array([1, 0, 1, 1]), np.array([1, 1, 1, 0]), np.array([1, 0, 1, 1]), level=0.95,
    ...                     n_family=3)
    >>> cell["flips"], cell["right_to_wrong"], cell["accuracy_drop"]
    (2, 2, 0.5)
    """
    n = int(len(before))
    flips = int(np.count_nonzero(before != after))
    right_before, right_after = before == y_true, after == y_true
    n10 = int(np.count_nonzero(right_before & ~right_after))
    n01 = int(np.count_nonzero(~right_before & right_after))
    joint = simultaneous_level(level, n_family)
    return {
        "n": n, "flips": flips, "flip_rate": flips / n if n else None,
        "flip_rate_ci": _interval(flips, n, joint), "flip_rate_ci_marginal": _interval(flips, n, level),
        "accuracy": float(np.mean(right_before)) if n else None,
        "accuracy_perturbed": float(np.mean(right_after)) if n else None,
        "right_to_wrong": n10, "wrong_to_right": n01,
        "accuracy_drop": (n10 - n01) / n if n else None,
        "accuracy_drop_ci": drop_interval(n10, n01, n, joint),
        "accuracy_drop_ci_marginal": drop_interval(n10, n01, n, level),
    }
