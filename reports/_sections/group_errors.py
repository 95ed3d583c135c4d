"""Group errors of a kind with its own figures (multiclass, regression), shown under Quantitative analyses.

Per model and sensitive feature: the groups' metrics with intervals, read from each model's group audit
(:attr:`audit.result.AuditResult.group_audits`; multiclass: accuracy, macro recall and F1, selection rate and
recall per class, the worst classes, a
confusion matrix for the largest groups; regression: MAE, RMSE, mean prediction and target, mean error)
and the disparities, in the order the kind's :class:`reports._kinds.KindView` gives.

Examples
--------
>>> from audit.result import AuditResult
>>> r = AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {},
...     "models": {"private": {"test_accuracy": None, "test_mae": 4.2}}})
>>> group_errors(CardContext(r))["status"]
'not run'
"""

from __future__ import annotations

from typing import Any

from audit.result import AuditResult, FairnessBlock, Group, ModelFairness
from reports._kinds import COLUMN_LABELS
from reports._plain import as_dict as _dict
from reports._plain import not_run as _not_run
from reports._plain import number as _num
from reports._plain import text as _text
from reports._plain import value_ci as _vci
from reports._sections.context import CardContext, model_order
from reports._sections.data import interval_settings

__all__ = ["N_CONFUSION_GROUPS", "N_WORST_CLASSES", "group_errors"]

#: Confusion matrices shown per grouping (largest groups first) and rows of the worst-class table.
N_CONFUSION_GROUPS = 2
N_WORST_CLASSES = 5


def _disparity_rows(block: FairnessBlock, order: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for name in list(order) + [k for k in block.disparities if k not in order]:
        d = block.disparities.get(name)
        if d is None:
            continue
        rows.append({"name": name, **_vci(d), "inconclusive_reason": _text(d.reason) if d.value is None else None,
                     "worst_class": _text(d.worst_class), "worst_group": _text(d.worst_group),
                     "groups_used": [str(g) for g in d.groups_used or []]})
    return rows


def _class_table(groups: list[dict], classes: list[str], block: FairnessBlock) -> list[dict[str, Any]]:
    """Per class: selection rate and recall by group and their gaps, worst recall gap first."""
    sr_gap = _dict(getattr(block.disparities.get("selection_rate_difference_ovr"), "by_class", {}))
    rec_gap = _dict(getattr(block.disparities.get("recall_difference_ovr"), "by_class", {}))
    rows = []
    for c in classes:
        rows.append({"class": c,
                     "selection_rate": {g["group"]: _num(g["raw"].selection_rate.get(c)) for g in groups},
                     "recall": {g["group"]: _num(g["raw"].recall.get(c)) for g in groups},
                     "selection_rate_gap": _num(sr_gap.get(c)), "recall_gap": _num(rec_gap.get(c))})
    return sorted(rows, key=lambda r: (-(r["recall_gap"] if r["recall_gap"] is not None else -1.0),
                                       -(r["selection_rate_gap"] or 0.0), r["class"]))


def _confusions(groups: list[dict], classes: list[str]) -> list[dict[str, Any]]:
    out = []
    for g in sorted(groups, key=lambda g: -(g["n"] or 0))[:N_CONFUSION_GROUPS]:
        matrix = g["raw"].confusion
        if len(matrix) != len(classes) or not all(isinstance(r, list) and len(r) == len(classes) for r in matrix):
            continue
        rows = [{"class": c, "counts": [_num(v) for v in r], "n": sum(_num(v) or 0 for v in r)}
                for c, r in zip(classes, matrix, strict=True)]
        out.append({"group": g["group"], "n": g["n"], "rows": rows})
    return out


def _group_entry(g: Group, metrics: tuple[str, ...]) -> dict[str, Any]:
    """A group's row: its rows, whether it is too small, its figures (the typed group kept under ``raw``)."""
    return {"group": str(g.group), "n": _num(g.n), "insufficient_data": g.sufficient is False,
            "metrics": {m: _vci(g.figures[m]) for m in metrics if m in g.figures}, "raw": g}


def _group_analysis(ctx: CardContext, model: str, feature: str, block: FairnessBlock, classes: list[str], *,
                    detail: bool) -> dict[str, Any]:
    view = ctx.view
    groups = [_group_entry(g, view.group_metrics) for g in block.groups]
    out = {"model": model, "feature": feature, "intersectional": " & " in feature, "groups": groups,
           "columns": [c for c in view.group_metrics if any(c in g["metrics"] for g in groups)],
           "disparities": _disparity_rows(block, view.disparities),
           "excluded_groups": [{"group": str(x.group), "n": _num(x.n), "reason": _text(x.reason)}
                               for x in block.excluded_groups],
           "class_table": [], "worst_classes": [], "confusion": []}
    if ctx.kind.has_classes and detail and classes:
        table = _class_table(groups, classes, block)
        out["worst_classes"] = [r for r in table if r["recall_gap"] is not None or r["selection_rate_gap"]][:N_WORST_CLASSES]
        if not out["intersectional"]:  # intersections: the group table only (their classes are thin)
            out["class_table"], out["confusion"] = table, _confusions(groups, classes)
    for g in groups:
        del g["raw"]
    return out


def _classes(result: AuditResult, models: dict[str, ModelFairness]) -> list[str]:
    """The class labels the group audits name, else the data's."""
    named = next((m.classes for m in models.values() if m.classes), [])
    return [str(c) for c in named] or [str(c) for c in result.data.classes]


def _overall(audit: ModelFairness) -> dict[str, dict[str, Any]]:
    """The model's figures over every test row, as ``{value, ci}``."""
    return {k: _vci(v) for k, v in (audit.overall.figures if audit.overall is not None else {}).items()}


def group_errors(ctx: CardContext) -> dict[str, Any]:
    """Every model's group tables and disparities from the kind's own group report (the audited model in detail)."""
    result, models = ctx.result, ctx.task_models
    if not models:
        why = ("no sensitive features were given" if not result.data.sensitive_features
               else "the fairness audit was disabled or did not produce a result")
        return _not_run(why)
    classes = _classes(result, models)
    main = ctx.audited
    analyses = []
    for model in model_order(models, first=main):
        for feature, block in models[model].by_feature.items():
            analyses.append(_group_analysis(ctx, model, str(feature), block, classes, detail=model == main))
    first = models[model_order(models)[0]]
    return {
        "status": "ok", "kind": ctx.view.name, "classes": classes, "audited_model": main, "column_labels": dict(COLUMN_LABELS),
        "overall": {m: _overall(models[m]) for m in model_order(models)},
        "analyses": analyses, "uncertainty": interval_settings(ctx), "min_group_size": ctx.min_group_size(),
        "min_group_positives": _num(first.min_group_positives),
        "error_sign": _text(first.error), "units": _text(result.data.target) if ctx.view.target_units else None,
    }
