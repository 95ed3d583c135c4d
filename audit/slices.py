"""Error analysis: find the slices of the test set where a model fails (SliceLine-style search).

A *slice* is a conjunction of one to ``max_depth`` conditions on the raw features, one per
feature: a category (``occupation = Sales``), a numeric range (``age 17–27``, bounds inclusive and
taken from the values in it) or "missing". Numeric ranges are cut adaptively (``audit._slice_cuts``):
up to 64 fine bins from the feature's values, merged into at most ``n_bins`` ranges that best
separate the error rate, over all rows and within each categorical feature's levels (``cuts=
"quantile"``: ``n_bins`` quantile bins, as before). Rows that repeat are counted once, with their count.
Every slice of every depth with at least ``min_size`` rows is examined, by counting: the
conditions are integer codes, a conjunction is one ``np.ravel_multi_index`` and its counts one
``np.bincount`` per feature combination, so Adult's 16,281 test rows take well under a second
at depth 3. A slice whose rows equal one of its parents' (the extra condition removes nothing)
is redundant and not examined.

Each examined slice gets its error rate, the error rate of the rest of the test set and the gap
between them (the "disparity" ranking), the SliceLine score (α = 0.95) and a one-sided exact
binomial test of "this slice errs more often than the whole test set". The p-values are adjusted
with **Holm's step-down method over the family** (all depths together): every slice the adaptive
cuts could have formed (``n_family``; the cuts look at the errors, so the slices examined are a
selection from it), or every slice examined with quantile bins. It controls the family-wise error
rate at ``alpha``; a slice is *significant* when its adjusted p-value is at most ``alpha``.

Intervals. The slices shown are *selected* (the highest error rates of hundreds), and the highest
of many noisy rates is biased upward: the winner's own interval misses its true rate. So a
slice's ``ci`` is **simultaneous**: exact (Clopper–Pearson) at the Bonferroni level
``1 - (1 - level) / n_family``, so that every slice of the family has an interval covering its true
error rate at once with probability ``level``, and with it the interval of whichever slice the ranking
or the gate ``max_significant_slice_error_rate`` selects. ``ci_marginal`` is the exact interval
at ``level`` itself, right only for a slice chosen before looking (a cohort).

Conditions are plain dicts (``{"feature", "values" | "lo"/"hi" | "missing", "label"}``);
:func:`condition_mask` applies one to any frame, so a dashboard cohort and a slice select the
same rows.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"job": rng.choice(["a", "b", "c"], 3000), "age": rng.integers(18, 70, 3000)})
>>> y = rng.integers(0, 2, 3000)
>>> wrong = (X["job"] == "c").to_numpy() & (rng.random(3000) < 0.6)
>>> found = find_slices(X, y_true=y, y_pred=np.where(wrong, 1 - y, y), max_depth=1)
>>> found["by_error_rate"][0]["label"], found["by_error_rate"][0]["significant"]
('job = c', True)
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from audit._slice_cuts import Rows, family_size, numeric_items
from audit._slice_cuts import dedupe as _dedupe
from audit.exceptions import DataError

__all__ = [
    "CORRECTION",
    "INTERVAL",
    "TEST",
    "clopper_pearson",
    "condition_mask",
    "find_slices",
    "pack_features",
    "slice_mask",
    "unpack_features",
    "wilson_interval",
]

#: The multiple-testing correction applied over every examined slice.
CORRECTION = "holm"
#: How a slice's interval is computed (the record's ``interval``).
INTERVAL = ("simultaneous over the family: exact Clopper-Pearson at level 1 - (1 - level) / n_family "
            "(Bonferroni), so it covers the true error rate of whichever slice the ranking selects; ci_marginal: "
            "Clopper-Pearson at level, for a slice chosen in advance")
#: The test of each slice (the record's ``test``).
TEST = "one-sided exact binomial test: slice error rate above the overall error rate"
MISSING_LABEL = "<missing>"
_SLICELINE_ALPHA = 0.95
_MAX_CELLS = 5_000_000
_MAX_STRATA = 64  # most levels of a categorical feature within which numeric cuts are also judged

_BAD_LENGTHS = ("find_slices: features has {n} rows but y_true has {y} and y_pred has {p}. "
                "Expected one label and one prediction per row. Fix: pass the rows the predictions were made on.")
_BAD_DEPTH = "find_slices: max_depth must be 1, 2 or 3, found {depth}. Deeper conjunctions are rarely readable and rarely significant."


# ------------------------------------------------------------------ items: one integer code per row and feature
def _categorical_items(s: pd.Series, name: str) -> tuple[np.ndarray, list[dict[str, Any]]]:
    text = s.astype("string")
    cat = pd.Categorical(text.fillna(MISSING_LABEL).astype(object))
    items = []
    for v in cat.categories:
        if v == MISSING_LABEL and text.isna().any():
            items.append({"feature": name, "missing": True, "label": f"{name} missing"})
        else:
            items.append({"feature": name, "values": [str(v)], "label": f"{name} = {v}"})
    return np.asarray(cat.codes, dtype=np.int64), items


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _items(features: pd.DataFrame, n_bins: int, rows: Rows) -> tuple[np.ndarray, list[list[dict[str, Any]]], list[int]]:
    """Codes (one column per feature), each feature's conditions, and how many candidate conditions each has."""
    cat = {name: _categorical_items(features[name], str(name)) for name in features.columns if not _is_numeric(features[name])}
    rows.strata.extend(c for c, it in cat.values() if len(it) <= _MAX_STRATA)  # an ID-like column: no context
    codes, items, candidates = [], [], []
    for name in features.columns:
        if name in cat:
            c, it = cat[name]
            k = sum(rows.candidate(r) for r in np.bincount(c, weights=rows.weights, minlength=len(it)))
        else:
            c, it, k = numeric_items(features[name].to_numpy(dtype=np.float64, na_value=np.nan), str(name), n_bins, rows)
        codes.append(c)
        items.append(it)
        candidates.append(k)
    return (np.column_stack(codes) if codes else np.zeros((len(features), 0), np.int64)), items, candidates


