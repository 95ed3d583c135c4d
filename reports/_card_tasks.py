"""Card data for the tasks beyond binary tables: multiclass and regression group errors, and the text audits.

:func:`apply_tasks` takes the card data :func:`reports._card_data.build_card_data` built and the typed
``AuditResult``, and (for any task but a binary table, which it leaves exactly as it is) makes the
sections task-aware and adds three of its own:

* ``group_errors``: per model and sensitive feature, the groups' metrics with intervals, read from
  ``task_fairness`` (multiclass: accuracy, macro recall and F1, selection rate and recall per class,
  the worst classes, a confusion matrix for the largest groups; regression: MAE, RMSE, mean
  prediction and target, mean error) and the disparities;
* ``text_audits``: counterfactual identity-term pairs (Garg et al. 2019), template spreads,
  identity-subgroup AUCs (Borkan et al. 2019) and the top tokens, per model;
* ``task``: which task the card describes (``kind``, ``text``, ``classes``).

Existing sections change where the binary wording would be wrong: the performance table
(``performance_columns``), the headline tiles, factors, metric definitions, evaluation and
training data, and the Bias section (its headline disparities from ``task_fairness``).
Every part is read defensively; a part that did not run says ``"not run"`` and why.

Examples
--------
>>> from audit.result import AuditResult
>>> r = AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {},
...     "models": {"private": {"test_accuracy": None, "test_mae": 4.2}}})
>>> card = {"quantitative_analyses": {"performance": [{"model": "private"}]}, "summary": {"tiles": []}}
>>> apply_tasks(card, r)["group_errors"]["status"]
'not run'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.verdict.concerns import audited_model
from audit.verdict.gates import gate_bound_text, with_derived
from audit.result import AuditResult, TaskModelFairness
from reports._plain import (  # one set of plain-data readers for both card builders
    as_dict as _dict, interval as _interval, not_run as _not_run, number as _num, text as _text, value_ci as _vci,
)

__all__ = ["PERFORMANCE_COLUMNS", "TASK_METRIC_DEFINITIONS", "apply_tasks", "task_kind"]

#: Model-summary fields shown per task in the performance table: (card key, ModelSummary attribute, heading).
PERFORMANCE_COLUMNS = {
    "multiclass": [("accuracy", "test_accuracy", "Test accuracy"), ("macro_f1", "test_macro_f1", "Test macro F1"),
                   ("balanced_accuracy", "test_balanced_accuracy", "Test balanced accuracy")],
    "regression": [("mae", "test_mae", "Test MAE"), ("rmse", "test_rmse", "Test RMSE"), ("r2", "test_r2", "Test R²")],
}
COLUMN_LABELS = {"accuracy": "accuracy", "macro_recall": "macro recall", "macro_f1": "macro F1", "mae": "MAE", "rmse": "RMSE",
                 "r2": "R²", "mean_prediction": "mean prediction", "mean_target": "mean target", "mean_error": "mean error"}
GROUP_COLUMNS = {
    "multiclass": ["accuracy", "macro_recall", "macro_f1"],
    "regression": ["mae", "rmse", "mean_prediction", "mean_target", "mean_error"],
}
DISPARITY_ORDER = {
    "multiclass": ["accuracy_difference", "macro_recall_difference", "macro_f1_difference",
                   "selection_rate_difference_ovr", "selection_rate_ratio_ovr", "recall_difference_ovr"],
    "regression": ["mae_difference", "mae_ratio", "rmse_difference", "rmse_ratio", "mean_prediction_difference",
                   "mean_error_difference", "worst_group_mae", "worst_group_rmse"],
}
HEADLINE = {
    "multiclass": ["accuracy_difference", "macro_f1_difference", "selection_rate_difference_ovr", "recall_difference_ovr"],
    "regression": ["mae_difference", "rmse_difference", "mean_error_difference", "worst_group_mae"],
}
TASK_METRIC_DEFINITIONS = {
    "accuracy": "share of test examples whose predicted class (the most probable) is the true class",
    "macro_recall": "mean over classes of the share of each class's examples predicted as that class",
    "macro_f1": "mean over classes of the harmonic mean of precision and recall (scikit-learn, zero_division=0)",
    "balanced_accuracy": "mean recall over the classes present in the true labels",
    "selection_rate": "per class: share of a group's examples predicted as that class (one-vs-rest)",
    "recall": "per class: share of a group's examples of that class predicted as it (one-vs-rest)",
    "accuracy_difference": "largest gap in accuracy between groups",
    "macro_recall_difference": "largest gap in macro recall between groups",
    "macro_f1_difference": "largest gap in macro F1 between groups",
    "selection_rate_difference_ovr": "worst class's largest gap in selection rate between groups (one-vs-rest demographic parity)",
    "selection_rate_ratio_ovr": "worst class's smallest over largest group selection rate",
    "recall_difference_ovr": "worst class's largest gap in recall between groups (one-vs-rest equal opportunity)",
    "mae": "mean absolute error |prediction − target|, in target units",
    "rmse": "root mean squared error, in target units",
    "r2": "coefficient of determination: 1 − squared error / the target's variance",
    "mean_prediction": "mean prediction, in target units",
    "mean_target": "mean true target, in target units",
    "mean_error": "mean of prediction − target: above 0 over-predicts the group, below 0 under-predicts it",
    "mae_difference": "largest gap in MAE between groups, in target units",
    "mae_ratio": "smallest over largest group MAE",
    "rmse_difference": "largest gap in RMSE between groups, in target units",
    "rmse_ratio": "smallest over largest group RMSE",
    "mean_prediction_difference": "largest gap in mean prediction between groups",
    "mean_error_difference": "largest gap in mean error between groups (one group over- or under-predicted more)",
    "worst_group_mae": "the largest group MAE, and the group it belongs to",
    "worst_group_rmse": "the largest group RMSE, and the group it belongs to",
}
#: Confusion matrices shown per grouping (largest groups first) and rows of the worst-class table.
N_CONFUSION_GROUPS = 2
N_WORST_CLASSES = 5
#: Counterfactual pairs listed, examples per pair, and words either side of the swapped term in an example.
N_PAIRS = 10
N_EXAMPLES = 2
EXAMPLE_WINDOW = 8
N_TOKENS = 12
_TEXT_TASK = "text-classification"
_AUC_FAMILIES = ("subgroup_auc", "bpsn_auc", "bnsp_auc")


# ---------------------------------------------------------------- plain-data helpers


def _list(x: Any) -> list:
    return x if isinstance(x, list) else []


def task_kind(result: AuditResult) -> str:
    """``"binary"``, ``"multiclass"`` or ``"regression"``: what the model predicts, whatever its input.

    Examples
    --------
    >>> task_kind(AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {}, "models": {}}))
    'regression'
    """
    data_task = _text(result.data.task)
    if data_task in ("multiclass", "regression"):
        return data_task
    if result.task == "regression":
        return "regression"
    if result.task == "multiclass-classification":
        return "multiclass"
    if result.task_fairness is not None and _text(result.task_fairness.task) in ("multiclass", "regression"):
        return str(result.task_fairness.task)
    return "binary"


def _is_text(result: AuditResult) -> bool:
    return result.task == _TEXT_TASK or result.text is not None or _text(result.data.text_column) is not None


def _model_order(names: Any, first: str | None = None) -> list[str]:
    """Reference, private, others; ``first`` (the audited model, whose tables carry the detail) ahead of all."""
    return sorted(names, key=lambda n: (n != first, {"reference": 0, "private": 1}.get(n, 2), n))


def _task_models(result: AuditResult) -> dict[str, TaskModelFairness]:
    tf = result.task_fairness
    return {k: v for k, v in tf.models.items() if v is not None} if tf is not None else {}


def _min_group_size(result: AuditResult) -> int | None:
    for m in _task_models(result).values():
        if _num(m.extra.get("min_group_size")) is not None:
            return m.extra["min_group_size"]
    return None


# ---------------------------------------------------------------- performance, tiles, descriptive sections
def _performance(card: dict, result: AuditResult, kind: str) -> None:
    q = card.get("quantitative_analyses")
    if not isinstance(q, dict) or kind not in PERFORMANCE_COLUMNS:
        return
    cols = PERFORMANCE_COLUMNS[kind]
    q["performance_columns"] = [{"key": key, "label": label} for key, _, label in cols]
    for row in _list(q.get("performance")):
        m = result.models.get(row.get("model"))
        if m is not None:
            row.update({key: _num(getattr(m, attr, None)) for key, attr, _ in cols})
    if kind == "regression":
        units = _text(_dict(result.data.target_summary).get("units"))
        q["performance_note"] = (f"MAE and RMSE are in the units of the target {result.data.target or ''}"
                                 f"{f' ({units})' if units else ''}; R² is unitless (1 is perfect, 0 is the mean).")


def _text_tiles(summary: dict, result: AuditResult, model: str) -> None:
    """The audited text model's largest identity-swap flip rate and lowest BPSN AUC, beside its accuracy."""
    m = result.text.models.get(model) if result.text is not None else None
    if m is None:
        return

    def gate(metric: str) -> Any:
        return next((g for g in result.gates if g.metric == metric and g.model == model), None)

    best, worst = _dict(_dict(m.counterfactual).get("max_flip_rate")), _dict(_dict(_dict(m.identity_auc).get("worst")).get("bpsn_auc"))
    pair = _dict(best.get("pair"))
    tiles = []
    if m.counterfactual is not None:
        tiles.append(_tile("largest identity-swap flip rate", best, gate("counterfactual_flip_rate"),
                           note=f"{pair.get('from')} → {pair.get('to')}" if pair else _text(best.get("reason"))))
    if m.identity_auc is not None:
        tiles.append(_tile("lowest BPSN AUC", worst, gate("bpsn_auc_min"),
                           note=_text(worst.get("subgroup")) or _text(worst.get("reason"))))
    summary["tiles"] = (list(summary.get("tiles", [])) + tiles)[:6]


