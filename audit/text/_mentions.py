"""Which matches of an identity term are mentions of an identity, and why the others are not.

A whole-word match of a term (:func:`audit.text._identity.category_pattern`) is not always about
people: "the White House", "the Old Post Office", "a blind spot", "five years old". A match is
counted (in :func:`mentions`) and swapped (in counterfactuals) only when it passes two rules, and
every match left out is recorded with its reason (:data:`SKIP_REASONS`):

1. **Proper nouns** (every term). A capitalised match next to another capitalised word, with
   only spaces between them, is part of a name ("White House", "Old Trafford", "Mother Teresa",
   "Jack White", "Mr. Black") and is skipped. The neighbour does not count when it is the first
   word of a sentence ("The" in "The white man"), "I", an identity term, or a person noun
   ("White Americans"). Capitals carry no information in a sentence whose longer words are all
   capitalised (a headline) or in an all-capitals match, so the rule is off there.
2. **Ambiguous words** (:data:`AMBIGUOUS_TERMS`: colours, ages, senses: white, black, old,
   young, blind, deaf, male and female of animals and plugs, ...) count only where they describe people:

   * a person noun follows (:data:`PERSON_NOUNS`), possibly after other identity terms and "and",
     "or" or commas: "black women", "old white men", "black and white people", "a deaf customer";
   * or the word is used as a people noun: after "the", at the end of a clause or before a verb
     such as "are" or "who": "the blind", "the old and the young", "the disabled who ...";
   * or it is said of a person: after a pronoun or person noun and a form of "be" (or "get",
     "become", "feel"), with at most two words such as "very" or "not" between: "she is old",
     "I'm deaf", "my father was blind";
   * an age in years is not an age group: "old" after "year(s)", "month(s)", ... is skipped
     ("five years old", "a 5 year old boy").

Examples
--------
>>> [(m.term, m.reason) for m in identity_matches("The White House said black people and the old", "ethnicity")]
[('white', 'proper_noun'), ('black', None)]
>>> [(m.term, m.reason) for m in identity_matches("a 5 year old boy, an old house and old men", "age")]
[('old', 'age_in_years'), ('old', 'not_people'), ('old', None)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from audit.exceptions import DataError
from audit.text._identity import IDENTITY_TERMS, category_pattern, check_categories, normalise_term

__all__ = ["AMBIGUOUS_TERMS", "PERSON_NOUNS", "SKIP_REASONS", "Match", "identity_matches", "mentions", "skipped_matches"]

_BAD_TEXTS = "Expected a sequence of strings; found {what}. Fix: pass a list of str."

#: Why a match is not an identity mention (the keys of the counts a record keeps).
SKIP_REASONS: dict[str, str] = {
    "proper_noun": "part of a capitalised name (next to another capitalised word, e.g. 'White House', 'Old Post Office')",
    "not_people": "an ambiguous word (colour, age, other sense) that does not describe people here: no person noun "
                  "follows, it is not used as a people noun ('the old') and not said of a person ('she is blind')",
    "age_in_years": "an age in years ('five years old'), not an age group",
}

#: Terms with common senses that are not about people: counted only where they describe people.
AMBIGUOUS_TERMS = frozenset({
    "black", "white", "old", "young", "older", "younger", "blind", "deaf", "disabled", "paralyzed", "male", "female",
})
_AGE_WORDS = frozenset({"old", "older", "young", "younger"})
_AGE_UNITS = frozenset({"year", "years", "yr", "yrs", "month", "months", "week", "weeks", "day", "days", "decade",
                        "decades"})

#: Nouns for people: an ambiguous term followed by one of them describes people.
PERSON_NOUNS = frozenset({
    "person", "persons", "people", "peoples", "folk", "folks", "human", "humans", "individual", "individuals",
    "man", "men", "woman", "women", "boy", "boys", "girl", "girls", "guy", "guys", "dude", "dudes", "lad", "lads",
    "gentleman", "gentlemen", "lady", "ladies", "child", "children", "kid", "kids", "baby", "babies", "teen", "teens",
    "teenager", "teenagers", "youth", "youths", "adult", "adults", "pensioner", "pensioners", "senior", "seniors",
    "citizen", "citizens", "resident", "residents", "voter", "voters", "worker", "workers", "employee", "employees",
    "student", "students", "pupil", "pupils", "patient", "patients", "customer", "customers", "driver", "drivers",
    "neighbour", "neighbours", "neighbor", "neighbors", "friend", "friends", "family", "families", "community",
    "communities", "population", "populations", "parent", "parents", "mother", "mothers", "father", "fathers",
    "mom", "moms", "mum", "mums", "dad", "dads", "son", "sons", "daughter", "daughters", "brother", "brothers",
    "sister", "sisters", "wife", "wives", "husband", "husbands", "grandmother", "grandfather", "grandparents",
    "aunt", "uncle", "cousin", "cousins", "couple", "couples", "victim", "victims", "suspect", "suspects",
    "officer", "officers", "cop", "cops", "athlete", "athletes", "player", "players", "actor", "actors",
    "actress", "artist", "artists", "writer", "writers", "doctor", "doctors", "nurse", "nurses", "teacher", "teachers",
    "candidate", "candidates", "politician", "politicians", "leader", "leaders", "members", "member",
    "americans", "american", "britons", "europeans", "africans", "asians", "supremacist", "supremacists",
    "nationalist", "nationalists", "veteran", "veterans", "user", "users", "amputee", "amputees", "someone",
    "somebody", "everyone", "anyone", "nobody", "one", "ones", "fellow", "fellows", "majority", "minority",
    "minorities", "group", "groups", "applicant", "applicants", "immigrant", "immigrants", "refugee", "refugees",
    "colleague", "colleagues", "boss", "manager", "managers", "owner", "owners", "judge", "judges",
})
# Words after "the" + term that end a people noun ("the old are", "the blind who", "the deaf, ...").
_AFTER_PEOPLE_NOUN = frozenset({
    "are", "were", "have", "had", "who", "whom", "whose", "and", "or", "deserve", "deserves", "need", "needs", "can",
    "could", "will", "would", "should", "must", "do", "don't", "did", "get", "got", "often", "always", "never",
    "also", "among", "in", "of", "with", "to", "for", "from", "like", "too", "as", "than", "but", "because", "when",
    "here", "there", "today", "anymore", "the",
})
_SUBJECTS = frozenset({"i", "he", "she", "we", "they", "you", "who", "everyone", "someone", "somebody"})
_LINKS = frozenset({"is", "was", "am", "are", "were", "be", "been", "being", "become", "became", "becomes",
                    "becoming", "get", "gets", "got", "getting", "grow", "grows", "grew", "growing", "feel", "feels",
                    "felt", "seem", "seems", "seemed", "look", "looks", "looked", "stay", "stays", "remain", "remains"})
_SUBJECT_LINKS = frozenset({"i'm", "im", "he's", "she's", "we're", "they're", "you're", "who's", "i've", "we've",
                            "they've", "you've"})
_DEGREE = frozenset({"very", "so", "too", "really", "quite", "pretty", "rather", "not", "n't", "never", "still",
                     "already", "totally", "completely", "partially", "legally", "born", "getting", "becoming", "a",
                     "bit", "little", "now", "also", "both", "profoundly", "severely"})
_CONNECTORS = frozenset({"and", "or", "&", "/"})
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "st", "sr", "jr",
                         "gen", "sen", "rep", "gov", "pres", "rev", "capt", "lt", "col", "sgt", "mt", "president",
                         "senator", "judge", "justice", "coach", "saint", "king", "queen", "prince", "princess"})
_SHORT = frozenset({"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from", "as",
                    "vs", "but", "nor", "per", "via", "into", "onto", "upon", "is", "are", "was"})

_WORD = re.compile(r"[^\W\d_][\w'’.-]*|\d[\w'’.-]*")
_SENTENCE_END = re.compile(r"[.!?:;\n]")


@dataclass(frozen=True)
class Match:
    """One whole-word match of a term: where, which term, and why it is skipped (``None``: a mention)."""

    start: int
    end: int
    term: str
    reason: str | None


@lru_cache(maxsize=1)
def _all_single_terms() -> frozenset[str]:
    return frozenset(t for terms in IDENTITY_TERMS.values() for t in terms if " " not in t)


def _bare(word: str) -> str:
    """A word lowercased, without trailing punctuation or a possessive 's."""
    w = word.lower().rstrip(".,;:!?\"')]}’").replace("’", "'")
    return w[:-2] if w.endswith("'s") else w


