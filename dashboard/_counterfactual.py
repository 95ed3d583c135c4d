"""What-if's feasibility constraints and counterfactual search, pure functions over a run's rows and a scoring function.

**Feasible** values come from the data: a categorical feature takes one of the preprocessor's training
categories, a numeric one stays inside the range the rows hold; a pair of categorical values is
**impossible** when the rows never hold it together although independence would put at least
:data:`MIN_EXPECTED` rows there (Female with Husband: thousands expected, none seen). A pair never
seen but rare by expectation is not flagged: too few rows to tell.

The **counterfactual search** looks for the nearest feasible change that reaches a goal (a binary
decision flipped; a multiclass model's chosen class): a beam search over the data's observed values
(every category; numeric deciles), one feature more per step, up to :data:`MAX_CHANGES`, keeping the
:data:`BEAM` candidates closest to the goal. Distance: each changed categorical feature counts 1, a
numeric change its size in training standard deviations; among the goal-reaching rows of the first
step that finds any, the nearest is returned. Microsoft's ``dice-ml`` was considered and not used: it
requires xgboost (with a 350 MB NCCL wheel) and lightgbm, and its constraints are per feature, so it
cannot exclude the impossible combinations above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BEAM", "MAX_CHANGES", "MIN_EXPECTED", "Counterfactual", "Feasibility", "feasibility", "search",
           "value_flips"]

MIN_EXPECTED = 5.0
MAX_CHANGES = 3
BEAM = 12
MISSING = "<missing>"


def _key(v: Any) -> str:
    return MISSING if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


@dataclass
class Feasibility:
    """What the rows allow: numeric ranges and deciles, categories, and the categorical pairs seen together."""

    n_rows: int
    ranges: dict[str, tuple[float, float]]
    deciles: dict[str, list[float]]
    categories: dict[str, list[str]]
    counts: dict[str, dict[str, int]]
    pairs: dict[tuple[str, str], set[tuple[str, str]]]

    def problems(self, row: dict[str, Any]) -> list[str]:
        """Why ``row`` (feature → value) is not a feasible row: out-of-range numbers, impossible pairs.

        Examples
        --------
        >>> f = feasibility(pd.DataFrame({"sex": ["F", "M"] * 10, "rel": ["Wife", "Husband"] * 10}), numeric=[],
        ...                 categories={"sex": ["F", "M"], "rel": ["Husband", "Wife"]})
        >>> f.problems({"sex": "F", "rel": "Husband"})
        ['sex = F with rel = Husband: never together in 20 rows (5 expected if unrelated)']
        """
        out = []
        for col, (lo, hi) in self.ranges.items():
            v = row.get(col)
            if v is not None and not pd.isna(v) and not lo <= float(v) <= hi:
                out.append(f"{col} = {v:g}: outside the rows' range {lo:g}–{hi:g}")
        for (a, b), seen in self.pairs.items():
            va, vb = _key(row.get(a)), _key(row.get(b))
            if (va, vb) in seen:
                continue
            expected = self.counts[a].get(va, 0) * self.counts[b].get(vb, 0) / max(self.n_rows, 1)
            if expected >= MIN_EXPECTED:
                out.append(f"{a} = {va} with {b} = {vb}: never together in {self.n_rows:,} rows "
                           f"({expected:,.0f} expected if unrelated)")
        return out

    def values(self, col: str, current: Any) -> list[Any]:
        """The other values ``col`` can take: every category, or the numeric deciles of the rows."""
        if col in self.categories:
            return [c for c in self.categories[col] if c != _key(current)]
        return [v for v in self.deciles.get(col, []) if pd.isna(current) or v != float(current)]


def feasibility(rows: pd.DataFrame, *, numeric: list[str], categories: dict[str, list[str]]) -> Feasibility:
    """The :class:`Feasibility` of the data's ``rows`` (raw features); ``categories`` as the preprocessor knows them."""
    ranges, deciles = {}, {}
    for col in numeric:
        x = pd.to_numeric(rows[col], errors="coerce").dropna().to_numpy(np.float64)
        if len(x):
            ranges[col] = (float(x.min()), float(x.max()))
            q = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9), method="nearest"))
            deciles[col] = [float(v) for v in q]
    cats = {c: list(v) for c, v in categories.items() if c in rows.columns}
    keyed = {c: rows[c].map(_key) for c in cats}
    counts = {c: k.value_counts().to_dict() for c, k in keyed.items()}
    pairs = {(a, b): set(zip(keyed[a], keyed[b], strict=True)) for a, b in combinations(cats, 2)}
    return Feasibility(n_rows=len(rows), ranges=ranges, deciles=deciles, categories=cats, counts=counts, pairs=pairs)


@dataclass
class Counterfactual:
    """The nearest change found: the changed row, what changed (feature → (old, new)), its distance and output."""

    row: pd.DataFrame
    changes: dict[str, tuple[Any, Any]]
    distance: float
    examined: int


