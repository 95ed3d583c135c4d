"""Invisible and control characters, made visible: one character set for every place that shows text from a run.

Texts from the data (group names, column names, counterfactual examples, config strings) reach the model
cards, the dashboard and terminals. Some characters there do not show as themselves: bidirectional overrides
and isolates (U+202A-U+202E, U+2066-U+2069) reorder what is displayed, so a card can read differently from
what it holds; zero-width characters (U+200B-U+200D, U+2060, U+FEFF) hide differences between names that look
alike; C0 and C1 controls (terminal escapes, NUL, DEL) act on a terminal. The set is Unicode's categories
Cc (controls), Cf (format characters) and Zl/Zp (line and paragraph separators), computed once from
:mod:`unicodedata`: :func:`visible` shows each as its code point (``⟨U+202E⟩``); review comments refuse them
(:func:`control_characters`, used by :mod:`audit.records.review`).

Examples
--------
>>> visible("Fe\\u202emale\\u200b")
'Fe⟨U+202E⟩male⟨U+200B⟩'
>>> visible("two\\nlines\\tand a tab")
'two\\nlines\\tand a tab'
>>> control_characters("a\\x1b[31m\\u2066", allowed="")
['\\\\u2066', '\\\\x1b']
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["HIDDEN_CATEGORIES", "control_characters", "visible"]

#: Unicode general categories never shown as text: controls, format characters, line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_KEPT = "\n\t"  # line breaks and tabs lay text out; every other control is shown


@lru_cache(maxsize=1)
def _hidden() -> re.Pattern[str]:
    """One character class of every code point in HIDDEN_CATEGORIES (about 230), built once (~0.1 s)."""
    points = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in HIDDEN_CATEGORIES]
    runs: list[list[int]] = []
    for c in points:  # consecutive code points as one range a-b
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    ranges = [re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in runs]
    return re.compile("[" + "".join(ranges) + "]")


def _shown(match: re.Match[str]) -> str:
    return f"⟨U+{ord(match.group()):04X}⟩"


def visible(text: Any, *, keep: str = _KEPT) -> str:
    """``text`` with each control, format or separator character (but those in ``keep``) shown as ``⟨U+XXXX⟩``.

    Parameters
    ----------
    text : object
        Converted with ``str``; None reads as empty.
    keep : str
        Characters left as they are (newline and tab by default; ``""`` for one-line labels).

    Examples
    --------
    >>> visible("\\u202eevil\\x1b[0m", keep="")
    '⟨U+202E⟩evil⟨U+001B⟩[0m'
    """
    s = "" if text is None else str(text)
    if s.isprintable():  # the common case: no control, format or separator character at all
        return s
    return _hidden().sub(lambda m: m.group() if m.group() in keep else _shown(m), s)


def control_characters(text: str, *, allowed: str = "") -> list[str]:
    """The distinct hidden characters in ``text`` (but ``allowed``), as Python escapes, sorted.

    Examples
    --------
    >>> control_characters("ok\\n", allowed="\\n")
    []
    """
    return sorted({repr(c)[1:-1] for c in _hidden().findall(text) if c not in allowed})