def _tiles(card: dict, result: AuditResult, kind: str) -> None:
    summary = card.get("summary")
    model = audited_model(result)
    if isinstance(summary, dict) and model is not None and kind == "binary" and _is_text(result):
        _text_tiles(summary, result, model)
    if not isinstance(summary, dict) or model is None or kind not in PERFORMANCE_COLUMNS:
        return
    m = result.models.get(model)
    fair = _task_models(result).get(model)
    overall = fair.overall if fair is not None else {}

    def gate(metric: str, feature: str | None = None) -> Any:
        return next((g for g in result.gates if g.metric == metric and g.model == model and g.feature == feature), None)

    tiles = []
    shown = PERFORMANCE_COLUMNS[kind][:2] if kind == "multiclass" else PERFORMANCE_COLUMNS[kind]
    for key, attr, label in shown:
        entry = overall.get(key) if isinstance(overall.get(key), dict) else getattr(m, attr, None)
        tiles.append({**_tile(label.replace("Test ", ""), entry, gate(key)), "digits": 2 if key in ("mae", "rmse") else 3})
    headline = "selection_rate_difference_ovr" if kind == "multiclass" else "mae_difference"
    for feature, b in (fair.by_feature.items() if fair is not None else []):
        if " & " not in feature and headline in b.disparities:
            d = b.disparities[headline]
            tiles.append({**_tile(f"{headline.replace('_', ' ')} · {feature}", d, gate(headline, feature),
                                  note=_text(d.reason) or (f"worst class {d.worst_class}" if d.worst_class else None)),
                          "digits": 2 if kind == "regression" else 3})
    keep = [t for t in summary.get("tiles", []) if str(t.get("label", "")).startswith("ε")]
    summary["tiles"] = (tiles[:len(shown)] + keep + tiles[len(shown):])[:6]


