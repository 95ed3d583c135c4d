"""Card data: one plain-data object built from an ``AuditResult``, rendered by every template.

The sections follow Mitchell et al. 2019, "Model Cards for Model Reporting"
(model details, intended use, factors, metrics, evaluation data, training
data, quantitative analyses, ethical considerations, caveats and
recommendations), then one section per concern: data privacy, bias,
explainability, compute and environmental impact, governance.

Every section is built defensively: the audit sections are filled by several
parts of the pipeline and may be missing (``None``), partial or, in a future
schema, shaped differently. A missing section gets ``"status": "not run"``; a
section whose shape cannot be read gets ``"status": "error"`` and a message
in the card instead of an exception, so one bad section never hides the rest.

Examples
--------
>>> data = build_card_data({"schema_version": "1.0", "run": {"name": "demo"}, "models": {}})
>>> data["privacy"]["status"]
'not run'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["CARD_DATA_VERSION", "SECTION_ORDER", "SECTION_TITLES", "build_card_data"]

CARD_DATA_VERSION = "1.0"

SECTION_ORDER = [
    "model_details", "intended_use", "factors", "metrics", "evaluation_data", "training_data",
    "quantitative_analyses", "ethical_considerations", "caveats",
    "privacy", "bias", "explainability", "compute", "governance",
]  # fmt: skip
SECTION_TITLES = {
    "model_details": "Model details",
    "intended_use": "Intended use",
    "factors": "Factors",
    "metrics": "Metrics",
    "evaluation_data": "Evaluation data",
    "training_data": "Training data",
    "quantitative_analyses": "Quantitative analyses",
    "ethical_considerations": "Ethical considerations",
    "caveats": "Caveats and recommendations",
    "privacy": "Data privacy",
    "bias": "Bias",
    "explainability": "Explainability",
    "compute": "Compute and environmental impact",
    "governance": "Governance",
}

# Group-table columns in the order a reader scans them; only those present are shown.
# TNR, FNR and balanced accuracy are complements or means of these; they stay in audit.json, not in the card tables.
GROUP_METRICS = ["selection_rate", "accuracy", "tpr", "fpr", "precision", "base_rate", "roc_auc", "ece"]
DISPARITIES = ["demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
               "equalized_odds_ratio", "equalized_odds_difference_mean", "equal_opportunity_difference",
               "equal_opportunity_ratio", "predictive_parity_difference", "predictive_parity_ratio",
               "accuracy_difference", "roc_auc_difference", "roc_auc_ratio"]  # fmt: skip
HEADLINE_DISPARITIES = ["demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
                        "equal_opportunity_difference", "predictive_parity_difference", "accuracy_difference",
                        "roc_auc_difference"]  # fmt: skip
METRIC_DEFINITIONS = {
    "accuracy": "share of test examples predicted correctly",
    "roc_auc": "area under the ROC curve of the positive-class score",
    "selection_rate": "share predicted positive",
    "tpr": "true positive rate (recall): positives predicted positive",
    "fpr": "false positive rate: negatives predicted positive",
    "tnr": "true negative rate",
    "fnr": "false negative rate",
    "precision": "positive predictive value: predicted positives that are positive",
    "base_rate": "share of actual positives",
    "balanced_accuracy": "mean of TPR and TNR",
    "ece": "expected calibration error of the score (10 equal-width bins)",
    "demographic_parity_difference": "largest gap in selection rate between groups (Fairlearn)",
    "demographic_parity_ratio": "smallest over largest group selection rate (Fairlearn)",
    "equalized_odds_difference": "larger of the TPR gap and the FPR gap between groups (Fairlearn)",
    "equalized_odds_ratio": "smaller of the TPR ratio and the FPR ratio between groups (Fairlearn)",
    "equalized_odds_difference_mean": "mean of the TPR gap and the FPR gap",
    "equal_opportunity_difference": "largest gap in TPR between groups",
    "equal_opportunity_ratio": "smallest over largest group TPR",
    "predictive_parity_difference": "largest gap in precision between groups",
    "predictive_parity_ratio": "smallest over largest group precision",
    "accuracy_difference": "largest gap in accuracy between groups",
    "roc_auc_difference": "largest gap in ROC AUC between groups (Fairlearn's MetricFrame(roc_auc_score).difference())",
    "roc_auc_ratio": "smallest over largest group ROC AUC",
}
_SECTION_ERROR = "This section could not be read from audit.json ({error}); the rest of the card is unaffected."


# ---------------------------------------------------------------- plain-data helpers
def _get(d: Any, *keys: Any, default: Any = None) -> Any:
    for k in keys:
        if isinstance(d, dict) and k in d:
            d = d[k]
        elif isinstance(d, list) and isinstance(k, int) and -len(d) <= k < len(d):
            d = d[k]
        else:
            return default
    return default if d is None else d


def _dict(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _list(x: Any) -> list:
    return x if isinstance(x, list) else []


def _num(x: Any) -> float | int | None:
    """A finite number, or None (bools and strings are not numbers here)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _ci(x: Any) -> list[float] | None:
    if isinstance(x, (list, tuple)) and len(x) == 2 and _num(x[0]) is not None and _num(x[1]) is not None:
        return [float(x[0]), float(x[1])]
    return None


