"""Scan a table for columns that identify people, by their header and by their content.

Direct identifiers (names, e-mail, phone numbers, dates of birth, ID, case and account
numbers, addresses, a column unique per row) add nothing a model should learn and make
every leak worse; DP bounds what a model reveals, not what the raw table contains. Raw
dates and free text are reported too: they are not features either, and encoded as
categories they explode into one column per distinct value.

A header alone never convicts a column: ``telephone`` holding ``yes``/``no`` is not a
phone number. A header hit stands when the values agree with it (they look like that
kind of value) or when the column has too many distinct values to be a category.
Values alone convict when most of a sample matches a precise pattern (e-mail, IBAN with
a valid checksum, card numbers passing Luhn, ...). Dates are recognised before phone
numbers, so ``2013-08-14`` is a date.

Examples
--------
>>> import pandas as pd
>>> identifier_scan(pd.DataFrame({"email": ["a@b.org", "c@d.com"], "age": [30, 40]}))[0]["kind"]
'email'
>>> identifier_scan(pd.DataFrame({"telephone": ["yes", "no"] * 50}))
[]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from audit.data._names import GIVEN_NAMES, SURNAMES

__all__ = ["SCAN_KINDS", "identifier_scan"]

_MIN_ROWS_UNIQUE = 20  # "unique per row" is meaningless on a handful of rows
_VALUE_SHARE = 0.8  # share of sampled values that must match a content pattern on its own
_CONFIRM_SHARE = 0.5  # share that confirms a header hit
_NAME_LIST_SHARE = 0.3  # share of values (or first tokens) found in the name lists
_SAMPLE = 2000

_STATUS_ADVICE = {
    "dropped": "Dropped before training (data.drop_columns): not a feature. Keep it out of any data you share, too.",
    "excluded": "Excluded from the features before encoding (identifier-like). Drop it from the table to silence this.",
    "feature": "Used as a feature: drop it (data.drop_columns) unless it carries real signal; an identifier never should.",
    "sensitive_feature": "A sensitive feature: it defines the groups audited for fairness and is not an identifier's job; check it.",
    "target": "The target column; check it is really a label.",
}


@dataclass(frozen=True)
class _Kind:
    """One kind of identifying column: how its header reads and how its values look."""

    name: str
    label: str
    header: str | None = None  # regex on the lower-cased header
    values: Callable[[pd.Series], float] | None = None  # share of a text sample that looks like this kind
    values_alone: bool = True  # may the values convict without a header hit?
    advice: str = "drop"  # "drop" (direct identifier) or "derive" (use a derived feature instead)


def _regex_share(pattern: str, flags: int = 0) -> Callable[[pd.Series], float]:
    compiled = re.compile(pattern, flags)
    return lambda s: float(s.map(lambda v: bool(compiled.fullmatch(v))).mean())


_DATE_RE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{4}/\d{1,2}/\d{1,2}"
    r"|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}",
    re.IGNORECASE,
)


def _date_share(s: pd.Series) -> float:
    looks = s.map(lambda v: bool(_DATE_RE.fullmatch(v)))
    if looks.mean() < _CONFIRM_SHARE:
        return float(looks.mean())
    parsed = pd.to_datetime(s[looks], errors="coerce", format="mixed", dayfirst=False)
    return float(looks.mean() * parsed.notna().mean())


def _phone_share(s: pd.Series) -> float:
    def phone(v: str) -> bool:
        if _DATE_RE.fullmatch(v) or not re.fullmatch(r"\+?[\d\s().-]{7,}\d", v) or _is_number(v):
            return False
        digits = sum(ch.isdigit() for ch in v)
        return 7 <= digits <= 15 and (v.startswith("+") or bool(re.search(r"[\s().-]", v)))

    return float(s.map(phone).mean())


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card_share(s: pd.Series) -> float:
    def card(v: str) -> bool:
        digits = re.sub(r"[\s-]", "", v)
        return digits.isdigit() and 13 <= len(digits) <= 19 and _luhn(digits)

    return float(s.map(card).mean())


def _iban_share(s: pd.Series) -> float:
    def iban(v: str) -> bool:
        code = v.replace(" ", "").upper()
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", code):
            return False
        moved = code[4:] + code[:4]
        return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1

    return float(s.map(iban).mean())


def _ip_share(s: pd.Series) -> float:
    def ip(v: str) -> bool:
        parts = v.split(".")
        if len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts):
            return True
        return bool(re.fullmatch(r"[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}", v.lower())) and v.count(":") >= 2

    return float(s.map(ip).mean())


_NAME_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*\.?")


def _person_name_share(s: pd.Series) -> float:
    """Share of values that look like a person's name: 1-4 alphabetic tokens, some found in the name lists."""
    tokens = s.str.replace(",", " ", regex=False).str.split()
    shaped = tokens.map(lambda t: 1 <= len(t) <= 4 and all(_NAME_TOKEN.fullmatch(x) for x in t))
    if shaped.mean() < _CONFIRM_SHARE:
        return 0.0
    known = tokens[shaped].map(lambda t: any(x.lower().strip(".") in GIVEN_NAMES or x.lower() in SURNAMES for x in t))
    return float(shaped.mean()) if known.mean() >= _NAME_LIST_SHARE else 0.0