def _tile(label: str, entry: Any, gate: Any = None, note: str | None = None) -> dict[str, Any]:
    m = _vci(entry)
    return {"label": label, "value": m["value"], "ci": m["ci"], "note": note,
            "bound": gate_bound_text(gate) if gate is not None else None,
            "outcome": gate.effective_outcome if gate is not None else None,
            "ci_crosses_bound": gate is not None and with_derived(gate).ci_crosses_bound is True}


def _ci_settings(result: AuditResult, kind: str) -> dict[str, Any] | None:
    for m in _task_models(result).values():
        ci = _dict(m.extra.get("ci"))
        if not ci:
            continue
        method = _text(ci.get("method"))
        if kind == "regression":
            method = ("studentized bootstrap (rows resampled within each sensitive cell) for MAE (log scale), mean "
                      "prediction, mean target and mean error; RMSE: the square root of the MSE's, withheld in small "
                      "groups (ci_reason); R²: percentile bootstrap") if ci.get("method") else (
                "Student-t intervals for MAE, mean prediction, mean target and mean error; stratified bootstrap "
                "(rows resampled within each sensitive cell) for RMSE, R² and the disparities")
        return {"method": method, "level": _num(ci.get("level")), "n_boot": _num(ci.get("n_boot")),
                "stratified": ci.get("stratified"), "vanished_groups": None,
                "disparity_method": _text(ci.get("disparity_method")) or _text(_dict(m.extra.get("intervals")).get("disparities"))}
    return None