def _distance(original: pd.DataFrame, cand: pd.DataFrame, scale: dict[str, float]) -> np.ndarray:
    d = np.zeros(len(cand))
    for col in original.columns:
        if col in scale:
            a = pd.to_numeric(cand[col], errors="coerce").to_numpy(np.float64)
            d += np.nan_to_num(np.abs(a - float(original.at[0, col])) / scale[col], nan=1.0)
        else:
            d += (cand[col].map(_key).to_numpy() != _key(original.at[0, col])).astype(float)
    return d


def _expand(states: pd.DataFrame, feas: Feasibility, free: list[str]) -> pd.DataFrame:
    """Every state with one more feature changed to another observed value (never one it changed before)."""
    out = []
    for _, state in states.iterrows():
        for col in free:
            if col in state["_changed"]:
                continue
            for v in feas.values(col, state[col]):
                new = state.copy()
                new[col] = v
                new["_changed"] = state["_changed"] | {col}
                out.append(new)
    return pd.DataFrame(out).reset_index(drop=True) if out else states.iloc[:0]


def search(original: pd.DataFrame, *, margin: Callable[[pd.DataFrame], np.ndarray], feas: Feasibility,
           free: list[str], scale: dict[str, float], max_changes: int = MAX_CHANGES,
           beam: int = BEAM) -> Counterfactual | None:
    """The nearest feasible change of ``original`` (one raw row) whose ``margin`` is >= 0, or None.

    ``margin(rows)`` scores raw rows: >= 0 where the goal is reached, larger nearer to it. Only the ``free``
    features change; ``scale`` holds each numeric feature's training standard deviation (its distance unit).

    Examples
    --------
    >>> rows = pd.DataFrame({"a": ["x", "y", "z"] * 4, "b": [1.0, 2.0, 3.0, 4.0] * 3})
    >>> feas = feasibility(rows, numeric=["b"], categories={"a": ["x", "y", "z"]})
    >>> cf = search(rows.head(1), margin=lambda r: (r["a"] == "z").to_numpy(float) - 0.5, feas=feas, free=["a", "b"],
    ...             scale={"b": 1.0})
    >>> cf.changes
    {'a': ('x', 'z')}
    """
    states = original.copy().reset_index(drop=True)
    states["_changed"] = [frozenset()]
    examined = 0
    for _ in range(max_changes):
        cand = _expand(states, feas, free)
        if cand.empty:
            return None
        ok = np.array([not feas.problems(r) for r in cand[original.columns].to_dict("records")], bool)
        cand = cand[ok].reset_index(drop=True)
        if cand.empty:
            return None
        examined += len(cand)
        rows = cand[original.columns]
        m, d = np.asarray(margin(rows), np.float64), _distance(original, rows, scale)
        hit = np.nonzero(m >= 0)[0]
        if len(hit):
            best = int(hit[np.argmin(d[hit])])
            row = rows.iloc[[best]].reset_index(drop=True)
            changes = {c: (original.at[0, c], row.at[0, c]) for c in sorted(cand.at[best, "_changed"], key=list(original.columns).index)}
            return Counterfactual(row=row, changes=changes, distance=float(d[best]), examined=examined)
        order = np.lexsort((d, -m))[:beam]  # nearest the goal first, then the nearest row
        states = cand.iloc[order].drop_duplicates(subset=list(original.columns)).reset_index(drop=True)
    return None


def value_flips(original: pd.DataFrame, *, features: list[str], feas: Feasibility,
                decide: Callable[[pd.DataFrame], tuple[np.ndarray, list[str]]]) -> pd.DataFrame:
    """Each of ``features`` changed alone to each other observed value: the output, the decision, whether it flips and
    whether the changed row is feasible. ``decide(rows)`` gives each row's output and decision; row 0 is the original.

    Examples
    --------
    >>> rows = pd.DataFrame({"sex": ["F", "M"] * 5})
    >>> feas = feasibility(rows, numeric=[], categories={"sex": ["F", "M"]})
    >>> out = value_flips(rows.head(1), features=["sex"], feas=feas,
    ...                   decide=lambda r: (np.zeros(len(r)), ["no" if v == "F" else "yes" for v in r["sex"]]))
    >>> out[["feature", "value", "decision", "flips"]].to_dict("records")
    [{'feature': 'sex', 'value': 'M', 'decision': 'yes', 'flips': True}]
    """
    edits = [(col, v) for col in features if col in original.columns for v in feas.values(col, original.at[0, col])]
    if not edits:
        return pd.DataFrame(columns=["feature", "value", "output", "decision", "flips", "feasible"])
    rows = pd.concat([original] * (len(edits) + 1), ignore_index=True)
    for i, (col, v) in enumerate(edits, start=1):
        rows[col] = rows[col].astype(object)
        rows.at[i, col] = v
    out, decisions = decide(rows)
    return pd.DataFrame([{"feature": col, "value": _key(v), "output": float(np.ravel(out[i]).max()) if np.ndim(out) > 1
                          else float(out[i]), "decision": decisions[i], "flips": decisions[i] != decisions[0],
                          "feasible": "; ".join(feas.problems(rows.iloc[i].to_dict())) or "yes"}
                         for i, (col, v) in enumerate(edits, start=1)])
