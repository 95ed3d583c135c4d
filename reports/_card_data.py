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

from audit.choices import VERDICTS
from audit.verdict.concerns import audited_model, concerns_of
from audit.verdict.gates import gate_bound_text, gate_line, gate_number_text, gate_title, verdict_reasons, with_derived
from audit.result import (
    SCHEMA_VERSION, AuditResult, Card, ConfidenceSettings, ConvergenceDelta, Energy, Environment, FairnessBlock,
    Faithfulness, IdentifierFinding, Metric, ModelExplanation, ModelFairness, Privacy, RandomizationTest, Section,
)  # fmt: skip
from reports._card_tasks import apply_tasks
from reports._plain import (  # one set of plain-data readers for both card builders
    as_dict as _dict, interval as _ci, not_run as _not_run, number as _num, text as _text, value_ci as _vci,
)

__all__ = ["CARD_DATA_VERSION", "SECTION_ORDER", "SECTION_TITLES", "build_card_data", "build_summary"]

CARD_DATA_VERSION = "1.1"

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


def _reason(entry: Any) -> str | None:
    """Why a disparity is null (fewer than two groups with enough data), when the record says."""
    return _text(entry.inconclusive_reason) if isinstance(entry, Metric) and entry.value is None else None


def _plain(x: Any) -> Any:
    """Deep copy into JSON-safe plain data (non-finite floats become None)."""
    if isinstance(x, Section):
        return _plain(x.to_dict())
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)


def _given(section: Section | None) -> bool:
    """A section that is present and not empty (``{}`` reads as not given)."""
    return section is not None and bool(section.to_dict())


def _model_names(result: AuditResult) -> list[str]:
    # Reference first, private second, anything else after: the order every table uses.
    return sorted(result.models, key=lambda n: ({"reference": 0, "private": 1}.get(n, 2), n))


def _fairness(result: AuditResult) -> dict[str, ModelFairness]:
    return {k: v for k, v in result.fairness.models.items() if v is not None} if result.fairness is not None else {}


def _representation_warnings(result: AuditResult) -> list[str]:
    rep = result.fairness.representation if result.fairness is not None else None
    return [str(w) for w in rep.warnings] if rep is not None else []


# ---------------------------------------------------------------- Mitchell et al. sections
def _model_details(result: AuditResult) -> dict[str, Any]:
    run = result.run
    card, env = run.card or Card(), run.environment or Environment()
    models = []
    for name in _model_names(result):
        m = result.models[name]
        models.append({
            "name": name,
            "private": bool(m.private) if m.has("private") else name == "private",
            "architecture": _text(m.architecture),
            "n_parameters": _num(m.n_parameters),
            "epochs": _num(m.epochs),
            "batch_size": _num(m.batch_size),
            "learning_rate": _num(m.learning_rate),
            "optimizer": _text(m.optimizer),
            "train_wall_s": _num(m.train_wall_s),
            "decision": _decision_text(m),
            "training_note": _training_note(m),
        })  # fmt: skip
    return {
        "status": "ok",
        "name": _text(card.model_name) or _text(run.name) or "Unnamed model",
        "description": _text(card.description),
        "run_name": _text(run.name),
        "created_at": _text(run.created_at),
        "task": _text(result.task) or "binary-classification",
        "authors": [str(a) for a in card.authors],
        "license": _text(card.license),
        "seed": _num(run.seed),
        "models": models,
        "provenance": {
            "schema_version": _text(result.schema_version),  # build_card_data shows the version the record states
            "config_sha256": _text(run.config_sha256),
            "config_file_sha256": _text(run.config_file_sha256),
            "data_sha256": {str(k): str(v) for k, v in run.data_sha256.items()},
            "weights_sha256": {str(k): str(v) for k, v in run.weights_sha256.items()},
            "git_commit": _text(env.git_commit),
            "python": _text(env.python),
            "platform": _text(env.platform),
            "libraries": {str(k): (None if v is None else str(v)) for k, v in env.libraries.items()},
        },
    }


def _decision_text(m: Any) -> str | None:
    """How a binary model turns scores into decisions: its threshold, the rule, and what the validation rows showed."""
    chosen = m.decision_threshold
    if chosen is None or _num(chosen.value) is None:
        return None
    text = f"decides positive at score ≥ {chosen.value:.3f}"
    if chosen.rule == "fixed":
        return text + " (a fixed threshold, training.threshold)"
    v, half = chosen.validation or {}, chosen.at_0_5 or {}
    shown = [f"{k.replace('_', ' ')} {_num(v.get(k)):.3f}" for k in ("balanced_accuracy", "selection_rate")
             if _num(v.get(k)) is not None]
    text += f": {_text(chosen.rule_text) or chosen.rule} (training.threshold = \"{chosen.rule}\")"
    if v.get("rows"):
        text += f"; on {int(v['rows']):,} validation rows " + ", ".join(shown)
    if _num(half.get("selection_rate")) is not None:
        text += f" (at 0.5 it would select {half['selection_rate']:.1%})"
    return text


