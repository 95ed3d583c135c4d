"""The Bias section: headline disparities per model and feature, small groups, mitigations.

The headline disparities are the kind's (:attr:`reports._kinds.KindView.headline_disparities`), read from its
group report (:attr:`audit.result.AuditResult.group_audits`): a binary model's, with Fairlearn's mitigations,
or a multiclass or regression model's, where a disparity also names its worst class or group. A text classifier
without a
sensitive column is audited by the identity terms its texts mention (the ``text_audits`` section).

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> bias(ctx)["status"], bias(ctx)["reason"]
('not run', 'fairness audit disabled or not available')
"""

from __future__ import annotations

from typing import Any

from audit.result import ConfidenceSettings, Metric
from reports._plain import not_run as _not_run
from reports._plain import number as _num
from reports._plain import text as _text
from reports._plain import value_ci as _vci
from reports._sections.context import CardContext, given, model_order, reason
from reports._sections.data import interval_settings

__all__ = ["bias", "small_groups"]

_NO_SENSITIVE_TEXT = "no sensitive feature column; the identity terms the texts mention are audited below (Text audits)"
_NO_MITIGATION = "Fairlearn's mitigations are for binary classifiers; none was run"


def small_groups(ctx: CardContext) -> list[dict[str, Any]]:
    """The groups of the binary group report below the minimum size (each feature and group once)."""
    out, seen = [], set()
    for model in ctx.fairness_models:
        for feature, block in ctx.fairness[model].by_feature.items():
            for g in block.groups:
                key = (str(feature), str(g.group))
                if g.insufficient_data and key not in seen:
                    seen.add(key)
                    out.append({"feature": key[0], "group": key[1], "count": _num(g.count)})
    return out


def _gate_max(ctx: CardContext, model: str, feature: str, disparity: str) -> float | None:
    """The upper bound a gate holds this disparity to (the tightest, when several do), drawn on the card's charts."""
    bounds = [_num(g.max) for g in ctx.result.gates
              if g.metric == disparity and g.model == model and str(g.feature) == feature and _num(g.max) is not None]
    return min((float(b) for b in bounds if b is not None), default=None)


def _mitigation(ctx: CardContext) -> list[dict[str, Any]]:
    mitigation = []
    for model in ctx.fairness_models:
        mit = ctx.fairness[model].mitigation
        if mit is None or not given(mit):
            continue
        rows: list[dict[str, Any]] = []
        for row in mit.rows:
            rows.append({"method": _text(row.method), "description": _text(row.description),
                         # per-group breakdowns ride along in "metrics"; the table shows the metric-shaped entries
                         "metrics": {str(k): _vci(v) for k, v in row.metrics.entries.items()
                                     if (v.has("value") if isinstance(v, Metric) else _num(v) is not None)}})
        columns: list[str] = []
        for r in rows:
            columns += [k for k in r["metrics"] if k not in columns]
        mitigation.append({"model": model, "constraint": _text(mit.constraint),
                           "sensitive_feature": _text(mit.sensitive_feature), "columns": columns, "rows": rows,
                           "notes": [str(n) for n in mit.notes]})
    return mitigation


def _binary_bias(ctx: CardContext) -> dict[str, Any]:
    models = ctx.fairness_models
    if not models:
        return {**_not_run("fairness audit disabled or not available"), "headline": [], "small_groups": [], "mitigation": []}
    headline = []
    for model in models:
        for feature, block in ctx.fairness[model].by_feature.items():
            for name in ctx.view.headline_disparities:
                if name in block.disparities:
                    headline.append({"model": model, "feature": str(feature), "disparity": name, **_vci(block.disparities[name]),
                                     "inconclusive_reason": reason(block.disparities[name]),
                                     "gate_max": _gate_max(ctx, model, str(feature), name)})
    pivot: dict[tuple[str, str], dict[str, Any]] = {}
    for h in headline:
        row = pivot.setdefault((h["feature"], h["disparity"]), {"feature": h["feature"], "disparity": h["disparity"], "by_model": {}})
        row["by_model"][h["model"]] = {"value": h["value"], "ci": h["ci"], "inconclusive_reason": h["inconclusive_reason"],
                                       "gate_max": h["gate_max"]}
    first = ctx.fairness[models[0]]
    ci = first.ci or ConfidenceSettings()
    return {
        "status": "ok",
        "ci_method": _text(ci.method),
        "disparity_ci_method": _text(ci.disparity_method),
        "ci_level": _num(ci.level),
        "n_boot": _num(ci.n_boot),
        "min_group_size": _num(first.min_group_size),
        "headline": headline,
        "models": models,
        "headline_table": list(pivot.values()),
        "small_groups": small_groups(ctx),
        "mitigation": _mitigation(ctx),
        "representation_warnings": ctx.representation_warnings(),
    }


def _task_bias(ctx: CardContext) -> dict[str, Any]:
    models = ctx.task_models
    names = model_order(models)
    headline: list[dict[str, Any]] = []
    pivot: dict[tuple[str, str], dict[str, Any]] = {}
    for model in names:
        for feature, block in models[model].by_feature.items():
            for name in ctx.view.headline_disparities:
                d = block.disparities.get(name)
                if d is None:
                    continue
                why = _text(d.reason) if d.value is None else None
                bound = _gate_max(ctx, model, str(feature), name)
                headline.append({"model": model, "feature": str(feature), "disparity": name, **_vci(d), "inconclusive_reason": why,
                                 "gate_max": bound})
                row = pivot.setdefault((str(feature), name), {"feature": str(feature), "disparity": name, "by_model": {}})
                row["by_model"][model] = {**_vci(d), "inconclusive_reason": why, "worst_class": _text(d.worst_class),
                                          "worst_group": _text(d.worst_group), "gate_max": bound}
    ci = interval_settings(ctx) or {}
    small = [{"feature": str(feature), "group": str(x.group), "count": _num(x.n)}
             for feature, block in models[names[0]].by_feature.items() for x in block.excluded_groups]
    return {"status": "ok", "ci_method": ci.get("method"), "disparity_ci_method": ci.get("disparity_method"),
            "ci_level": ci.get("level"), "n_boot": ci.get("n_boot"), "min_group_size": ctx.min_group_size(),
            "headline": headline, "models": names, "headline_table": list(pivot.values()), "small_groups": small,
            "mitigation": [], "mitigation_note": _NO_MITIGATION, "representation_warnings": [], "task": ctx.view.name}


def bias(ctx: CardContext) -> dict[str, Any]:
    """The headline disparities of every model, the small groups and the mitigations."""
    if ctx.task_models:
        return _task_bias(ctx)
    out = _binary_bias(ctx)
    if ctx.is_text and not ctx.result.data.sensitive_features:
        out.update(_not_run(_NO_SENSITIVE_TEXT))
    return out
