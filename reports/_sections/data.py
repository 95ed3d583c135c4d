"""Factors, metrics, evaluation data and training data (Mitchell et al. 2019, sections 3 to 6), in the kind's terms.

A binary model's groups and metrics come from its group report; a kind with its own figures (multiclass,
regression) reads its own (both from :attr:`audit.result.AuditResult.group_audits`) and describes its classes
or its target; a text classifier's data sections say where its texts are.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {},
...                                          "models": {}}))
>>> metrics(ctx)["decision_rule"].startswith("The model predicts the target itself")
True
"""

from __future__ import annotations

from typing import Any

from audit.result import Group, ModelFairness
from reports._plain import as_dict as _dict
from reports._plain import number as _num
from reports._plain import text as _text
from reports._plain import value_ci as _vci
from reports._sections.context import CardContext, given, model_order, plain

__all__ = ["evaluation_data", "factors", "interval_settings", "metrics", "training_data"]

_PREPROCESSING = ("The preprocessing fitted on the training split only (categoricals one-hot, numerics standardised) "
                  "is applied unchanged.")


_NO_FACTORS = "no sensitive feature was named (data.sensitive_features), so no group was audited"
_NO_FACTORS_TEXT = ("the texts have no sensitive feature column; the identity terms they mention are the factors, "
                    "audited under Text audits")


def _task_group(g: Group, total: float | None) -> dict[str, Any]:
    """A multiclass or regression group's size, share of ``total`` test rows, and whether it is too small."""
    count = _num(g.n)
    return {"group": str(g.group), "count": count, "share": count / total if total and count is not None else None,
            "insufficient_data": g.sufficient is False}


def factors(ctx: CardContext) -> dict[str, Any]:
    """The sensitive features audited and their groups (sizes, and which are too small to read)."""
    data = ctx.result.data
    sensitive = [str(s) for s in data.sensitive_features]
    if ctx.task_models:
        first = ctx.task_models[model_order(ctx.task_models)[0]]
        total = _num(first.n)
        min_size: float | int | None
        groups = [{"feature": str(feature), "intersectional": " & " in str(feature),
                   "groups": [_task_group(g, total) for g in block.groups]}
                  for feature, block in first.by_feature.items()]
        min_size = ctx.min_group_size()
    else:
        models = ctx.fairness_models
        groups = [{"feature": str(feature), "intersectional": len(block.features) > 1,
                   "groups": [{"group": str(g.group), "count": _num(g.count), "share": _num(g.share),
                               "insufficient_data": bool(g.insufficient_data)} for g in block.groups]}
                  for feature, block in (ctx.fairness[models[0]].by_feature.items() if models else [])]
        min_size = _num(ctx.fairness[models[0]].min_group_size) if models else None
    return {
        "status": "ok" if sensitive else "not run",
        "reason": None if sensitive else (_NO_FACTORS_TEXT if ctx.is_text else _NO_FACTORS),
        "sensitive_features": sensitive,
        "sensitive_used_as_features": data.sensitive_used_as_features,
        "groupings": groups,
        "min_group_size": min_size,
    }


def _present(ctx: CardContext) -> tuple[set[str], set[str]]:
    """The group metrics and the disparities the group report holds."""
    if ctx.view.own_figures:
        disparities = {k for m in ctx.task_models.values() for b in m.by_feature.values() for k in b.disparities}
        return set(ctx.view.group_metrics), disparities
    models = ctx.fairness_models
    first = ctx.fairness[models[0]] if models else ModelFairness()
    present_metrics, present_disp = set(), set()
    for block in first.by_feature.values():
        for g in block.groups:
            present_metrics |= set(g.metrics)
        present_disp |= set(block.disparities)
    return present_metrics, present_disp


def interval_settings(ctx: CardContext) -> dict[str, Any] | None:
    """How the kind's own group report computed its intervals, in words (None when it states nothing)."""
    for m in ctx.task_models.values():
        ci = m.ci
        if ci is None or not given(ci):
            continue
        method = _text(ci.method)
        if ctx.view.interval_methods is not None:
            method = ctx.view.interval_methods[0 if ci.method else 1]
        return {"method": method, "level": _num(ci.level), "n_boot": _num(ci.n_boot), "stratified": ci.stratified,
                "vanished_groups": None,
                "disparity_method": _text(ci.disparity_method) or _text(m.intervals.get("disparities"))}
    return None


def _binary_uncertainty(ctx: CardContext) -> dict[str, Any] | None:
    models = ctx.fairness_models
    ci = ctx.fairness[models[0]].ci if models else None
    if ci is None or not given(ci):
        return None
    return {"method": _text(ci.method), "level": _num(ci.level), "n_boot": _num(ci.n_boot), "stratified": ci.stratified,
            "vanished_groups": _text(ci.vanished_groups)}