def _training_note(m: Any) -> str | None:
    """Class weights and early stopping, when the model had them."""
    parts = []
    if m.class_weights:
        parts.append("class weights " + " / ".join(f"{w:.2f}" for w in m.class_weights) + " (training.class_weight)")
    if m.best_epoch is not None and m.epochs_run is not None:
        parts.append(f"early stopping kept epoch {m.best_epoch} of {m.epochs_run} run"
                     + (" (stopped early)" if m.stopped_early else ""))
    return "; ".join(parts) or None


def _intended_use(result: AuditResult) -> dict[str, Any]:
    card = result.run.card or Card()
    out = card.out_of_scope_uses or card.extra.get("out_of_scope_uses")
    out_list = [str(x) for x in out] if isinstance(out, list) else ([str(out)] if _text(out) else [])
    return {
        "status": "ok",
        "primary": _text(card.intended_use),
        "out_of_scope": out_list,
        "note": None if _text(card.intended_use) else "The config gives no intended use ([card] intended_use); say who may use this model, for what.",
    }


def _fairness_models(result: AuditResult) -> list[str]:
    fair = _fairness(result)
    return [n for n in _model_names(result) if n in fair] + [n for n in fair if n not in result.models]


def _factors(result: AuditResult) -> dict[str, Any]:
    sensitive = [str(s) for s in result.data.sensitive_features]
    fair, models = _fairness(result), _fairness_models(result)
    groups = []
    if models:
        for feature, block in fair[models[0]].by_feature.items():
            groups.append({
                "feature": str(feature),
                "intersectional": len(block.features) > 1,
                "groups": [{"group": str(g.group), "count": _num(g.count), "share": _num(g.share),
                            "insufficient_data": bool(g.insufficient_data)} for g in block.groups],
            })  # fmt: skip
    return {
        "status": "ok" if sensitive else "not run",
        "sensitive_features": sensitive,
        "sensitive_used_as_features": result.data.sensitive_used_as_features,
        "groupings": groups,
        "min_group_size": _num(fair[models[0]].min_group_size) if models else None,
    }


def _metrics(result: AuditResult) -> dict[str, Any]:
    fair, models = _fairness(result), _fairness_models(result)
    first = fair[models[0]] if models else ModelFairness()
    present_metrics, present_disp = set(), set()
    for block in first.by_feature.values():
        for g in block.groups:
            present_metrics |= set(g.metrics)
        present_disp |= set(block.disparities)
    used = ["accuracy", "roc_auc"] + [m for m in GROUP_METRICS if m in present_metrics and m != "accuracy"] + \
        [d for d in METRIC_DEFINITIONS if d in present_disp]
    ci = first.ci
    return {
        "status": "ok",
        "definitions": [{"metric": m, "definition": METRIC_DEFINITIONS[m]} for m in used if m in METRIC_DEFINITIONS],
        "decision_threshold": 0.5,
        "uncertainty": {
            "method": _text(ci.method),
            "level": _num(ci.level),
            "n_boot": _num(ci.n_boot),
            "stratified": ci.stratified,
            "vanished_groups": _text(ci.vanished_groups),
        } if ci is not None and _given(ci) else None,
    }


def _evaluation_data(result: AuditResult) -> dict[str, Any]:
    d = result.data
    return {
        "status": "ok" if _given(d) else "not run",
        "source": _text(d.test_source) or _text(d.source),
        "n": _num(d.n_test),
        "target": _text(d.target),
        "positive_label": _plain(d.positive_label),
        "base_rate": _num(d.base_rate_test),
        "preprocessing": "The preprocessing fitted on the training split only (categoricals one-hot, numerics standardised) is applied unchanged.",
    }


def _training_data(result: AuditResult) -> dict[str, Any]:
    d = result.data
    return {
        "status": "ok" if _given(d) else "not run",
        "source": _text(d.source),
        "attribution": _text(d.attribution),
        "n": _num(d.n_train),
        "base_rate": _num(d.base_rate_train),
        "features": [str(f) for f in d.features],
        "n_encoded_features": _num(d.n_encoded_features),
        "dropped_columns": [str(c) for c in d.dropped_columns],
        "missing_values": [{"column": str(k), "count": _num(v)} for k, v in d.missing_values_train.items()],
        "representation_warnings": _representation_warnings(result),
        "sensitive_bins": [_text(b.text) or str(c) for c, b in d.sensitive_bins.items()],
        "duplicates": _duplicates_text(d),
    }


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