# ------------------------------------------------------------------ statistics
def wilson_interval(k: np.ndarray, n: np.ndarray, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes in ``n`` trials (vectorised).

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([5]), np.array([10]))
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.237, 0.763)
    """
    # not scipy: the dashboard calls this per cohort, and scipy.stats takes ~1 s to import
    from statistics import NormalDist

    k, n = np.asarray(k, np.float64), np.asarray(n, np.float64)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return np.where(k == 0, 0.0, lo), np.where(k == n, 1.0, hi)  # exact ends, not rounding residue


def clopper_pearson(k: ArrayLike, n: ArrayLike, *, level: ArrayLike = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval of ``k`` successes in ``n`` trials (vectorised; ``level`` may be an array).

    Examples
    --------
    >>> lo, hi = clopper_pearson(np.array([0, 5]), np.array([20, 10]))
    >>> [round(float(x), 3) for x in lo], [round(float(x), 3) for x in hi]
    ([0.0, 0.187], [0.168, 0.813])
    """
    from scipy.special import betaincinv  # not scipy.stats: the dashboard calls find_slices per cohort

    k, n = np.asarray(k, np.float64), np.asarray(n, np.float64)
    a = (1.0 - np.asarray(level, np.float64)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, betaincinv(np.maximum(k, 1e-300), n - k + 1, a), 0.0)
        hi = np.where(k < n, betaincinv(k + 1, np.maximum(n - k, 1e-300), 1 - a), 1.0)
    return np.where(n > 0, lo, 0.0), np.where(n > 0, hi, 1.0)


