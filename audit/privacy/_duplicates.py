"""Members and non-members selected alike: only rows whose feature vector occurs once in the table.

A "non-member" whose encoded features equal a training row's is, to the model, a member: the
model's output on it is the member's output. Removing such rows from the non-members alone is not
enough: on a table with many coarse duplicates only *rare* feature vectors survive as non-members
while members keep the common ones, and the attack then separates "rare vs common" (or "seen a
twin in training vs not") instead of "member vs not" (a model predicting one class for every
row reached attack AUC 0.68 that way on a 5,000-row table with 63% duplicate feature vectors).

The membership audit therefore attacks only rows whose feature vector occurs **once among the
training and held-out rows together** (:func:`table_unique_mask`), on both sides. Whether a row
is unique in the table does not depend on which side of the split it fell, so under a random
split the attacked members and non-members are exchangeable: a model without a membership effect
scores them alike. Two rows are the same feature vector when

- **exactly** equal: every encoded feature equal (byte for byte in float32, with -0.0 = 0.0);
- **nearly** equal: equal after rounding each encoded feature to ``decimals`` places
  (default 3; standardised numerics differing in the 4th decimal are one record in practice).

:func:`duplicate_mask` still counts the held-out rows that repeat a training row, for the record.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DEFAULT_NEAR_DECIMALS", "duplicate_mask", "table_unique_mask"]

DEFAULT_NEAR_DECIMALS = 3


def _row_keys(X: np.ndarray) -> np.ndarray:
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32).reshape(len(X), -1) + np.float32(0.0))  # -0.0 -> 0.0
    return X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()


def _keys(X: np.ndarray, near_decimals: int | None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    return _row_keys(X if near_decimals is None else np.round(X.astype(np.float64), near_decimals))


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
        near = np.isin(_keys(X_candidates, near_decimals), _keys(X_train, near_decimals)) & ~exact
    keep = ~(exact | near)
    return {"exact": exact, "near": near, "keep": keep, "n_exact": int(exact.sum()), "n_near": int(near.sum())}


def table_unique_mask(X_train: Any, X_heldout: Any, *, near_decimals: int | None = DEFAULT_NEAR_DECIMALS) -> dict:
    """Which rows of each side have a feature vector that occurs once in the whole table.

    A vector is counted over the training and held-out rows together, exactly or (with
    ``near_decimals``) after rounding, so the rule treats members and non-members alike.

    Returns
    -------
    dict
        ``train`` and ``heldout`` boolean masks (True: the row's vector occurs once), and
        ``duplicated_share``: the share of all rows whose vector occurs more than once.

    Examples
    --------
    >>> tr = np.array([[0.0], [0.0], [1.0], [2.0]])
    >>> u = table_unique_mask(tr, np.array([[2.0001], [3.0], [4.0], [4.0]]))
    >>> u["train"].tolist(), u["heldout"].tolist(), u["duplicated_share"]
    ([False, False, True, False], [False, True, False, False], 0.75)
    """
    X_train = np.asarray(X_train, dtype=np.float32)
    X_heldout = np.asarray(X_heldout, dtype=np.float32)
    keys = np.concatenate([_keys(X_train, near_decimals), _keys(X_heldout, near_decimals)])
    if not len(keys):
        return {"train": np.zeros(0, bool), "heldout": np.zeros(0, bool), "duplicated_share": 0.0}
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    once = counts[inverse.reshape(-1)] == 1
    return {"train": once[: len(X_train)], "heldout": once[len(X_train) :],
            "duplicated_share": float(1.0 - once.mean())}