def _descriptive(card: dict, result: AuditResult, kind: str) -> None:
    """Factors, metric definitions, evaluation and training data in the task's terms."""
    d, models = result.data, _task_models(result)
    f = card.get("factors")
    if isinstance(f, dict) and models:
        first = models[_model_order(models)[0]]
        total = _num(first.extra.get("n"))
        f["groupings"] = [{"feature": str(feature), "intersectional": " & " in str(feature),
                           "groups": [{"group": str(g.get("group")), "count": _num(g.get("n")),
                                       "share": _num(g.get("n")) / total if total and _num(g.get("n")) is not None else None,
                                       "insufficient_data": g.get("sufficient") is False} for g in map(_dict, block.groups)]}
                          for feature, block in first.by_feature.items()]
        f["min_group_size"] = _min_group_size(result)
    mt = card.get("metrics")
    if isinstance(mt, dict) and kind in PERFORMANCE_COLUMNS:
        used = [k for k, _, _ in PERFORMANCE_COLUMNS[kind]] + GROUP_COLUMNS[kind] + ["selection_rate", "recall"] * (kind == "multiclass")
        used += [k for k in DISPARITY_ORDER[kind] if any(k in b.disparities for m in models.values() for b in m.by_feature.values())]
        mt["definitions"] = [{"metric": k, "definition": TASK_METRIC_DEFINITIONS[k]}
                             for k in dict.fromkeys(used) if k in TASK_METRIC_DEFINITIONS]
        mt["decision_threshold"] = None
        mt["decision_rule"] = ("The predicted class is the most probable one (the largest softmax output)." if kind == "multiclass"
                               else "The model predicts the target itself (trained on the standardised target; every figure "
                                    "is in target units).")
        mt["uncertainty"] = _ci_settings(result, kind)
    target = {k: _num(v) for k, v in _dict(d.target_summary).items() if _num(v) is not None}
    total = sum(_num(v) or 0 for v in d.class_counts_train.values())
    counts = [{"class": str(k), "count": _num(v), "share": (_num(v) or 0) / total if total else None}
              for k, v in d.class_counts_train.items()]
    text = {"column": _text(d.text_column), **{str(k): v for k, v in _dict(d.text).items() if isinstance(v, (int, float, str))}}
    for key in ("evaluation_data", "training_data"):
        sec = card.get(key)
        if not isinstance(sec, dict) or sec.get("status") != "ok":
            continue
        sec["task"] = kind
        sec["classes"] = [str(c) for c in d.classes] if kind == "multiclass" else []
        sec["target_summary"] = target if kind == "regression" else {}
        sec["text"] = text if text["column"] else None
        if key == "training_data":
            sec["class_counts"] = counts if kind == "multiclass" else []
    e = card.get("evaluation_data")
    if isinstance(e, dict) and kind == "regression":
        first = models[_model_order(models)[0]] if models else None
        e["target_mean"] = _vci(first.overall.get("mean_target")) if first is not None else None


def _caveats(card: dict, result: AuditResult) -> None:
    cv = card.get("caveats")
    if not isinstance(cv, dict):
        return
    text_ran = result.text is not None and any(m.identity_auc or m.counterfactual for m in result.text.models.values())
    if _task_models(result) or text_ran:
        cv["notes"] = [n for n in _list(cv.get("notes")) if not str(n).startswith("No fairness audit was run")]
    model = result.text.models.get(audited_model(result) or "") if result.text is not None else None
    subgroups = _dict(_dict(model.identity_auc if model is not None else None).get("subgroups"))
    thin = [str(k) for k, v in subgroups.items() if any(_dict(_dict(v).get(f)).get("value") is None for f in _AUC_FAMILIES)]
    if thin:
        cv["notes"] = _list(cv.get("notes")) + [
            f"{len(thin)} of {len(subgroups)} identity subgroups have too few test texts on one side for at least one "
            f"AUC ({', '.join(thin[:8])}{' and more' if len(thin) > 8 else ''}); the identity audit says nothing about them "
            "there."]


# ---------------------------------------------------------------- group errors (multiclass, regression)
def _disparity_rows(block: Any, kind: str) -> list[dict[str, Any]]:
    rows = []
    for name in DISPARITY_ORDER[kind] + [k for k in block.disparities if k not in DISPARITY_ORDER[kind]]:
        d = block.disparities.get(name)
        if d is None:
            continue
        rows.append({"name": name, **_vci(d), "inconclusive_reason": _text(d.reason) if d.value is None else None,
                     "worst_class": _text(d.worst_class), "worst_group": _text(d.worst_group),
                     "groups_used": [str(g) for g in d.groups_used]})
    return rows


def _class_table(groups: list[dict], classes: list[str], block: Any) -> list[dict[str, Any]]:
    """Per class: selection rate and recall by group and their gaps, worst recall gap first."""
    sr_gap = _dict(getattr(block.disparities.get("selection_rate_difference_ovr"), "by_class", {}))
    rec_gap = _dict(getattr(block.disparities.get("recall_difference_ovr"), "by_class", {}))
    rows = []
    for c in classes:
        rows.append({"class": c,
                     "selection_rate": {g["group"]: _num(_dict(g["raw"].get("selection_rate")).get(c)) for g in groups},
                     "recall": {g["group"]: _num(_dict(g["raw"].get("recall")).get(c)) for g in groups},
                     "selection_rate_gap": _num(sr_gap.get(c)), "recall_gap": _num(rec_gap.get(c))})
    return sorted(rows, key=lambda r: (-(r["recall_gap"] if r["recall_gap"] is not None else -1.0),
                                       -(r["selection_rate_gap"] or 0.0), r["class"]))


def _confusions(groups: list[dict], classes: list[str]) -> list[dict[str, Any]]:
    out = []
    for g in sorted(groups, key=lambda g: -(g["n"] or 0))[:N_CONFUSION_GROUPS]:
        matrix = _list(g["raw"].get("confusion"))
        if len(matrix) != len(classes) or not all(isinstance(r, list) and len(r) == len(classes) for r in matrix):
            continue
        rows = [{"class": c, "counts": [_num(v) for v in r], "n": sum(_num(v) or 0 for v in r)} for c, r in zip(classes, matrix)]
        out.append({"group": g["group"], "n": g["n"], "rows": rows})
    return out