def _group_rows(block: FairnessBlock) -> list[dict[str, Any]]:
    rows = []
    for g in block.groups:
        rows.append({
            "group": str(g.group),
            "count": _num(g.count),
            "share": _num(g.share),
            "insufficient_data": bool(g.insufficient_data),
            "metrics": {m: _vci(g.metrics[m]) for m in GROUP_METRICS if m in g.metrics},
        })  # fmt: skip
    return rows


def _quantitative(result: AuditResult) -> dict[str, Any]:
    perf = []
    for name in _model_names(result):
        m = result.models[name]
        perf.append({"model": name, "accuracy": _num(m.test_accuracy), "roc_auc": _num(m.test_roc_auc)})
    fair, models = _fairness(result), _fairness_models(result)
    analyses = []
    for model in models:
        F = fair[model]
        overall = F.overall.metrics if F.overall is not None else {}
        for feature, block in F.by_feature.items():
            rows = _group_rows(block)
            columns = [m for m in GROUP_METRICS if any(m in r["metrics"] for r in rows)]
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
                "disparities": [{"name": k, **_vci(block.disparities[k]), "inconclusive_reason": _reason(block.disparities[k])}
                                for k in DISPARITIES if k in block.disparities],
                "four_fifths_rule": {"selection_rate_ratio": _num(ff.selection_rate_ratio),
                                     "passed": ff.passed} if ff is not None and _given(ff) else None,
                "calibration": [{"group": str(g), "ece": _num(c.ece)} for g, c in block.calibration.items()],
            })  # fmt: skip
    first_ci = fair[models[0]].ci if models else None
    return {
        "status": "ok" if perf else "not run",
        "performance": perf,
        "unitary": [a for a in analyses if not a["intersectional"]],
        "intersectional": [a for a in analyses if a["intersectional"]],
        "ci_level": _num(first_ci.level) if first_ci is not None else None,
    }


def _small_groups(result: AuditResult) -> list[dict[str, Any]]:
    fair = _fairness(result)
    out, seen = [], set()
    for model in _fairness_models(result):
        for feature, block in fair[model].by_feature.items():
            for g in block.groups:
                key = (str(feature), str(g.group))
                if g.insufficient_data and key not in seen:
                    seen.add(key)
                    out.append({"feature": key[0], "group": key[1], "count": _num(g.count)})
    return out


def _identifier_scan(result: AuditResult) -> list[IdentifierFinding]:
    privacy_scan = result.privacy.identifier_scan if result.privacy is not None else None
    return result.data.identifier_scan or privacy_scan or []


def _ethical(result: AuditResult) -> dict[str, Any]:
    card, data = result.run.card or Card(), result.data
    notes = []
    if data.sensitive_used_as_features:
        notes.append("Sensitive features are used as model inputs; decisions may depend on them directly.")
    elif data.sensitive_features:
        notes.append("Sensitive features are not model inputs, but other features can act as proxies for them "
                     "(see Explainability: group reliance).")
    scan = _identifier_scan(result)
    if scan:
        notes.append(f"{len(scan)} column(s) look like direct identifiers (see Data privacy); drop them before training.")
    return {"status": "ok", "text": _text(card.ethical_considerations), "notes": notes}


def _caveats(result: AuditResult) -> dict[str, Any]:
    card = result.run.card or Card()
    notes = []
    small = _small_groups(result)
    if small:
        names = ", ".join(f"{s['feature']}={s['group']} (n={s['count']})" for s in small[:8])
        more = f" and {len(small) - 8} more" if len(small) > 8 else ""
        notes.append(f"{len(small)} group(s) are below the minimum size, so their metrics are unreliable: {names}{more}.")
    notes += _representation_warnings(result)
    for model, X in (result.explainability or {}).items():
        for w in X.warnings:
            notes.append(f"Explanations ({model}): {w}")
    total = result.compute.total if result.compute is not None else None
    if total is not None and total.energy_measured is False:
        notes.append("Energy and CO2 figures are estimates from a stated power draw, not measurements.")
    for g in result.gates:
        if g.passed is False:
            notes.append(f"Gate not met ({g.severity if g.has('severity') else 'error'}): {g.message or g.name}")
    if not _given(result.fairness):
        notes.append("No fairness audit was run; group-level behaviour is unknown.")
    return {"status": "ok", "text": _text(card.limitations), "notes": notes}


