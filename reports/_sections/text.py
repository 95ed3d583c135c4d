"""The text audits of a text classifier, shown under Bias (identity terms) and Explainability (tokens).

Per model: counterfactual identity-term pairs (Garg et al. 2019) with example texts cut around the swapped
term, template spreads, identity-subgroup AUCs (Borkan et al. 2019) and the top tokens. Every part is read
defensively; a part that did not run says ``"not run"`` and why.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> text_audits(ctx)["status"]
'not run'
"""

from __future__ import annotations

from typing import Any

from reports._plain import (
    as_dict as _dict,
)
from reports._plain import (
    interval as _interval,
)
from reports._plain import (
    not_run as _not_run,
)
from reports._plain import (
    number as _num,
)
from reports._plain import (
    text as _text,
)
from reports._plain import (
    value_ci as _vci,
)
from reports._sections.context import CardContext, model_order

__all__ = ["EXAMPLE_WINDOW", "N_EXAMPLES", "N_PAIRS", "N_TOKENS", "text_audits"]

#: Counterfactual pairs listed, examples per pair, and words either side of the swapped term in an example.
N_PAIRS = 10
N_EXAMPLES = 2
EXAMPLE_WINDOW = 8
N_TOKENS = 12
_AUC_FAMILIES = ("subgroup_auc", "bpsn_auc", "bnsp_auc")


def _list(x: Any) -> list:
    return x if isinstance(x, list) else []


def _swap_span(a: list[str], b: list[str], i: int) -> tuple[int, int]:
    """How many words from ``i`` differ in each text before they agree again (terms have one to three words)."""
    for m, n in sorted(((m, n) for m in range(1, 4) for n in range(1, 4)), key=sum):
        if a[i + m:i + m + 3] == b[i + n:i + n + 3]:
            return m, n
    return 1, 1


def _window(original: str, counterfactual: str) -> tuple[list[str], list[str]]:
    """The words around the first swapped term as (before, term, after), so a long text shows what changed."""
    a, b = original.split(), counterfactual.split()
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
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
    categories = [{"category": str(c), "n_texts": _num(_dict(v).get("n_texts")),
                   "n_counterfactuals": _num(_dict(v).get("n_counterfactuals")), "flip_rate": _vci(_dict(v).get("flip_rate")),
                   "mean_abs_score_change": _vci(_dict(v).get("mean_abs_score_change"))}
                  for c, v in _dict(cf.get("categories")).items()]
    seen: set[str] = set()
    for p in pairs[:N_PAIRS]:  # one text can carry many pairs: quote each original once
        kept = []
        for e in p["examples"]:
            if e["_text"] not in seen:
                seen.add(e["_text"])
                kept.append(e)
        p["examples"] = kept
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
    rows: list[dict[str, Any]] = []
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


def text_audits(ctx: CardContext) -> dict[str, Any]:
    """Every audited text model's counterfactual pairs, identity-subgroup AUCs and top tokens."""
    result = ctx.result
    t = result.text
    if t is None:
        return _not_run("no text audit in this record (a text classifier with [data] text_column runs it)")
    explain_on = result.explainability is not None or any(m.tokens for m in t.models.values())
    models = []
    for name in model_order(t.models, first=ctx.audited):
        m = t.models[name]
        skipped = _dict(m.extra.get("skipped"))
        models.append({"model": name, "skipped": {str(k): str(v) for k, v in skipped.items()},
                       "counterfactual": _counterfactual(m.counterfactual, skipped),
                       "identity_auc": _identity_auc(m.identity_auc, skipped),
                       "tokens": _tokens(m.tokens, explain_on)})
    return {"status": "ok" if models else "not run", "reason": None if models else "no model was audited",
            "text_column": _text(t.text_column), "identity_categories": [str(c) for c in t.identity_categories],
            "mentions": [{"subgroup": str(k), "n": _num(v)} for k, v in t.mentions.items()],
            "audited_model": ctx.audited, "models": models}