def _group_analysis(model: str, feature: str, block: Any, kind: str, classes: list[str], *, detail: bool) -> dict[str, Any]:
    groups = []
    for g in map(_dict, block.groups):
        groups.append({"group": str(g.get("group")), "n": _num(g.get("n")), "insufficient_data": g.get("sufficient") is False,
                       "metrics": {m: _vci(g.get(m)) for m in GROUP_COLUMNS[kind] if m in g}, "raw": g})
    out = {"model": model, "feature": feature, "intersectional": " & " in feature, "groups": groups,
           "columns": [c for c in GROUP_COLUMNS[kind] if any(c in g["metrics"] for g in groups)],
           "disparities": _disparity_rows(block, kind),
           "excluded_groups": [{"group": str(_dict(x).get("group")), "n": _num(_dict(x).get("n")),
                                "reason": _text(_dict(x).get("reason"))} for x in block.excluded_groups],
           "class_table": [], "worst_classes": [], "confusion": []}
    if kind == "multiclass" and detail and classes:
        table = _class_table(groups, classes, block)
        out["worst_classes"] = [r for r in table if r["recall_gap"] is not None or r["selection_rate_gap"]][:N_WORST_CLASSES]
        if not out["intersectional"]:  # intersections: the group table only (their classes are thin)
            out["class_table"], out["confusion"] = table, _confusions(groups, classes)
    for g in groups:
        del g["raw"]
    return out


def _group_errors(result: AuditResult, kind: str) -> dict[str, Any]:
    if kind not in GROUP_COLUMNS:
        return _not_run("binary task: the group tables are under Quantitative analyses")
    models = _task_models(result)
    if not models:
        why = ("no sensitive features were given" if not result.data.sensitive_features
               else "the fairness audit was disabled or did not produce a result")
        return _not_run(why)
    tf = result.task_fairness
    classes = [str(c) for c in (tf.classes if tf is not None else [])] or [str(c) for c in result.data.classes]
    main = audited_model(result)
    analyses = []
    for model in _model_order(models, first=main):
        for feature, block in models[model].by_feature.items():
            analyses.append(_group_analysis(model, str(feature), block, kind, classes, detail=model == main))
    first = models[_model_order(models)[0]]
    return {
        "status": "ok", "kind": kind, "classes": classes, "audited_model": main, "column_labels": dict(COLUMN_LABELS),
        "overall": {m: {k: _vci(v) for k, v in models[m].overall.items() if isinstance(v, dict)} for m in _model_order(models)},
        "analyses": analyses, "uncertainty": _ci_settings(result, kind), "min_group_size": _min_group_size(result),
        "min_group_positives": _num(first.extra.get("min_group_positives")),
        "error_sign": _text(first.extra.get("error")), "units": _text(result.data.target) if kind == "regression" else None,
    }


# ---------------------------------------------------------------- bias (headline disparities of the task)
def _bias(card: dict, result: AuditResult, kind: str) -> None:
    models = _task_models(result)
    b = card.get("bias")
    if not isinstance(b, dict):
        return
    if kind not in HEADLINE or not models:
        if _is_text(result) and not result.data.sensitive_features:
            b.update(_not_run("no sensitive feature column; the identity terms the texts mention are audited below "
                              "(Text audits)"))
        return
    names = _model_order(models)
    headline, pivot = [], {}
    for model in names:
        for feature, block in models[model].by_feature.items():
            for name in HEADLINE[kind]:
                d = block.disparities.get(name)
                if d is None:
                    continue
                reason = _text(d.reason) if d.value is None else None
                headline.append({"model": model, "feature": str(feature), "disparity": name, **_vci(d), "inconclusive_reason": reason})
                row = pivot.setdefault((str(feature), name), {"feature": str(feature), "disparity": name, "by_model": {}})
                row["by_model"][model] = {**_vci(d), "inconclusive_reason": reason, "worst_class": _text(d.worst_class),
                                          "worst_group": _text(d.worst_group)}
    ci = _ci_settings(result, kind) or {}
    small = [{"feature": str(feature), "group": str(_dict(x).get("group")), "count": _num(_dict(x).get("n"))}
             for feature, block in models[names[0]].by_feature.items() for x in block.excluded_groups]
    b.clear()
    b.update({"status": "ok", "ci_method": ci.get("method"), "disparity_ci_method": ci.get("disparity_method"),
              "ci_level": ci.get("level"), "n_boot": ci.get("n_boot"), "min_group_size": _min_group_size(result),
              "headline": headline, "models": names, "headline_table": list(pivot.values()), "small_groups": small,
              "mitigation": [], "mitigation_note": "Fairlearn's mitigations are for binary classifiers; none was run",
              "representation_warnings": [], "task": kind})