def _title(word: str) -> bool:
    """Capitalised like a name: a capital first letter and not all capitals (an all-capitals word says nothing)."""
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and letters[0].isupper() and not (len(letters) > 1 and all(c.isupper() for c in letters))


#: Characters looked at on each side of a match (a sentence longer than this is cut there).
_REACH = 400


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    lo = max(0, start - _REACH)
    left = max((m.end() for m in _SENTENCE_END.finditer(text, lo, start)), default=lo)
    right = _SENTENCE_END.search(text, end, end + _REACH)
    return left, right.start() if right else min(len(text), end + _REACH)


def _headline(text: str, start: int, end: int) -> bool:
    """Whether capitals carry no information here: every longer word of the sentence is capitalised."""
    lo, hi = _sentence_bounds(text, start, end)
    words = [w for w in _WORD.findall(text[lo:hi]) if w[0].isalpha() and _bare(w) not in _SHORT]
    return len(words) >= 4 and all(w[0].isupper() for w in words)


def _previous_word(text: str, start: int) -> tuple[str | None, int]:
    """The word right before ``start`` if only spaces separate them (and where it starts), else ``None``."""
    lo = max(0, start - 80)
    m = re.search(r"(\S+)[ \t]+$", text[lo:start])
    return (m.group(1), lo + m.start(1)) if m else (None, -1)