def _holm(p: np.ndarray, family: int = 0) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate over ``p`` and ``family - len(p)`` untested)."""
    m = max(len(p), family)  # a family larger than the slices tested (adaptive cuts) steps down from its size
    if len(p) == 0:
        return p
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(len(p))) * p[order]))
    out = np.empty(len(p))
    out[order] = adj
    return out


# ------------------------------------------------------------------ search
#: Row counts (``"n"``) and weighted sums of one combination of features, per cell of its flattened grid.
_Counts = dict[str, np.ndarray]
#: A slice family found: the feature columns, each cell's codes (one row per slice), and the cells' counts.
_Found = tuple[tuple[int, ...], np.ndarray, _Counts]


def _combination_counts(codes: np.ndarray, dims: list[int], cols: tuple[int, ...],
                        weights: dict[str, np.ndarray]) -> tuple[tuple[int, ...], _Counts]:
    shape = tuple(dims[c] for c in cols)
    flat = np.ravel_multi_index(tuple(codes[:, c] for c in cols), shape)
    size = int(np.prod(shape))
    return shape, {key: np.bincount(flat, weights=w, minlength=size) for key, w in weights.items()}


def _examine(codes: np.ndarray, dims: list[int], *, max_depth: int, min_size: int,
             weights: dict[str, np.ndarray]) -> tuple[list[_Found], dict[str, int]]:
    """Every non-redundant slice with at least ``min_size`` rows (and not all of them): feature tuples, codes, counts."""
    n_rows = weights["n"].sum()
    counts: dict[tuple[int, ...], tuple[tuple[int, ...], _Counts]] = {}
    found: list[_Found] = []
    by_depth: dict[str, int] = {}
    for depth in range(1, max_depth + 1):
        total = 0
        for cols in itertools.combinations(range(len(dims)), depth):
            if math.prod(dims[c] for c in cols) > _MAX_CELLS:
                continue
            shape, cnt = _combination_counts(codes, dims, cols, weights)
            counts[cols] = (shape, cnt)
            cells = np.nonzero((cnt["n"] >= min_size) & (cnt["n"] < n_rows))[0]  # a slice of every row is no slice
            if depth > 1 and len(cells):
                per = np.unravel_index(cells, shape)
                keep = np.ones(len(cells), bool)
                for drop in range(depth):  # redundant: a parent (one condition fewer) has exactly these rows
                    parent = tuple(c for i, c in enumerate(cols) if i != drop)
                    pshape, pcnt = counts[parent]
                    pidx = np.ravel_multi_index(tuple(per[i] for i in range(depth) if i != drop), pshape)
                    keep &= pcnt["n"][pidx] != cnt["n"][cells]
                cells = cells[keep]
            if len(cells):
                found.append((cols, np.column_stack(np.unravel_index(cells, shape)), {k: v[cells] for k, v in cnt.items()}))
                total += len(cells)
        by_depth[str(depth)] = total
    return found, by_depth


def _search(features: pd.DataFrame, y: np.ndarray, p: np.ndarray, *, max_depth: int, min_size: int, n_bins: int,
            cuts: str) -> tuple[list[_Found], dict[str, int], list[list[dict[str, Any]]], int]:
    """The slices examined (over deduplicated rows), by depth, each feature's conditions and the family's size."""
    features, y, p, w = _dedupe(features, y, p)
    err = (y != p).astype(np.float64)
    codes, items, candidates = _items(features, n_bins, Rows(err, w, min_size, cuts))
    dims = [max(len(it), 1) for it in items]
    weights = {"n": w, "errors": err * w, "fp": ((p == 1) & (y == 0)) * w, "fn": ((p == 0) & (y == 1)) * w}
    found, by_depth = _examine(codes, dims, max_depth=max_depth, min_size=min_size, weights=weights)
    return found, by_depth, items, family_size(candidates, max_depth) if cuts == "adaptive" else 0


def _check(features: pd.DataFrame, y_true: Any, y_pred: Any, max_depth: int, cuts: str) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y_true).astype(np.int64).ravel(), np.asarray(y_pred).astype(np.int64).ravel()
    if not (len(features) == len(y) == len(p)):
        raise DataError(_BAD_LENGTHS.format(n=len(features), y=len(y), p=len(p)))
    if max_depth not in (1, 2, 3):
        raise DataError(_BAD_DEPTH.format(depth=max_depth))
    if cuts not in ("adaptive", "quantile"):
        raise DataError(f"find_slices: cuts must be 'adaptive' or 'quantile', found {cuts!r}.")
    return y, p


def find_slices(
    features: pd.DataFrame,
    *,
    y_true: Any,
    y_pred: Any,
    max_depth: int = 2,
    min_size: int = 30,
    n_bins: int = 4,
    alpha: float = 0.05,
    level: float = 0.95,
    top_k: int = 20,
    cuts: str = "adaptive",
) -> dict[str, Any]:
    """Search slices (feature conjunctions) of ``features`` where ``y_pred`` disagrees with ``y_true`` most.

    Parameters
    ----------
    features : DataFrame
        The raw (unencoded) features of the evaluated rows; numeric columns are binned, others are categories.
    y_true, y_pred : array-like of {0, 1}
        Labels and predictions, one per row.
    max_depth : {1, 2, 3}
        Most conditions in one slice.
    min_size : int
        Fewest rows a slice must hold to be examined (and counted in the correction).
    n_bins : int
        Most ranges per numeric feature.
    alpha : float
        Family-wise error rate of the Holm-adjusted test.
    level : float
        Level of the intervals: simultaneous over every examined slice (``ci``), or for one slice
        (``ci_marginal``).
    top_k : int
        Slices kept in each ranking.
    cuts : {"adaptive", "quantile"}
        Numeric ranges from the fine bins that best separate the error rate (``audit._slice_cuts``; the
        correction then counts every slice such cuts could form, ``n_family``), or quantile bins (the family is
        the slices examined).

    Returns
    -------
    dict
        ``n``, ``errors``, ``overall_error_rate``, ``n_examined`` and ``examined_by_depth``, ``n_significant``,
        ``max_significant_error_rate`` (the overall error rate when no slice is significant) and its interval
        ``max_significant_error_rate_ci`` (the selected slice's simultaneous interval; the overall rate's exact one),
        ``by_error_rate`` and ``by_gap`` (the ``top_k`` slices, significant ones first, by error rate or by its
        gap to the rest of the rows; each with ``conditions``, ``label``, ``size``, ``errors``,
        ``error_rate``, ``ci`` (simultaneous), ``ci_marginal``, ``rest_error_rate``, ``gap``, ``false_positives``,
        ``false_negatives``, ``score``, ``p_value``, ``p_adjusted``, ``significant``) and the settings (with
        ``interval`` and ``test``, the methods).

    Examples
    --------
    >>> X = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 50})
    >>> find_slices(X, y_true=[0] * 100, y_pred=[1] * 40 + [0] * 60, min_size=10)["by_error_rate"][0]["label"]
    'g = a'
    """
    from scipy.special import bdtrc  # the binomial upper tail; scipy.stats would cost the dashboard ~1 s to import

    y, p = _check(features, y_true, y_pred, max_depth, cuts)
    found, by_depth, items, family = _search(features, y, p, max_depth=max_depth, min_size=min_size, n_bins=n_bins,
                                             cuts=cuts)
    N, E = len(y), float((y != p).sum())
    p0 = E / N if N else 0.0
    n = np.concatenate([f[2]["n"] for f in found]).astype(np.float64) if found else np.zeros(0)
    e = np.concatenate([f[2]["errors"] for f in found]) if found else np.zeros(0)
    # P(X ≥ e) under the overall error rate: bdtrc(k, n, p) = P(X > k)
    pvals = bdtrc(e.astype(np.int64) - 1, n.astype(np.int64), p0) if len(n) else np.zeros(0)
    family = max(family, len(n))
    padj = _holm(pvals, family)
    rate = np.divide(e, n, out=np.zeros_like(e), where=n > 0)
    rest_n = N - n
    rest = np.divide(E - e, rest_n, out=np.full_like(e, np.nan), where=rest_n > 0)
    score = _SLICELINE_ALPHA * (rate / p0 - 1) - (1 - _SLICELINE_ALPHA) * (N / n - 1) if p0 > 0 else np.zeros_like(n)
    lo, hi = clopper_pearson(e, n, level=1.0 - (1.0 - level) / max(family, 1))
    m_lo, m_hi = clopper_pearson(e, n, level=level)
    stats = {"n": n, "e": e, "rate": rate, "rest": rest, "gap": rate - rest, "score": score, "p": pvals, "padj": padj,
             "lo": lo, "hi": hi, "m_lo": m_lo, "m_hi": m_hi,
             "fp": np.concatenate([f[2]["fp"] for f in found]) if found else np.zeros(0),
             "fn": np.concatenate([f[2]["fn"] for f in found]) if found else np.zeros(0)}
    where = [(cols, row) for cols, cells, _ in found for row in cells]
    significant = padj <= alpha
    gap_key = np.nan_to_num(stats["gap"], nan=-np.inf)

    def ranked(key: np.ndarray) -> list[dict[str, Any]]:
        order = np.lexsort((-n, -key, ~significant))[:top_k]  # significant slices first, then by key, then larger
        return [_slice_entry(i, where[i], items, stats, bool(significant[i])) for i in order]

    return {
        "n": int(N), "errors": int(E), "overall_error_rate": p0,
        "n_examined": int(len(n)), "examined_by_depth": by_depth, "n_family": int(family),
        "n_significant": int(significant.sum()),
        "max_significant_error_rate": float(rate[significant].max()) if significant.any() else p0,
        "max_significant_error_rate_ci": _max_ci(stats, significant, e=E, n=N, level=level),
        "by_error_rate": ranked(rate), "by_gap": ranked(gap_key),
        "settings": {"max_depth": max_depth, "min_size": min_size, "n_bins": n_bins, "cuts": cuts, "alpha": alpha, "level": level,
                     "top_k": top_k, "interval": INTERVAL, "test": TEST},
    }  # fmt: skip


def _max_ci(s: dict[str, np.ndarray], significant: np.ndarray, *, e: float, n: int, level: float) -> list[float]:
    """The gate's interval: the selected slice's simultaneous one, or the overall rate's exact one when none is significant."""
    if significant.any():
        i = int(np.flatnonzero(significant)[np.argmax(s["rate"][significant])])
        return [float(s["lo"][i]), float(s["hi"][i])]
    lo, hi = clopper_pearson(e, n, level=level)
    return [float(lo), float(hi)]