# ---------------------------------------------------------------- text audits
def _swap_span(a: list[str], b: list[str], i: int) -> tuple[int, int]:
    """How many words from ``i`` differ in each text before they agree again (terms have one to three words)."""
    for m, n in sorted(((m, n) for m in range(1, 4) for n in range(1, 4)), key=sum):
        if a[i + m:i + m + 3] == b[i + n:i + n + 3]:
            return m, n
    return 1, 1


def _window(original: str, counterfactual: str) -> tuple[list[str], list[str]]:
    """The words around the first swapped term as (before, term, after), so a long text shows what changed."""
    a, b = original.split(), counterfactual.split()
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    m, n = _swap_span(a, b, i) if i < min(len(a), len(b)) else (0, 0)
    lo = max(0, i - EXAMPLE_WINDOW)

    def cut(words: list[str], width: int) -> list[str]:
        hi = min(len(words), i + width + EXAMPLE_WINDOW)
        return [("… " if lo > 0 else "") + " ".join(words[lo:i]), " ".join(words[i:i + width]),
                " ".join(words[i + width:hi]) + (" …" if hi < len(words) else "")]

    return cut(a, m), cut(b, n)


def _pair_row(p: dict) -> dict[str, Any]:
    examples = []
    for e in map(_dict, _list(p.get("examples"))[:N_EXAMPLES]):
        orig, cf = _window(str(e.get("original") or ""), str(e.get("counterfactual") or ""))
        examples.append({"original": " ".join(x for x in orig if x), "counterfactual": " ".join(x for x in cf if x),
                         "original_parts": orig, "counterfactual_parts": cf, "score": _num(e.get("score")),
                         "_text": str(e.get("original")),
                         "counterfactual_score": _num(e.get("counterfactual_score"))})
    return {"category": _text(p.get("category")), "from": _text(p.get("from")), "to": _text(p.get("to")), "n": _num(p.get("n")),
            "n_flips": _num(p.get("n_flips")), "flip_rate": _vci(p.get("flip_rate")),
            "mean_score_change": _vci(p.get("mean_score_change")), "mean_abs_score_change": _vci(p.get("mean_abs_score_change")),
            "examples": examples}


def _counterfactual(cf: Any, skipped: dict) -> dict[str, Any]:
    if not isinstance(cf, dict):
        return _not_run(_text(skipped.get("counterfactual")) or "the counterfactual audit did not run for this model")
    pairs = [_pair_row(p) for p in map(_dict, _list(cf.get("pairs")))]
    pairs.sort(key=lambda r: (-(r["flip_rate"]["value"] or 0.0), -(r["mean_abs_score_change"]["value"] or 0.0), -(r["n"] or 0)))
    best = _dict(cf.get("max_flip_rate"))
    templates = []
    for cat, t in _dict(_dict(cf.get("templates")).get("categories")).items():
        spread = _dict(_dict(t).get("spread"))
        by_term = sorted(((str(k), _num(v)) for k, v in _dict(_dict(t).get("mean_score_by_term")).items()),
                         key=lambda kv: -(kv[1] if kv[1] is not None else -1.0))
        templates.append({"category": str(cat), "spread": _num(spread.get("value")), "max_term": _text(spread.get("max_term")),
                          "min_term": _text(spread.get("min_term")), "terms": [{"term": k, "score": v} for k, v in by_term]})
    categories = [{"category": str(c), "n_texts": _num(_dict(v).get("n_texts")), "n_counterfactuals": _num(_dict(v).get("n_counterfactuals")),
                   "flip_rate": _vci(_dict(v).get("flip_rate")), "mean_abs_score_change": _vci(_dict(v).get("mean_abs_score_change"))}
                  for c, v in _dict(cf.get("categories")).items()]
    seen: set[str] = set()
    for p in pairs[:N_PAIRS]:  # one text can carry many pairs: quote each original once
        p["examples"] = [e for e in p["examples"] if not (e["_text"] in seen or seen.add(e["_text"]))]
    for p in pairs:
        for e in p["examples"]:
            del e["_text"]
        p["small"] = p["n"] is not None and _num(cf.get("min_pair_size")) is not None and p["n"] < cf["min_pair_size"]
    return {"status": "ok", "n_texts": _num(cf.get("n_texts")), "n_texts_with_terms": _num(cf.get("n_texts_with_terms")),
            "n_texts_used": _num(cf.get("n_texts_used")), "n_counterfactuals": _num(cf.get("n_counterfactuals")),
            "threshold": _num(cf.get("threshold")), "ci_level": _num(cf.get("ci_level")), "min_pair_size": _num(cf.get("min_pair_size")),
            "max_flip_rate": _max_flip(best), "matching": _matching(cf.get("matching")),
            "categories": categories, "n_pairs": len(pairs), "pairs": pairs[:N_PAIRS], "templates": templates}