def _vci(entry: Any) -> dict[str, Any]:
    """Normalise a metric to ``{"value", "ci"}`` whether given as a number or as a value/CI pair."""
    if isinstance(entry, dict):
        return {"value": _num(entry.get("value")), "ci": _ci(entry.get("ci"))}
    return {"value": _num(entry), "ci": None}


def _text(x: Any) -> str | None:
    if x is None:
        return None
    s = str(x).strip()
    return s or None


def _plain(x: Any) -> Any:
    """Deep copy into JSON-safe plain data (non-finite floats become None)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)


def _not_run(reason: str) -> dict[str, Any]:
    return {"status": "not run", "reason": reason}


def _model_names(result: dict) -> list[str]:
    names = list(_dict(result.get("models")))
    # Reference first, private second, anything else after: the order every table uses.
    return sorted(names, key=lambda n: ({"reference": 0, "private": 1}.get(n, 2), n))


# ---------------------------------------------------------------- Mitchell et al. sections
def _model_details(result: dict) -> dict[str, Any]:
    run, card = _dict(result.get("run")), _dict(_get(result, "run", "card"))
    env = _dict(run.get("environment"))
    models = []
    for name in _model_names(result):
        m = _dict(result["models"][name])
        models.append({
            "name": name,
            "private": bool(m.get("private", name == "private")),
            "architecture": _text(m.get("architecture")),
            "n_parameters": _num(m.get("n_parameters")),
            "epochs": _num(m.get("epochs")),
            "batch_size": _num(m.get("batch_size")),
            "learning_rate": _num(m.get("learning_rate")),
            "optimizer": _text(m.get("optimizer")),
            "train_wall_s": _num(m.get("train_wall_s")),
        })  # fmt: skip
    return {
        "status": "ok",
        "name": _text(card.get("model_name")) or _text(run.get("name")) or "Unnamed model",
        "description": _text(card.get("description")),
        "run_name": _text(run.get("name")),
        "created_at": _text(run.get("created_at")),
        "task": _text(result.get("task")) or "binary-classification",
        "authors": [str(a) for a in _list(card.get("authors"))],
        "license": _text(card.get("license")),
        "seed": _num(run.get("seed")),
        "models": models,
        "provenance": {
            "schema_version": _text(result.get("schema_version")),
            "config_sha256": _text(run.get("config_sha256")),
            "config_file_sha256": _text(run.get("config_file_sha256")),
            "data_sha256": {str(k): str(v) for k, v in _dict(run.get("data_sha256")).items()},
            "weights_sha256": {str(k): str(v) for k, v in _dict(run.get("weights_sha256")).items()},
            "git_commit": _text(env.get("git_commit")),
            "python": _text(env.get("python")),
            "platform": _text(env.get("platform")),
            "libraries": {str(k): (None if v is None else str(v)) for k, v in _dict(env.get("libraries")).items()},
        },
    }


def _intended_use(result: dict) -> dict[str, Any]:
    card = _dict(_get(result, "run", "card"))
    out = card.get("out_of_scope_uses")
    out_list = [str(x) for x in out] if isinstance(out, list) else ([str(out)] if _text(out) else [])
    return {
        "status": "ok",
        "primary": _text(card.get("intended_use")),
        "out_of_scope": out_list,
        "note": None if _text(card.get("intended_use")) else "The config gives no intended use ([card] intended_use); say who may use this model, for what.",
    }


def _fairness_models(result: dict) -> list[str]:
    fair = _dict(result.get("fairness"))
    return [n for n in _model_names(result) if isinstance(fair.get(n), dict)] + \
        [n for n in fair if n not in result.get("models", {}) and n != "representation" and isinstance(fair[n], dict)]


def _factors(result: dict) -> dict[str, Any]:
    data = _dict(result.get("data"))
    sensitive = [str(s) for s in _list(data.get("sensitive_features"))]
    fair = _dict(result.get("fairness"))
    models = _fairness_models(result)
    groups = []
    if models:
        for feature, block in _dict(_get(fair, models[0], "by_feature")).items():
            block = _dict(block)
            groups.append({
                "feature": str(feature),
                "intersectional": len(_list(block.get("features"))) > 1,
                "groups": [{"group": str(g.get("group")), "count": _num(g.get("count")), "share": _num(g.get("share")),
                            "insufficient_data": bool(g.get("insufficient_data"))}
                           for g in map(_dict, _list(block.get("groups")))],
            })  # fmt: skip
    return {
        "status": "ok" if sensitive else "not run",
        "sensitive_features": sensitive,
        "sensitive_used_as_features": data.get("sensitive_used_as_features"),
        "groupings": groups,
        "min_group_size": _num(_get(fair, models[0], "min_group_size")) if models else None,
    }


def _metrics(result: dict) -> dict[str, Any]:
    fair = _dict(result.get("fairness"))
    models = _fairness_models(result)
    first = _dict(fair.get(models[0])) if models else {}
    present_metrics, present_disp = set(), set()
    for block in _dict(first.get("by_feature")).values():
        for g in _list(_dict(block).get("groups")):
            present_metrics |= set(_dict(_dict(g).get("metrics")))
        present_disp |= set(_dict(_dict(block).get("disparities")))
    used = ["accuracy", "roc_auc"] + [m for m in GROUP_METRICS if m in present_metrics and m != "accuracy"] + \
        [d for d in METRIC_DEFINITIONS if d in present_disp]
    ci = _dict(first.get("ci"))
    return {
        "status": "ok",
        "definitions": [{"metric": m, "definition": METRIC_DEFINITIONS[m]} for m in used if m in METRIC_DEFINITIONS],
        "decision_threshold": 0.5,
        "uncertainty": {
            "method": _text(ci.get("method")),
            "level": _num(ci.get("level")),
            "n_boot": _num(ci.get("n_boot")),
            "stratified": ci.get("stratified") if isinstance(ci.get("stratified"), bool) else None,
            "vanished_groups": _text(ci.get("vanished_groups")),
        } if ci else None,
    }


def _evaluation_data(result: dict) -> dict[str, Any]:
    d = _dict(result.get("data"))
    return {
        "status": "ok" if d else "not run",
        "source": _text(d.get("test_source")) or _text(d.get("source")),
        "n": _num(d.get("n_test")),
        "target": _text(d.get("target")),
        "positive_label": _plain(d.get("positive_label")),
        "base_rate": _num(d.get("base_rate_test")),
        "preprocessing": "The preprocessing fitted on the training split only (categoricals one-hot, numerics standardised) is applied unchanged.",
    }


def _training_data(result: dict) -> dict[str, Any]:
    d = _dict(result.get("data"))
    rep = _dict(_get(result, "fairness", "representation"))
    return {
        "status": "ok" if d else "not run",
        "source": _text(d.get("source")),
        "attribution": _text(d.get("attribution")),
        "n": _num(d.get("n_train")),
        "base_rate": _num(d.get("base_rate_train")),
        "features": [str(f) for f in _list(d.get("features"))],
        "n_encoded_features": _num(d.get("n_encoded_features")),
        "dropped_columns": [str(c) for c in _list(d.get("dropped_columns"))],
        "missing_values": [{"column": str(k), "count": _num(v)} for k, v in _dict(d.get("missing_values_train")).items()],
        "representation_warnings": [str(w) for w in _list(rep.get("warnings"))],
    }


def _group_rows(block: dict) -> list[dict[str, Any]]:
    rows = []
    for g in map(_dict, _list(block.get("groups"))):
        metrics = _dict(g.get("metrics"))
        rows.append({
            "group": str(g.get("group")),
            "count": _num(g.get("count")),
            "share": _num(g.get("share")),
            "insufficient_data": bool(g.get("insufficient_data")),
            "metrics": {m: _vci(metrics[m]) for m in GROUP_METRICS if m in metrics},
        })  # fmt: skip
    return rows


def _quantitative(result: dict) -> dict[str, Any]:
    perf = []
    for name in _model_names(result):
        m = _dict(result["models"][name])
        perf.append({"model": name, "accuracy": _num(m.get("test_accuracy")), "roc_auc": _num(m.get("test_roc_auc"))})
    fair = _dict(result.get("fairness"))
    analyses = []
    for model in _fairness_models(result):
        F = _dict(fair[model])
        overall = _dict(_get(F, "overall", "metrics"))
        for feature, block in _dict(F.get("by_feature")).items():
            block = _dict(block)
            rows = _group_rows(block)
            columns = [m for m in GROUP_METRICS if any(m in r["metrics"] for r in rows)]
            ff = _dict(block.get("four_fifths_rule"))
            analyses.append({
                "model": model,
                "feature": str(feature),
                "features": [str(f) for f in _list(block.get("features"))] or [str(feature)],
                "intersectional": len(_list(block.get("features"))) > 1,
                "columns": columns,
                "overall": {m: _vci(overall[m]) for m in columns if m in overall},
                "groups": rows,
                # The documented disparities only: the engine also reports every rate's difference/ratio and
                # *_to_overall variants, which stay in audit.json but would drown the card.
                "disparities": [{"name": k, **_vci(_dict(block.get("disparities"))[k])} for k in DISPARITIES
                                if k in _dict(block.get("disparities"))],
                "four_fifths_rule": {"selection_rate_ratio": _num(ff.get("selection_rate_ratio")),
                                     "passed": ff.get("passed") if isinstance(ff.get("passed"), bool) else None} if ff else None,
                "calibration": [{"group": str(g), "ece": _num(_dict(c).get("ece"))} for g, c in _dict(block.get("calibration")).items()],
            })  # fmt: skip
    return {
        "status": "ok" if perf else "not run",
        "performance": perf,
        "unitary": [a for a in analyses if not a["intersectional"]],
        "intersectional": [a for a in analyses if a["intersectional"]],
        "ci_level": _num(_get(fair, (_fairness_models(result) or [""])[0], "ci", "level")),
    }


def _small_groups(result: dict) -> list[dict[str, Any]]:
    fair = _dict(result.get("fairness"))
    out, seen = [], set()
    for model in _fairness_models(result):
        for feature, block in _dict(_get(fair, model, "by_feature")).items():
            for g in map(_dict, _list(_dict(block).get("groups"))):
                key = (str(feature), str(g.get("group")))
                if g.get("insufficient_data") and key not in seen:
                    seen.add(key)
                    out.append({"feature": key[0], "group": key[1], "count": _num(g.get("count"))})
    return out


def _ethical(result: dict) -> dict[str, Any]:
    card = _dict(_get(result, "run", "card"))
    data = _dict(result.get("data"))
    notes = []
    if data.get("sensitive_used_as_features"):
        notes.append("Sensitive features are used as model inputs; decisions may depend on them directly.")
    elif data.get("sensitive_features"):
        notes.append("Sensitive features are not model inputs, but other features can act as proxies for them "
                     "(see Explainability: group reliance).")
    scan = _list(data.get("identifier_scan")) or _list(_get(result, "privacy", "identifier_scan"))
    if scan:
        notes.append(f"{len(scan)} column(s) look like direct identifiers (see Data privacy); drop them before training.")
    return {"status": "ok", "text": _text(card.get("ethical_considerations")), "notes": notes}


def _caveats(result: dict) -> dict[str, Any]:
    card = _dict(_get(result, "run", "card"))
    notes = []
    small = _small_groups(result)
    if small:
        names = ", ".join(f"{s['feature']}={s['group']} (n={s['count']})" for s in small[:8])
        more = f" and {len(small) - 8} more" if len(small) > 8 else ""
        notes.append(f"{len(small)} group(s) are below the minimum size, so their metrics are unreliable: {names}{more}.")
    for w in _list(_get(result, "fairness", "representation", "warnings")):
        notes.append(str(w))
    for model, X in _dict(result.get("explainability")).items():
        for w in _list(_dict(X).get("warnings")):
            notes.append(f"Explanations ({model}): {w}")
    if _get(result, "compute", "total", "energy_measured") is False:
        notes.append("Energy and CO2 figures are estimates from a stated power draw, not measurements.")
    failed = [g for g in map(_dict, _list(result.get("gates"))) if g.get("passed") is False]
    for g in failed:
        notes.append(f"Gate not met ({g.get('severity', 'error')}): {g.get('message') or g.get('name')}")
    if not _dict(result.get("fairness")):
        notes.append("No fairness audit was run; group-level behaviour is unknown.")
    return {"status": "ok", "text": _text(card.get("limitations")), "notes": notes}


# ---------------------------------------------------------------- concern sections
def _privacy(result: dict) -> dict[str, Any]:
    p = _dict(result.get("privacy"))
    dp = p.get("dp")
    scan = _list(p.get("identifier_scan")) or _list(_get(result, "data", "identifier_scan"))
    mia = []
    for model in _model_names(result) + [m for m in _dict(p.get("membership_inference")) if m not in result.get("models", {})]:
        block = _dict(_get(p, "membership_inference", model))
        for attack, a in _dict(block.get("attacks")).items():
            a = _dict(a)
            roc = _dict(a.get("roc"))
            mia.append({
                "model": model, "attack": str(attack), "n_members": _num(block.get("n_members")),
                "n_nonmembers": _num(block.get("n_nonmembers")), "auc": _num(a.get("auc")),
                "tpr_at_1pct_fpr": _num(a.get("tpr_at_1pct_fpr")), "tpr_at_0.1pct_fpr": _num(a.get("tpr_at_0.1pct_fpr")),
                "advantage": _num(a.get("advantage")),
                "roc": {"fpr": [_num(v) for v in _list(roc.get("fpr"))], "tpr": [_num(v) for v in _list(roc.get("tpr"))]} if roc else None,
            })  # fmt: skip
    canary = _dict(p.get("canary_audit"))
    curve = []
    for row in map(_dict, _list(p.get("utility_curve"))):
        curve.append({
            "epsilon": _num(row.get("epsilon")),
            "accuracy": _num(row.get("accuracy")),
            "demographic_parity_difference": {str(k): _num(v) for k, v in _dict(row.get("demographic_parity_difference")).items()},
            "equalized_odds_difference": {str(k): _num(v) for k, v in _dict(row.get("equalized_odds_difference")).items()},
            "by_group_accuracy": _plain(_dict(row.get("by_group_accuracy"))),
        })  # fmt: skip
    if not p:
        return {**_not_run("privacy audit disabled or not available"), "dp": None, "membership_inference": [],
                "canary_audit": None, "identifier_scan": [_plain(s) for s in scan], "utility_curve": []}
    dp_out = None
    if isinstance(dp, dict):
        dp_out = {k: _plain(dp.get(k)) for k in (
            "epsilon_target", "epsilon_spent", "delta", "delta_rule", "accountant", "max_grad_norm", "noise_multiplier",
            "sample_rate", "epochs", "batch_size", "learning_rate", "optimizer", "poisson_sampling", "grad_sample_mode",
            "n_train", "steps", "module_fixes", "resumed_from_epoch", "secure_rng")}  # fmt: skip
        dp_out["epsilon_history"] = [_num(v) for v in _list(dp.get("epsilon_history"))]
    return {
        "status": "ok",
        "dp": dp_out,
        "dp_note": None if dp_out else "No model was trained with differential privacy; there is no formal privacy guarantee.",
        "membership_inference": mia,
        "canary_audit": {k: _plain(v) for k, v in canary.items()} if canary else None,
        "identifier_scan": [_plain(s) for s in scan],
        "identifier_scan_run": "identifier_scan" in p or "identifier_scan" in _dict(result.get("data")),
        "utility_curve": curve,
    }


def _bias(result: dict) -> dict[str, Any]:
    fair = _dict(result.get("fairness"))
    models = _fairness_models(result)
    if not models:
        return {**_not_run("fairness audit disabled or not available"), "headline": [], "small_groups": [], "mitigation": []}
    headline = []
    for model in models:
        for feature, block in _dict(_get(fair, model, "by_feature")).items():
            disp = _dict(_dict(block).get("disparities"))
            for name in HEADLINE_DISPARITIES:
                if name in disp:
                    headline.append({"model": model, "feature": str(feature), "disparity": name, **_vci(disp[name])})
    pivot: dict[tuple[str, str], dict[str, Any]] = {}
    for h in headline:
        row = pivot.setdefault((h["feature"], h["disparity"]), {"feature": h["feature"], "disparity": h["disparity"], "by_model": {}})
        row["by_model"][h["model"]] = {"value": h["value"], "ci": h["ci"]}
    mitigation = []
    for model in models:
        mit = _dict(_get(fair, model, "mitigation"))
        if not mit:
            continue
        rows = []
        for row in map(_dict, _list(mit.get("rows"))):
            rows.append({"method": _text(row.get("method")), "description": _text(row.get("description")),
                         # per-group breakdowns ride along in "metrics"; the table shows the metric-shaped entries
                         "metrics": {str(k): _vci(v) for k, v in _dict(row.get("metrics")).items()
                                     if (isinstance(v, dict) and "value" in v) or _num(v) is not None}})
        columns = []
        for r in rows:
            columns += [k for k in r["metrics"] if k not in columns]
        mitigation.append({"model": model, "constraint": _text(mit.get("constraint")),
                           "sensitive_feature": _text(mit.get("sensitive_feature")), "columns": columns, "rows": rows,
                           "notes": [str(n) for n in _list(mit.get("notes"))]})
    ci = _dict(_get(fair, models[0], "ci"))
    return {
        "status": "ok",
        "ci_method": _text(ci.get("method")),
        "disparity_ci_method": _text(ci.get("disparity_method")),
        "ci_level": _num(ci.get("level")),
        "n_boot": _num(ci.get("n_boot")),
        "min_group_size": _num(_get(fair, models[0], "min_group_size")),
        "headline": headline,
        "models": models,
        "headline_table": list(pivot.values()),
        "small_groups": _small_groups(result),
        "mitigation": mitigation,
        "representation_warnings": [str(w) for w in _list(_get(fair, "representation", "warnings"))],
    }


def _explainability(result: dict) -> dict[str, Any]:
    X = result.get("explainability")
    if not isinstance(X, dict) or not X:
        return {**_not_run("explanations disabled or not available"), "models": []}
    models = []
    for model in [n for n in _model_names(result) if n in X] + [n for n in X if n not in result.get("models", {})]:
        x = _dict(X[model])
        faith = _dict(x.get("faithfulness"))
        conv = _dict(faith.get("convergence_delta"))
        rand = _dict(faith.get("randomization_test"))
        deletion = _dict(faith.get("deletion_curve"))
        reliance = []
        for feature, r in _dict(x.get("group_reliance")).items():
            r = _dict(r)
            reliance.append({
                "sensitive_feature": str(feature),
                "sensitive_feature_share": _num(r.get("sensitive_feature_share")),
                "proxies": [{"feature": str(_dict(p).get("feature")), "proxy_auc": _num(_dict(p).get("proxy_auc")),
                             "mutual_information": _num(_dict(p).get("mutual_information")),
                             "importance": _num(_dict(p).get("importance"))} for p in _list(r.get("proxies"))][:8],
            })  # fmt: skip
        examples = []
        for e in map(_dict, _list(x.get("examples"))[:6]):
            contribs = sorted((_dict(c) for c in _list(e.get("contributions"))),
                              key=lambda c: -abs(_num(c.get("attribution")) or 0.0))[:5]
            examples.append({"row": _plain(e.get("row")), "kind": _text(e.get("kind")), "y_true": _plain(e.get("y_true")),
                             "y_score": _num(e.get("y_score")),
                             "contributions": [{"feature": str(c.get("feature")), "value": _plain(c.get("value")),
                                                "attribution": _num(c.get("attribution"))} for c in contribs]})
        models.append({
            "model": model,
            "method": _text(x.get("method")) or (", ".join(map(str, x["methods"])) if isinstance(x.get("methods"), list) else None),
            "baseline": _text(_get(x, "baseline", "description")) or _text(_get(x, "baseline", "kind")) or _text(x.get("baseline")),
            "n_rows": _num(x.get("n_rows")) if x.get("n_rows") is not None else _num(x.get("n_images")),
            "test_rows": _text(x.get("test_rows")),
            "global_importance": [{"feature": str(g.get("feature")), "mean_abs": _num(g.get("mean_abs")), "ci": _ci(g.get("ci")),
                                   "mean_signed": _num(g.get("mean_signed"))} for g in map(_dict, _list(x.get("global_importance")))],
            "faithfulness": {
                "convergence_delta_mean_abs": _num(conv.get("mean_abs")),
                "convergence_delta_max_abs": _num(conv.get("max_abs")),
                "convergence_tolerance": _num(conv.get("tolerance")),
                "convergence_warning": conv.get("warning") if isinstance(conv.get("warning"), (bool, str)) else None,
                "infidelity": _num(faith.get("infidelity")) if not isinstance(faith.get("infidelity"), dict)
                else _num(_dict(faith.get("infidelity")).get("mean")),
                "sensitivity_max": _num(faith.get("sensitivity_max")) if not isinstance(faith.get("sensitivity_max"), dict)
                else _num(_dict(faith.get("sensitivity_max")).get("mean")),
                "randomization_spearman": _num(rand.get("spearman")),
                "randomization_threshold": _num(rand.get("threshold")),
                "randomization_flagged": rand.get("flagged") if isinstance(rand.get("flagged"), bool) else None,
                "deletion_curve": {"k": [_num(v) for v in _list(deletion.get("k"))], "top": [_num(v) for v in _list(deletion.get("top"))],
                                   "random": [_num(v) for v in _list(deletion.get("random"))]} if deletion else None,
            },
            "group_reliance": reliance,
            "examples": examples,
            # Image runs (explain_images) report faithfulness per method instead of one block.
            "per_method_faithfulness": [
                {"method": str(meth), "n_images": _num(f.get("n_images")), "infidelity": _num(f.get("infidelity")),
                 "sensitivity_max": _num(f.get("sensitivity_max")),
                 "deletion_area_top": _num(_get(f, "deletion_curve", "area_top")),
                 "deletion_area_random": _num(_get(f, "deletion_curve", "area_random")),
                 "randomization_spearman": _num(_get(f, "randomization_test", "spearman")),
                 "randomization_threshold": _num(_get(f, "randomization_test", "threshold")),
                 "randomization_flagged": _get(f, "randomization_test", "flagged") if isinstance(_get(f, "randomization_test", "flagged"), bool) else None}
                for meth, f in ((k, _dict(v)) for k, v in faith.items()) if isinstance(x.get("methods"), list) and meth in x["methods"]
            ],
            "per_class_accuracy": [{"class": str(k), "accuracy": _num(_dict(v).get("accuracy")), "n": _num(_dict(v).get("n"))}
                                   for k, v in _dict(x.get("per_class_accuracy")).items()],
            "image_maps": [{"path": str(m.get("path")), "method": _text(m.get("method")), "label": _plain(m.get("label")),
                            "prediction": _plain(m.get("prediction")), "caption": _text(m.get("caption"))}
                           for m in map(_dict, _list(x.get("image_maps"))) if m.get("path")],
            "warnings": [str(w) for w in _list(x.get("warnings"))],
        })  # fmt: skip
    return {"status": "ok", "models": models}


def _compute(result: dict) -> dict[str, Any]:
    c = result.get("compute")
    if not isinstance(c, dict) or not c:
        return {**_not_run("compute accounting not available"), "stages": [], "models": []}
    stages = [{"stage": str(k), "wall_s": _num(_dict(v).get("wall_s")), "cpu_s": _num(_dict(v).get("cpu_s")),
               "energy_kwh": _num(_dict(v).get("energy_kwh")), "co2_kg": _num(_dict(v).get("co2_kg")),
               "energy_measured": _dict(v).get("energy_measured") is True}
              for k, v in _dict(c.get("stages")).items()]  # fmt: skip
    models = []
    for name in [n for n in _model_names(result) if n in _dict(c.get("models"))] + \
            [n for n in _dict(c.get("models")) if n not in result.get("models", {})]:
        m = _dict(c["models"][name])
        models.append({"model": name, **{k: _num(m.get(k)) for k in (
            "n_parameters", "flops_per_example", "training_flops_per_example", "training_flops_estimate",
            "train_wall_s", "train_cpu_s", "energy_kwh", "co2_kg")}, "energy_basis": _text(m.get("energy_basis")),
            "training_flops_basis": _text(m.get("training_flops_basis"))})  # fmt: skip
    by = {m["model"]: m for m in models}
    comparison = None
    if "reference" in by and "private" in by:
        def ratio(key: str) -> float | None:
            a, b = by["private"].get(key), by["reference"].get(key)
            return a / b if a is not None and b else None

        comparison = {k: ratio(k) for k in ("train_wall_s", "train_cpu_s", "training_flops_estimate", "energy_kwh", "co2_kg")}
    total = _dict(c.get("total"))
    return {
        "status": "ok",
        "stages": stages,
        "models": models,
        "private_vs_reference": comparison,
        "total_wall_s": _num(c.get("total_wall_s")),
        "peak_memory_mb": _num(c.get("peak_memory_mb")),
        "total": {"energy_kwh": _num(total.get("energy_kwh")), "co2_kg": _num(total.get("co2_kg")),
                  "energy_measured": total.get("energy_measured") is True, "energy_basis": _text(total.get("energy_basis")),
                  "co2_basis": _text(total.get("co2_basis"))},
        "assumptions": _plain(_dict(c.get("assumptions"))),
    }


def _governance(result: dict, reviews: list[dict] | None) -> dict[str, Any]:
    gates = []
    for g in map(_dict, _list(result.get("gates"))):
        bound = " and ".join(f"{op} {_plain(g.get(k))}" for op, k in (("≤", "max"), ("≥", "min")) if _num(g.get(k)) is not None)
        gates.append({
            "name": _text(g.get("name")) or _text(g.get("metric")) or "gate",
            "metric": _text(g.get("metric")), "model": _text(g.get("model")), "feature": _text(g.get("feature")),
            "severity": _text(g.get("severity")) or "error", "bound": bound or None,
            "value": _num(g.get("value")), "ci": _ci(g.get("ci")), "compared": _num(g.get("compared")),
            "passed": g.get("passed") is True, "message": _text(g.get("message")),
        })  # fmt: skip
    verdict = _text(result.get("verdict"))
    revs = []
    for r in map(_dict, reviews or []):
        revs.append({"index": _num(r.get("index")), "reviewer": _text(r.get("reviewer")), "decision": _text(r.get("decision")),
                     "comment": _text(r.get("comment")), "created_at": _text(r.get("created_at")),
                     "signed": isinstance(r.get("signature"), dict), "entry_hash": _text(r.get("entry_hash"))})
    return {
        "status": "ok",
        "verdict": verdict if verdict in ("pass", "fail") else None,
        "gates": gates,
        "n_failed_errors": sum(1 for g in gates if not g["passed"] and g["severity"] == "error"),
        "n_failed_warnings": sum(1 for g in gates if not g["passed"] and g["severity"] != "error"),
        "reviews": revs,
        "reviews_note": None if revs else "No review recorded when this card was rendered. Record one with "
                                          "'rai-audit review RUN_DIR --reviewer NAME --decision approve|reject'.",
    }


_BUILDERS: dict[str, Callable[[dict], dict]] = {
    "model_details": _model_details,
    "intended_use": _intended_use,
    "factors": _factors,
    "metrics": _metrics,
    "evaluation_data": _evaluation_data,
    "training_data": _training_data,
    "quantitative_analyses": _quantitative,
    "ethical_considerations": _ethical,
    "caveats": _caveats,
    "privacy": _privacy,
    "bias": _bias,
    "explainability": _explainability,
    "compute": _compute,
}


def build_card_data(result: dict[str, Any], *, reviews: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Build the model-card data object from an ``AuditResult`` dict.

    Parameters
    ----------
    result : dict
        ``audit.json`` as a dict (``AuditResult.to_dict()``). Missing sections are allowed.
    reviews : list of dict, optional
        Review entries (:func:`audit.review.read_reviews`) to show under Governance.

    Returns
    -------
    dict
        Plain JSON data: ``card_data_version``, ``title``, ``verdict``, ``section_order``,
        ``section_titles`` and one dict per section, each with a ``status`` of
        ``"ok"``, ``"not run"`` or ``"error"``.

    Examples
    --------
    >>> card = build_card_data({"run": {"card": {"model_name": "m"}}, "models": {}, "gates": [], "verdict": "pass"})
    >>> card["title"], card["governance"]["verdict"]
    ('m', 'pass')
    """
    result = result if isinstance(result, dict) else {}
    out: dict[str, Any] = {}
    for key, build in {**_BUILDERS, "governance": lambda r: _governance(r, reviews)}.items():
        try:
            out[key] = build(result)
        except Exception as exc:  # a shape this renderer does not know must not take the whole card down
            out[key] = {"status": "error", "error": _SECTION_ERROR.format(error=f"{type(exc).__name__}: {exc}")}
    title = _get(out, "model_details", "name", default="Unnamed model")
    return _plain({
        "card_data_version": CARD_DATA_VERSION,
        "schema_version": _text(result.get("schema_version")),
        "title": title,
        "verdict": _get(out, "governance", "verdict"),
        "section_order": SECTION_ORDER,
        "section_titles": SECTION_TITLES,
        **out,
    })
