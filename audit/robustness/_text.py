"""Perturbations of texts: typos and neutral filler words, identity terms left as they are."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from audit.robustness._registry import Columns, register_perturbation

__all__: list[str] = []

#: Words with no identity and little meaning; an edit that inserts them should not change a decision.
FILLERS = ("really", "also", "just", "indeed", "actually", "well", "basically", "so")
_WORD = re.compile(r"[A-Za-z]{3,}")


def _typo(word: str, rng: np.random.Generator) -> str:
    """One keyboard slip: two inner letters swapped, a letter dropped or doubled."""
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # i + 1 < len(word): i is an inner position
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _edit_words(rows: pd.DataFrame, columns: Columns, edit) -> pd.DataFrame:
    out = rows.copy()
    col = columns.text
    if col is None:
        return out
    out[col] = [edit(t) if isinstance(t, str) else t for t in out[col].tolist()]
    return out


@register_perturbation(
    "typos", input_kind="text", setting="typo_rate",
    label=lambda r: f"typos {r:.0%} of words",
    description=lambda r: (f"each word of three or more letters gets one typo (two letters swapped, one dropped or "
                           f"doubled) with probability {r:g}; identity terms are left as they are"))
def typos(rows: pd.DataFrame, rate: float, columns: Columns, rng: np.random.Generator) -> pd.DataFrame:
    """Put a typo in each word with probability ``rate`` (identity terms untouched).

    Examples
    --------
    >>> rows = pd.DataFrame({"t": ["the quick brown fox jumps"]})
    >>> typos(rows, 1.0, Columns(text="t"), np.random.default_rng(0))["t"][0] != rows["t"][0]
    True
    """
    def edit(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            word = m.group(0)
            if word.lower() in columns.protected_terms or rng.random() >= rate:
                return word
            return _typo(word, rng)

        return _WORD.sub(one, text)

    return _edit_words(rows, columns, edit)


@register_perturbation(
    "filler_words", input_kind="text", setting="filler_rate",
    label=lambda r: f"filler words {r:.0%}",
    description=lambda r: (f"after each word, with probability {r:g}, a neutral filler word ({', '.join(FILLERS)}) is "
                           "inserted: an identity-irrelevant edit"))
def filler_words(rows: pd.DataFrame, rate: float, columns: Columns, rng: np.random.Generator) -> pd.DataFrame:
    """Insert a neutral filler word after each word with probability ``rate``.

    Examples
    --------
    >>> rows = pd.DataFrame({"t": ["good service here"]})
    >>> len(filler_words(rows, 1.0, Columns(text="t"), np.random.default_rng(0))["t"][0].split())
    6
    """
    def edit(text: str) -> str:
        words = text.split(" ")
        extra = rng.random(len(words)) < rate
        picks = rng.integers(len(FILLERS), size=len(words))
        return " ".join(w + (" " + FILLERS[k] if e and w else "") for w, e, k in zip(words, extra, picks, strict=True))

    return _edit_words(rows, columns, edit)