def _max_flip(best: dict) -> dict[str, Any]:
    """The largest flip rate: its interval adjusted for choosing it (records before that: the pair's own)."""
    return {**_vci(best), "pair": _dict(best.get("pair")) or None, "reason": _text(best.get("reason")),
            "n": _num(best.get("n")), "n_flips": _num(best.get("n_flips")), "n_pairs": _num(best.get("n_pairs")),
            "ci_pair": _interval(best.get("ci_pair")),
            "upper_bound_all_pairs": _num(best.get("upper_bound_all_pairs"))}


#: How the card names why an identity-term match was left out (audit.text.SKIP_REASONS holds the long form).
_SKIP_SHORT = {"proper_noun": "part of a capitalised name", "not_people": "an ambiguous word not about people",
               "age_in_years": "an age in years"}


def _matching(m: Any) -> dict[str, Any] | None:
    """How many identity-term matches were swapped and why the others were not (records before that: None)."""
    if not isinstance(m, dict):
        return None
    skipped = [{"reason": str(k), "label": _SKIP_SHORT.get(str(k), str(k)), "n": _num(v),
                "rule": _text(_dict(m.get("reasons")).get(k))} for k, v in _dict(m.get("skipped")).items()]
    examples = [{"reason": _SKIP_SHORT.get(str(e.get("reason")), _text(e.get("reason"))), "text": _text(e.get("text")),
                 "match": _text(e.get("match"))} for e in map(_dict, _list(m.get("examples")))]
    return {"n_matches": _num(m.get("n_matches")), "n_mentions": _num(m.get("n_mentions")),
            "n_skipped": _num(m.get("n_skipped")), "skipped": sorted(skipped, key=lambda r: -(r["n"] or 0)),
            "examples": examples[:6]}


def _identity_auc(ia: Any, skipped: dict) -> dict[str, Any]:
    if not isinstance(ia, dict):
        return _not_run(_text(skipped.get("identity_auc")) or "the identity-subgroup AUCs did not run for this model")
    rows = []
    for name, sg in _dict(ia.get("subgroups")).items():
        sg = _dict(sg)
        rows.append({"subgroup": str(name), "n": _num(sg.get("n")), "n_positive": _num(sg.get("n_positive")),
                     "n_negative": _num(sg.get("n_negative")),
                     **{fam: {**_vci(sg.get(fam)), "n": _num(_dict(sg.get(fam)).get("n")),
                              "reason": _text(_dict(sg.get(fam)).get("reason"))} for fam in _AUC_FAMILIES}})
    rows.sort(key=lambda r: (r["bpsn_auc"]["value"] if r["bpsn_auc"]["value"] is not None else 2.0, r["subgroup"]))
    worst = {fam: {**_vci(w), "subgroup": _text(_dict(w).get("subgroup")), "reason": _text(_dict(w).get("reason")),
                   "n_subgroups": _num(_dict(w).get("n_subgroups"))}
             for fam, w in _dict(ia.get("worst")).items()}
    return {"status": "ok", "overall_auc": _vci(ia.get("overall_auc")), "final_score": _vci(ia.get("final_score")),
            "power_means": {fam: _vci(ia.get(f"power_mean_{fam}")) for fam in _AUC_FAMILIES if f"power_mean_{fam}" in ia},
            "power": _num(ia.get("power")), "min_size": _num(ia.get("min_size")), "n_boot": _num(ia.get("n_boot")),
            "ci_level": _num(ia.get("ci_level")), "worst": worst, "subgroups": rows}


def _tokens(tok: Any, explain_on: bool) -> dict[str, Any]:
    if not isinstance(tok, dict):
        return _not_run("explanations are disabled ([explain] enabled = false)" if not explain_on
                        else "token attributions did not run for this model")
    g = _dict(tok.get("global"))

    def rows(key: str) -> list[dict]:
        return [{"token": str(_dict(r).get("token")), "count": _num(_dict(r).get("count")),
                 "mean_attribution": _num(_dict(r).get("mean_attribution")),
                 "mean_abs_attribution": _num(_dict(r).get("mean_abs_attribution"))} for r in _list(g.get(key))[:N_TOKENS]]

    deletion, delta = _dict(tok.get("deletion")), _dict(tok.get("convergence_delta"))
    return {"status": "ok", "target": _text(tok.get("target")), "n_texts": _num(tok.get("n_texts")),
            "test_rows": _text(tok.get("test_rows")), "n_tokens_kept": _num(g.get("n_tokens_kept")),
            "top_positive": rows("top_positive"), "top_negative": rows("top_negative"),
            "deletion": {k: deletion.get(k) for k in ("k", "n", "mean_drop_top_k", "mean_drop_random", "p_value", "alpha",
                                                      "passed", "reason")} if deletion else None,
            "convergence_delta": {k: _num(delta.get(k)) for k in ("mean_abs", "max_abs", "max_relative")} if delta else None}