def _next_word(text: str, end: int) -> str | None:
    """The word right after ``end`` (past a possessive 's) if only spaces separate them, else ``None``."""
    m = re.match(r"(?:['’]s)?[ \t]+([^\s]+)", text[end:end + 80])
    if not m:
        return None
    word = m.group(1)
    return word if re.match(r"[^\W_]", word) else None


def _starts_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 80):start].rstrip(" \t\"'“‘(")
    return start <= 80 and not before or bool(before) and before[-1] in ".!?:;\n"


def _name_neighbour(word: str | None) -> bool:
    """Whether a neighbouring word makes a capitalised match part of a name."""
    if word is None or not _title(word):
        return False
    bare = _bare(word)
    return bare not in ("i", "i'm", "i've", "i'll", "i'd") and bare not in _all_single_terms() and bare not in PERSON_NOUNS


def _proper_noun(text: str, m: re.Match[str]) -> bool:
    if not all(_title(w) for w in m.group(0).split()) or _headline(text, m.start(), m.end()):
        return False
    prev, prev_start = _previous_word(text, m.start())
    if prev is not None and prev[:1].isupper() and _bare(prev).rstrip(".") in _HONORIFICS:
        return True  # "Mr. White", "Dr Black", "President Young"
    if prev is not None and (prev[-1:] in ".,;:!?\"')]}" or _starts_sentence(text, prev_start)):
        prev = None  # punctuation between the words, or a capital that only starts the sentence
    after = _next_word(text, m.end())
    if after is not None and after[-1:] in ",;:!?\"')]}." and len(after) > 1:
        after = after.rstrip(",;:!?\"')]}.")  # "the White House." is still one name
    return _name_neighbour(prev) or _name_neighbour(after)


def _tokens_after(text: str, end: int, limit: int = 6) -> list[str]:
    """Up to ``limit`` lowercased tokens after ``end`` (past a possessive), commas kept, stopping at other punctuation."""
    rest = re.sub(r"^['’]s\b", "", text[end:end + 200])
    out = []
    for tok in re.findall(r"[^\W_][\w'’-]*|[,&/]|[^\w\s]", rest):
        if tok in (",", "&", "/"):
            out.append(tok)
        elif not re.match(r"[^\W_]", tok):
            break
        else:
            out.append(_bare(tok))
        if len(out) >= limit:
            break
    return out


def _tokens_before(text: str, start: int, limit: int = 4) -> list[str]:
    """Up to ``limit`` lowercased words before ``start``, nearest first, stopping at punctuation."""
    head = text[max(0, start - 120):start]
    cut = max(head.rfind(c) for c in ".!?;:,\n()\"")
    return [w.lower().replace("’", "'") for w in re.findall(r"[^\W_][\w'’-]*", head[cut + 1:])][::-1][:limit]


