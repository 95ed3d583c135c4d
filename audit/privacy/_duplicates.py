"""Clean non-members: drop held-out rows whose features repeat a training row.

A "non-member" whose encoded features equal a training row's is, to the model, a member: the
model's output on it is the member's output. Adult repeats records (915 of the demo's 5,000
sampled non-members), which pulls every attack towards AUC 0.5 and makes the audit look
safer than it is. The membership audit removes

- **exact duplicates**: every encoded feature equal (byte for byte in float32, with -0.0 = 0.0);
- **near-duplicates**: equal after rounding each encoded feature to ``decimals`` places
  (default 3; standardised numerics differing in the 4th decimal are one record in practice),

and states how many of each it removed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DEFAULT_NEAR_DECIMALS", "duplicate_mask"]

DEFAULT_NEAR_DECIMALS = 3


def _row_keys(X: np.ndarray) -> np.ndarray:
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32).reshape(len(X), -1) + np.float32(0.0))  # -0.0 -> 0.0
    return X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()


def duplicate_mask(X_train: Any, X_candidates: Any, *, near_decimals: int | None = DEFAULT_NEAR_DECIMALS) -> dict:
    """Which candidate rows repeat a training row exactly, or nearly (after rounding).

    Returns
    -------
    dict
        ``exact`` and ``near`` boolean masks over the candidates (``near`` excludes the exact
        ones; all False when ``near_decimals`` is None), ``keep`` (neither) and the counts
        ``n_exact``, ``n_near``.

    Examples
    --------
    >>> tr = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> d = duplicate_mask(tr, np.array([[0.0, 1.0], [2.0001, 3.0], [5.0, 5.0]]))
    >>> d["n_exact"], d["n_near"], d["keep"].tolist()
    (1, 1, [False, False, True])
    """
    X_train = np.asarray(X_train, dtype=np.float32)
    X_candidates = np.asarray(X_candidates, dtype=np.float32)
    exact = np.isin(_row_keys(X_candidates), _row_keys(X_train))
    near = np.zeros(len(X_candidates), dtype=bool)
    if near_decimals is not None:
        r_train = np.round(X_train.astype(np.float64), near_decimals)
        r_cand = np.round(X_candidates.astype(np.float64), near_decimals)
        near = np.isin(_row_keys(r_cand), _row_keys(r_train)) & ~exact
    keep = ~(exact | near)
    return {"exact": exact, "near": near, "keep": keep, "n_exact": int(exact.sum()), "n_near": int(near.sum())}
