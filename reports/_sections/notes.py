"""Ethical considerations and caveats (Mitchell et al. 2019, sections 8 and 9): the config's words and the audit's.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> caveats(ctx)["notes"]
['No fairness audit was run; group-level behaviour is unknown.']
"""

from __future__ import annotations

from typing import Any

from audit.result import Card, IdentifierFinding
from reports._plain import as_dict as _dict
from reports._plain import text as _text
from reports._sections.bias import small_groups
from reports._sections.context import CardContext, given

__all__ = ["caveats", "ethical_considerations", "identifier_scan"]

_AUC_FAMILIES = ("subgroup_auc", "bpsn_auc", "bnsp_auc")


def identifier_scan(ctx: CardContext) -> list[IdentifierFinding]:
    """The columns that look like direct identifiers (:attr:`audit.result.AuditResult.identifier_findings`)."""
    return ctx.result.identifier_findings or []


def ethical_considerations(ctx: CardContext) -> dict[str, Any]:
    """The config's ethical considerations, and what the data says about sensitive features and identifiers."""
    card, data = ctx.result.run.card or Card(), ctx.result.data
    notes = []
    if data.sensitive_used_as_features:
        notes.append("Sensitive features are used as model inputs; decisions may depend on them directly.")
    elif data.sensitive_features:
        notes.append("Sensitive features are not model inputs, but other features can act as proxies for them "
                     "(see Explainability: group reliance).")
    scan = identifier_scan(ctx)
    if scan:
        notes.append(f"{len(scan)} column(s) look like direct identifiers (see Data privacy); drop them before training.")
    return {"status": "ok", "text": _text(card.ethical_considerations), "notes": notes}


def _thin_subgroups(ctx: CardContext) -> list[str]:
    """A text audit's identity subgroups with too few texts on one side of an AUC (the audited model's)."""
    text = ctx.result.text
    model = text.models.get(ctx.audited or "") if text is not None else None
    subgroups = _dict(_dict(model.identity_auc if model is not None else None).get("subgroups"))
    thin = [str(k) for k, v in subgroups.items() if any(_dict(_dict(v).get(f)).get("value") is None for f in _AUC_FAMILIES)]
    if not thin:
        return []
    return [(f"{len(thin)} of {len(subgroups)} identity subgroups have too few test texts on one side for at least "
             f"one AUC ({', '.join(thin[:8])}{' and more' if len(thin) > 8 else ''}); the identity audit says nothing "
             "about them there.")]


def caveats(ctx: CardContext) -> dict[str, Any]:
    """The config's limitations, then what the audit found: small groups, warnings, failed gates, audits not run."""
    result = ctx.result
    card = result.run.card or Card()
    notes = []
    small = small_groups(ctx)
    if small:
        names = ", ".join(f"{s['feature']}={s['group']} (n={s['count']})" for s in small[:8])
        more = f" and {len(small) - 8} more" if len(small) > 8 else ""
        notes.append(f"{len(small)} group(s) are below the minimum size, so their metrics are unreliable: {names}{more}.")
    notes += ctx.representation_warnings()
    for model, X in (result.explainability or {}).items():
        for w in X.warnings:
            notes.append(f"Explanations ({model}): {w}")
    total = result.compute.total if result.compute is not None else None
    if total is not None and total.energy_measured is False:
        notes.append("Energy and CO2 figures are estimates from a stated power draw, not measurements.")
    for g in result.gates:
        if g.passed is False:
            notes.append(f"Gate not met ({g.severity if g.has('severity') else 'error'}): {g.message or g.name}")
    text_ran = result.text is not None and any(m.identity_auc or m.counterfactual for m in result.text.models.values())
    if not (given(result.fairness) or ctx.task_models or text_ran):
        notes.append("No fairness audit was run; group-level behaviour is unknown.")
    return {"status": "ok", "text": _text(card.limitations), "notes": notes + _thin_subgroups(ctx)}
