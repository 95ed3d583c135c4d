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


def _excerpt(example: dict[str, Any], words: int = 6) -> str | None:
    """The words around the first swapped term of an example, the swap shown as [original → counterfactual]."""
    a, b = str(example.get("original") or "").split(), str(example.get("counterfactual") or "").split()
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if i is None:
        return None
    tail = len(a) - i - 1  # the counterfactual term may differ in length only at the swap itself
    lo, hi = max(0, i - words), min(len(a), i + 1 + words)
    swap = f"[{a[i]} → {' '.join(b[i:len(b) - tail])}]"
    return " ".join((["…"] if lo else []) + a[lo:i] + [swap] + a[i + 1:hi] + (["…"] if hi < len(a) else []))


def _flip_example(counterfactual: dict[str, Any], pair: dict[str, Any]) -> str | None:
    """A quoted example of the pair whose decision changed (else the one whose score moved most), cut to a window."""
    t = counterfactual.get("threshold")
    for p in counterfactual.get("pairs") or []:
        if not isinstance(p, dict) or (p.get("from"), p.get("to")) != (pair.get("from"), pair.get("to")):
            continue
        examples = [e for e in p.get("examples") or [] if isinstance(e, dict)
                    and isinstance(e.get("score"), (int, float)) and isinstance(e.get("counterfactual_score"), (int, float))]
        flipped = [e for e in examples if isinstance(t, (int, float)) and (e["score"] >= t) != (e["counterfactual_score"] >= t)]
        chosen = max(flipped or examples, key=lambda e: abs(e["counterfactual_score"] - e["score"]), default=None)
        text = _excerpt(chosen) if chosen is not None else None
        if chosen is not None and text:
            note = "" if flipped else "; its decision did not change: the record quotes no text whose decision did"
            return f"\u201c{text}\u201d (score {chosen['score']:.3f} → {chosen['counterfactual_score']:.3f}{note})"
    return None


def _flips(model: str | None, counterfactual: dict[str, Any]) -> list[Concern]:
    best = counterfactual.get("max_flip_rate") or {}
    value, pair = best.get("value"), best.get("pair") or {}
    if value is None or value < FLIP_RATE_CONCERN:
        return []
    n, flips = best.get("n"), best.get("n_flips")
    ci = best.get("ci") or [None, None]
    interval = f" [{ci[0]:.1%}, {ci[1]:.1%}]" if None not in ci else ""
    adjusted = f", the interval adjusted for choosing the largest of {best['n_pairs']} pairs" \
        if interval and best.get("n_pairs") else ""
    count = f"{flips} of {n} texts" if flips is not None and n else f"{value:.1%} of {n} texts"
    example = _flip_example(counterfactual, pair)
    return [Concern(kind="identity_term_flips", severity="warning", model=model,
                    title=f"The model's decision changed when '{pair.get('from')}' was swapped for '{pair.get('to')}' "
                          f"({pair.get('category')}) in {count}: flip rate {value:.1%}{interval}{adjusted}",
                    detail="Only the term differs between the two texts (counterfactual token fairness, Garg et al. "
                           f"2019). The evidence is {count}; it shows that swapping this term can change a decision, "
                           "not that decisions depend on which identity a text mentions in general, nor that the term "
                           "refers to a person in these texts: read the example"
                           + (f": {example}." if example else "s in the card's Text audits."),
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
