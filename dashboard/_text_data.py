"""Pure helpers of the Text page: the text audits of ``AuditResult.text`` as display-ready frames.

The dicts come from ``audit/text/_counterfactual.py`` (counterfactual pairs, categories, templates),
``_bias_auc.py`` (subgroup, BPSN and BNSP AUCs) and ``_attributions.py`` (token attributions); a key the
record lacks reads as missing. Texts from the run are returned as plain strings for ``st.text`` and tables,
never as Markdown.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

import pandas as pd

from dashboard._data import fmt_ci, metric_parts

__all__ = [
    "AUC_FAMILIES", "auc_long", "auc_table", "category_table", "pair_table", "swap_context", "template_frame",
    "template_spreads", "token_example", "top_tokens",
]

AUC_FAMILIES = {"subgroup_auc": "subgroup AUC", "bpsn_auc": "BPSN AUC", "bnsp_auc": "BNSP AUC"}


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def top_tokens(tokens: dict[str, Any] | None, *, k: int = 15) -> pd.DataFrame:
    """The ``k`` tokens that raise and the ``k`` that lower the score most: token, mean attribution, count, direction."""
    glob = _dict(_dict(tokens).get("global"))
    rows = []
    for key, direction in (("top_positive", "raises score"), ("top_negative", "lowers score")):
        for t in (glob.get(key) or [])[:k]:
            t = _dict(t)
            value = _num(t.get("mean_attribution"))
            if value is not None:
                rows.append({"token": str(t.get("token")), "mean attribution": value, "count": t.get("count"),
                             "direction": direction})
    return pd.DataFrame(rows, columns=["token", "mean attribution", "count", "direction"])


def token_example(example: dict[str, Any]) -> pd.DataFrame:
    """One explained text, token by token: position, token, attribution."""
    rows = [{"position": i, "token": str(_dict(t).get("token")), "attribution": _num(_dict(t).get("attribution"))}
            for i, t in enumerate(_dict(example).get("tokens") or [])]
    return pd.DataFrame(rows, columns=["position", "token", "attribution"])


def category_table(counterfactual: dict[str, Any] | None) -> pd.DataFrame:
    """Per identity category: texts, counterfactuals, flip rate and mean |Δscore| with their intervals."""
    rows = []
    for cat, c in _dict(_dict(counterfactual).get("categories")).items():
        c = _dict(c)
        rows.append({"category": str(cat), "texts": c.get("n_texts"), "counterfactuals": c.get("n_counterfactuals"),
                     "flip rate [CI]": fmt_ci(c.get("flip_rate"), digits=4),
                     "mean |Δscore| [CI]": fmt_ci(c.get("mean_abs_score_change"), digits=4)})
    return pd.DataFrame(rows, columns=["category", "texts", "counterfactuals", "flip rate [CI]", "mean |Δscore| [CI]"])


def pair_table(counterfactual: dict[str, Any] | None) -> pd.DataFrame:
    """One row per term pair: category, from, to, n, flips, flip rate (value, lo, hi), mean Δscore and mean |Δscore|
    as ``value [lo, hi]``, examples kept, ``eligible`` (n at least the audit's min_pair_size, so the pair counts for
    the maxima) and ``index`` into the record's pairs. Eligible pairs first, then the largest flip rate."""
    rows = []
    least = _num(_dict(counterfactual).get("min_pair_size")) or 0
    for i, p in enumerate(_dict(counterfactual).get("pairs") or []):
        p = _dict(p)
        v, lo, hi = metric_parts(p.get("flip_rate"))
        rows.append({"category": str(p.get("category")), "from": str(p.get("from")), "to": str(p.get("to")),
                     "n": p.get("n"), "flips": p.get("n_flips"), "flip rate": _num(v), "lo": _num(lo), "hi": _num(hi),
                     "mean Δscore [CI]": fmt_ci(p.get("mean_score_change"), digits=4),
                     "mean |Δscore| [CI]": fmt_ci(p.get("mean_abs_score_change"), digits=4),
                     "_abs": _num(metric_parts(p.get("mean_abs_score_change"))[0]) or 0.0,
                     "examples": len(p.get("examples") or []), "eligible": (_num(p.get("n")) or 0) >= least,
                     "index": i})
    cols = ["category", "from", "to", "n", "flips", "flip rate", "lo", "hi", "mean Δscore [CI]", "mean |Δscore| [CI]",
            "examples", "eligible", "index"]
    frame = pd.DataFrame(rows, columns=cols + ["_abs"])
    if frame.empty:
        return frame[cols]
    frame = frame.sort_values(["eligible", "flip rate", "_abs", "n"], ascending=False, na_position="last", kind="stable")
    return frame[cols].reset_index(drop=True)


