"""Pure data helpers for the tasks beyond binary tables: multiclass and regression group errors, text audits.

No Streamlit here, so every helper is unit-testable. They read the typed record's group audits
(:attr:`audit.result.AuditResult.group_audits`; see ``audit/fairness/_multiclass.py`` and ``_regression.py``) and
``text`` section (``audit/text/``) and return display-ready frames; a key the record lacks reads as missing, never
as an error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from audit.result import AuditResult, Disparity, FairnessBlock, Group
from dashboard._data import fmt_ci, metric_parts
from reports._definitions import COLUMN_LABELS
from reports._kinds import kind_view

__all__ = [
    "by_class_frame",
    "confusion_frame",
    "disparity_frame",
    "group_metric_frame",
    "group_table",
    "per_class_rates",
    "whatif_note",
    "wilson",
]


_WHATIF_INPUT = {
    "text": "What-if edits the feature values of a tabular row, and a text classifier reads free text. The **Text** page "
            "shows how the model's score moves when one identity term in a text is swapped for another (the "
            "counterfactual pairs, with example texts) and which tokens raise or lower it.",
    "image": "What-if edits the feature values of a tabular row; this run's model reads images.",
}


def whatif_note(r: AuditResult) -> str | None:
    """Why What-if cannot rescore this run's rows: its input is not a table, or its kind is not binary
    (:attr:`reports._kinds.KindView.whatif_note`); None when it can.

    Examples
    --------
    >>> from dashboard._data import as_result
    >>> whatif_note(as_result({})) is None, whatif_note(as_result({"task": "regression"})).startswith("What-if rescores")
    (True, True)
    """
    return _WHATIF_INPUT.get(r.input_kind) or kind_view(r).whatif_note


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def wilson(k: int, n: int, *, z: float = 1.959963984540054) -> tuple[float | None, float | None]:
    """Wilson score interval of ``k`` successes in ``n`` trials (95% by default); ``(None, None)`` when ``n`` is 0.

    Examples
    --------
    >>> [round(v, 3) for v in wilson(5, 10)]
    [0.237, 0.763]
    """
    if n <= 0:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def group_table(block: FairnessBlock, metrics: tuple[str, ...]) -> pd.DataFrame:
    """One row per group: rows, small-group flag and each metric as ``value [lo, hi]``."""
    rows = []
    for g in block.groups:
        row = {"group": str(g.group), "rows": g.rows, "small group": g.too_small}
        for m in metrics:
            if (entry := g.figure(m)) is not None:
                row[COLUMN_LABELS.get(m, m)] = fmt_ci(entry, digits=4 if m in ("accuracy", "macro_recall", "macro_f1") else 2)
        rows.append(row)
    return pd.DataFrame(rows)


def group_metric_frame(block: FairnessBlock, metrics: tuple[str, ...]) -> pd.DataFrame:
    """Long frame for charts: group, metric (the record's key), figure (its readable name), value, lo, hi, rows."""
    rows = []
    for g in block.groups:
        for m in metrics:
            value, lo, hi = metric_parts(g.figure(m))
            if _num(value) is not None:
                rows.append({"group": str(g.group), "metric": m, "figure": COLUMN_LABELS.get(m, m), "value": _num(value),
                             "lo": _num(lo), "hi": _num(hi), "rows": g.rows})
    return pd.DataFrame(rows, columns=["group", "metric", "figure", "value", "lo", "hi", "rows"])


def _confusion(group: Group, k: int) -> np.ndarray | None:
    c = group.confusion
    try:
        m = np.asarray(c, dtype=np.int64)
    except (TypeError, ValueError):
        return None
    return m if m.shape == (k, k) else None


def confusion_frame(group: Group, classes: list[str]) -> pd.DataFrame:
    """A group's K×K confusion matrix as a long frame: true, predicted, count, share of the true class's rows."""
    m = _confusion(group, len(classes))
    if m is None:
        return pd.DataFrame(columns=["true", "predicted", "count", "share of true class"])
    totals = m.sum(axis=1)
    rows = [{"true": str(classes[i]), "predicted": str(classes[j]), "count": int(m[i, j]),
             "share of true class": (m[i, j] / totals[i]) if totals[i] else None}
            for i in range(len(classes)) for j in range(len(classes))]
    return pd.DataFrame(rows)


def per_class_rates(block: FairnessBlock, classes: list[str]) -> pd.DataFrame:
    """Per group and class: selection rate (share of the group predicted as the class) and recall (share of the
    class's true rows predicted as it), each with its recorded exact interval (``selection_rate_ci``, ``recall_ci``;
    a record without them: a Wilson 95% interval from the group's confusion counts).

    Columns: group, class, rate ("selection rate" or "recall"), value, lo, hi, n (the denominator). A recall whose
    class has no true rows in the group is left out (undefined), as in the record.
    """
    rows = []
    for g in block.groups:
        m = _confusion(g, len(classes))
        if m is None:
            continue
        n, col, row = int(m.sum()), m.sum(axis=0), m.sum(axis=1)
        recorded = {"selection rate": g.selection_rate_ci, "recall": g.recall_ci}
        for i, cls in enumerate(classes):
            for rate, k, d in (("selection rate", int(col[i]), n), ("recall", int(m[i, i]), int(row[i]))):
                if d:
                    ci = recorded[rate].get(str(cls))
                    lo, hi = (ci[0], ci[1]) if isinstance(ci, (list, tuple)) and len(ci) == 2 else wilson(k, d)
                    rows.append({"group": str(g.group), "class": str(cls), "rate": rate, "value": k / d,
                                 "lo": lo, "hi": hi, "n": d})
    return pd.DataFrame(rows, columns=["group", "class", "rate", "value", "lo", "hi", "n"])


def disparity_frame(block: FairnessBlock) -> pd.DataFrame:
    """One row per disparity: value, interval, worst class / worst group, groups compared and why a value is null."""
    rows = []
    for name, d in block.disparities.items():
        lo, hi = (d.ci[0], d.ci[1]) if d.ci and len(d.ci) == 2 else (None, None)
        rows.append({"disparity": name, "value": _num(d.value), "lo": _num(lo), "hi": _num(hi),
                     "worst class": d.worst_class or "", "worst group": d.worst_group or "",
                     "groups compared": ", ".join(map(str, d.groups_used or [])), "reason": d.null_reason or ""})
    return pd.DataFrame(rows, columns=["disparity", "value", "lo", "hi", "worst class", "worst group",
                                       "groups compared", "reason"])


def by_class_frame(block: FairnessBlock) -> pd.DataFrame:
    """The one-vs-rest disparities per class (rows: class; columns: each ``*_ovr`` disparity)."""
    data = {name: d.by_class for name, d in block.disparities.items() if isinstance(d, Disparity) and d.by_class}
    if not data:
        return pd.DataFrame(columns=["class"])
    frame = pd.DataFrame(data)
    frame.index.name = "class"
    return frame.reset_index().astype({"class": str})
