"""Cohorts: named filters on the raw test features, kept in the session and in the URL (``?cohort=``).

A cohort is a list of conditions, the same dicts :mod:`audit.slices` writes for a slice
(``{"feature", "values"}``, ``{"feature", "lo", "hi"}`` or ``{"feature", "missing": true}``),
so "use this slice as a cohort" is a copy. Pure functions here (testable without Streamlit);
the session and URL plumbing is in :func:`active_cohort` / :func:`set_cohort`.

Where the rows come from: ``predictions.csv`` holds only the sensitive columns, and the
preprocessor cannot invert one-hot safely, so the error-analysis stage stores the raw test
features beside ``audit.json`` (``slices/test_features.npy``, float64 codes, no pickle; rows in
``predictions.csv`` order). A run written before that stage has no cohorts beyond the
sensitive columns of ``predictions.csv``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from audit.choices import TASK_KINDS, TaskKind
from audit.slices import slice_mask

__all__ = ["COHORT_PARAM", "cohort_label", "cohort_mask", "decode", "encode", "from_slice", "small_cohorts",
           "task_cohort_metrics", "widget_label"]

COHORT_PARAM = "cohort"
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-]*")
MAX_PARAM_CHARS = 4000
_KEYS = {"feature", "values", "lo", "hi", "missing", "label"}


def _clean(cond: Any) -> dict[str, Any] | None:
    if not isinstance(cond, dict) or not isinstance(cond.get("feature"), str):
        return None
    out: dict[str, Any] = {"feature": cond["feature"]}
    if cond.get("missing") is True:
        out["missing"] = True
    elif isinstance(cond.get("values"), list):
        out["values"] = [str(v) for v in cond["values"]][:200]
    else:
        for k in ("lo", "hi"):
            v = cond.get(k)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
                out[k] = float(v)
        if "lo" not in out and "hi" not in out:
            return None
    return out


def from_slice(conditions: list[Any]) -> list[dict[str, Any]]:
    """The cohort of a slice's conditions (typed :class:`SliceCondition` or dicts), keeping only the filter keys."""
    out = []
    for c in conditions:
        d = c.to_dict() if hasattr(c, "to_dict") else c
        cleaned = _clean(d)
        if cleaned is not None:
            out.append(cleaned)
    return out


def encode(conditions: list[dict[str, Any]]) -> str:
    """Compact JSON for the URL.

    Examples
    --------
    >>> encode([{"feature": "sex", "values": ["Female"]}])
    '[{"feature":"sex","values":["Female"]}]'
    """
    return json.dumps(from_slice(conditions), separators=(",", ":"), ensure_ascii=False)


def decode(text: Any) -> list[dict[str, Any]] | None:
    """Conditions from the URL parameter; None when absent or not a valid cohort (never raises).

    Examples
    --------
    >>> decode('[{"feature":"age","lo":30,"hi":40}]')
    [{'feature': 'age', 'lo': 30.0, 'hi': 40.0}]
    >>> decode("not json") is None
    True
    """
    if not isinstance(text, str) or not text or len(text) > MAX_PARAM_CHARS:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, list):
        return None
    conds = from_slice(data)
    return conds if conds and len(conds) == len(data) else None


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4g}"


def condition_label(c: dict[str, Any]) -> str:
    """One condition as text."""
    f = c["feature"]
    if c.get("missing"):
        return f"{f} missing"
    if c.get("values") is not None:
        vals = c["values"]
        return f"{f} = {vals[0]}" if len(vals) == 1 else f"{f} ∈ {{{', '.join(vals)}}}"
    lo, hi = c.get("lo"), c.get("hi")
    if lo is not None and hi is not None:
        return f"{f} = {_fmt(lo)}" if lo == hi else f"{f} {_fmt(lo)}–{_fmt(hi)}"
    return f"{f} ≥ {_fmt(lo)}" if lo is not None else f"{f} ≤ {_fmt(c['hi'])}"  # a cleaned range has lo or hi


def cohort_label(conditions: list[dict[str, Any]] | None) -> str:
    """A cohort as text; "whole test set" for no conditions.

    Examples
    --------
    >>> cohort_label([{"feature": "sex", "values": ["Female"]}, {"feature": "age", "lo": 30, "hi": 40}])
    'sex = Female & age 30–40'
    """
    return " & ".join(condition_label(c) for c in conditions) if conditions else "whole test set"


def cohort_mask(features: pd.DataFrame, conditions: list[dict[str, Any]] | None) -> np.ndarray:
    """Which test rows the cohort holds (every row for none); conditions on absent features raise DataError."""
    return slice_mask(features, list(conditions or []))


def _wilson(k: int, n: int) -> tuple[float | None, float | None]:
    """The exact (Clopper–Pearson) 95% interval the run's fairness report gives a group's proportion (the name is kept
    for its callers); None for no rows. Exact keeps its coverage on a 12-row cohort, where Wilson's can fall short."""
    if n <= 0:
        return None, None
    from audit.fairness._proportions import clopper_pearson

    lo, hi = clopper_pearson(np.array([k]), np.array([n]), 0.95)
    return float(lo[0]), float(hi[0])


