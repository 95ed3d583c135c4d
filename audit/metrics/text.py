"""Gate metrics of the text audits: counterfactual identity terms (Garg et al. 2019), identity-subgroup AUCs
(Borkan et al. 2019). Each is the extreme of many estimates; a gate on one needs ``data.text_column``.

Examples
--------
>>> from audit.metrics import GATE_METRICS
>>> spec = GATE_METRICS["bpsn_auc_min"]
>>> spec.needs_text, spec.tasks, spec.fairness
(True, ('binary',), False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.metrics._registry import (
    Resolved,
    Resolver,
    register_gate_metric,
    tasks_where,
)

if TYPE_CHECKING:
    from audit.config import GateSpec
    from audit.result import AuditResult

__all__: list[str] = []

_SCORED = tasks_where("has_scores_auc")  # a positive score: its change under a swap, the identity AUCs


def _text_metric(name: str) -> Resolver:
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


def _extreme_undecided(entry: dict[str, Any], g: GateSpec) -> str | None:
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


for _name, _description, _title, _on_decisions in (
    ("counterfactual_flip_rate", ("highest share of test texts whose prediction flips when one identity term is swapped "
                                  "for another of its category (Garg et al. 2019)"),
     "Largest identity-term counterfactual flip rate", True),
    ("counterfactual_score_change", ("highest mean absolute change of the positive score when one identity term is "
                                     "swapped for another"), "Largest identity-term mean |score change|", False),
):
    register_gate_metric(_name, description=_description, title=_title, family="text", tasks=_SCORED, needs_text=True,
                         fairness=True, on_decisions=_on_decisions)(_text_metric(_name))
for _name, _description, _title in (
    ("subgroup_auc_min", "lowest subgroup AUC over the identities the test texts mention (Borkan et al. 2019)",
     "Lowest identity subgroup AUC"),
    ("bpsn_auc_min", "lowest BPSN AUC (background positive, subgroup negative) over the identities",
     "Lowest identity BPSN AUC"),
    ("bnsp_auc_min", "lowest BNSP AUC (background negative, subgroup positive) over the identities",
     "Lowest identity BNSP AUC"),
):
    register_gate_metric(_name, description=_description, title=_title, family="text", tasks=_SCORED, needs_text=True,
                         needs_working_model=True)(_text_metric(_name))
del _name, _description, _title, _on_decisions