def swap_context(original: str, counterfactual: str, *, width: int = 8, limit: int = 3) -> list[tuple[str, str]]:
    """Where two texts differ, word by word: up to ``limit`` (original snippet, counterfactual snippet) pairs with
    ``width`` words either side (a long text shown whole hides the swapped term).

    Examples
    --------
    >>> swap_context("a b she c d", "a b he c d", width=1)
    [('… b she c …', '… b he c …')]
    """
    a, b = str(original).split(), str(counterfactual).split()
    spans: list[list[int]] = []  # [i1, i2, j1, j2] of each change, nearby changes merged into one snippet
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if spans and i1 - spans[-1][1] <= 2 * width and i2 - spans[-1][0] <= 3 * width:  # short snippets only
            spans[-1][1], spans[-1][3] = i2, j2
        else:
            spans.append([i1, i2, j1, j2])

    def snippet(words: list[str], lo: int, hi: int) -> str:
        lo, hi = max(0, lo - width), min(len(words), hi + width)
        return ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")

    return [(snippet(a, i1, i2), snippet(b, j1, j2)) for i1, i2, j1, j2 in spans[:limit]]


def template_spreads(counterfactual: dict[str, Any] | None) -> pd.DataFrame:
    """Per category: the spread of the mean template score across its terms, and which terms are highest and lowest."""
    cats = _dict(_dict(_dict(counterfactual).get("templates")).get("categories"))
    rows = []
    for cat, c in cats.items():
        spread = _dict(_dict(c).get("spread"))
        rows.append({"category": str(cat), "spread": _num(spread.get("value")), "highest term": spread.get("max_term"),
                     "lowest term": spread.get("min_term"), "terms": len(_dict(c).get("terms") or [])})
    frame = pd.DataFrame(rows, columns=["category", "spread", "highest term", "lowest term", "terms"])
    return frame.sort_values("spread", ascending=False, na_position="last").reset_index(drop=True)


def template_frame(counterfactual: dict[str, Any] | None, category: str) -> pd.DataFrame:
    """Mean template score per term of ``category``, over every template and per template label (long frame)."""
    c = _dict(_dict(_dict(_dict(counterfactual).get("templates")).get("categories")).get(category))
    rows = [{"term": str(t), "templates": "all", "mean score": _num(v)} for t, v in _dict(c.get("mean_score_by_term")).items()]
    for label, block in _dict(c.get("by_label")).items():
        rows += [{"term": str(t), "templates": str(label), "mean score": _num(v)}
                 for t, v in _dict(_dict(block).get("mean_score_by_term")).items()]
    return pd.DataFrame(rows, columns=["term", "templates", "mean score"]).dropna(subset=["mean score"])


def auc_table(identity_auc: dict[str, Any] | None) -> pd.DataFrame:
    """One row per identity subgroup: texts, positives, negatives, subgroup / BPSN / BNSP AUC as ``value [lo, hi]``,
    and why an AUC has no value (too few texts on one side)."""
    rows = []
    for name, s in _dict(_dict(identity_auc).get("subgroups")).items():
        s = _dict(s)
        row = {"subgroup": str(name), "texts": s.get("n"), "positives": s.get("n_positive"),
               "negatives": s.get("n_negative")}
        reasons = []
        for key, label in AUC_FAMILIES.items():
            entry = _dict(s.get(key))
            row[label] = fmt_ci(entry, digits=3) if _num(entry.get("value")) is not None else "—"
            if entry.get("reason"):
                reasons.append(f"{label}: {entry['reason']}")
        row["why missing"] = "; ".join(reasons)
        rows.append(row)
    return pd.DataFrame(rows, columns=["subgroup", "texts", "positives", "negatives", *AUC_FAMILIES.values(),
                                       "why missing"])


def auc_long(identity_auc: dict[str, Any] | None) -> pd.DataFrame:
    """Long frame for the AUC chart: subgroup, family, value, lo, hi (entries without a value left out)."""
    rows = []
    for name, s in _dict(_dict(identity_auc).get("subgroups")).items():
        for key, label in AUC_FAMILIES.items():
            v, lo, hi = metric_parts(_dict(_dict(s).get(key)))
            if _num(v) is not None:
                rows.append({"subgroup": str(name), "AUC": label, "value": _num(v), "lo": _num(lo), "hi": _num(hi)})
    return pd.DataFrame(rows, columns=["subgroup", "AUC", "value", "lo", "hi"])