def metrics(ctx: CardContext) -> dict[str, Any]:
    """The metrics the card reports, defined once each, how decisions are made, and how uncertainty is shown."""
    view = ctx.view
    present_metrics, present_disp = _present(ctx)
    used = [c.key for c in view.columns] + [m for m in view.group_metrics if m in present_metrics]
    used += list(view.extra_definitions) + [d for d in view.disparities if d in present_disp]
    out = {
        "status": "ok",
        "definitions": [{"metric": m, "definition": view.definitions[m]} for m in dict.fromkeys(used) if m in view.definitions],
        "decision_threshold": None if view.decision_rule else 0.5,
        "uncertainty": interval_settings(ctx) if view.own_figures else _binary_uncertainty(ctx),
    }
    if view.decision_rule:
        out["decision_rule"] = view.decision_rule
    return out


def _task_facts(ctx: CardContext) -> dict[str, Any]:
    """What a card describing its task adds to the data sections: the kind, its classes or target, the texts."""
    d, kind = ctx.result.data, ctx.kind
    target = {k: _num(v) for k, v in _dict(d.target_summary).items() if _num(v) is not None}
    text = {"column": _text(d.text_column), **{str(k): v for k, v in _dict(d.text).items() if isinstance(v, (int, float, str))}}
    return {"task": kind.name, "classes": [str(c) for c in d.classes] if kind.has_classes else [],
            "target_summary": target if ctx.view.target_units else {}, "text": text if text["column"] else None}


def evaluation_data(ctx: CardContext) -> dict[str, Any]:
    """The test rows every figure rests on."""
    d = ctx.result.data
    out = {
        "status": "ok" if given(d) else "not run",
        "source": _text(d.test_source) or _text(d.source),
        "n": _num(d.n_test),
        "target": _text(d.target),
        "positive_label": plain(d.positive_label),
        "base_rate": _num(d.base_rate_test),
        "preprocessing": _PREPROCESSING,
    }
    if ctx.describes_task and out["status"] == "ok":
        out.update(_task_facts(ctx))
        if ctx.view.target_units:
            first = ctx.task_models[model_order(ctx.task_models)[0]] if ctx.task_models else None
            overall = first.overall if first is not None else None
            mean = overall.figure("mean_target") if overall is not None else None
            out["target_mean"] = _vci(mean) if first is not None else None
    return out


def _class_counts(ctx: CardContext) -> list[dict[str, Any]]:
    counts = ctx.result.data.class_counts_train
    total = sum(_num(v) or 0 for v in counts.values())
    return [{"class": str(k), "count": _num(v), "share": (_num(v) or 0) / total if total else None} for k, v in counts.items()]


def training_data(ctx: CardContext) -> dict[str, Any]:
    """The rows the models learned from: source, size, features, what was dropped or missing, duplicates."""
    d = ctx.result.data
    out = {
        "status": "ok" if given(d) else "not run",
        "source": _text(d.source),
        "attribution": _text(d.attribution),
        "n": _num(d.n_train),
        "base_rate": _num(d.base_rate_train),
        "features": [str(f) for f in d.features],
        "n_encoded_features": _num(d.n_encoded_features),
        "dropped_columns": [str(c) for c in d.dropped_columns],
        "missing_values": [{"column": str(k), "count": _num(v)} for k, v in d.missing_values_train.items()],
        "representation_warnings": ctx.representation_warnings(),
        "sensitive_bins": [_text(b.text) or str(c) for c, b in d.sensitive_bins.items()],
        "duplicates": _duplicates_text(d),
    }
    if ctx.describes_task and out["status"] == "ok":
        out.update(_task_facts(ctx))
        out["class_counts"] = _class_counts(ctx) if ctx.kind.has_classes else []
    return out


def _duplicates_text(d: Any) -> str | None:
    """Test rows repeating a training row: shared feature vectors, and how many are the same record in every column."""
    dups = d.train_test_duplicates
    if dups is None or dups.share is None:
        return None
    line = f"{dups.share:.1%} of the test rows share a training row's feature vector"
    if dups.exact_share is not None:
        line += f" ({dups.exact_share:.1%} equal to it in every column, including columns the model does not read)"
    if dups.coarse is not None and dups.rows_per_vector is not None:
        line += (f"; the features are {'coarse' if dups.coarse else 'varied'}: a row shares its vector with "
                 f"{dups.rows_per_vector:.2f} rows on average")
    dropped = sum(d.rows_dropped_duplicate_records.values())
    return line + (f"; {dropped} repeated record(s) dropped before the split (data.drop_duplicate_records)" if dropped else "")