def _person_follows(after: list[str]) -> tuple[bool, str | None]:
    """Whether a person noun follows (past identity terms and connectors), and the first other token."""
    singles = _all_single_terms()
    for tok in after:
        if tok in PERSON_NOUNS:
            return True, None
        if tok in singles or tok in _CONNECTORS or tok == ",":
            continue
        return False, tok
    return False, None


def _said_of_person(before: list[str]) -> bool:
    i = 0
    while i < len(before) and i < 2 and before[i] in _DEGREE:
        i += 1
    if i < len(before) and before[i] in _SUBJECT_LINKS:
        return True
    if i + 1 < len(before) and before[i] in _LINKS:
        subject = _bare(before[i + 1])
        return subject in _SUBJECTS or subject in PERSON_NOUNS
    return False


def _describes_people(text: str, m: re.Match[str], term: str) -> str | None:
    """``None`` when an ambiguous term describes people here, else the reason it does not."""
    before = _tokens_before(text, m.start())
    if term in _AGE_WORDS and before and before[0] in _AGE_UNITS:
        return "age_in_years"
    after = _tokens_after(text, m.end())
    person, first_other = _person_follows(after)
    if person:
        return None
    if before and before[0] == "the" and (not after or first_other is None or first_other in _AFTER_PEOPLE_NOUN):
        return None
    return None if _said_of_person(before) else "not_people"


def identity_matches(text: str, category: str) -> list[Match]:
    """Every whole-word match of a ``category`` term in ``text``, with why it is skipped (``reason``) or ``None``.

    See the module docstring for the rules; :data:`SKIP_REASONS` explains each reason.

    Examples
    --------
    >>> [(m.term, m.reason) for m in identity_matches("Black Friday deals for black customers", "ethnicity")]
    [('black', 'proper_noun'), ('black', None)]
    >>> [(m.term, m.reason) for m in identity_matches("She is blind; a blind spot", "disability")]
    [('blind', None), ('blind', 'not_people')]
    """
    out = []
    for m in category_pattern(category).finditer(text):
        term = normalise_term(m.group(0))
        reason = "proper_noun" if _proper_noun(text, m) else None
        if reason is None and term in AMBIGUOUS_TERMS:
            reason = _describes_people(text, m, term)
        out.append(Match(m.start(), m.end(), term, reason))
    return out


def skipped_matches(texts: Sequence[str], categories: Iterable[str]) -> dict[str, dict[str, int]]:
    """Counts of the matches left out, per category and reason (only reasons that occur).

    Examples
    --------
    >>> skipped_matches(["the White House", "white people"], ["ethnicity"])
    {'ethnicity': {'proper_noun': 1}}
    """
    out: dict[str, dict[str, int]] = {}
    for cat in categories:
        counts: dict[str, int] = {}
        for text in texts:
            for match in identity_matches(text, cat):
                if match.reason is not None:
                    counts[match.reason] = counts.get(match.reason, 0) + 1
        out[cat] = counts
    return out


def mentions(texts: Sequence[str], *, categories: Iterable[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Which texts mention each identity term: whole word, case-insensitive, identity mentions only.

    A match that is part of a name or an ambiguous word not about people is not a mention
    (:func:`identity_matches`).

    Returns
    -------
    dict
        ``{category: {term: bool mask of len(texts)}}`` for every term of each category.

    Examples
    --------
    >>> m = mentions(["She is a Muslim teacher.", "The old man", "the Old Bailey"], categories=["religion", "age"])
    >>> m["religion"]["muslim"].tolist(), m["age"]["old"].tolist()
    ([True, False, False], [False, True, False])
    """
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise DataError(_BAD_TEXTS.format(what=type(texts).__name__ if isinstance(texts, str) else "non-string items"))
    out: dict[str, dict[str, np.ndarray]] = {}
    for cat in check_categories(categories):
        masks = {term: np.zeros(len(texts), dtype=bool) for term in IDENTITY_TERMS[cat]}
        for i, text in enumerate(texts):
            for match in identity_matches(text, cat):
                if match.reason is None:
                    masks[match.term][i] = True
        out[cat] = masks
    return out