def _slice_entry(i: int, where: tuple[tuple[int, ...], np.ndarray], items: list[list[dict[str, Any]]],
                 s: dict[str, np.ndarray], significant: bool) -> dict[str, Any]:
    cols, row = where
    conditions = [dict(items[c][int(k)]) for c, k in zip(cols, row, strict=True)]

    def num(key: str) -> float | None:
        v = float(s[key][i])
        return v if math.isfinite(v) else None

    return {
        "conditions": conditions, "label": " & ".join(c["label"] for c in conditions),
        "size": int(s["n"][i]), "errors": int(s["e"][i]), "error_rate": num("rate"), "ci": [num("lo"), num("hi")],
        "ci_marginal": [num("m_lo"), num("m_hi")],
        "rest_error_rate": num("rest"), "gap": num("gap"), "false_positives": int(s["fp"][i]),
        "false_negatives": int(s["fn"][i]), "score": num("score"), "p_value": num("p"), "p_adjusted": num("padj"),
        "significant": significant,
    }  # fmt: skip


# ------------------------------------------------------------------ applying conditions
def condition_mask(frame: pd.DataFrame, condition: dict[str, Any]) -> np.ndarray:
    """Rows of ``frame`` that satisfy one condition (``values``, ``lo``/``hi`` inclusive, or ``missing``).

    Examples
    --------
    >>> f = pd.DataFrame({"age": [20, 40, None], "sex": ["F", "M", "F"]})
    >>> condition_mask(f, {"feature": "age", "lo": 30, "hi": 50}).tolist()
    [False, True, False]
    >>> condition_mask(f, {"feature": "sex", "values": ["F"]}).tolist()
    [True, False, True]
    """
    name = condition.get("feature")
    if name not in frame.columns:
        raise DataError(f"The condition names the feature {name!r}, which these rows lack. Expected one of {list(frame.columns)}.")
    s = frame[name]
    if condition.get("missing"):
        return s.isna().to_numpy()
    if condition.get("values") is not None:
        return s.astype("string").isin([str(v) for v in condition["values"]]).fillna(False).to_numpy(bool)
    x = pd.to_numeric(s, errors="coerce").to_numpy(np.float64)
    lo = -np.inf if condition.get("lo") is None else float(condition["lo"])
    hi = np.inf if condition.get("hi") is None else float(condition["hi"])
    with np.errstate(invalid="ignore"):
        return (x >= lo) & (x <= hi)


