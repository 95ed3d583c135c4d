"""Quantitative analyses (Mitchell et al. 2019, section 7): each model's performance and the binary group tables.

The performance table shows the kind's own figures (multiclass: accuracy, macro F1, balanced accuracy;
regression: MAE, RMSE, R²) or, for a binary model, test accuracy and ROC AUC. The group tables of a binary
model are here; those of a kind with its own figures are the ``group_errors`` section
(:mod:`reports._sections.group_errors`).

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {},
...     "data": {"target": "y"}, "models": {"private": {"test_mae": 4.2}}}))
>>> q = quantitative_analyses(ctx)
>>> q["performance"][0]["mae"], [c["label"] for c in q["performance_columns"]]
(4.2, ['Test MAE', 'Test RMSE', 'Test R²'])
"""

from __future__ import annotations

from typing import Any

from audit.result import FairnessBlock
from reports._plain import as_dict as _dict
from reports._plain import number as _num
from reports._plain import text as _text
from reports._plain import value_ci as _vci
from reports._sections.context import CardContext, given, reason

__all__ = ["quantitative_analyses"]


def _group_rows(block: FairnessBlock, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"group": str(g.group), "count": _num(g.count), "share": _num(g.share),
             "insufficient_data": bool(g.insufficient_data),
             "metrics": {m: _vci(g.metrics[m]) for m in columns if m in g.metrics}} for g in block.groups]


def _analyses(ctx: CardContext) -> list[dict[str, Any]]:
    """One group table per model and sensitive feature of the binary group report, with its disparities."""
    view, analyses = ctx.view, []
    for model in ctx.fairness_models:
        F = ctx.fairness[model]
        overall = F.overall.metrics if F.overall is not None else {}
        for feature, block in F.by_feature.items():
            rows = _group_rows(block, view.group_metrics)
            columns = [m for m in view.group_metrics if any(m in r["metrics"] for r in rows)]
            ff = block.four_fifths_rule
            analyses.append({
                "model": model,
                "feature": str(feature),
                "features": [str(f) for f in block.features] or [str(feature)],
                "intersectional": len(block.features) > 1,
                "columns": columns,
                "overall": {m: _vci(overall[m]) for m in columns if m in overall},
                "groups": rows,
                # The documented disparities only: the engine also reports every rate's difference/ratio and
                # *_to_overall variants, which stay in audit.json but would drown the card.
                "disparities": [{"name": k, **_vci(block.disparities[k]), "inconclusive_reason": reason(block.disparities[k])}
                                for k in view.disparities if k in block.disparities],
                "four_fifths_rule": {"selection_rate_ratio": _num(ff.selection_rate_ratio),
                                     "passed": ff.passed} if ff is not None and given(ff) else None,
                "calibration": [{"group": str(g), "ece": _num(c.ece)} for g, c in block.calibration.items()],
            })  # fmt: skip
    return analyses


def quantitative_analyses(ctx: CardContext) -> dict[str, Any]:
    """Each model's test performance, and the binary group tables (unitary, then intersectional)."""
    result, view = ctx.result, ctx.view
    perf = []
    for name in ctx.model_names:
        m = result.models[name]
        row = {"model": name, "accuracy": _num(m.test_accuracy), "roc_auc": _num(m.test_roc_auc)}
        row.update({c.key: _num(getattr(m, c.attr, None)) for c in view.performance})
        perf.append(row)
    analyses = _analyses(ctx)
    models = ctx.fairness_models
    first_ci = ctx.fairness[models[0]].ci if models else None
    out = {
        "status": "ok" if perf else "not run",
        "performance": perf,
        "unitary": [a for a in analyses if not a["intersectional"]],
        "intersectional": [a for a in analyses if a["intersectional"]],
        "ci_level": _num(first_ci.level) if first_ci is not None else None,
    }
    if view.own_figures:
        out["performance_columns"] = [{"key": c.key, "label": c.heading} for c in view.performance]
    if view.performance_note:
        units = _text(_dict(result.data.target_summary).get("units"))
        out["performance_note"] = view.performance_note.format(target=result.data.target or "",
                                                               units=f" ({units})" if units else "")
    return out