# ---------------------------------------------------------------- concern sections
def _privacy(result: AuditResult) -> dict[str, Any]:
    p = result.privacy or Privacy()
    scan = (p.identifier_scan if result.privacy is not None else None) or result.data.identifier_scan or []
    mia = []
    for model in _model_names(result) + [m for m in p.membership_inference if m not in result.models]:
        block = p.membership_inference.get(model)
        for attack, a in (block.attacks if block is not None else {}).items():
            roc = a.roc
            mia.append({
                "model": model, "attack": str(attack), "n_members": _num(block.n_members),
                "n_nonmembers": _num(block.n_nonmembers), "auc": _num(a.auc),
                "tpr_at_1pct_fpr": _num(a.tpr_at_1pct_fpr), "tpr_at_0.1pct_fpr": _num(a.tpr_at_01pct_fpr),
                "advantage": _num(a.advantage),
                "low_fpr": [_low_fpr(pt) for pt in a.low_fpr],
                "tpr_at_1pct_fpr_text": _low_fpr_text(a.low_fpr, 0.01, a.tpr_at_1pct_fpr),
                "tpr_at_0.1pct_fpr_text": _low_fpr_text(a.low_fpr, 0.001, a.tpr_at_01pct_fpr),
                "roc": {"fpr": [_num(v) for v in roc.fpr], "tpr": [_num(v) for v in roc.tpr]} if roc is not None and _given(roc) else None,
            })  # fmt: skip
    canary = p.canary_audit
    curve = []
    for row in p.utility_curve:
        curve.append({
            "epsilon": _num(row.epsilon),
            "accuracy": _num(row.accuracy),
            "demographic_parity_difference": {str(k): _num(v) for k, v in row.demographic_parity_difference.items()},
            "equalized_odds_difference": {str(k): _num(v) for k, v in row.equalized_odds_difference.items()},
            "by_group_accuracy": _plain(row.by_group_accuracy),
        })  # fmt: skip
    if not _given(result.privacy):
        return {**_not_run("privacy audit disabled or not available"), "dp": None, "membership_inference": [],
                "canary_audit": None, "identifier_scan": [_plain(s) for s in scan], "utility_curve": []}
    dp_out = None
    if p.dp is not None:
        dp = p.dp.to_dict()
        dp_out = {k: _plain(dp.get(k)) for k in (
            "epsilon_target", "epsilon_spent", "delta", "delta_rule", "accountant", "max_grad_norm", "noise_multiplier",
            "sample_rate", "epochs", "batch_size", "learning_rate", "optimizer", "poisson_sampling", "grad_sample_mode",
            "n_train", "steps", "module_fixes", "resumed_from_epoch", "secure_rng")}  # fmt: skip
        dp_out["epsilon_history"] = [_num(v) for v in p.dp.epsilon_history]
    return {
        "status": "ok",
        "dp": dp_out,
        "dp_note": None if dp_out else "No model was trained with differential privacy; there is no formal privacy guarantee.",
        "membership_inference": mia,
        "membership_interval_note": _interval_note(p),
        "membership_notes": _membership_notes(p),
        "statement": _statement(p),
        "canary_audit": _plain(canary) if canary is not None and _given(canary) else None,
        "identifier_scan": [_plain(s) for s in scan],
        "identifier_scan_run": p.has("identifier_scan") or result.data.has("identifier_scan"),
        "utility_curve": curve,
    }


def _low_fpr(pt: Any) -> dict[str, Any]:
    return {"target_fpr": _num(pt.target_fpr), "tpr": _num(pt.tpr), "tpr_ci": _plain(pt.tpr_ci),
            "false_positives": _num(pt.false_positives), "false_positive_allowance": _num(pt.false_positive_allowance),
            "n_nonmembers": _num(pt.n_nonmembers), "not_reported": pt.not_reported}


def _low_fpr_text(points: list, target: float, legacy: Any) -> str | None:
    """``0.021 [0.017, 0.025], 50 FP`` or ``not reported (5 FP allowed, 20 needed)``; older records: the bare value."""
    pt = next((q for q in points if q.target_fpr is not None and abs(q.target_fpr - target) < 1e-12), None)
    if pt is None:
        return None if legacy is None else f"{legacy:.4g}"
    if pt.tpr is None:
        if (pt.false_positive_allowance or 0) >= (pt.min_false_positives or 0):  # tied scores: fewer FP than allowed
            return f"not reported ({pt.false_positives} FP behind the threshold (tied scores), {pt.min_false_positives} needed)"
        return f"not reported ({pt.false_positive_allowance} FP allowed, {pt.min_false_positives} needed)"
    ci = pt.tpr_ci or [None, None]
    band = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if None not in ci else ""
    return f"{pt.tpr:.3f}{band}, {pt.false_positives} FP of {pt.n_nonmembers}"


def _interval_note(p: Privacy) -> str:
    """How the table's TPR intervals were computed (records before threshold-aware intervals: Clopper–Pearson)."""
    attacks = [a for block in p.membership_inference.values() for a in block.attacks.values()]
    points = [pt for a in attacks for pt in a.low_fpr]
    if any(a.auc_p_value is not None for a in attacks) or any(pt.tpr_ci_method for pt in points):
        need = next((pt.min_false_positives for pt in points if pt.min_false_positives), 20)
        return ("TPRs carry 95% intervals that include the uncertainty of the threshold (estimated from the non-members) "
                f"and the false positives (FP) actually behind their threshold; a TPR resting on fewer than {need} FP is "
                "not reported.")
    return ("TPRs carry 95% Clopper–Pearson intervals at the chosen threshold and the false positives (FP) behind it; a "
            "TPR whose threshold admits fewer non-members than stated is not reported.")