def slice_mask(frame: pd.DataFrame, conditions: list[dict[str, Any]]) -> np.ndarray:
    """Rows satisfying every condition (all rows when there is none)."""
    mask = np.ones(len(frame), bool)
    for c in conditions:
        mask &= condition_mask(frame, c)
    return mask


# ------------------------------------------------------------------ storing the raw test features beside audit.json
def pack_features(frame: pd.DataFrame) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The raw features as one float64 matrix (no pickle needed) and the column layout to read it back.

    Numeric columns keep their values (NaN when missing); other columns store the index of their
    value in the column's ``categories`` (NaN when missing).

    Examples
    --------
    >>> arr, cols = pack_features(pd.DataFrame({"a": [1.5, None], "b": ["x", None]}))
    >>> unpack_features(arr, cols).equals(pd.DataFrame({"a": [1.5, None], "b": pd.array(["x", None], dtype="string")}))
    True
    """
    out = np.empty((len(frame), frame.shape[1]), dtype=np.float64)
    columns = []
    for j, name in enumerate(frame.columns):
        s = frame[name]
        if _is_numeric(s):
            out[:, j] = s.to_numpy(dtype=np.float64, na_value=np.nan)
            columns.append({"name": str(name), "kind": "numeric", "categories": []})
        else:
            cat = pd.Categorical(s.astype("string").astype(object).where(s.notna(), None))
            codes = np.asarray(cat.codes, np.float64)
            codes[codes < 0] = np.nan
            out[:, j] = codes
            columns.append({"name": str(name), "kind": "categorical", "categories": [str(c) for c in cat.categories]})
    return out, columns


def unpack_features(array: np.ndarray, columns: list[dict[str, Any]]) -> pd.DataFrame:
    """Read back :func:`pack_features` output (categorical columns as pandas ``string``).

    Raises
    ------
    DataError
        When the array's shape does not match the layout.
    """
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != len(columns):
        raise DataError(f"The packed features have shape {array.shape}, but the layout lists {len(columns)} columns. "
                        "Fix: re-run the audit; the file may have been replaced.")
    data = {}
    for j, col in enumerate(columns):
        x = array[:, j]
        if col.get("kind") == "numeric":
            data[col["name"]] = x
        else:
            cats = np.asarray(list(col.get("categories") or []) + [None], dtype=object)
            idx = np.where(np.isfinite(x), x, len(cats) - 1).astype(np.int64)
            if len(idx) and (idx.min() < 0 or idx.max() >= len(cats)):
                raise DataError(f"Column {col['name']!r} holds category codes outside its {len(cats) - 1} categories.")
            data[col["name"]] = pd.array(cats[idx], dtype="string")
    return pd.DataFrame(data)