def _record_number_share(s: pd.Series) -> float:
    """Codes mixing letters and digits, or digits with separators: case, account, ticket numbers."""
    def code(v: str) -> bool:
        if " " in v or not 5 <= len(v) <= 24 or _DATE_RE.fullmatch(v):
            return False
        has_digit = any(ch.isdigit() for ch in v)
        has_alpha = any(ch.isalpha() for ch in v)
        return has_digit and (has_alpha or bool(re.search(r"[-/_.#]", v))) and bool(re.fullmatch(r"[\w\-/.#]+", v))

    return float(s.map(code).mean())


_ADDRESS_RE = (r"\d+[a-z]?,? [\w .'-]+ (?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
               r"place|pl|terrace|close|crescent|square|sq|strasse|straße|rue|calle|via)\b.*"
               r"|(?:rue|calle|via|avenida|avenue) [\w .'-]+,? ?\d*.*")

# Order matters: precise content patterns first, dates before phone numbers, names after codes.
SCAN_KINDS: tuple[_Kind, ...] = (
    _Kind("email", "e-mail addresses", r"e[-_ ]?mail", _regex_share(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)),
    _Kind("government_id", "government ID numbers",
          r"ssn|social[-_ ]?security|passport|national[-_ ]?id|tax[-_ ]?id|driver'?s?[-_ ]?licen[cs]e|(?:^|_)nin(?:o)?$",
          _regex_share(r"\d{3}-\d{2}-\d{4}")),
    _Kind("payment", "payment card numbers", r"credit[-_ ]?card|card[-_ ]?(?:number|no|num)", _card_share),
    _Kind("iban", "bank account numbers (IBAN)", r"iban|account[-_ ]?(?:number|no|num)|bank[-_ ]?account", _iban_share),
    _Kind("ip_address", "IP addresses", r"(?:^|[^a-z])ip(?:[-_ ]?addr(?:ess)?)?(?:$|[^a-z])", _ip_share),
    _Kind("identifier", "UUIDs", None, _regex_share(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                                                    re.IGNORECASE)),
    _Kind("date_of_birth", "dates of birth", r"birth|(?:^|_)dob(?:_|$)|birthday", _date_share, values_alone=False),
    _Kind("date", "dates or timestamps", r"(?:^|_)(?:date|time|timestamp|datetime)(?:_|$)|_(?:at|on)$|(?:^|_)dt(?:_|$)",
          _date_share, advice="derive"),
    _Kind("phone", "phone numbers", r"phone|mobile|(?:^|_)cell(?:ular)?(?:_|$)|(?:^|_)fax(?:_|$)|^tel(?:ephone)?$",
          _phone_share),
    _Kind("address", "postal addresses", r"address|street|postcode|post[-_ ]?code|zip(?:[-_ ]?code)?$",
          _regex_share(_ADDRESS_RE, re.IGNORECASE)),
    _Kind("record_number", "case, record or account numbers",
          r"(?:^|_)(?:case|docket|record|ticket|claim|file|booking|citation|member|patient|account|customer|order|"
          r"invoice|policy|mrn)[-_ ]?(?:number|no|num|nr|id|code|#)?(?:_|$)", _record_number_share, values_alone=False),
    _Kind("identifier", "identifiers", r"(?:^|[^a-z])(?:id|uuid|guid|key|record[-_ ]?(?:id|no)|patient[-_ ]?(?:id|no))(?:$|[^a-z])",
          None),
    _Kind("name", "person names",
          r"(?:^|[^a-z])(?:first|last|full|given|family|sur|middle|user|person|client|patient|customer)?[-_ ]?name(?:$|[^a-z])"
          r"|surname|forename|^(?:first|last|given|middle)$", _person_name_share),
)


@dataclass(frozen=True)
class _Column:
    """A column's header, its non-missing values as a text sample, and how varied it is."""

    header: str
    text: pd.Series
    n_rows: int
    n_values: int
    n_distinct: int
    is_text: bool

    @property
    def many_distinct(self) -> bool:
        # Too many distinct values for a category: more than 10 and more than 5% of the values.
        return self.n_distinct > max(10, 0.05 * self.n_values)