def _membership_notes(p: Privacy) -> list[str]:
    notes = []
    for model, block in p.membership_inference.items():
        c, r = block.nonmember_cleaning, block.reference_models
        if c is not None and model == next(iter(p.membership_inference)) and c.clean_train_rows is not None:
            notes.append(f"Attacked rows: members and non-members are drawn alike from rows whose feature vector occurs "
                         f"once in the table ({c.clean_train_rows} of {c.train_rows} training and {c.clean_heldout_rows} of "
                         f"{c.heldout_rows} held-out rows; {c.duplicated_share:.0%} of all rows share their vector and are "
                         f"not attacked; {c.exact_duplicates_removed} held-out rows repeat a training row exactly and "
                         f"{c.near_duplicates_removed} after rounding to {c.near_decimals} decimals).")
        elif c is not None and model == next(iter(p.membership_inference)):
            notes.append(f"Non-members: {c.exact_duplicates_removed} held-out rows repeating a training row exactly and "
                         f"{c.near_duplicates_removed} after rounding to {c.near_decimals} decimals were removed "
                         f"({c.clean_heldout_rows} of {c.heldout_rows} held-out rows kept).")
        if block.inconclusive_reason:
            notes.append(f"{model}: {block.inconclusive_reason}.")
        chance = [a for a in block.attacks.values() if a.above_chance is not None]
        if chance and not any(a.above_chance for a in chance):
            notes.append(f"{model}: no attack tells members from non-members better than chance (Holm-adjusted "
                         f"one-sided Mann–Whitney tests of AUC > 0.5 at 5%).")
        if r is not None and r.k:
            notes.append(f"{model}: RMIA and LiRA (offline) with {r.k} reference models trained by {r.trainer}, on "
                         f"disjoint population splits of {', '.join(str(n) for n in r.rows_per_model)} rows; not saved.")
        elif r is not None and r.skipped:
            notes.append(f"{model}: no reference-model attack ({r.skipped}).")
    return notes


def _statement(p: Privacy) -> dict[str, Any] | None:
    st = p.statement
    if st is None:
        return None
    return {"guarantee": st.guarantee, "sampling": st.sampling, "composition": st.composition,
            "private": [a.path for a in st.artefacts if a.private], "not_private": [_plain(a) for a in st.artefacts if not a.private],
            "publish": list(st.publish), "not_saved": [_plain(m) for m in st.not_saved]}


def _bias(result: AuditResult) -> dict[str, Any]:
    fair, models = _fairness(result), _fairness_models(result)
    if not models:
        return {**_not_run("fairness audit disabled or not available"), "headline": [], "small_groups": [], "mitigation": []}
    headline = []
    for model in models:
        for feature, block in fair[model].by_feature.items():
            for name in HEADLINE_DISPARITIES:
                if name in block.disparities:
                    headline.append({"model": model, "feature": str(feature), "disparity": name, **_vci(block.disparities[name]),
                                     "inconclusive_reason": _reason(block.disparities[name])})
    pivot: dict[tuple[str, str], dict[str, Any]] = {}
    for h in headline:
        row = pivot.setdefault((h["feature"], h["disparity"]), {"feature": h["feature"], "disparity": h["disparity"], "by_model": {}})
        row["by_model"][h["model"]] = {"value": h["value"], "ci": h["ci"], "inconclusive_reason": h["inconclusive_reason"]}
    mitigation = []
    for model in models:
        mit = fair[model].mitigation
        if mit is None or not _given(mit):
            continue
        rows = []
        for row in mit.rows:
            rows.append({"method": _text(row.method), "description": _text(row.description),
                         # per-group breakdowns ride along in "metrics"; the table shows the metric-shaped entries
                         "metrics": {str(k): _vci(v) for k, v in row.metrics.entries.items()
                                     if (v.has("value") if isinstance(v, Metric) else _num(v) is not None)}})
        columns = []
        for r in rows:
            columns += [k for k in r["metrics"] if k not in columns]
        mitigation.append({"model": model, "constraint": _text(mit.constraint),
                           "sensitive_feature": _text(mit.sensitive_feature), "columns": columns, "rows": rows,
                           "notes": [str(n) for n in mit.notes]})
    first = fair[models[0]]
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
        "small_groups": _small_groups(result),
        "mitigation": mitigation,
        "representation_warnings": _representation_warnings(result),
    }


def _score(value: float | None, fallback: Any) -> float | int | None:
    """A faithfulness score given as a number, or (older image runs) as ``{"mean": ...}`` kept in extra."""
    return _num(value) if value is not None else _num(_dict(fallback).get("mean"))


