"""What-if's searches on the shown row: the nearest feasible change that flips the decision (a binary model) or reaches
a chosen class (a multiclass model), and the sensitive-value flip test. The search itself is
:mod:`dashboard._counterfactual`; here are its goals per task and the page's sections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from audit.result import AuditResult
from dashboard._counterfactual import MAX_CHANGES, Feasibility, search, value_flips
from dashboard._data import md_escape
from dashboard._ui import selectbox, table
from dashboard._whatif import Scorer

__all__ = ["goal_margin", "show_counterfactual", "show_sensitive_flips"]


def goal_margin(scorer: Scorer, pre: Any, *, original: pd.DataFrame,
                target: str | None = None) -> Callable[[pd.DataFrame], np.ndarray]:
    """``margin(rows)`` for :func:`dashboard._counterfactual.search`: >= 0 where the decision differs from the original
    row's (binary: the score crosses the threshold) or the model picks class ``target`` (multiclass); below 0, the
    distance still to go.

    Examples
    --------
    >>> import torch
    >>> s = Scorer(torch.nn.Linear(1, 1), threshold=0.5)
    >>> class Pre:
    ...     def transform(self, rows): return rows[["x"]].to_numpy(np.float32)
    >>> with torch.no_grad(): _ = s.model.weight.fill_(1.0), s.model.bias.fill_(0.0)
    >>> m = goal_margin(s, Pre(), original=pd.DataFrame({"x": [-1.0]}))
    >>> [bool(v >= 0) for v in m(pd.DataFrame({"x": [-2.0, 1.0]}))]
    [False, True]
    """
    if scorer.kind.has_classes:
        k = scorer.classes.index(str(target))

        def multiclass(rows: pd.DataFrame) -> np.ndarray:
            p = scorer.outputs(pre.transform(rows))
            gap = p[:, k] - np.delete(p, k, axis=1).max(axis=1)
            return np.where(np.argmax(p, axis=1) == k, np.abs(gap), -np.abs(gap) - 1e-12)

        return multiclass
    t = scorer.threshold
    positive = float(scorer.outputs(pre.transform(original))[0]) >= t

    def binary(rows: pd.DataFrame) -> np.ndarray:
        s = scorer.outputs(pre.transform(rows))
        reached = s < t if positive else s >= t
        return np.where(reached, np.abs(s - t), -np.abs(s - t) - 1e-12)

    return binary


def _free(r: AuditResult, pre: Any) -> list[str]:
    sensitive = set(r.data.sensitive_features or [])
    options = list(pre.columns_)
    kept = st.multiselect("Keep fixed", options, default=[c for c in options if c in sensitive], key="wi_cf_fixed",
                          help="Features the search may not change (by default the sensitive ones: their flips are "
                               "tested on their own below).")
    return [c for c in options if c not in kept]


def show_counterfactual(r: AuditResult, pre: Any, scorers: dict[str, Scorer], row: pd.DataFrame,
                        feas: Feasibility) -> None:
    """The nearest feasible change of ``row`` that flips the chosen model's decision (or reaches a chosen class)."""
    st.subheader("Nearest change that flips the decision")
    ordered = sorted(scorers, key=lambda m: (m != "private", m))
    first = scorers[ordered[0]]
    if not first.kind.classifier:
        st.info("A regression model has no decision to flip: edit the row above to see how the prediction moves, and "
                "see below how it moves with each sensitive value.")
        return
    cols = st.columns(2)
    model = selectbox("Model", ordered, where=cols[0], key="wi_cf_model")
    scorer = scorers[model]
    target = None
    if scorer.kind.has_classes:
        current = scorer.decisions(scorer.outputs(pre.transform(row)))[0]
        others = [c for c in scorer.classes if c != current]
        target = selectbox("Reach the class", others, where=cols[1], key="wi_cf_class")
    free = _free(r, pre)
    if not st.toggle("Search", key="wi_cf_run", help="Runs the search on this row (a few thousand rows scored)."):
        st.caption(f"Looks for the nearest row, changing up to {MAX_CHANGES} of the free features to values the data "
                   "holds, that the model decides differently; turn on to search.")
        return
    cf = search(row.reset_index(drop=True), margin=goal_margin(scorer, pre, original=row, target=target), feas=feas,
                free=free, scale={c: float(pre.numeric_[c].get("std") or 1.0) or 1.0 for c in pre.numeric_})
    goal = f"class {target}" if target is not None else "the other decision"
    if cf is None:
        st.info(f"No feasible change of up to {MAX_CHANGES} free features reaches {md_escape(goal)} for the "
                f"{md_escape(model)} model.")
        return
    out = scorer.outputs(pre.transform(cf.row))
    table(pd.DataFrame([{"feature": c, "from": str(a), "to": str(b)} for c, (a, b) in cf.changes.items()]))
    st.caption(f"Reaches {md_escape(goal)} ({md_escape(scorer.decisions(out)[0])}) at distance {cf.distance:.2f}: "
               "each changed category counts 1, a numeric change its size in training standard deviations; "
               f"{cf.examined:,} feasible rows examined (values seen in the data; no impossible combination).")


def show_sensitive_flips(r: AuditResult, pre: Any, scorers: dict[str, Scorer], row: pd.DataFrame,
                         feas: Feasibility) -> None:
    """Each sensitive feature the model reads, set to each other observed value: which values change the decision."""
    st.subheader("Sensitive-value flip test")
    sensitive = [c for c in (r.data.sensitive_features or []) if c in pre.columns_]
    if not sensitive:
        st.info("The model does not read any sensitive feature (they are not among its inputs), so changing one cannot "
                "change its output.")
        return
    def decider(s: Scorer) -> Callable[[pd.DataFrame], tuple[np.ndarray, list[str]]]:
        def decide(rows: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
            out = s.outputs(pre.transform(rows))
            return out, s.decisions(out)
        return decide

    frames = [value_flips(row.reset_index(drop=True), features=sensitive, feas=feas, decide=decider(scorer)).assign(model=m)
              for m, scorer in scorers.items()]
    out = pd.concat(frames, ignore_index=True)
    if out.empty:
        st.info("The sensitive features have no other observed value.")
        return
    regression = not next(iter(scorers.values())).kind.classifier
    flipped = out[out["flips"] & (out["feasible"] == "yes")]
    verdict = (f"{len(flipped)} feasible change(s) of a sensitive value alone change the decision: "
               + "; ".join(f"{m}: {f} = {v}" for m, f, v in flipped[["model", "feature", "value"]].itertuples(index=False, name=None))
               if len(flipped) else "No feasible change of a sensitive value alone changes the decision.")
    if regression:
        verdict = "A regression has no decision: the output column is the prediction with the value changed."
    (st.warning if len(flipped) and not regression else st.caption)(md_escape(verdict))
    table(out[["model", "feature", "value", "output", "decision", "flips", "feasible"]], formats={"output": "%.4f"})
