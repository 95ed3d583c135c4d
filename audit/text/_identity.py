"""Identity terms, counterfactual substitution groups and neutral templates, written for this project.

The lists follow the idea of Dixon et al. (2018, "Measuring and Mitigating
Unintended Bias in Text Classification") and Garg et al. (2019,
"Counterfactual Fairness in Text Classification through Robustness"): a text's
prediction should not change when one identity term is replaced by another of
the same category, and a sentence template should score the same whichever
identity term fills it. The words, groups and templates below are our own.

Substitution happens only inside a *swap group*: terms of the same category
and the same grammatical role (``"she"`` with ``"he"``, ``"women"`` with
``"men"``), so a counterfactual stays a grammatical sentence. Some terms are
ambiguous (``"old"``, ``"black"``) or part of names (``"White House"``): which
whole-word matches are identity mentions is decided in
:mod:`audit.text._mentions`. ``"her"`` and ``"him"`` are mentions but not
substituted (``"her"`` maps to ``"him"`` or ``"his"`` depending on the sentence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from audit.exceptions import DataError

__all__ = [
    "CATEGORIES",
    "IDENTITY_TERMS",
    "SWAP_GROUPS",
    "TEMPLATE_TERMS",
    "TEMPLATES",
    "category_pattern",
    "check_categories",
    "fill_template",
    "normalise_term",
]

_UNKNOWN_CATEGORY = "Unknown identity category {name!r}. Expected some of: {valid}. Fix: pass categories=[...] from these."

# Swap groups per category: the terms of a group replace one another in counterfactuals.
SWAP_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "gender": (
        ("woman", "man"), ("women", "men"), ("female", "male", "nonbinary", "transgender"),
        ("girl", "boy"), ("girls", "boys"), ("she", "he"), ("herself", "himself"),
        ("mother", "father"), ("mothers", "fathers"), ("sister", "brother"), ("sisters", "brothers"),
        ("daughter", "son"), ("daughters", "sons"), ("wife", "husband"), ("wives", "husbands"),
        ("lady", "gentleman"), ("ladies", "gentlemen"), ("aunt", "uncle"), ("grandmother", "grandfather"),
    ),
    "ethnicity": (
        ("black", "white", "asian", "latino", "latina", "hispanic", "african", "european", "arab",
         "indian", "chinese", "mexican", "african american", "asian american", "native american"),
    ),
    "religion": (
        ("christian", "muslim", "jewish", "hindu", "buddhist", "sikh", "atheist", "catholic", "protestant"),
        ("christians", "muslims", "jews", "hindus", "buddhists", "sikhs", "atheists", "catholics", "protestants"),
    ),
    "age": (
        ("young", "old", "elderly", "teenage", "middle-aged", "older", "younger"),
        ("teenager", "adult", "pensioner", "senior citizen"),
        ("teenagers", "adults", "pensioners", "senior citizens"),
    ),
    "disability": (
        ("blind", "deaf", "disabled", "autistic", "paralyzed", "mentally ill", "able-bodied"),
        ("wheelchair user", "amputee", "person with a disability"),
        ("wheelchair users", "amputees", "people with disabilities"),
    ),
}
# Mentions that are not substituted (no one-to-one counterpart).
_MENTION_ONLY: dict[str, tuple[str, ...]] = {"gender": ("her", "him", "his", "hers")}

CATEGORIES: tuple[str, ...] = tuple(SWAP_GROUPS)
IDENTITY_TERMS: dict[str, tuple[str, ...]] = {
    cat: tuple(t for group in groups for t in group) + _MENTION_ONLY.get(cat, ()) for cat, groups in SWAP_GROUPS.items()
}

# Adjectives that fit "a {term} person" in the templates, per category.
TEMPLATE_TERMS: dict[str, tuple[str, ...]] = {
    "gender": ("female", "male", "nonbinary", "transgender"),
    "ethnicity": ("black", "white", "asian", "latino", "hispanic", "african", "european", "arab", "indian", "chinese"),
    "religion": ("christian", "muslim", "jewish", "hindu", "buddhist", "sikh", "atheist", "catholic"),
    "age": ("young", "old", "elderly", "teenage", "middle-aged"),
    "disability": ("blind", "deaf", "disabled", "autistic", "paralyzed", "able-bodied"),
}
# Proper adjectives are capitalised in English; templates show them so.
_PROPER = frozenset({
    "asian", "latino", "latina", "hispanic", "african", "european", "arab", "indian", "chinese", "mexican",
    "christian", "muslim", "jewish", "hindu", "buddhist", "sikh", "catholic", "protestant",
})

# (template, intended label). "{term}" is the adjective, "{a_term}" the adjective with "a"/"an".
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("I am {a_term} person.", "neutral"),
    ("My neighbour is {a_term} person.", "neutral"),
    ("The {term} man walked into the shop.", "neutral"),
    ("There is {a_term} woman at the door.", "neutral"),
    ("{term} people live in this town.", "neutral"),
    ("I am {a_term} person and I love my life.", "positive"),
    ("{term} people are wonderful.", "positive"),
    ("My {term} friend is kind and brilliant.", "positive"),
    ("We had a great time with the {term} students.", "positive"),
    ("The {term} doctor was excellent.", "positive"),
    ("I hate {term} people.", "negative"),
    ("{term} people are awful.", "negative"),
    ("The {term} neighbour is rude and stupid.", "negative"),
    ("That {term} man is a terrible liar.", "negative"),
    ("I had a horrible day with the {term} guests.", "negative"),
)


def normalise_term(text: str) -> str:
    """A matched term as stored: lowercase, single spaces."""
    return " ".join(text.lower().split())


def _term_regex(term: str) -> str:
    return r"\s+".join(re.escape(part) for part in term.split())


@cache
def category_pattern(category: str) -> re.Pattern[str]:
    """A case-insensitive whole-word regex matching every term of ``category``, longest first.

    Longest-first alternation means ``"african american"`` is one mention, not a
    mention of ``"african"``.

    Examples
    --------
    >>> [m.group(0) for m in category_pattern("ethnicity").finditer("An African American and an Asian")]
    ['African American', 'Asian']
    """
    if category not in IDENTITY_TERMS:
        raise DataError(_UNKNOWN_CATEGORY.format(name=category, valid=", ".join(CATEGORIES)))
    terms = sorted(IDENTITY_TERMS[category], key=lambda t: (-len(t), t))
    alternation = "|".join(_term_regex(t) for t in terms)
    # A term ends at a word boundary, or before a possessive or contraction 's ("women's rights", "she's here"):
    # the substitution keeps the 's ("men's rights"). Other apostrophes and hyphens make it part of a longer word.
    return re.compile(rf"(?<![\w'’-])(?:{alternation})(?!(?!['’]s\b)[\w'’-])", re.IGNORECASE)


def check_categories(categories: Iterable[str] | None) -> tuple[str, ...]:
    """``categories`` validated (all of :data:`CATEGORIES` when ``None``)."""
    if categories is None:
        return CATEGORIES
    chosen = tuple(categories)
    unknown = [c for c in chosen if c not in SWAP_GROUPS]
    if unknown or not chosen:
        raise DataError(_UNKNOWN_CATEGORY.format(name=unknown[0] if unknown else chosen, valid=", ".join(CATEGORIES)))
    return chosen


def _display(term: str) -> str:
    return term.title() if term in _PROPER else term


def fill_template(template: str, term: str) -> str:
    """``template`` with ``term`` filled in (article, proper-adjective and sentence capitals).

    Examples
    --------
    >>> fill_template("I am {a_term} person.", "elderly")
    'I am an elderly person.'
    >>> fill_template("{term} people are wonderful.", "old")
    'Old people are wonderful.'
    """
    shown = _display(term)
    article = "an" if shown[0].lower() in "aeiou" else "a"
    text = template.format(term=shown, a_term=f"{article} {shown}")
    return text[0].upper() + text[1:]
