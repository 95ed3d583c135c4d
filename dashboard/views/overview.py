"""Overview: the verdict and why, the concerns a reviewer must see first, the audited model's headline figures,
every gate (value [CI] vs bound, outcome, margin), run metadata and provenance."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.result import AuditResult, Data, Environment
from audit.verdict.gates import (
    gate_bound_text,
    gate_number_text,
    gate_title,
    with_derived,
)
from dashboard._data import fmt, fmt_interval, md_escape
from dashboard._review_status import review_banner
from dashboard._state import Run
from dashboard._ui import not_run, require_run, table
from reports import build_summary
from reports._kinds import kind_view

__all__ = ["render"]

_MARK = {"critical": ":red[**● CRITICAL**]", "warning": ":orange[**● WARNING**]", "info": ":gray[● info]"}
_MODEL_FORMATS = {"accuracy": "%.4f", "ROC AUC": "%.4f", "macro F1": "%.4f", "balanced accuracy": "%.4f", "MAE": "%.3f",
                  "RMSE": "%.3f", "R²": "%.4f", "train time (s)": "%.2f"}


def _interval(ci) -> str:
    return fmt_interval(ci)


def _verdict(r: AuditResult, summary: dict[str, Any]) -> None:
    """The verdict, the gates and concerns counted as the card and the CLI count them, and the verdict's reasons."""
    verdict = r.verdict if r.has("verdict") else None
    counts = summary["count_text"]
    reasons = "".join(f"\n- {md_escape(x)}" for x in summary["verdict_reasons"])
    tail = f" · **{md_escape(counts['concerns'])}{' below: read them first' if summary['concerns'] else ''}.**"
    line = f"**Verdict: {md_escape((verdict or 'not recorded').upper())}** — {md_escape(counts['gates'])}{tail}{reasons}"
    {"pass": st.success, "fail": st.error}.get(verdict or "", st.warning)(line)


def _concerns(concerns: list[dict[str, Any]]) -> None:
    st.subheader("Concerns: read these first")
    if not concerns:
        st.caption("No concerns found: no degenerate model, threshold problem, inconclusive gate, interval across a "
                   "bound, four-fifths failure, calibration loss under DP, proxy, data-screening finding or small group.")
    with st.container(border=bool(concerns)):
        for c in concerns:
            lines = [f"{_MARK.get(str(c.get('severity')), md_escape(c.get('severity')))} **{md_escape(c.get('title'))}**"]
            if c.get("detail"):
                lines.append(md_escape(c["detail"]))
            if c.get("where"):
                lines.append(f"*See: {md_escape(c['where'])}*")
            st.markdown("  \n".join(lines))


_PER_ROW = 4  # tiles per row: eight figures stay legible at 1,400 px


def _tile_caption(t: dict[str, Any]) -> str:
    crosses = t.get("ci_crosses_bound") and t["outcome"] == "pass"  # a failing gate's interval may cross it too
    gate = (f"gate {t['bound']}: {'pass on the estimate only' if crosses else t['outcome']}"
            if t["bound"] else "no gate")
    return " · ".join(md_escape(x) for x in (_interval(t["ci"]), gate, t["note"] or "") if x)


def _tiles(r: AuditResult, summary: dict[str, Any]) -> None:
    """The headline figures the card shows (:func:`reports.build_summary`): what threatens the verdict first (a gate
    that fails or passes on its estimate only, marked), the audited model's figures, the worst disparity; then the
    test rows they rest on."""
    model, tiles = summary["audited_model"], summary["tiles"]
    st.caption(f"Headline figures of the **{md_escape(model)}** model, the one audited: first what threatens the "
               "verdict (gates that fail or pass on the estimate only), then its figures and its worst disparity over "
               "every grouping, with their intervals and the gate bounds they are judged against.")
    items: list[dict[str, Any] | None] = [*tiles, None]  # None: the test rows
    for start in range(0, len(items), _PER_ROW):
        for col, t in zip(st.columns(_PER_ROW), items[start:start + _PER_ROW], strict=False):  # the last row may be short
            box = col.container(border=True)
            if t is None:
                box.metric("test rows", fmt(r.data.n_test))
                box.caption("rows every figure rests on")
                continue
            if t.get("threat"):
                box.markdown(f":red[**{md_escape(t['threat'])}**]")
            box.markdown(f"**{md_escape(t['label'])}**")  # wraps; a metric's own label is cut to one line
            box.metric(md_escape(t["label"]), fmt(t["value"], digits=t.get("digits", 3)), label_visibility="collapsed")
            box.caption(_tile_caption(t))