def _column(series: pd.Series) -> _Column:
    values = series.dropna()
    text = values.astype(str).str.strip()
    text = text[text != ""]
    if len(text) > _SAMPLE:
        text = text.sample(_SAMPLE, random_state=0)
    is_text = pd.api.types.is_string_dtype(series) or series.dtype == object
    return _Column(header=str(series.name).strip().lower(), text=text, n_rows=len(series), n_values=len(values),
                   n_distinct=int(values.nunique()), is_text=is_text)


def _by_content(col: _Column) -> tuple[_Kind, float] | None:
    if not col.is_text or col.text.empty:
        return None
    for kind in SCAN_KINDS:
        if kind.values is not None and kind.values_alone:
            share = kind.values(col.text)
            if share >= _VALUE_SHARE and (kind.name != "name" or col.many_distinct):
                return kind, share
    return None


def _by_header(col: _Column) -> tuple[_Kind, str] | None:
    """A kind whose header pattern matches, confirmed by the values or, failing that, by the column's variety.

    Kinds whose values agree win over kinds confirmed only by variety, so ``customer_name``
    holding names is a name column, not a customer number.
    """
    matching = [k for k in SCAN_KINDS if k.header is not None and re.search(k.header, col.header)]
    for kind in matching:
        share = kind.values(col.text) if (kind.values is not None and col.is_text and not col.text.empty) else 0.0
        # A handful of distinct "names" is a category (short/long, Low/High), not a person's name.
        if share >= _CONFIRM_SHARE and (kind.name != "name" or col.n_distinct > 10):
            return kind, f"the header {col.header!r} and {share:.0%} of sampled values suggest {kind.label}"
    for kind in matching:
        if col.many_distinct and kind.name not in ("date", "date_of_birth"):
            return kind, f"the header {col.header!r} suggests {kind.label}, and it has {col.n_distinct} distinct values"
    return None


def _free_text_or_unique(col: _Column, series: pd.Series) -> tuple[str, str] | None:
    if col.is_text and not col.text.empty and col.text.str.len().mean() > 40 and col.n_distinct > 0.9 * col.n_values:
        return "free_text", "long, almost all distinct text values (free text can hold names and contact details)"
    decimals = col.is_text and col.text.map(lambda v: "." in v and _is_number(v)).mean() > 0.5  # amounts, not keys
    integer_like = pd.api.types.is_integer_dtype(series) or (col.is_text and not decimals)
    if col.n_rows >= _MIN_ROWS_UNIQUE and col.n_values == col.n_rows and integer_like and col.n_distinct == col.n_rows:
        return "unique_per_row", f"every one of the {col.n_rows} rows has a distinct value (a key, not a feature)"
    return None


def _finding(series: pd.Series) -> tuple[str, str, str] | None:
    """(kind, reason, advice) for one column, or None."""
    col = _column(series)
    header = _by_header(col)
    if header is not None:
        kind, reason = header
        return kind.name, reason, kind.advice
    content = _by_content(col)
    if content is not None:
        kind, share = content
        return kind.name, f"{share:.0%} of sampled values look like {kind.label}", kind.advice
    other = _free_text_or_unique(col, series)
    return (*other, "drop") if other is not None else None


def _recommendation(advice: str, status: str | None) -> str:
    if status is not None:
        return _STATUS_ADVICE[status]
    if advice == "derive":
        return ("Do not use raw dates as features: derive what the model needs (an age, a duration, a year) and "
                "drop the raw column.")
    return "Drop this column before training (and from any shared data); it identifies people and carries no signal a model should use."


def identifier_scan(df: pd.DataFrame, *, status: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Flag columns that identify people, or that are raw dates or free text.

    Parameters
    ----------
    df : DataFrame
        The raw input table (before encoding), every column.
    status : dict, optional
        What the audit did with each column: ``"dropped"``, ``"excluded"``, ``"feature"``,
        ``"sensitive_feature"`` or ``"target"``. Each finding then says so, and its
        recommendation fits (a dropped column needs no action).

    Returns
    -------
    list of dict
        One ``{"column", "kind", "reason", "recommendation"}`` (plus ``"status"`` when given)
        per flagged column, in column order; empty when nothing looks identifying.

    Examples
    --------
    >>> df = pd.DataFrame({"c_jail_in": ["2013-08-14 10:22:00", "2014-01-02 09:00:00"] * 15})
    >>> [(f["kind"], f["status"]) for f in identifier_scan(df, status={"c_jail_in": "dropped"})]
    [('date', 'dropped')]
    """
    found: list[dict[str, Any]] = []
    for col in df.columns:
        hit = _finding(df[col])
        if hit is None:
            continue
        kind, reason, advice = hit
        entry = {"column": str(col), "kind": kind, "reason": reason}
        col_status = (status or {}).get(str(col))
        if status is not None:
            entry["status"] = col_status or "not_used"
        entry["recommendation"] = _recommendation(advice, col_status)
        found.append(entry)
    return found