def _per_method_faithfulness(x: ModelExplanation, faith: Faithfulness) -> list[dict[str, Any]]:
    # Image runs (explain_images) report faithfulness per method instead of one block.
    if x.methods is None:
        return []
    out = []
    for meth, f in faith.to_dict().items():
        if meth not in x.methods:
            continue
        f = _dict(f)
        deletion, rand = _dict(f.get("deletion_curve")), _dict(f.get("randomization_test"))
        out.append({
            "method": str(meth), "n_images": _num(f.get("n_images")), "infidelity": _num(f.get("infidelity")),
            "sensitivity_max": _num(f.get("sensitivity_max")),
            "deletion_area_top": _num(deletion.get("area_top")), "deletion_area_random": _num(deletion.get("area_random")),
            "randomization_spearman": _num(rand.get("spearman")), "randomization_threshold": _num(rand.get("threshold")),
            "randomization_flagged": rand.get("flagged") if isinstance(rand.get("flagged"), bool) else None,
        })  # fmt: skip
    return out


def _baseline_text(x: ModelExplanation) -> str | None:
    b = x.baseline
    if b is None:
        return _text(x.extra.get("baseline"))
    return _text(b.description) or _text(b.kind) or _text(b.to_dict())


def _explainability(result: AuditResult) -> dict[str, Any]:
    X = result.explainability
    if not X:
        return {**_not_run("explanations disabled or not available"), "models": []}
    models = []
    for model in [n for n in _model_names(result) if n in X] + [n for n in X if n not in result.models]:
        x = X[model]
        faith = x.faithfulness or Faithfulness()
        conv = faith.convergence_delta or ConvergenceDelta()
        rand = faith.randomization_test or RandomizationTest()
        deletion = faith.deletion_curve
        reliance = []
        for feature, r in x.group_reliance.items():
            reliance.append({
                "sensitive_feature": str(feature),
                "sensitive_feature_share": _num(r.sensitive_feature_share),
                "proxies": [{"feature": str(p.feature), "proxy_auc": _num(p.proxy_auc),
                             "mutual_information": _num(p.mutual_information),
                             "importance": _num(p.importance)} for p in r.proxies][:8],
            })  # fmt: skip
        examples = []
        for e in x.examples[:6]:
            contribs = sorted(e.contributions, key=lambda c: -abs(_num(c.attribution) or 0.0))[:5]
            examples.append({"row": _plain(e.row), "kind": _text(e.kind), "y_true": _plain(e.y_true),
                             "y_score": _num(e.y_score),
                             "contributions": [{"feature": str(c.feature), "value": _plain(c.value),
                                                "attribution": _num(c.attribution)} for c in contribs]})
        models.append({
            "model": model,
            "method": _text(x.method) or (", ".join(map(str, x.methods)) if x.methods is not None else None),
            "baseline": _baseline_text(x),
            "n_rows": _num(x.n_rows) if x.n_rows is not None else _num(x.n_images),
            "test_rows": _text(x.test_rows),
            "global_importance": [{"feature": str(g.feature), "mean_abs": _num(g.mean_abs), "ci": _ci(g.ci),
                                   "mean_signed": _num(g.mean_signed)} for g in x.global_importance],
            "faithfulness": {
                "convergence_delta_mean_abs": _num(conv.mean_abs),
                "convergence_delta_max_abs": _num(conv.max_abs),
                "convergence_tolerance": _num(conv.tolerance),
                "convergence_warning": conv.warning,
                "infidelity": _score(faith.infidelity, faith.extra.get("infidelity")),
                "sensitivity_max": _score(faith.sensitivity_max, faith.extra.get("sensitivity_max")),
                "randomization_spearman": _num(rand.spearman),
                "randomization_threshold": _num(rand.threshold),
                "randomization_flagged": rand.flagged,
                "deletion_curve": {"k": [_num(v) for v in deletion.k], "top": [_num(v) for v in deletion.top],
                                   "random": [_num(v) for v in deletion.random]} if deletion is not None and _given(deletion) else None,
            },
            "group_reliance": reliance,
            "examples": examples,
            "per_method_faithfulness": _per_method_faithfulness(x, faith),
            "per_class_accuracy": [{"class": str(k), "accuracy": _num(_dict(v).get("accuracy")), "n": _num(_dict(v).get("n"))}
                                   for k, v in x.per_class_accuracy.items()],
            "image_maps": [{"path": str(m.path), "method": _text(m.method), "label": _plain(m.label),
                            "prediction": _plain(m.prediction), "caption": _text(m.caption)}
                           for m in x.image_maps if m.path],
            "warnings": [str(w) for w in x.warnings],
        })  # fmt: skip
    return {"status": "ok", "models": models}