def _gate_rows(r: AuditResult) -> list[dict[str, Any]]:
    rows = []
    for g in map(with_derived, r.gates):
        outcome = g.effective_outcome
        if outcome == "pass":
            result = "pass (estimate only)" if g.ci_crosses_bound else "pass"
        elif outcome == "inconclusive":
            result = "inconclusive" + ("" if g.fails_verdict else " (allowed)")
        else:
            result = "FAIL" if g.severity == "error" else "warning"
        value = gate_number_text(g.metric, g.value) if g.value is not None else "n/a"
        rows.append({
            "result": result, "gate": gate_title(g.metric, g.feature), "model": g.model,
            "value [CI]": f"{value} {_interval(g.ci)}".strip(),
            "bound": gate_bound_text(g), "margin": gate_number_text(g.metric, g.margin) if g.margin is not None else "",
            "severity": g.severity, "reason": g.reason or "", "name": g.name,
            "compared": fmt(g.compared, digits=4),
        })  # fmt: skip
    return rows


def _gates(r: AuditResult) -> None:
    st.subheader("Gates")
    if not r.gates:
        not_run("Gates", "The config defines no [[gates]]; the verdict then rests on nothing.")
        return
    text = st.column_config.TextColumn
    st.dataframe(pd.DataFrame(_gate_rows(r)), hide_index=True, column_config={
        "result": text(width=140), "gate": text(width=250), "model": text(width=70), "value [CI]": text(width=150),
        "bound": text(width=85), "margin": text(width=85), "severity": text(width=70), "reason": text(width="large"),
    })
    st.caption("'compared' is the figure checked against the bound: the CI bound when the gate uses it, else the value. "
               "A metric that could not be computed never counts as a pass; an inconclusive gate fails the verdict "
               "unless the gate sets allow_inconclusive. 'pass (estimate only)': the interval crosses the bound.")


def _models(r: AuditResult) -> None:
    """Every model's test figures (the kind's columns) and how it was trained."""
    st.subheader("Models")
    if not r.models:
        not_run("Models")
        return
    columns = kind_view(r).columns
    model_rows = []
    for n, i in r.models.items():
        row = {"model": n, "private": i.private} | {c.name: getattr(i, c.attr, None) for c in columns}
        row |= {"parameters": i.n_parameters, "architecture": str(i.architecture or ""), "epochs": i.epochs,
                "batch size": i.batch_size, "learning rate": i.learning_rate, "optimizer": i.optimizer,
                "train time (s)": i.train_wall_s}
        model_rows.append(row)
    table(pd.DataFrame(model_rows), formats=_MODEL_FORMATS)


def _data(r: AuditResult) -> None:
    st.subheader("Data")
    data: Data = r.data
    if not data.to_dict():
        not_run("Data summary")
        return
    facts = {k: getattr(data, k) for k in ("source", "test_source", "n_train", "n_test", "task", "target",
                                           "positive_label", "base_rate_train", "base_rate_test", "text_column",
                                           "sensitive_used_as_features", "n_encoded_features")}
    facts = {k: v for k, v in facts.items() if v is not None or k in ("source", "n_train", "n_test", "target")}
    if data.classes:
        counts = data.class_counts_train or {}
        facts["classes (training rows)"] = ", ".join(f"{c} ({fmt(counts.get(str(c)))})" for c in data.classes)
    for k, v in (data.target_summary or {}).items():
        facts[f"target {k}"] = v
    facts["sensitive features"] = ", ".join(map(str, data.sensitive_features))
    facts["features"] = ", ".join(map(str, data.features))
    facts["dropped columns"] = ", ".join(map(str, data.dropped_columns))
    table(pd.DataFrame({"field": list(facts), "value": [fmt(v, digits=4) if v is not None else "—" for v in facts.values()]}))
    if data.attribution:
        st.caption(md_escape(data.attribution))


def _provenance(run: Run) -> None:
    st.subheader("Provenance")
    meta = run.result.run
    prov = {"run name": meta.name, "created (UTC)": meta.created_at, "seed": meta.seed,
            "config sha256": meta.config_sha256, "config file sha256": meta.config_file_sha256,
            "manifest sha256": run.sha}
    for f, h in meta.data_sha256.items():
        prov[f"data {f}"] = h
    for m, h in meta.weights_sha256.items():
        prov[f"weights {m}"] = h
    env = meta.environment or Environment()
    for k in ("python", "platform", "machine", "torch_threads", "git_commit"):
        prov[k] = getattr(env, k)
    for lib, version in env.libraries.items():
        prov[lib] = version
    table(pd.DataFrame({"field": list(prov), "value": [fmt(v) if v is not None else "—" for v in prov.values()]}))
    st.caption("Check these hashes against the files with `rai-audit verify RUN_DIR` (the Review page runs it too).")


def render() -> None:
    """The Overview page of the run picked in the sidebar."""
    run = require_run()
    r = run.result
    st.title("Overview")
    st.caption(f"Run **{md_escape(run.name)}** · created {md_escape(r.run.created_at or 'unknown')} · "
               f"task {md_escape((r.task if r.has('task') else None) or 'unknown')}")
    review_banner(run.path)  # the decision first, above the verdict
    summary = build_summary(r)
    _verdict(r, summary)
    _concerns(summary["concerns"])
    _tiles(r, summary)
    _gates(r)
    _models(r)
    left, right = st.columns(2)
    with left:
        _data(r)
    with right:
        _provenance(run)
    if r.run.config:
        with st.expander("Normalised config"):
            st.json(r.run.config, expanded=False)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
