"""Concerns of a text audit: identity terms that move a text model, identities it ranks worse (read by
:func:`audit.verdict.concerns.find_concerns`; small groups of every task are found there).

Examples
--------
>>> from audit.result import AuditResult
>>> r = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
...     "text": {"models": {"private": {"counterfactual": {"max_flip_rate": {"value": 0.04, "ci": [0.02, 0.07],
...     "pair": {"category": "gender", "from": "she", "to": "he"}, "n": 200}}}}}})
>>> [c.kind for c in text_concerns(r, "private")]
['identity_term_flips']
"""

from __future__ import annotations

from typing import Any

from audit.result import AuditResult, Concern

__all__ = ["text_concerns"]

#: A flip rate at or above this share of the perturbed texts is shown first.
FLIP_RATE_CONCERN = 0.01
#: A BPSN or BNSP AUC this far below the overall AUC is shown first (the model ranks that identity's texts worse).
AUC_GAP_CONCERN = 0.05
_WHERE_TEXT = "Text audits (card), dashboard Text"


def _flips(model: str | None, counterfactual: dict[str, Any]) -> list[Concern]:
    best = counterfactual.get("max_flip_rate") or {}
    value, pair = best.get("value"), best.get("pair") or {}
    if value is None or value < FLIP_RATE_CONCERN:
        return []
    ci = best.get("ci") or [None, None]
    interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if None not in ci else ""
    adjusted = f" (the interval is adjusted for choosing the largest of {best['n_pairs']} pairs)" \
        if interval and best.get("n_pairs") else ""
    return [Concern(kind="identity_term_flips", severity="warning", model=model,
                    title=f"Swapping '{pair.get('from')}' for '{pair.get('to')}' ({pair.get('category')}) changes "
                          f"{value:.1%}{interval} of the decisions on {best.get('n')} test texts{adjusted}",
                    detail="Only the identity term differs between the two texts, so the model's decision depends on "
                           "which identity a text mentions (counterfactual token fairness, Garg et al. 2019).",
                    where=_WHERE_TEXT)]


def _auc_gaps(model: str | None, identity: dict[str, Any]) -> list[Concern]:
    overall = (identity.get("overall_auc") or {}).get("value")
    out = []
    for family, meaning in (("bpsn_auc", "scores its negative texts above other texts' positives"),
                            ("bnsp_auc", "scores its positive texts below other texts' negatives")):
        worst = ((identity.get("worst") or {}).get(family) or {})
        value = worst.get("value")
        if overall is None or value is None or overall - value < AUC_GAP_CONCERN:
            continue
        out.append(Concern(kind=f"identity_{family}", severity="warning", model=model,
                           title=f"{family.split('_')[0].upper()} AUC for '{worst.get('subgroup')}' is {value:.3f}, "
                                 f"{overall - value:.3f} below the overall AUC {overall:.3f}",
                           detail=f"The model {meaning} for the texts that mention this identity (Borkan et al. 2019): "
                                  "one threshold treats them differently.", where=_WHERE_TEXT))
    return out


def text_concerns(r: AuditResult, model: str | None) -> list[Concern]:
    """Identity terms that flip decisions, identities ranked worse, for the audited model of a text audit."""
    audit = r.text.models.get(model or "") if r.text is not None else None
    if audit is None:
        return []
    return _flips(model, audit.counterfactual or {}) + _auc_gaps(model, audit.identity_auc or {})
