"""Intervals of disparities over groups from simultaneous group bands, and of averages over classes.

A disparity over groups (the largest minus the smallest group value, the smallest over the
largest, or the largest alone) is a function of *selected* group values: the group that is
highest in the sample is there partly by luck, so the interval of a maximum cannot be the
interval of the winner. The *box* method handles the selection: when every group's true value
lies in its band ``[L_g, U_g]`` (a band that covers all groups at once with probability ``level``),

* the true ``max - min`` lies in ``[max(0, max L - min U), max U - min L]``;
* the true ``min / max`` (values ≥ 0) in ``[min L / max U, min U / max L]`` (within [0, 1]);
* the true ``max`` in ``[max L, max U]``,

so each of these intervals covers with probability at least ``level``, whatever the selection,
at parity (where a bootstrap of ``max - min`` is biased away from 0) and at rates of 0 or 1
(where exact group bands never have width 0). :func:`spread_box` computes them; a worst class
(the largest over classes) takes the largest of the per-class bounds.

:func:`mover_mean` combines intervals of K independent class-level quantities into an interval
of their weighted mean (Zou & Donner's "method of variance estimates recovery", MOVER): it keeps
each component's asymmetry and boundary behaviour (an exact interval of a recall of 0 of 5 stays
away from 0), where a Wald interval of the mean would rest on a standard error of 0.

Examples
--------
>>> lo = np.array([0.10, 0.30, 0.20]); hi = np.array([0.20, 0.50, 0.40])
>>> d, r, m = spread_box(lo, hi, np.array([True, True, True]))
>>> [round(float(x), 3) for x in d], [round(float(x), 3) for x in r], [round(float(x), 3) for x in m]
([0.1, 0.4], [0.2, 0.667], [0.3, 0.5])
"""

from __future__ import annotations

import numpy as np

__all__ = ["mover_mean", "spread_box"]


def spread_box(lo: np.ndarray, hi: np.ndarray, mask: np.ndarray
               ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Box intervals of max − min, min / max and max over the last axis among ``mask``-ed groups.

    ``lo``/``hi`` (..., G) are simultaneous bounds of the group values (NaN: no bound). Returns
    ``((d_lo, d_hi), (r_lo, r_hi), (m_lo, m_hi))``, NaN where fewer than two groups qualify.
    Ratios assume values ≥ 0 and are clipped to [0, 1].

    Examples
    --------
    >>> (d, _, _) = spread_box(np.array([0.0, 0.0]), np.array([0.05, 0.06]), np.array([True, True]))
    >>> [round(float(x), 3) for x in d]
    [0.0, 0.06]
    """
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    valid = np.asarray(mask, dtype=bool) & np.isfinite(lo) & np.isfinite(hi)
    enough = valid.sum(axis=-1) >= 2
    max_lo = np.where(valid, lo, -np.inf).max(axis=-1)
    max_hi = np.where(valid, hi, -np.inf).max(axis=-1)
    min_lo = np.where(valid, lo, np.inf).min(axis=-1)
    min_hi = np.where(valid, hi, np.inf).min(axis=-1)
    nan = np.full(np.shape(enough), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (np.where(enough, np.maximum(max_lo - min_hi, 0.0), nan), np.where(enough, max_hi - min_lo, nan))
        r_lo = np.where(max_hi > 0, np.maximum(min_lo, 0.0) / max_hi, 0.0)
        r_hi = np.where(max_lo > 0, min_hi / np.where(max_lo > 0, max_lo, 1.0), 1.0)
        r = (np.where(enough, np.clip(r_lo, 0.0, 1.0), nan), np.where(enough, np.clip(r_hi, 0.0, 1.0), nan))
    m = (np.where(enough, max_lo, nan), np.where(enough, max_hi, nan))
    return d, r, m


def mover_mean(est: np.ndarray, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray, *, corr: np.ndarray | None = None,
               known: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MOVER interval of ``Σ w_k θ_k`` from intervals of its components (last axis).

    ``L = Σ w θ̂ − sqrt(Σ_jk w_j w_k r_jk (θ̂_j − l_j)(θ̂_k − l_k))`` and likewise ``U`` with
    ``u − θ̂``; ``corr`` (..., K, K) holds the correlations ``r`` of the component estimates
    (identity, the default, for independent components). A component that is not ``known``
    (no data: e.g. a recall of a class with no true rows) has no estimate: its whole range
    ``[0, w]`` is added to the bounds, not in quadrature. Components at level ``1 − α`` give an
    interval of the sum at about ``1 − α`` (exact components make it conservative).

    Examples
    --------
    >>> lo, hi = mover_mean(np.array([0.5, 0.5]), np.array([0.4, 0.4]), np.array([0.6, 0.6]), np.array([0.5, 0.5]))
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4293, 0.5707)
    >>> lo, hi = mover_mean(np.array([0.5, 0.0]), np.array([0.4, 0.0]), np.array([0.6, 1.0]), np.array([0.5, 0.5]),
    ...                     known=np.array([True, False]))
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2, 0.8)
    """
    w = np.asarray(weights, dtype=float)
    known = np.ones(np.shape(est), dtype=bool) if known is None else np.asarray(known, dtype=bool)
    wk = np.where(known, w, 0.0)
    est, lo, hi = (np.where(known, np.asarray(x, dtype=float), 0.0) for x in (est, lo, hi))
    down, up = wk * (est - lo), wk * (hi - est)
    if corr is None:
        var_down, var_up = (down * down).sum(axis=-1), (up * up).sum(axis=-1)
    else:
        var_down = np.einsum("...j,...jk,...k->...", down, corr, down)
        var_up = np.einsum("...j,...jk,...k->...", up, corr, up)
    centre = (wk * est).sum(axis=-1)
    unknown = np.where(known, 0.0, w).sum(axis=-1)
    return centre - np.sqrt(np.maximum(var_down, 0.0)), centre + np.sqrt(np.maximum(var_up, 0.0)) + unknown