def _compute(result: AuditResult) -> dict[str, Any]:
    c = result.compute
    if c is None or not _given(c):
        return {**_not_run("compute accounting not available"), "stages": [], "models": []}
    stages = [{"stage": str(k), "wall_s": _num(v.wall_s), "cpu_s": _num(v.cpu_s), "energy_kwh": _num(v.energy_kwh),
               "co2_kg": _num(v.co2_kg), "energy_measured": v.energy_measured is True}
              for k, v in c.stages.items()]  # fmt: skip
    models = []
    for name in [n for n in _model_names(result) if n in c.models] + [n for n in c.models if n not in result.models]:
        m = c.models[name]
        models.append({"model": name, **{k: _num(getattr(m, k)) for k in (
            "n_parameters", "flops_per_example", "training_flops_per_example", "training_flops_estimate",
            "train_wall_s", "train_cpu_s", "energy_kwh", "co2_kg")}, "energy_basis": _text(m.energy_basis),
            "training_flops_basis": _text(m.training_flops_basis)})  # fmt: skip
    by = {m["model"]: m for m in models}
    comparison = None
    if "reference" in by and "private" in by:
        def ratio(key: str) -> float | None:
            a, b = by["private"].get(key), by["reference"].get(key)
            return a / b if a is not None and b else None

        comparison = {k: ratio(k) for k in ("train_wall_s", "train_cpu_s", "training_flops_estimate", "energy_kwh", "co2_kg")}
    total = c.total or Energy()
    return {
        "status": "ok",
        "stages": stages,
        "models": models,
        "private_vs_reference": comparison,
        "total_wall_s": _num(c.total_wall_s),
        "peak_memory_mb": _num(c.peak_memory_mb),
        "total": {"energy_kwh": _num(total.energy_kwh), "co2_kg": _num(total.co2_kg),
                  "energy_measured": total.energy_measured is True, "energy_basis": _text(total.energy_basis),
                  "co2_basis": _text(total.co2_basis)},
        "assumptions": _plain(c.assumptions),
    }


def _gate_row(g: Any) -> dict[str, Any]:
    g = with_derived(g)
    return {
        "name": _text(g.name) or _text(g.metric) or "gate", "title": gate_title(g.metric, g.feature, g.model),
        "metric": _text(g.metric), "model": _text(g.model), "feature": _text(g.feature),
        "severity": _text(g.severity) or "error", "bound": gate_bound_text(g) or None,
        "value": _num(g.value), "ci": _ci(g.ci), "compared": _num(g.compared),
        "passed": g.passed is True, "message": _text(g.message), "outcome": g.effective_outcome,
        "reason": _text(g.reason), "ci_crosses_bound": g.ci_crosses_bound is True, "margin": _num(g.margin),
        "allow_inconclusive": g.allow_inconclusive is True, "fails_verdict": g.fails_verdict, "line": gate_line(g),
        "value_text": gate_number_text(g.metric, _num(g.value)), "margin_text": gate_number_text(g.metric, _num(g.margin)),
        "detectable": _num(g.detectable),
    }  # fmt: skip


def _tile(label: str, entry: Any, gate: Any = None, note: str | None = None) -> dict[str, Any]:
    m = _vci(entry)
    return {"label": label, "value": m["value"], "ci": m["ci"], "note": note,
            "bound": gate_bound_text(gate) if gate is not None else None,
            "outcome": gate.effective_outcome if gate is not None else None,
            "ci_crosses_bound": gate is not None and with_derived(gate).ci_crosses_bound is True}


def _summary(result: AuditResult) -> dict[str, Any]:
    """What the card shows first: the verdict's reasons, the concerns, and the audited model's headline figures."""
    model = audited_model(result)

    def gate(metric: str, feature: str | None = None) -> Any:
        return next((g for g in result.gates if g.metric == metric and g.model == model and g.feature == feature), None)

    fair = _fairness(result).get(model or "")
    overall = fair.overall.metrics if fair is not None and fair.overall is not None else {}
    summary = result.models.get(model or "")
    tiles = []
    if summary is not None:
        tiles.append(_tile("accuracy", overall.get("accuracy") or summary.test_accuracy, gate("accuracy")))
        if summary.test_roc_auc is not None:
            tiles.append(_tile("ROC AUC", overall.get("roc_auc") or summary.test_roc_auc, gate("roc_auc")))
    dp = result.privacy.dp if result.privacy is not None else None
    if dp is not None and model == "private":
        target = f"target {dp.epsilon_target:g}, " if dp.epsilon_target is not None else ""
        delta = f"δ = {dp.delta:.0e}" if dp.delta is not None else "δ n/a"
        tiles.append(_tile("ε spent", dp.epsilon_spent, gate("epsilon_spent"), note=target + delta))
    for feature, block in (fair.by_feature.items() if fair is not None else []):
        if len(block.features) <= 1 and "demographic_parity_difference" in block.disparities:
            entry = block.disparities["demographic_parity_difference"]
            tiles.append(_tile(f"DP difference · {feature}", entry, gate("demographic_parity_difference", feature),
                               note=_text(entry.inconclusive_reason) if isinstance(entry, Metric) else None))
    concerns = [_plain(c) for c in concerns_of(result)]
    counts = {o: sum(1 for g in result.gates if g.effective_outcome == o) for o in ("pass", "fail", "inconclusive")}
    counts["crosses"] = sum(1 for g in map(with_derived, result.gates) if g.effective_outcome == "pass" and g.ci_crosses_bound)
    return {
        "status": "ok", "audited_model": model, "tiles": tiles[:6], "gate_counts": counts,
        "verdict_reasons": [str(r) for r in (result.verdict_reasons if result.has("verdict_reasons")
                                             else verdict_reasons(result.gates))],
        "concerns": concerns,
        "n_serious": sum(1 for c in concerns if c.get("severity") != "info"),
    }  # fmt: skip