def _text_audits(result: AuditResult) -> dict[str, Any]:
    t = result.text
    if t is None:
        return _not_run("no text audit in this record (a text classifier with [data] text_column runs it)")
    explain_on = result.explainability is not None or any(m.tokens for m in t.models.values())
    models = []
    for name in _model_order(t.models, first=audited_model(result)):
        m = t.models[name]
        skipped = _dict(m.extra.get("skipped"))
        models.append({"model": name, "skipped": {str(k): str(v) for k, v in skipped.items()},
                       "counterfactual": _counterfactual(m.counterfactual, skipped),
                       "identity_auc": _identity_auc(m.identity_auc, skipped),
                       "tokens": _tokens(m.tokens, explain_on)})
    return {"status": "ok" if models else "not run", "reason": None if models else "no model was audited",
            "text_column": _text(t.text_column), "identity_categories": [str(c) for c in t.identity_categories],
            "mentions": [{"subgroup": str(k), "n": _num(v)} for k, v in t.mentions.items()],
            "audited_model": audited_model(result), "models": models}


# ---------------------------------------------------------------- explainability
def _plain_rows(x: Any) -> Any:
    """Typed sections (a later schema may type these rows) as plain dicts."""
    if hasattr(x, "to_dict"):
        return x.to_dict()
    if isinstance(x, dict):
        return {k: _plain_rows(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain_rows(v) for v in x]
    return x


def _explainability(card: dict, result: AuditResult) -> None:
    x = card.get("explainability")
    if isinstance(x, dict) and not result.explainability and result.text is not None and x.get("status") == "not run":
        if any(m.tokens for m in result.text.models.values()):
            x["reason"] = "feature attributions of a table do not apply to a text classifier; its token attributions follow"
    if not isinstance(x, dict) or not result.explainability:
        return
    for entry in _list(x.get("models")):
        src = result.explainability.get(entry.get("model"))
        if src is None:
            continue
        def field(name: str) -> Any:  # typed in a later schema, kept in extra by this one
            value = getattr(src, name, None)
            return value if value is not None else src.extra.get(name)

        entry["target_description"] = _text(field("target_description"))
        entry["explained_class"] = _text(field("explained_class"))
        per_class = []
        for cls, rows in _dict(_plain_rows(field("per_class_importance"))).items():
            top = sorted(map(_dict, _list(rows)), key=lambda r: -(_num(r.get("mean_abs")) or 0.0))[:5]
            per_class.append({"class": str(cls), "top": [{"feature": str(r.get("feature")), "mean_abs": _num(r.get("mean_abs")),
                                                          "mean_signed": _num(r.get("mean_signed"))} for r in top]})
        entry["per_class_importance"] = per_class
        for e in _list(entry.get("examples")):  # a regression's true target is a float: shown like the score
            if isinstance(e.get("y_true"), float):
                e["y_true"] = round(e["y_true"], 3)


# ---------------------------------------------------------------- the hook
_STEPS: list[tuple[str, Callable[[dict, AuditResult, str], None]]] = [
    ("quantitative_analyses", _performance),
    ("summary", _tiles),
    ("factors", _descriptive),
    ("bias", _bias),
    ("caveats", lambda card, result, kind: _caveats(card, result)),
    ("explainability", lambda card, result, kind: _explainability(card, result)),
]


def apply_tasks(card: dict[str, Any], result: AuditResult) -> dict[str, Any]:
    """Make ``card`` (the sections ``build_card_data`` built) describe the record's task; returns ``card``.

    A binary table is left exactly as it is. For the other tasks the sections are adjusted in place
    and ``task``, ``group_errors`` and ``text_audits`` are added; a step that cannot read its part
    of the record marks that section ``"error"`` and leaves the rest.
    """
    kind, text = task_kind(result), _is_text(result)
    if kind == "binary" and not text:
        return card
    card["task"] = {"kind": kind, "text": text, "record_task": _text(result.task),
                    "classes": [str(c) for c in result.data.classes] if kind == "multiclass" else []}
    for key, step in _STEPS:
        try:
            step(card, result, kind)
        except Exception as exc:  # one unreadable part must not take the card down
            card[key] = {"status": "error", "error": f"This section could not be read from audit.json "
                                                     f"({type(exc).__name__}: {exc}); the rest of the card is unaffected."}
    builders = {"group_errors": lambda: _group_errors(result, kind), "text_audits": lambda: _text_audits(result)}
    for key, build in builders.items():
        if (key == "group_errors" and kind == "binary") or (key == "text_audits" and not text):
            continue
        try:
            card[key] = build()
        except Exception as exc:
            card[key] = {"status": "error", "error": f"This section could not be read from audit.json "
                                                     f"({type(exc).__name__}: {exc}); the rest of the card is unaffected."}
    return card