def small_cohorts(metrics: pd.DataFrame, *, min_group_size: int | None) -> pd.DataFrame:
    """``metrics`` with an ``insufficient`` column: True where a cohort has fewer rows than the run's ``min_group_size``
    (the fairness report's small-group policy: its figures are shown but not to be relied on).

    Examples
    --------
    >>> small_cohorts(pd.DataFrame({"rows": [12, 400]}), min_group_size=30)["insufficient"].tolist()
    [True, False]
    """
    out = metrics.copy()
    out["insufficient"] = (out["rows"] < int(min_group_size)) if min_group_size else False
    return out


def cohort_metrics(preds: pd.DataFrame) -> pd.DataFrame:
    """Per model: rows, accuracy, error rate, selection rate, TPR and FPR of ``preds`` (a slice of predictions.csv),
    each proportion with its exact (Clopper–Pearson) 95% interval, as the fairness report's
    (columns ``<metric>``, ``<metric> lo``, ``<metric> hi``).

    Examples
    --------
    >>> f = pd.DataFrame({"model": ["m"] * 4, "y_true": [1, 1, 0, 0], "y_pred": [1, 0, 0, 0]})
    >>> cohort_metrics(f).loc[0, ["accuracy", "tpr", "fpr"]].tolist()
    [0.75, 0.5, 0.0]
    """
    rows = []
    for model, part in preds.groupby("model", sort=False):
        y, p = part["y_true"].to_numpy(), part["y_pred"].to_numpy()
        counts = {"accuracy": (int((y == p).sum()), len(y)), "error rate": (int((y != p).sum()), len(y)),
                  "selection rate": (int(p.sum()), len(y)), "tpr": (int(((p == 1) & (y == 1)).sum()), int((y == 1).sum())),
                  "fpr": (int(((p == 1) & (y == 0)).sum()), int((y == 0).sum()))}
        row: dict[str, Any] = {"model": model, "rows": len(y)}
        for name, (k, n) in counts.items():
            row[name] = k / n if n else None
            row[f"{name} lo"], row[f"{name} hi"] = _wilson(k, n)
        rows.append(row)
    return pd.DataFrame(rows)


def _t_interval(x: np.ndarray) -> tuple[float | None, float | None]:
    if len(x) < 2:
        return None, None
    from scipy import stats

    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return float(x.mean()) - half, float(x.mean()) + half


def task_cohort_metrics(preds: pd.DataFrame, *, kind: str | TaskKind) -> pd.DataFrame:
    """:func:`cohort_metrics` for any kind of target (the record's ``AuditResult.kind``, or its name), the columns of
    its ``reports._kinds.KindView.cohort_metrics``: a positive class as there; several classes: accuracy and error
    rate (exact 95%); a number: MAE, mean error (prediction − target), mean prediction and mean target, each with a
    t 95% interval.

    Examples
    --------
    >>> f = pd.DataFrame({"model": ["m"] * 3, "y_true": [1.0, 2.0, 3.0], "y_pred": [2.0, 2.0, 2.0]})
    >>> round(float(task_cohort_metrics(f, kind="regression").loc[0, "mae"]), 4)
    0.6667
    """
    k = kind if isinstance(kind, TaskKind) else TASK_KINDS[kind]
    if k.has_positive_class:
        return cohort_metrics(preds)
    rows = []
    for model, part in preds.groupby("model", sort=False):
        row: dict[str, Any] = {"model": model, "rows": len(part)}
        if not k.classifier:
            y, p = part["y_true"].to_numpy(np.float64), part["y_pred"].to_numpy(np.float64)
            for name, x in (("mae", np.abs(p - y)), ("mean error", p - y), ("mean prediction", p), ("mean target", y)):
                row[name] = float(x.mean()) if len(x) else None
                row[f"{name} lo"], row[f"{name} hi"] = _t_interval(x)
        else:
            right = int((part["y_true"].astype(str) == part["y_pred"].astype(str)).sum())
            for name, count in (("accuracy", right), ("error rate", len(part) - right)):
                row[name] = count / len(part) if len(part) else None
                row[f"{name} lo"], row[f"{name} hi"] = _wilson(count, len(part))
        rows.append(row)
    return pd.DataFrame(rows)


def widget_label(name: Any) -> str:
    """A column name as a widget label (Streamlit renders labels as Markdown): plain names as they are, so the
    accessible name stays readable; anything with markup characters backslash-escaped.

    Examples
    --------
    >>> widget_label("education-num"), widget_label("![x](http://e.x)").startswith("\\\\!")
    ('education-num', True)
    """
    from dashboard._data import md_escape

    text = str(name)
    return text if _PLAIN.fullmatch(text) else md_escape(text)