def _governance(result: AuditResult, reviews: list[dict] | None) -> dict[str, Any]:
    gates = [_gate_row(g) for g in result.gates]
    verdict = _text(result.verdict) if result.has("verdict") else None
    revs = []
    for r in map(_dict, reviews or []):
        revs.append({"index": _num(r.get("index")), "reviewer": _text(r.get("reviewer")), "decision": _text(r.get("decision")),
                     "comment": _text(r.get("comment")), "created_at": _text(r.get("created_at")),
                     "signed": isinstance(r.get("signature"), dict), "entry_hash": _text(r.get("entry_hash"))})
    return {
        "status": "ok",
        "verdict": verdict if verdict in VERDICTS else None,
        "gates": gates,
        "n_failed_errors": sum(1 for g in gates if g["fails_verdict"]),
        "n_failed_warnings": sum(1 for g in gates if g["outcome"] != "pass" and g["severity"] != "error"),
        "n_inconclusive": sum(1 for g in gates if g["outcome"] == "inconclusive"),
        "reviews": revs,
        "reviews_note": None if revs else "No review recorded when this card was rendered. Record one with "
                                          "'rai-audit review RUN_DIR --reviewer NAME --decision approve|reject'.",
    }


def _read(result: Any) -> tuple[AuditResult, str | None]:
    """The typed result, and the schema version it states (None when it states none)."""
    if isinstance(result, AuditResult):
        return result, _text(result.schema_version)
    d = dict(result) if isinstance(result, dict) else {}
    version = _text(d.get("schema_version"))
    for key in ("run", "data", "models"):
        if not isinstance(d.get(key), dict):
            d[key] = {}
    # A card renders any record it is given: read it as the current 1.x and show the version it states.
    d["schema_version"] = SCHEMA_VERSION
    return AuditResult.from_dict(d), version


_BUILDERS: dict[str, Callable[[AuditResult], dict]] = {
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


def build_card_data(result: AuditResult | dict[str, Any], *, reviews: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Build the model-card data object from an ``AuditResult``.

    Parameters
    ----------
    result : AuditResult or dict
        The audit result, or ``audit.json`` as a dict (read tolerantly with
        :meth:`AuditResult.from_dict`; missing sections are allowed).
    reviews : list of dict, optional
        Review entries (:func:`audit.records.review.read_reviews`) to show under Governance.

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
    typed, version = _read(result)
    out: dict[str, Any] = {}
    for key, build in {**_BUILDERS, "governance": lambda r: _governance(r, reviews), "summary": _summary}.items():
        try:
            out[key] = build(typed)
        except Exception as exc:  # a shape this renderer does not know must not take the whole card down
            out[key] = {"status": "error", "error": _SECTION_ERROR.format(error=f"{type(exc).__name__}: {exc}")}
    apply_tasks(out, typed)  # multiclass, regression and text: task-aware sections (a binary table is left as is)
    if out["model_details"]["status"] == "ok":
        out["model_details"]["provenance"]["schema_version"] = version
    return _plain({
        "card_data_version": CARD_DATA_VERSION,
        "schema_version": version,
        "title": out["model_details"].get("name") or "Unnamed model",
        "verdict": out["governance"].get("verdict"),
        "summary": out.pop("summary"),
        "section_order": SECTION_ORDER,
        "section_titles": SECTION_TITLES,
        **out,
    })


def build_summary(result: AuditResult | dict[str, Any]) -> dict[str, Any]:
    """What a reader sees first: the verdict's reasons, the concerns, the audited model's headline figures.

    The card shows it under the verdict; the dashboard's Overview shows the same.

    Examples
    --------
    >>> s = build_summary({"models": {"private": {"test_accuracy": 0.84}}, "gates": [], "verdict": "pass"})
    >>> s["audited_model"], s["tiles"][0]["label"], s["verdict_reasons"]
    ('private', 'accuracy', ['no gates are configured: the verdict rests on nothing'])
    """
    return _plain(_summary(_read(result)[0]))
