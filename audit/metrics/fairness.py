"""Gate metrics of fairness: each disparity per sensitive feature, the four-fifths ratio, reliance on the feature.

The disparities are the ones the group reports compute (:data:`audit.choices.FAIRNESS_DISPARITIES` for binary
models, ``MULTICLASS_DISPARITIES``, ``REGRESSION_DISPARITIES``), read from the model's group audit
(:attr:`audit.result.AuditResult.group_audits`, every kind and record version); a gate on one names its ``feature``. On a
degenerate model every one of them is inconclusive (parity holds trivially); those of decisions also on a
threshold problem.

Examples
--------
>>> from audit.metrics import GATE_METRICS
>>> spec = GATE_METRICS["accuracy_difference"]
>>> spec.tasks, spec.needs_feature, spec.groups_apply
(('binary', 'multiclass'), True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.choices import (
    FAIRNESS_DISPARITIES,
    MULTICLASS_DISPARITIES,
    REGRESSION_DISPARITIES,
)
from audit.metrics._registry import (
    UNDEFINED,
    Needs,
    Resolved,
    Resolver,
    register_gate_metric,
)

if TYPE_CHECKING:
    from audit.config import GateSpec
    from audit.result import AuditResult, FairnessBlock, Metric

__all__: list[str] = []

#: Which config task's group report computes each list of disparities.
_COMPUTED_BY = (("binary", FAIRNESS_DISPARITIES), ("multiclass", MULTICLASS_DISPARITIES),
                ("regression", REGRESSION_DISPARITIES))
#: Disparities of scores, not decisions: a threshold problem leaves them as they are.
_OF_SCORES = ("roc_auc_difference", "roc_auc_ratio")
_TITLES = {
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
}


def _block(r: AuditResult, g: GateSpec) -> FairnessBlock | None:
    model = r.group_audits.get(g.model)
    return model.by_feature.get(g.feature or "") if model is not None else None


def _entry(block: FairnessBlock, name: str, groups: str) -> Metric | None:
    """The disparity entry a gate reads: over the sufficient groups, or (groups = "all") every group.

    A record written before the small-group policy has only ``disparities`` (over every group).
    """
    if groups == "all" and name in block.disparities_all_groups:
        return block.disparities_all_groups[name]
    entry = block.disparities.get(name)
    return entry if hasattr(entry, "value") else None  # a {value, ci} entry, not a bare number


def _from_entry(entry: Metric | None) -> Resolved:
    """A disparity's value and interval; a null value carries its reason (``inconclusive_reason``, or ``reason``
    for a multiclass or regression one), and a binary one what its tests detect."""
    if entry is None:
        return Resolved(None)
    if entry.value is None:
        return Resolved(None, None, entry.inconclusive_reason or getattr(entry, "reason", None) or UNDEFINED)
    return Resolved(entry.value, entry.ci, detectable=entry.detectable)


def _disparity(name: str) -> Resolver:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        block = _block(r, g)
        return _from_entry(_entry(block, name, g.groups)) if block is not None else Resolved(None)

    return resolve


for _name in dict.fromkeys((*FAIRNESS_DISPARITIES, *MULTICLASS_DISPARITIES, *REGRESSION_DISPARITIES)):
    register_gate_metric(_name, description=f"fairness disparity ({_name})", title=_TITLES.get(_name), family="fairness",
                         needs_feature=True, tasks=tuple(t for t, names in _COMPUTED_BY if _name in names), fairness=True,
                         on_decisions=_name not in _OF_SCORES,
                         groups_apply=_name in FAIRNESS_DISPARITIES)(_disparity(_name))
del _name


@register_gate_metric("four_fifths_ratio", description="selection-rate ratio (four-fifths rule)",
                      title="Four-fifths selection-rate ratio", family="fairness", needs_feature=True, tasks=("binary",),
                      fairness=True, on_decisions=True, groups_apply=True)
def _four_fifths(r: AuditResult, g: GateSpec) -> Resolved:
    block = _block(r, g)
    if block is None:
        return Resolved(None)
    ratio = _entry(block, "demographic_parity_ratio", g.groups)
    rule = block.four_fifths_rule
    if g.groups == "all" and "demographic_parity_ratio" in block.disparities_all_groups:
        return Resolved(ratio.value if ratio is not None else None, None,
                        None if ratio is None or ratio.value is not None else UNDEFINED)
    value = rule.selection_rate_ratio if rule is not None else None
    if value is None and rule is not None:
        return Resolved(None, None, (ratio.inconclusive_reason if ratio is not None else None) or UNDEFINED)
    return Resolved(value, detectable=ratio.detectable if ratio is not None else None)


@register_gate_metric("sensitive_feature_share", description="share of attribution on the sensitive feature",
                      title="Attribution share on the sensitive feature", family="fairness", needs_feature=True,
                      tables_only=True, fairness=True,
                      needs=Needs(lambda c: c.explain.enabled, "explanations", "set explain.enabled = true"))
def _reliance(r: AuditResult, g: GateSpec) -> Resolved:
    x = (r.explainability or {}).get(g.model)
    reliance = x.group_reliance.get(g.feature or "") if x is not None else None
    return Resolved(reliance.sensitive_feature_share if reliance is not None else None)
