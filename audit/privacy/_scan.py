"""Scan a table for columns that look like direct identifiers.

Direct identifiers (names, e-mail, phone numbers, dates of birth, ID numbers,
a column unique per row) add nothing a model should learn and make every
leak worse; DP bounds what a model reveals, not what the raw table contains.
The scan uses the column name and a sample of the values; it flags, it never drops.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["identifier_scan"]

_DROP = "Drop this column before training (and from any shared data); it identifies people and carries no signal a model should use."
_CHECK = "Check whether this column identifies people; if so drop it before training, otherwise rename it to say what it is."

# (kind, column-name pattern). Word boundaries via [^a-z] so "id" matches "user_id" but not "valid".
_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("email", r"e[-_ ]?mail"),
    ("phone", r"phone|mobile|cell(?:ular)?|fax|tel(?:ephone)?$"),
    ("date_of_birth", r"birth|\bdob\b|(?:^|_)dob(?:_|$)|birthday"),
    ("government_id", r"ssn|social[-_ ]?security|passport|national[-_ ]?id|tax[-_ ]?id|driver'?s?[-_ ]?licen[cs]e|nin(?:o)?$"),
    ("payment", r"credit[-_ ]?card|card[-_ ]?(?:number|no)|iban|account[-_ ]?(?:number|no)"),
    ("name", r"(?:^|[^a-z])(?:first|last|full|given|family|sur|middle|user)?[-_ ]?name(?:$|[^a-z])|surname|forename"),
    ("address", r"address|street|postcode|post[-_ ]?code|zip(?:[-_ ]?code)?$"),
    ("ip_address", r"(?:^|[^a-z])ip(?:[-_ ]?addr(?:ess)?)?(?:$|[^a-z])"),
    ("identifier", r"(?:^|[^a-z])(?:id|uuid|guid|record[-_ ]?(?:id|no)|patient[-_ ]?(?:id|no)|mrn)(?:$|[^a-z])"),
)
_VALUE_RULES: tuple[tuple[str, str], ...] = (
    ("email", r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"),
    ("phone", r"^\+?[\d\s().-]{7,}\d$"),
    ("ip_address", r"^(?:\d{1,3}\.){3}\d{1,3}$"),
    ("identifier", r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
)
_MIN_ROWS_UNIQUE = 20  # "unique per row" is meaningless on a handful of rows
_VALUE_SHARE = 0.8  # share of sampled non-missing values that must match a value pattern
_SAMPLE = 2000


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) or s.dtype == object


def identifier_scan(df: pd.DataFrame) -> list[dict]:
    """Flag columns that look like direct identifiers.

    Parameters
    ----------
    df : DataFrame
        The raw input table (before encoding).

    Returns
    -------
    list of dict
        One ``{"column", "kind", "reason", "recommendation"}`` per flagged column, in
        column order; empty when nothing looks identifying.

    Examples
    --------
    >>> identifier_scan(pd.DataFrame({"email": ["a@b.org", "c@d.com"], "age": [30, 40]}))[0]["kind"]
    'email'
    """
    found: list[dict] = []
    n = len(df)
    for col in df.columns:
        s = df[col]
        name = str(col).strip().lower()
        hit = None
        for kind, pattern in _NAME_RULES:
            if re.search(pattern, name):
                hit = (kind, f"the column name {str(col)!r} suggests {kind.replace('_', ' ')}", _DROP)
                break
        values = s.dropna()
        if hit is None and _is_text(s) and len(values):
            sample = values.astype(str).str.strip().str.lower()
            sample = sample.sample(min(_SAMPLE, len(sample)), random_state=0) if len(sample) > _SAMPLE else sample
            for kind, pattern in _VALUE_RULES:
                share = float(sample.str.match(pattern).mean())
                if share >= _VALUE_SHARE:
                    hit = (kind, f"{share:.0%} of sampled values look like {kind.replace('_', ' ')}", _DROP)
                    break
            if hit is None and sample.str.len().mean() > 40 and values.nunique() > 0.9 * len(values):
                hit = ("free_text", "long, almost all distinct text values (free text can hold names and contact details)", _CHECK)
        if hit is None and n >= _MIN_ROWS_UNIQUE and len(values) == n:
            integer_like = pd.api.types.is_integer_dtype(s) or _is_text(s)
            if integer_like and values.nunique() == n:
                hit = ("unique_per_row", f"every one of the {n} rows has a distinct value (a key, not a feature)", _DROP)
        if hit is not None:
            kind, reason, rec = hit
            found.append({"column": str(col), "kind": kind, "reason": reason, "recommendation": rec})
    return found
