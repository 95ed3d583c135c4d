"""Policy gates: read a metric from an audit result, compare it with a bound, decide.

Each gate names a metric from :data:`GATE_METRICS` (the names and descriptions
live in :data:`audit.choices.GATE_METRICS`) and has one of three outcomes:

* ``"pass"``: the value is within the bound;
* ``"fail"``: it is not, or the audit did not compute it (its section was switched off): a
  metric that was not computed is never treated as a pass;
* ``"inconclusive"``: the evidence cannot decide. A fairness gate (any disparity, the
  four-fifths ratio, reliance) or an accuracy/ROC AUC gate on a model flagged *degenerate*
  (constant predictions, accuracy not above the majority class, AUC at chance) would pass
  trivially; a disparity is null because fewer than two groups have enough data.

An inconclusive ``error`` gate fails the verdict unless the gate says
``allow_inconclusive = true``. Each result also says whether the metric's interval crosses
the bound (``ci_crosses_bound``: the estimate alone decides; a failure only with
``use_ci_bound``) and by how much the compared number clears it (``margin``).

Examples
--------
>>> from audit.config import GateSpec
>>> result = AuditResult.from_dict({"schema_version": "1.1", "run": {"name": "r"}, "data": {},
...                                 "models": {"private": {"test_accuracy": 0.84}}})
>>> g = evaluate_gates([GateSpec(metric="accuracy", min=0.8)], result)[0]
>>> g.outcome, g.message
('pass', 'Test accuracy, private model: 0.840 ≥ 0.80 — pass, margin 0.040')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from audit.choices import FAIRNESS_DISPARITIES, MULTICLASS_DISPARITIES, REGRESSION_DISPARITIES
from audit.choices import GATE_METRICS as _GATE_METRIC_INFO
from audit.config import GateSpec
from audit.result import AuditResult, FairnessBlock, GateResult, Metric

__all__ = [
    "CONSTANT_SHARE", "FAIRNESS_GATE_METRICS", "GATE_METRICS", "GateMetric", "Resolved", "degenerate_reason",
    "evaluate_gates", "gate_bound_text", "gate_number_text", "gate_line", "gate_title", "verdict", "verdict_reasons", "with_derived",
]  # fmt: skip

#: Share of one predicted class at or above which a model counts as constant when the record has no
#: degenerate-model checks (the same threshold as ``audit.fairness.CONSTANT_SHARE``).
CONSTANT_SHARE = 0.99
#: Gates about fairness: inconclusive on a degenerate model, where parity holds trivially.
FAIRNESS_GATE_METRICS = frozenset({*FAIRNESS_DISPARITIES, *MULTICLASS_DISPARITIES, *REGRESSION_DISPARITIES,
                                   "four_fifths_ratio", "sensitive_feature_share", "counterfactual_flip_rate",
                                   "counterfactual_score_change"})
#: Gates that say a model works: inconclusive (not passed) on a degenerate model.
_NEEDS_WORKING_MODEL = FAIRNESS_GATE_METRICS | {"accuracy", "roc_auc", "macro_f1", "balanced_accuracy", "mae", "rmse",
                                                "r2", "subgroup_auc_min", "bpsn_auc_min", "bnsp_auc_min"}

_NOT_COMPUTED = "not computed: the audit section is off or the value is missing from the record"
_UNDEFINED = "the value is undefined (null in the record): fewer than two groups have data for it"
_DEGENERATE = "the {model} model is degenerate ({why}): {consequence}"
_DEGENERATE_FAIL = "the {model} model is also degenerate ({why}); the failure stands"
_TRIVIAL_PARITY = ("a model whose output (nearly) never changes treats every group alike by construction, so its "
                   "fairness figures describe the data, not the model")
_NO_SIGNAL_PARITY = "its output carries no information about the target, so its fairness figures say nothing about a working model"
_TRIVIAL_ACCURACY = "its score says nothing about a working model"
_THRESHOLD = "the {model} model has a threshold problem: {why}; {consequence}"
_THRESHOLD_FAIL = "the {model} model also has a threshold problem: {why}; the failure stands"
_TRIVIAL_DECISIONS = "parity of its decisions holds trivially"
_EMPTY_DECISIONS = "parity of decisions that carry no information about the label says nothing about how it treats people"
#: Fairness gates on decisions: inconclusive on a threshold problem (decisions without information, scores that rank).
_ON_DECISIONS = FAIRNESS_GATE_METRICS - {"roc_auc_difference", "roc_auc_ratio", "sensitive_feature_share",
                                         "counterfactual_score_change"}


class _Caveat(NamedTuple):
    """Why a gate's figure may say nothing about a working model: a degenerate model or a threshold problem."""

    kind: str  # "degenerate" or "threshold"
    why: str
    constant: bool  # the output (decisions) is (near-)constant


