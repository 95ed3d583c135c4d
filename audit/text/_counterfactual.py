"""Counterfactual token fairness (Garg et al. 2019): swap one identity term, watch the prediction.

For every real text that mentions an identity term, the term is replaced (whole
word, capitalisation kept) by each other term of its swap group
(:data:`audit.text.SWAP_GROUPS`); a fair classifier scores the pair alike. Only
identity mentions are swapped: a match that is part of a name ("the White House")
or an ambiguous word that does not describe people ("a black cat") is left as
it is, and counted with its reason (``matching``; :func:`audit.text.identity_matches`).
Per term pair we report how often the thresholded prediction flips and the mean
signed and absolute score change; per category the same over all its
counterfactuals, and the largest figures over pairs with intervals adjusted for
choosing the largest (:mod:`audit.text._cf_summary`). Texts are the unit of every
interval. The templates of :data:`audit.text.TEMPLATES` filled with each identity
adjective give a second, synthetic view: the spread of the mean score across terms
of one category.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audit.exceptions import DataError
from audit.text._cf_summary import category_summary, max_entry, pair_figures
from audit.text._identity import SWAP_GROUPS, TEMPLATE_TERMS, TEMPLATES, check_categories, fill_template
from audit.text._mentions import SKIP_REASONS, Match, identity_matches
from audit.text._stats import finite

__all__ = ["counterfactual_fairness", "substitute"]

PredictFn = Callable[[Sequence[str]], Any]

_BAD_SCORES = (
    "predict_fn returned {what} for {n} texts; expected {n} finite scores (the probability of the positive class). "
    "Fix: make predict_fn(list_of_texts) return a 1-D array of probabilities, e.g. with audit.text.text_predict_fn."
)
_BAD_TEXTS = "Expected a sequence of strings; found {what}. Fix: pass a list of str."
_BAD_PARAM = "{name} must be {expected}; found {value!r}."

METHOD = {
    "substitution": "Each identity mention found in a text (whole word, case-insensitive, longest match first) is "
                    "replaced by every other term of its swap group (same category and grammatical role), keeping "
                    "capitalisation; all mentions of the term in the text are replaced. Matches that are part of a "
                    "capitalised name, and ambiguous words (colours, ages, senses) that do not describe people, are "
                    "not mentions: they are left as they are and counted in 'matching'.",
    "flip_rate": "Share of counterfactuals whose thresholded prediction (score >= threshold) differs from the "
                 "original's. A pair has one counterfactual per text: exact Clopper-Pearson interval over its texts. "
                 "A category pools 8-14 correlated counterfactuals per text: Clopper-Pearson at the effective number "
                 "of independent counterfactuals (Korn & Graubard 1998, texts as clusters), never narrower than the "
                 "interval of 0 flips in as many texts.",
    "score_change": "Counterfactual score minus original score: the mean with a Student-t interval; the mean absolute "
                    "value (in [0, 1]) with the effective-size interval over texts (as the flip rate).",
    "max": "Maxima are taken over term pairs with at least min_pair_size counterfactuals. The value is the largest "
           "observed figure (biased upward, as a maximum is); its interval is adjusted for choosing it among n_pairs "
           "pairs (Bonferroni: each pair's interval at level 1 - (1 - ci_level) / n_pairs), so that it covers the "
           "chosen pair's rate; upper_bound_all_pairs bounds every pair's rate together.",
    "templates": "Every template is filled with every identity adjective of a category; spread = max - min over terms "
                 "of the term's mean score over templates.",
    "reference": "Garg et al. 2019, Counterfactual Fairness in Text Classification through Robustness; "
                 "Dixon et al. 2018, Measuring and Mitigating Unintended Bias in Text Classification; "
                 "Korn & Graubard 1998, Confidence intervals for proportions with small expected number of positive "
                 "counts estimated from survey data.",
}

def _match_case(original: str, replacement: str) -> str:
    letters = [c for c in original if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _splice(text: str, matches: Sequence[Match], source: str, target: str) -> str:
    """``text`` with the given mentions of ``source`` replaced by ``target``, case kept."""
    out, last = [], 0
    for m in matches:
        if m.reason is None and m.term == source:
            out += [text[last:m.start], _match_case(text[m.start:m.end], target)]
            last = m.end
    return "".join(out) + text[last:]


def substitute(text: str, category: str, source: str, target: str) -> str:
    """``text`` with every mention of the ``category`` term ``source`` replaced by ``target``, case kept.

    Only identity mentions are replaced (:func:`audit.text.identity_matches`): not a match inside a
    name, nor an ambiguous word that does not describe people.

    Examples
    --------
    >>> substitute("She said SHE would go; shelter", "gender", "she", "he")
    'He said HE would go; shelter'
    >>> substitute("The White House and white people", "ethnicity", "white", "asian")
    'The White House and asian people'
    """
    return _splice(text, identity_matches(text, category), source, target)


def _partners(category: str) -> dict[str, tuple[str, ...]]:
    return {t: tuple(o for o in group if o != t) for group in SWAP_GROUPS[category] for t in group}


def _scores(predict_fn: PredictFn, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros(0)
    raw = np.asarray(predict_fn(texts), dtype=float).reshape(-1)
    if raw.shape != (len(texts),) or not np.all(np.isfinite(raw)):
        what = f"shape {raw.shape}" if raw.shape != (len(texts),) else f"{int((~np.isfinite(raw)).sum())} non-finite value(s)"
        raise DataError(_BAD_SCORES.format(what=what, n=len(texts)))
    return raw


@dataclass
class _Counterfactuals:
    """The substituted texts and where each came from."""

    rows: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class _Found:
    """Every match in every text: the mentions that can be swapped, and the matches left out with their reason."""

    matches: list[dict[str, list[Match]]]
    skipped: dict[str, dict[str, int]]
    examples: list[dict[str, Any]]
    n_matches: int = 0


#: Skipped matches kept as examples per reason (the words around them), for a reader to check the rule.
SKIPPED_EXAMPLES = 3
_SKIP_CONTEXT = 60


def _find(texts: list[str], categories: tuple[str, ...]) -> _Found:
    partners = {cat: _partners(cat) for cat in categories}
    found = _Found([], {cat: {} for cat in categories}, [])
    shown: dict[str, int] = {}
    for text in texts:
        per_text, quoted = {}, set()  # one example per reason and text
        for cat in categories:
            matches = identity_matches(text, cat)
            found.n_matches += len(matches)
            for m in matches:
                if m.reason is None:
                    continue
                found.skipped[cat][m.reason] = found.skipped[cat].get(m.reason, 0) + 1
                if shown.get(m.reason, 0) < SKIPPED_EXAMPLES and m.reason not in quoted:
                    shown[m.reason] = shown.get(m.reason, 0) + 1
                    quoted.add(m.reason)
                    lo, hi = max(0, m.start - _SKIP_CONTEXT), m.end + _SKIP_CONTEXT
                    found.examples.append({"category": cat, "term": m.term, "reason": m.reason,
                                           "text": ("… " if lo else "") + text[lo:hi] + (" …" if hi < len(text) else ""),
                                           "match": text[m.start:m.end]})
            if any(m.reason is None and m.term in partners[cat] for m in matches):
                per_text[cat] = matches
        found.matches.append(per_text)
    return found


def _build(texts: list[str], rows: list[int], categories: tuple[str, ...], found: _Found) -> _Counterfactuals:
    cf = _Counterfactuals()
    partners = {cat: _partners(cat) for cat in categories}
    for row in rows:
        for cat, matches in found.matches[row].items():
            for source in sorted({m.term for m in matches if m.reason is None and m.term in partners[cat]}):
                for target in partners[cat][source]:
                    cf.rows.append(row)
                    cf.categories.append(cat)
                    cf.sources.append(source)
                    cf.targets.append(target)
                    cf.texts.append(_splice(texts[row], matches, source, target))
    return cf


def _matching(found: _Found, n_texts: int) -> dict[str, Any]:
    """What the record says about the matches: how many, how many were left out and why, a few examples."""
    by_reason: dict[str, int] = {}
    for counts in found.skipped.values():
        for reason, n in counts.items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    n_skipped = sum(by_reason.values())
    return {"n_texts": n_texts, "n_matches": found.n_matches, "n_mentions": found.n_matches - n_skipped,
            "n_skipped": n_skipped, "skipped": by_reason,
            "skipped_by_category": {c: dict(v) for c, v in found.skipped.items() if v},
            "examples": found.examples, "reasons": dict(SKIP_REASONS)}


def _pair_entry(idx: np.ndarray, cf: _Counterfactuals, texts: list[str], base: np.ndarray, new: np.ndarray,
                opts: dict[str, Any]) -> dict[str, Any]:
    orig = base[np.asarray(cf.rows)[idx]]
    delta = new[idx] - orig
    flips = (orig >= opts["threshold"]) != (new[idx] >= opts["threshold"])
    order = sorted(range(len(idx)), key=lambda j: (-abs(delta[j]), int(idx[j])))[: opts["n_examples"]]
    first = int(idx[0])
    return {
        "category": cf.categories[first], "from": cf.sources[first], "to": cf.targets[first], "n": int(len(idx)),
        **pair_figures(flips, delta, opts["ci_level"]),
        "examples": [{**window(texts[cf.rows[int(idx[j])]], cf.texts[int(idx[j])]),
                      "score": finite(orig[j]), "counterfactual_score": finite(new[idx[j]])} for j in order],
        "_delta": delta,
    }


#: Characters kept on each side of the swapped term in a stored example (the record holds windows, not whole texts).
EXAMPLE_CONTEXT = 160
#: Pairs that keep all their examples (the highest flip rates and score changes); the others keep one.
EXAMPLE_PAIRS = 30


def window(original: str, counterfactual: str, *, context: int = EXAMPLE_CONTEXT) -> dict[str, Any]:
    """The two texts cut to the words around where they differ, ``…`` marking a cut.

    Examples
    --------
    >>> w = window("a b c she d e f", "a b c he d e f", context=4)
    >>> w["original"], w["counterfactual"], w["truncated"]
    ('… c she …', '… c he …', True)
    """
    prefix = len(os.path.commonprefix([original, counterfactual]))
    suffix = len(os.path.commonprefix([original[prefix:][::-1], counterfactual[prefix:][::-1]]))
    start = max(0, prefix - context)
    if start:  # start after a space, so no word is cut
        space = original.find(" ", start)
        start = space + 1 if 0 <= space < prefix else start

    def cut(text: str) -> str:
        end = len(text) - suffix + context
        if end < len(text):
            space = text.rfind(" ", len(text) - suffix, end)
            end = space if space > len(text) - suffix else end
        return ("… " if start else "") + text[start:end].strip() + (" …" if end < len(text) else "")

    return {"original": cut(original), "counterfactual": cut(counterfactual),
            "truncated": bool(start or len(original) - suffix + context < len(original))}


def _trim_examples(pairs: list[dict[str, Any]], min_pair_size: int) -> None:
    """All examples for the most telling pairs, one for the rest (the record stays small on long texts)."""
    ranked = sorted(pairs, key=lambda p: (p["n"] >= min_pair_size, p["flip_rate"]["value"] or 0.0,
                                          p["mean_abs_score_change"]["value"] or 0.0), reverse=True)
    for p in ranked[EXAMPLE_PAIRS:]:
        p["examples"] = p["examples"][:1]


def _pairs(cf: _Counterfactuals, texts: list[str], base: np.ndarray, new: np.ndarray, opts: dict[str, Any]) -> list[dict[str, Any]]:
    keys: dict[tuple[str, str, str], list[int]] = {}
    for j, key in enumerate(zip(cf.categories, cf.sources, cf.targets, strict=True)):
        keys.setdefault(key, []).append(j)
    return [_pair_entry(np.asarray(keys[key]), cf, texts, base, new, opts) for key in sorted(keys)]


def _category(cat: str, cf: _Counterfactuals, base: np.ndarray, new: np.ndarray, pairs: list[dict[str, Any]],
              opts: dict[str, Any]) -> dict[str, Any]:
    idx = np.asarray([j for j, c in enumerate(cf.categories) if c == cat], dtype=int)
    rows = np.asarray(cf.rows, dtype=int)[idx]
    orig = base[rows]
    flips = (orig >= opts["threshold"]) != (new[idx] >= opts["threshold"])
    return category_summary(rows, flips, new[idx] - orig, [p for p in pairs if p["category"] == cat],
                            min_pair_size=opts["min_pair_size"], level=opts["ci_level"])


def _spread(mean_by_term: dict[str, float]) -> dict[str, Any]:
    hi = max(mean_by_term, key=lambda t: (mean_by_term[t], t))
    lo = min(mean_by_term, key=lambda t: (mean_by_term[t], t))
    return {"value": finite(mean_by_term[hi] - mean_by_term[lo]), "max_term": hi, "min_term": lo}


def template_scores(predict_fn: PredictFn, *, categories: Iterable[str] | None = None) -> dict[str, Any]:
    """Scores of every template filled with every identity adjective, and the spread per category.

    Returns
    -------
    dict
        ``templates`` [{template, label}], ``categories`` {category: {terms, scores {term: [score per
        template]}, mean_score_by_term, spread {value, max_term, min_term}, by_label {label:
        {mean_score_by_term, spread}}}} and ``max_spread`` {category, value, max_term, min_term}.

    Examples
    --------
    >>> out = template_scores(lambda ts: [0.9 if "Muslim" in t else 0.5 for t in ts], categories=["religion"])
    >>> out["categories"]["religion"]["spread"]["max_term"], round(out["max_spread"]["value"], 2)
    ('muslim', 0.4)
    """
    categories = check_categories(categories)
    filled = [(cat, term, t_i, fill_template(tpl, term)) for cat in categories for term in TEMPLATE_TERMS[cat]
              for t_i, (tpl, _) in enumerate(TEMPLATES)]
    scores = _scores(predict_fn, [f[3] for f in filled])
    table: dict[str, dict[str, list[float]]] = {}
    for (cat, term, _, _), score in zip(filled, scores, strict=True):  # a score per filled template
        table.setdefault(cat, {}).setdefault(term, []).append(float(score))
    labels = sorted({label for _, label in TEMPLATES})
    out: dict[str, Any] = {}
    for cat, by_term in table.items():
        means = {t: float(np.mean(v)) for t, v in by_term.items()}
        by_label = {}
        for label in labels:
            cols = [i for i, (_, lab) in enumerate(TEMPLATES) if lab == label]
            label_means = {t: float(np.mean([v[i] for i in cols])) for t, v in by_term.items()}
            by_label[label] = {"mean_score_by_term": label_means, "spread": _spread(label_means)}
        out[cat] = {"terms": list(by_term), "scores": by_term, "mean_score_by_term": means, "spread": _spread(means),
                    "by_label": by_label}
    widest = max(out, key=lambda c: (out[c]["spread"]["value"] or 0.0, c)) if out else None
    return {
        "templates": [{"template": tpl, "label": label} for tpl, label in TEMPLATES],
        "categories": out,
        "max_spread": None if widest is None else {"category": widest, **out[widest]["spread"]},
    }


def _check(texts: Any, threshold: float, max_texts: int, n_examples: int, ci_level: float, min_pair_size: int) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Iterable):
        raise DataError(_BAD_TEXTS.format(what=type(texts).__name__))
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise DataError(_BAD_TEXTS.format(what="non-string items"))
    number = (int, float, np.integer, np.floating)
    checks = [("threshold", threshold, isinstance(threshold, number) and 0.0 <= threshold <= 1.0, "a number in [0, 1]"),
              ("ci_level", ci_level, isinstance(ci_level, number) and 0.0 < ci_level < 1.0, "a number in (0, 1)"),
              ("max_texts", max_texts, isinstance(max_texts, int) and max_texts >= 1, "an integer >= 1"),
              ("n_examples", n_examples, isinstance(n_examples, int) and n_examples >= 0, "an integer >= 0"),
              ("min_pair_size", min_pair_size, isinstance(min_pair_size, int) and min_pair_size >= 1, "an integer >= 1")]
    for name, value, ok, expected in checks:
        if not ok:
            raise DataError(_BAD_PARAM.format(name=name, expected=expected, value=value))
    return texts


def counterfactual_fairness(
    predict_fn: PredictFn,
    texts: Sequence[str],
    *,
    threshold: float = 0.5,
    categories: Iterable[str] | None = None,
    max_texts: int = 2000,
    n_examples: int = 5,
    ci_level: float = 0.95,
    seed: int = 0,
    min_pair_size: int = 10,
) -> dict[str, Any]:
    """Counterfactual token fairness of a text classifier, per identity-term pair and per category.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(list_of_texts) -> array`` of scores in [0, 1] (probability of the positive class),
        e.g. :func:`audit.text.text_predict_fn`.
    texts : sequence of str
        Real texts (the test split). Only those mentioning a swappable identity term are used.
    threshold : float
        Scores at or above it are predicted positive (for flip rates).
    categories : iterable of str, optional
        Identity categories to audit (default: all of :data:`audit.text.CATEGORIES`).
    max_texts : int
        At most this many texts with terms are used, drawn at random with ``seed`` when there are more.
    n_examples : int
        Examples kept per term pair: the largest absolute score changes (all of them for the 30 pairs with the
        highest flip rates, one for the others), each cut to the words around the swap (:func:`window`).
    ci_level : float
        Confidence level of every interval.
    seed : int
        Seeds the subsample of texts; the result is otherwise deterministic.
    min_pair_size : int
        Pairs with fewer counterfactuals are reported but not eligible for the maxima.

    Returns
    -------
    dict
        JSON-serialisable: ``max_flip_rate``, ``max_mean_abs_score_change`` (the largest over pairs,
        with intervals adjusted for the choice: :func:`audit.text._cf_summary.max_entry`), ``n_texts``,
        ``n_texts_with_terms``, ``n_texts_used``, ``n_counterfactuals``, ``categories``, ``pairs``,
        ``matching`` (matches found, left out and why), ``templates``, ``threshold``, ``ci_level``,
        ``min_pair_size``, ``method``.

    Examples
    --------
    >>> predict = lambda ts: [0.9 if "she" in t.lower().split() else 0.1 for t in ts]
    >>> out = counterfactual_fairness(predict, ["she is here"] * 12, categories=["gender"])
    >>> out["max_flip_rate"]["value"], out["max_flip_rate"]["pair"]
    (1.0, {'category': 'gender', 'from': 'she', 'to': 'he'})
    """
    texts = _check(texts, threshold, max_texts, n_examples, ci_level, min_pair_size)
    cats = check_categories(categories)
    found = _find(texts, cats)
    with_terms = [i for i, per_text in enumerate(found.matches) if per_text]
    rows = with_terms
    if len(rows) > max_texts:
        rows = sorted(np.random.default_rng(seed).choice(rows, size=max_texts, replace=False).tolist())
    cf = _build(texts, rows, cats, found)
    base = np.zeros(len(texts))
    base[rows] = _scores(predict_fn, [texts[i] for i in rows])
    new = _scores(predict_fn, cf.texts)
    opts = {"threshold": float(threshold), "ci_level": float(ci_level), "n_examples": n_examples,
            "min_pair_size": min_pair_size}
    pairs = _pairs(cf, texts, base, new, opts)
    _trim_examples(pairs, min_pair_size)
    out = {
        **{f"max_{m}": max_entry(pairs, m, min_pair_size=min_pair_size, level=float(ci_level))
           for m in ("flip_rate", "mean_abs_score_change")},
        "n_texts": len(texts), "n_texts_with_terms": len(with_terms), "n_texts_used": len(rows),
        "n_counterfactuals": len(cf.texts),
        "categories": {cat: _category(cat, cf, base, new, pairs, opts) for cat in cats},
        "pairs": pairs,
        "matching": _matching(found, len(texts)),
        "templates": template_scores(predict_fn, categories=cats),
        "threshold": float(threshold), "ci_level": float(ci_level), "min_pair_size": min_pair_size, "seed": int(seed),
        "method": dict(METHOD),
    }
    for p in pairs:
        del p["_delta"]
    return out