class Resolved(NamedTuple):
    """A metric found in a result: value, interval, and why it is undefined when the evidence cannot decide."""

    value: float | None
    ci: list[float | None] | None = None
    inconclusive: str | None = None
    detectable: float | None = None


@dataclass(frozen=True)
class GateMetric:
    """How to find one metric in an audit result."""

    description: str
    resolve: Callable[[AuditResult, GateSpec], Resolved]
    needs_feature: bool = False


def _model_field(key: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        model = r.models.get(g.model)
        return Resolved(getattr(model, key) if model is not None else None)

    return resolve


def _block(r: AuditResult, g: GateSpec) -> FairnessBlock | None:
    model = r.fairness.models.get(g.model) if r.fairness is not None else None
    return model.by_feature.get(g.feature or "") if model is not None else None


def _entry(block: FairnessBlock, name: str, groups: str) -> Metric | None:
    """The disparity entry a gate reads: over the sufficient groups, or (groups = "all") every group.

    A record written before the small-group policy has only ``disparities`` (over every group).
    """
    if groups == "all" and name in block.disparities_all_groups:
        return block.disparities_all_groups[name]
    entry = block.disparities.get(name)
    return entry if isinstance(entry, Metric) else None


def _from_entry(entry: Metric | None) -> Resolved:
    if entry is None:
        return Resolved(None)
    if entry.value is None:
        return Resolved(None, None, entry.inconclusive_reason or _UNDEFINED)
    return Resolved(entry.value, entry.ci, detectable=entry.detectable)


def _disparity(name: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        block = _block(r, g)
        if block is None and name in (*MULTICLASS_DISPARITIES, *REGRESSION_DISPARITIES):
            return _task_disparity(r, g, name)
        return _from_entry(_entry(block, name, g.groups)) if block is not None else Resolved(None)

    return resolve


def _task_disparity(r: AuditResult, g: GateSpec, name: str) -> Resolved:
    """A multiclass or regression disparity (``task_fairness``); a null value carries its reason."""
    model = r.task_fairness.models.get(g.model) if r.task_fairness is not None else None
    block = model.by_feature.get(g.feature or "") if model is not None else None
    entry = block.disparities.get(name) if block is not None else None
    if entry is None:
        return Resolved(None)
    if entry.value is None:
        return Resolved(None, None, entry.reason or _UNDEFINED)
    return Resolved(entry.value, entry.ci)


def _mae_increase(r: AuditResult, g: GateSpec) -> Resolved:
    ref, priv = r.models.get("reference"), r.models.get("private")
    if ref is None or priv is None or ref.test_mae is None or priv.test_mae is None:
        return Resolved(None)
    return Resolved(priv.test_mae - ref.test_mae)


def _text_metric(name: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    """A figure of the text audits: the worst counterfactual pair, or the lowest identity AUC of a family.

    Both are the extreme of many estimates. A record whose interval is adjusted for that choice
    (``n_pairs`` / ``n_subgroups``) fails the gate only when the adjusted interval lies beyond the bound;
    an extreme beyond the bound whose adjusted interval still reaches it is inconclusive. Older records:
    the value as is.
    """
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        audit = r.text.models.get(g.model) if r.text is not None else None
        if audit is None:
            return Resolved(None)
        if name.startswith("counterfactual"):
            key = "max_flip_rate" if name == "counterfactual_flip_rate" else "max_mean_abs_score_change"
            entry = (audit.counterfactual or {}).get(key) or {}
        else:
            entry = ((audit.identity_auc or {}).get("worst") or {}).get(name.removesuffix("_min")) or {}
        value = entry.get("value")
        if value is None:
            return Resolved(None, None, entry.get("reason") or ("no test text mentions an identity term" if entry else None))
        undecided = _extreme_undecided(entry, g)
        return Resolved(None, None, undecided) if undecided else Resolved(value, entry.get("ci"))

    return resolve


def _extreme_undecided(entry: dict, g: GateSpec) -> str | None:
    """Why the largest (lowest) of many text figures beyond the bound does not fail: its adjusted interval reaches it."""
    ci, value = entry.get("ci"), entry["value"]
    if g.use_ci_bound or not isinstance(ci, list) or len(ci) != 2 or None in ci:
        return None
    if entry.get("n_pairs") and g.max is not None and value > g.max >= ci[0]:
        pair = entry.get("pair") or {}
        return (f"the largest of {entry['n_pairs']} term pairs ({pair.get('from')} → {pair.get('to')}, {entry.get('n')} "
                f"texts) is {value:.3f}, above {g.max:g}, but its interval adjusted for choosing the largest, "
                f"[{ci[0]:.3f}, {ci[1]:.3f}], reaches the bound: too few texts to tell (more test texts mentioning "
                f"the term would decide)")
    if entry.get("n_subgroups") and g.min is not None and value < g.min <= ci[1]:
        return (f"the lowest of {entry['n_subgroups']} identity subgroups ({entry.get('subgroup')}) is {value:.3f}, "
                f"below {g.min:g}, but its interval adjusted for choosing the lowest, [{ci[0]:.3f}, {ci[1]:.3f}], "
                f"reaches the bound: too few texts to tell (more test texts mentioning the identity would decide)")
    return None


def _four_fifths(r: AuditResult, g: GateSpec) -> Resolved:
    block = _block(r, g)
    if block is None:
        return Resolved(None)
    ratio = _entry(block, "demographic_parity_ratio", g.groups)
    rule = block.four_fifths_rule
    if g.groups == "all" and "demographic_parity_ratio" in block.disparities_all_groups:
        return Resolved(ratio.value if ratio is not None else None, None,
                        None if ratio is None or ratio.value is not None else _UNDEFINED)
    value = rule.selection_rate_ratio if rule is not None else None
    if value is None and rule is not None:
        return Resolved(None, None, (ratio.inconclusive_reason if ratio is not None else None) or _UNDEFINED)
    return Resolved(value, detectable=ratio.detectable if ratio is not None else None)


def _dp_spent(r: AuditResult, g: GateSpec) -> Resolved:
    dp = r.privacy.dp if r.privacy is not None else None
    return Resolved(dp.epsilon_spent if dp is not None else None)


def _canary(key: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        canary = r.privacy.canary_audit if r.privacy is not None else None
        return Resolved(getattr(canary, key) if canary is not None else None)

    return resolve


def _mia_auc(r: AuditResult, g: GateSpec) -> Resolved:
    """The strongest attack's AUC; inconclusive when the attack cannot be informative or its AUC could be chance.

    A section with ``inconclusive_reason`` (too few rows with a unique feature vector) decides nothing, unless an
    attack is above chance and above the bound; an AUC above the bound that chance could give (``above_chance``
    False: Holm over the model's attacks) does not fail the gate. Records without those keys: the AUC as is.
    """
    mia = r.privacy.membership_inference.get(g.model) if r.privacy is not None else None
    attacks = [a for a in mia.attacks.values() if a.auc is not None] if mia is not None else []
    best = max(attacks, key=lambda a: a.auc) if attacks else None
    above = best is not None and g.max is not None and best.auc > g.max
    if best is not None and above and best.above_chance is False:
        return Resolved(None, None, f"the strongest attack's AUC {best.auc:.3f} is above {g.max:g} but not distinguishable "
                                    f"from chance (Holm-adjusted p = {best.auc_p_holm:.2g}, {mia.n_members} members and "
                                    f"{mia.n_nonmembers} non-members): the attack cannot tell members from non-members")
    if mia is not None and mia.inconclusive_reason and not (above and best.above_chance):
        return Resolved(None, None, mia.inconclusive_reason)
    return Resolved(best.auc if best is not None else None)


def _accuracy_drop(r: AuditResult, g: GateSpec) -> Resolved:
    ref, priv = r.models.get("reference"), r.models.get("private")
    if ref is None or priv is None or ref.test_accuracy is None or priv.test_accuracy is None:
        return Resolved(None)
    return Resolved(ref.test_accuracy - priv.test_accuracy)


def _reliance(r: AuditResult, g: GateSpec) -> Resolved:
    x = (r.explainability or {}).get(g.model)
    reliance = x.group_reliance.get(g.feature or "") if x is not None else None
    return Resolved(reliance.sensitive_feature_share if reliance is not None else None)


def _slice_error_rate(r: AuditResult, g: GateSpec) -> Resolved:
    found = r.slices.models.get(g.model) if r.slices is not None else None
    if found is None or found.max_significant_error_rate is None:
        return Resolved(None)
    if found.max_significant_error_rate_ci is not None:  # the selected slice's simultaneous interval (issue 22)
        return Resolved(found.max_significant_error_rate, found.max_significant_error_rate_ci)
    worst = next((s for s in found.by_error_rate if s.significant and s.error_rate == found.max_significant_error_rate), None)
    return Resolved(found.max_significant_error_rate, worst.ci if worst is not None else None)


_RESOLVERS: dict[str, Callable[[AuditResult, GateSpec], Resolved]] = {
    "accuracy": _model_field("test_accuracy"),
    "roc_auc": _model_field("test_roc_auc"),
    "accuracy_drop": _accuracy_drop,
    "epsilon_spent": _dp_spent,
    "membership_inference_auc": _mia_auc,
    "canary_epsilon_lower_bound": _canary("epsilon_lower_bound"),
    "canary_noise_ratio": _canary("score_noise_ratio"),
    "four_fifths_ratio": _four_fifths,
    "sensitive_feature_share": _reliance,
    "n_parameters": _model_field("n_parameters"),
    "training_time_s": _model_field("train_wall_s"),
    "max_significant_slice_error_rate": _slice_error_rate,
    "macro_f1": _model_field("test_macro_f1"),
    "balanced_accuracy": _model_field("test_balanced_accuracy"),
    "mae": _model_field("test_mae"),
    "rmse": _model_field("test_rmse"),
    "r2": _model_field("test_r2"),
    "mae_increase": _mae_increase,
    **{name: _disparity(name) for name in (*FAIRNESS_DISPARITIES, *MULTICLASS_DISPARITIES, *REGRESSION_DISPARITIES)},
    **{name: _text_metric(name) for name in ("counterfactual_flip_rate", "counterfactual_score_change",
                                             "subgroup_auc_min", "bpsn_auc_min", "bnsp_auc_min")},
}

GATE_METRICS: dict[str, GateMetric] = {
    name: GateMetric(info.description, _RESOLVERS[name], needs_feature=info.needs_feature)
    for name, info in _GATE_METRIC_INFO.items()
}


# ---------------------------------------------------------------- degenerate models
def degenerate_reason(result: AuditResult, model: str | None) -> str | None:
    """Why ``model`` is degenerate, or None when it is not (or nothing says so).

    Reads the degenerate-model checks stored at ``models[model].degenerate``; a record without
    them falls back on the fairness audit's overall selection rate (one class for at least
    :data:`CONSTANT_SHARE` of the test rows).

    Examples
    --------
    >>> r = AuditResult.from_dict({"schema_version": "1.1", "run": {}, "data": {}, "models": {"private": {
    ...     "test_accuracy": 0.76, "degenerate": {"degenerate": True, "reasons": ["the model predicts 0 for 100.0% of the rows"]}}}})
    >>> degenerate_reason(r, "private")
    'the model predicts 0 for 100.0% of the rows'
    """
    summary = result.models.get(model or "")
    checks = summary.degenerate if summary is not None else None
    if checks is not None and checks.degenerate is not None:
        if not checks.degenerate:
            return None
        more = len(checks.reasons) - 1
        return (checks.reasons[0] if checks.reasons else "flagged by the degenerate-model checks") + (
            f" (and {more} more finding{'s' if more > 1 else ''} of the degenerate-model checks)" if more > 0 else "")
    fair = result.fairness.models.get(model or "") if result.fairness is not None else None
    overall = fair.overall if fair is not None else None
    entry = overall.metrics.get("selection_rate") if overall is not None else None
    rate = entry.value if isinstance(entry, Metric) else None
    if rate is None or 1 - CONSTANT_SHARE < rate < CONSTANT_SHARE:
        return None
    share, cls = (rate, "the positive class") if rate >= 0.5 else (1 - rate, "the negative class")
    return f"the model predicts {cls} for {share:.1%} of the test rows"


# ---------------------------------------------------------------- readable lines
_TITLES = {
    "accuracy": "Test accuracy",
    "roc_auc": "Test ROC AUC",
    "accuracy_drop": "Accuracy lost to DP (reference − private)",
    "epsilon_spent": "ε spent",
    "membership_inference_auc": "Membership-inference AUC (strongest attack)",
    "canary_epsilon_lower_bound": "Empirical ε lower bound (canary audit)",
    "canary_noise_ratio": "Canary noise ratio (released / assumed)",
    "four_fifths_ratio": "Four-fifths selection-rate ratio",
    "sensitive_feature_share": "Attribution share on the sensitive feature",
    "n_parameters": "Trainable parameters",
    "training_time_s": "Training time",
    "max_significant_slice_error_rate": "Highest error rate of a significant slice",
    "macro_f1": "Test macro F1",
    "balanced_accuracy": "Test balanced accuracy",
    "mae": "Test MAE",
    "rmse": "Test RMSE",
    "r2": "Test R²",
    "mae_increase": "MAE added by DP (private − reference)",
    "macro_recall_difference": "Macro recall difference",
    "macro_f1_difference": "Macro F1 difference",
    "selection_rate_difference_ovr": "Largest per-class selection-rate difference (one-vs-rest)",
    "selection_rate_ratio_ovr": "Smallest per-class selection-rate ratio (one-vs-rest)",
    "recall_difference_ovr": "Largest per-class recall difference (one-vs-rest)",
    "mae_difference": "MAE difference",
    "mae_ratio": "MAE ratio",
    "rmse_difference": "RMSE difference",
    "rmse_ratio": "RMSE ratio",
    "mean_prediction_difference": "Mean prediction difference",
    "mean_error_difference": "Mean error (bias) difference",
    "worst_group_mae": "Worst-group MAE",
    "worst_group_rmse": "Worst-group RMSE",
    "counterfactual_flip_rate": "Largest identity-term counterfactual flip rate",
    "counterfactual_score_change": "Largest identity-term mean |score change|",
    "subgroup_auc_min": "Lowest identity subgroup AUC",
    "bpsn_auc_min": "Lowest identity BPSN AUC",
    "bnsp_auc_min": "Lowest identity BNSP AUC",
}
#: How a metric is shown: "points" (percentage points), "count", "s" (seconds), or "" (the number as is).
_UNITS = {"accuracy_drop": "points", "n_parameters": "count", "training_time_s": "s"}


def gate_title(metric: str | None, feature: str | None = None, model: str | None = None) -> str:
    """A gate's readable name: ``Demographic parity difference (sex), private model``.

    Examples
    --------
    >>> gate_title("roc_auc_difference", "race", "reference")
    'ROC AUC difference (race), reference model'
    """
    name = _TITLES.get(metric or "") or (metric or "gate").replace("_", " ").capitalize().replace("Roc auc", "ROC AUC")
    return name + (f" ({feature})" if feature else "") + (f", {model} model" if model else "")


def _num(x: float, unit: str, *, bound: bool = False) -> str:
    if unit == "points":
        return f"{100 * x:.3g} points" if bound else f"{100 * x:.2f} points"
    if unit == "count":
        return f"{round(x):,}"
    if unit == "s":
        return f"{x:.3g} s" if bound else f"{x:.1f} s"
    if bound:
        text = f"{x:.6g}"
        return text if "e" not in text and len(text.partition(".")[2]) >= 2 else f"{x:.2f}"
    return f"{x:.3f}" if x == 0 or abs(x) >= 1e-3 else f"{x:.2e}"


def _bounds(g: GateSpec | GateResult) -> list[tuple[str, float]]:
    return [(op, b) for op, b in (("≥", g.min), ("≤", g.max)) if b is not None]


def gate_number_text(metric: str | None, x: float | None) -> str:
    """A number of ``metric`` as people read it (points for ``accuracy_drop``), or "n/a".

    Examples
    --------
    >>> gate_number_text("accuracy_drop", 0.0141), gate_number_text("accuracy", 0.0311)
    ('1.41 points', '0.031')
    """
    return "n/a" if x is None else _num(x, _UNITS.get(metric or "", ""))


def gate_bound_text(g: GateSpec | GateResult) -> str:
    """The bound as people read it, in the metric's unit: ``≤ 0.20``, ``≤ 1.5 points``.

    Examples
    --------
    >>> gate_bound_text(GateSpec(metric="accuracy", min=0.8))
    '≥ 0.80'
    """
    unit = _UNITS.get(g.metric, "")
    return " and ".join(f"{op} {_num(b, unit, bound=True)}" for op, b in _bounds(g))


def with_derived(g: GateResult) -> GateResult:
    """``g`` with ``ci_crosses_bound`` and ``margin`` filled in when a record written before them lacks them.

    Returns ``g`` itself when nothing is missing, else a copy (the record is left as read).

    Examples
    --------
    >>> old = GateResult.from_dict({"name": "g", "metric": "equalized_odds_difference", "severity": "warning",
    ...     "max": 0.2, "value": 0.177, "ci": [0.0, 0.436], "compared": 0.177, "passed": True, "message": ""})
    >>> with_derived(old).ci_crosses_bound, round(with_derived(old).margin, 3)
    (True, 0.023)
    """
    if g.ci_crosses_bound is not None and (g.margin is not None or g.compared is None):
        return g
    out = GateResult.from_dict(g.to_dict())
    bounds = _bounds(g)
    if out.ci_crosses_bound is None:
        out.ci_crosses_bound = _crosses(g.ci, bounds)
    if out.margin is None and g.compared is not None and bounds:
        out.margin = min((b - g.compared if op == "≤" else g.compared - b) for op, b in bounds)
    return out


def gate_line(g: GateResult, *, head: bool = True) -> str:
    """One line for people: ``value [CI] vs bound — outcome, margin`` (or the reason it is undecided).

    Examples
    --------
    >>> g = GateResult(name="dp", metric="demographic_parity_difference", model="private", feature="sex", severity="error",
    ...                max=0.2, value=0.169, ci=[0.159, 0.179], compared=0.169, passed=True, message="", outcome="pass",
    ...                margin=0.031, ci_crosses_bound=False)
    >>> gate_line(g)
    'dp: Demographic parity difference (sex), private model: 0.169 [0.159, 0.179] ≤ 0.20 — pass, margin 0.031'
    """
    g = with_derived(g)
    unit = _UNITS.get(g.metric, "")
    auto = f"{g.metric}{f'[{g.feature}]' if g.feature else ''}@{g.model}"
    name = ("" if not g.name or g.name == auto else f"{g.name}: ") + gate_title(g.metric, g.feature, g.model)
    lead = f"{name}: " if head else ""
    bound = gate_bound_text(g)
    outcome = g.effective_outcome
    if g.value is None:
        word = "not computed" if outcome == "fail" else "INCONCLUSIVE"
        return f"{lead}{word} ({g.reason or _NOT_COMPUTED}); required {bound}{_tail(g)}"
    ci = g.ci if g.ci is not None and None not in g.ci else None
    shown = _num(g.value, unit) + (f" [{_num(ci[0], unit).split()[0]}, {_num(ci[1], unit)}]" if ci else "")
    if g.use_ci_bound and g.compared is not None and g.compared != g.value:
        bound += f" (gated on the pessimistic interval end, {_num(g.compared, unit)})"
    margin = f"margin {_num(g.margin, unit)}" if g.margin is not None else ""
    if outcome == "pass":
        verdict_text = ("pass on the estimate only: the interval crosses the bound" + (f" ({margin})" if margin else "")
                        if g.ci_crosses_bound else "pass" + (f", {margin}" if margin else "")) + _power_text(g, unit)
    elif outcome == "inconclusive":
        verdict_text = f"INCONCLUSIVE: {g.reason or 'the evidence cannot decide'}"
    else:
        short = f", {'over' if g.max is not None and (g.compared or 0) > g.max else 'short'} by {_num(abs(g.margin), unit)}" \
            if g.margin is not None else ""
        verdict_text = f"FAIL{short}" + (f" ({g.reason})" if g.reason else "")
    return f"{lead}{shown} {bound} — {verdict_text}{_tail(g)}"


def _power_text(g: GateResult, unit: str) -> str:
    """What the parity tests could have seen, where a disparity gate passes (a pass that could not fail is weak)."""
    if g.detectable is None:
        return ""
    ratio = "_ratio" in (g.metric or "") or g.metric == "four_fifths_ratio"
    text = f"; detectable with 80% power: {'≤' if ratio else '≥'} {_num(g.detectable, unit)}"
    unseen = (g.min is not None and g.detectable < g.min) if ratio else (g.max is not None and g.detectable > g.max)
    return text + (" (larger than the bound allows: weak evidence)" if unseen else "")


def _tail(g: GateResult) -> str:
    if g.severity == "warning" and g.effective_outcome != "pass":
        return " [warning gate: does not fail the verdict]"
    if g.effective_outcome == "inconclusive" and g.allow_inconclusive:
        return " [allow_inconclusive: does not fail the verdict]"
    return ""


# ---------------------------------------------------------------- evaluation
def _as_result(result: AuditResult | dict[str, Any]) -> AuditResult:
    if isinstance(result, AuditResult):
        return result
    # Transitional: a plain dict (audit.json as read, or a partial record) is read as schema 1.x.
    return AuditResult.from_dict({"schema_version": "1.0", "run": {}, "data": {}, "models": {}, **result})


def _crosses(ci: list[float | None] | None, bounds: list[tuple[str, float]]) -> bool | None:
    """Whether the interval has points on both sides of a bound (None without an interval)."""
    if ci is None or None in ci:
        return None
    lo, hi = ci
    return any((lo <= b < hi) if op == "≤" else (lo < b <= hi) for op, b in bounds)


def _caveat(result: AuditResult, gate: GateSpec) -> _Caveat | None:
    """A degenerate model (gates that need a working model), or a threshold problem (fairness gates on decisions)."""
    if gate.metric not in _NEEDS_WORKING_MODEL:
        return None
    summary = result.models.get(gate.model or "")
    checks = summary.degenerate if summary is not None else None
    found = checks.checks if checks is not None else {}
    constant = any(isinstance(found.get(k), dict) and found[k].get("flagged") is True
                   for k in ("constant_predictions", "constant_scores"))
    why = degenerate_reason(result, gate.model)
    if why is not None:
        return _Caveat("degenerate", why, constant or checks is None or checks.degenerate is None)
    if checks is not None and checks.threshold_problem and gate.metric in _ON_DECISIONS:
        return _Caveat("threshold", checks.threshold_problem, constant)
    return None


def _caveat_text(gate: GateSpec, caveat: _Caveat, *, failed: bool) -> str:
    """The caveat in words: why the figure says nothing (an inconclusive gate), or context for a failure that stands."""
    if caveat.kind == "threshold":
        consequence = _TRIVIAL_DECISIONS if caveat.constant else _EMPTY_DECISIONS
        return (_THRESHOLD_FAIL if failed else _THRESHOLD).format(model=gate.model, why=caveat.why, consequence=consequence)
    why = re.sub(r" \((threshold [^)]*|and \d+ more [^)]*)\)", "", caveat.why)
    why = "it " + why.removeprefix("the model ") if why.startswith("the model ") else why
    why = "its " + why.removeprefix("the model's ") if why.startswith("the model's ") else why
    if failed:
        return _DEGENERATE_FAIL.format(model=gate.model, why=why)
    consequence = (_TRIVIAL_ACCURACY if gate.metric not in FAIRNESS_GATE_METRICS
                   else _TRIVIAL_PARITY if caveat.constant else _NO_SIGNAL_PARITY)
    return _DEGENERATE.format(model=gate.model, why=why, consequence=consequence)


def _decide(gate: GateSpec, got: Resolved, compared: float | None, within: bool,
            caveat: _Caveat | None) -> tuple[str, str | None]:
    """The outcome and its reason: a figure that would pass on a model without signal is inconclusive; one that
    fails stays a failure, with the caveat as context (the words never call a failure trivially satisfied)."""
    if compared is None:
        if got.inconclusive is not None or caveat is not None:
            return "inconclusive", _caveat_text(gate, caveat, failed=False) if caveat else got.inconclusive
        return "fail", _NOT_COMPUTED
    if not within:
        return "fail", _caveat_text(gate, caveat, failed=True) if caveat else None
    return ("inconclusive", _caveat_text(gate, caveat, failed=False)) if caveat is not None else ("pass", None)


def _evaluate(gate: GateSpec, typed: AuditResult) -> GateResult:
    got = GATE_METRICS[gate.metric].resolve(typed, gate)
    value, ci = got.value, got.ci
    compared = value
    if gate.use_ci_bound and ci is not None and None not in ci:
        # Pessimistic bound: the CI end that is worse for the gate.
        compared = ci[1] if gate.max is not None else ci[0]
    bounds = _bounds(gate)
    within = compared is not None and all(compared <= b if op == "≤" else compared >= b for op, b in bounds)
    margin = min((b - compared if op == "≤" else compared - b) for op, b in bounds) if compared is not None else None
    outcome, reason = _decide(gate, got, compared, within, _caveat(typed, gate))
    passed = outcome == "pass" or (outcome == "inconclusive" and gate.allow_inconclusive)
    is_disparity = gate.metric in FAIRNESS_DISPARITIES or gate.metric == "four_fifths_ratio"
    out = GateResult(
        name=gate.label, metric=gate.metric, model=gate.model, feature=gate.feature, severity=gate.severity,
        max=gate.max, min=gate.min, use_ci_bound=gate.use_ci_bound, value=value, ci=ci, compared=compared,
        passed=bool(passed), message="", outcome=outcome, reason=reason, ci_crosses_bound=_crosses(ci, bounds),
        margin=margin, allow_inconclusive=gate.allow_inconclusive, groups=gate.groups if is_disparity else None,
        detectable=got.detectable,
    )  # fmt: skip
    out.message = gate_line(out)
    return out


def evaluate_gates(gates: Sequence[GateSpec], result: AuditResult | dict[str, Any]) -> list[GateResult]:
    """Evaluate each gate against an audit result.

    Parameters
    ----------
    gates : sequence of GateSpec
        The gates of the config (``[[gates]]``).
    result : AuditResult
        The audit result (a plain ``audit.json`` dict is accepted during the transition and read
        with :meth:`AuditResult.from_dict`).

    Returns
    -------
    list of GateResult
        One entry per gate: name, metric, model, feature, severity, bounds, value, ci, compared
        (the number compared), outcome (pass, fail or inconclusive) and its reason, whether the
        interval crosses the bound, the margin, passed (bool, for 1.x readers) and a message.

    Examples
    --------
    >>> evaluate_gates([GateSpec(metric="epsilon_spent", max=1.0)], {})[0].message
    'ε spent, private model: not computed (not computed: the audit section is off or the value is missing from the record); required ≤ 1.00'
    """
    typed = _as_result(result)
    return [_evaluate(gate, typed) for gate in gates]


def _typed(gate_results: Sequence[GateResult | dict]) -> list[GateResult]:
    return [g if isinstance(g, GateResult) else GateResult.from_dict(g) for g in gate_results]


def verdict(gate_results: Sequence[GateResult]) -> str:
    """``"pass"`` unless an ``error`` gate failed or is inconclusive without ``allow_inconclusive``.

    Warning gates never fail the verdict.

    Examples
    --------
    >>> verdict([])
    'pass'
    """
    return "fail" if any(g.fails_verdict for g in _typed(gate_results)) else "pass"


def verdict_reasons(gate_results: Sequence[GateResult]) -> list[str]:
    """Why the verdict is what it is, one short line each: the gates that decided it.

    Examples
    --------
    >>> verdict_reasons([])
    ['no gates are configured: the verdict rests on nothing']
    """
    gates = _typed(gate_results)
    if not gates:
        return ["no gates are configured: the verdict rests on nothing"]
    deciding = [g for g in gates if g.fails_verdict]
    if deciding:
        return [f"inconclusive: {gate_title(g.metric, g.feature, g.model)}: {g.reason}" if g.effective_outcome == "inconclusive"
                else f"failed: {gate_line(g)}" for g in deciding]
    errors = [g for g in gates if g.severity == "error"]
    out = [f"all {len(errors)} error gate(s) pass" if errors else "no error gates are configured: nothing can fail the verdict"]
    allowed = [g for g in errors if g.effective_outcome == "inconclusive"]
    if allowed:
        out.append(f"{len(allowed)} of them inconclusive, allowed by allow_inconclusive: "
                   + "; ".join(g.name for g in allowed))
    crossing = [g for g in errors if g.effective_outcome == "pass" and g.ci_crosses_bound]
    if crossing:
        out.append(f"{len(crossing)} pass on the estimate only (the interval crosses the bound): "
                   + "; ".join(g.name for g in crossing))
    warned = [g for g in gates if g.severity != "error" and g.effective_outcome != "pass"]
    if warned:
        out.append(f"{len(warned)} warning gate(s) did not pass: " + "; ".join(g.name for g in warned))
    return out
