"""The validation machinery of the config: field metadata, value checks, resource limits, one section's build.

Every field of a config section carries its expectation, its check, its fix and its resource limits as
dataclass metadata (:func:`_spec`, :func:`_choice`); :func:`_build_section` builds a section from the keys
that pass and reports every other one. The sections themselves are in :mod:`audit.config._sections`.

Examples
--------
>>> limit = Limit(100, "resamples", "each costs time")
>>> limit.env("fairness.n_boot")
'RAI_AUDIT_MAX_FAIRNESS_N_BOOT'
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeVar

from audit.choices import one_of

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    _Section = TypeVar("_Section", bound=DataclassInstance)
else:
    _Section = TypeVar("_Section")

_UNKNOWN_KEY = "unknown key '{key}'{hint}. Valid keys here: {valid}."
_WRONG_TYPE = "'{key}': expected {expected}, found {found!r}."
_BAD_VALUE = "'{key}': expected {expected}, found {found!r}. {fix}"
_UNKNOWN_CHOICE = "'{key}': unknown {what} {found!r}{hint}. Expected {valid}. {fix}"
_NOT_FINITE = "'{key}': expected {expected}, found {found!r}: inf and nan are never valid settings. Fix: write a finite number."
_OVER_LIMIT = ("'{key}': {found} {what} is above the limit of {limit}: {why}. Fix: use at most {limit}, or, on a "
               "machine that can afford it, raise the limit by setting the environment variable {env}={found}.")
_BAD_LIMIT_ENV = "environment variable {env}: expected a positive integer (a raised limit for '{key}'), found {found!r}."
_MISSING = "'{key}' is required: {expected}."

#: Seeds go to NumPy, pandas and scikit-learn, which take 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
_LIMIT_ENV = "RAI_AUDIT_MAX_{name}"


@dataclass(frozen=True)
class Limit:
    """A resource limit on a config value: the most a run on one machine should be asked for.

    ``measure`` turns the value into the number limited (the value itself, a list's length,
    its largest entry); ``name`` tells several limits on one key apart.
    """

    max: int
    what: str
    why: str
    measure: Callable[[Any], int] = lambda v: v
    name: str = ""

    def env(self, key: str) -> str:
        """The environment variable that raises this limit, e.g. RAI_AUDIT_MAX_FAIRNESS_N_BOOT."""
        suffix = f"{key}_{self.name}" if self.name else key
        return _LIMIT_ENV.format(name=re.sub(r"[^A-Za-z0-9]+", "_", suffix).upper())


def _spec(expected: str, *, check: Callable[[Any], bool] | None = None, fix: str = "", required: bool = False,
          limits: Sequence[Limit] = (), choices: Sequence[str] | None = None, what: str = "", columns: bool = False,
          **kw: Any) -> Any:
    """Attach validation metadata to a dataclass field (typed ``Any``, as :func:`dataclasses.field` is).

    ``columns=True`` marks a key whose value names columns of the data (one name or a list): every name is checked
    against the table's columns by one data check (:func:`named_columns`, ``audit.data.check_table``).
    """
    return field(metadata={"expected": expected, "check": check, "fix": fix, "required": required,
                           "limits": tuple(limits), "choices": choices, "what": what, "columns": columns}, **kw)


def named_columns(section: Any, prefix: str) -> dict[str, list[str]]:
    """Every key of ``section`` marked ``columns=True``, as ``"prefix.key"``, with the column names it gives.

    Examples
    --------
    >>> from audit.config import DataSection
    >>> named_columns(DataSection(target="y", keep_columns=["id"]), "data")["data.keep_columns"]
    ['id']
    """
    out = {}
    for f in fields(section):
        if f.metadata.get("columns"):
            value = getattr(section, f.name)
            out[f"{prefix}.{f.name}"] = [value] if isinstance(value, str) else [str(v) for v in value or ()]
    return out


def _choice(what: str, choices: Sequence[str], *, fix: str = "", **kw: Any) -> Any:
    """A field whose value must be one of ``choices`` (a tuple from :mod:`audit.choices`)."""
    return _spec(one_of(choices), check=lambda v: v in choices, fix=fix, choices=tuple(choices), what=what, **kw)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_seed(v: Any) -> bool:
    return _is_int(v) and 0 <= v <= MAX_SEED


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x for x in v)


def _is_edges(v: Any) -> bool:
    """A table of column name -> increasing bin edges (``data.sensitive_bins``)."""
    return isinstance(v, dict) and all(
        isinstance(k, str) and k and isinstance(e, list) and 1 <= len(e) <= 50 and all(_is_num(x) for x in e)
        and all(a < b for a, b in pairwise(e)) for k, e in v.items())


def _not_finite(v: Any) -> bool:
    """A float that is inf or nan, anywhere in the value (lists included)."""
    if isinstance(v, float):
        return not math.isfinite(v)
    if isinstance(v, list):
        return any(_not_finite(x) for x in v)
    return False


def _unknown(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return _UNKNOWN_KEY.format(key=key, hint=hint, valid=", ".join(valid))


def _bad_value(key: str, value: Any, meta: Mapping[str, Any]) -> str:
    choices = meta["choices"]
    if choices is not None and isinstance(value, str):
        close = difflib.get_close_matches(value, choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return _UNKNOWN_CHOICE.format(key=key, what=meta["what"], found=value, hint=hint, valid=meta["expected"], fix=meta["fix"]).rstrip()
    return _BAD_VALUE.format(key=key, expected=meta["expected"], found=value, fix=meta["fix"]).rstrip()


def limit_for(key: str, limit: Limit, problems: list[str]) -> int:
    """The limit, raised by its environment variable when that is set.

    Parameters
    ----------
    key : str
        The config key the limit is on (it names the environment variable), e.g. ``"fairness.n_boot"``.
    limit : Limit
        The limit of that key (its field's ``metadata["limits"]``).
    problems : list of str
        A malformed environment variable is appended here as a problem (and the limit itself returned).

    Returns
    -------
    int
        The limit's maximum, or the variable's value where that is larger.

    Examples
    --------
    >>> limit_for("fairness.n_boot", Limit(100, "resamples", "each costs time"), [])
    100
    """
    env = limit.env(key)
    text = os.environ.get(env)
    if text is None:
        return limit.max
    try:
        raised = int(text)
    except ValueError:
        raised = 0
    if raised < 1:
        problems.append(_BAD_LIMIT_ENV.format(env=env, key=key, found=text))
        return limit.max
    return max(raised, limit.max)


def _over_limits(key: str, value: Any, limits: tuple[Limit, ...], problems: list[str]) -> bool:
    """Report every limit ``value`` exceeds; whether it exceeded any."""
    over = False
    for limit in limits:
        found = limit.measure(value)
        allowed = limit_for(key, limit, problems)
        if found > allowed:
            problems.append(_OVER_LIMIT.format(key=key, found=found, what=limit.what, limit=allowed, why=limit.why,
                                               env=limit.env(key)))
            over = True
    return over


def _build_section(cls: type[_Section], raw: Any, prefix: str, problems: list[str], refused: set[str]) -> _Section | None:
    """The section built from the keys that passed; every other key is a problem, and its name goes in ``refused``."""
    if not isinstance(raw, dict):
        problems.append(_WRONG_TYPE.format(key=prefix, expected="a table", found=raw))
        return None
    valid = [f.name for f in fields(cls)]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in valid:
            problems.append(_unknown(f"{prefix}.{key}", valid))
            continue
        refused.add(f"{prefix}.{key}")  # until it passes every check below
        meta = next(f for f in fields(cls) if f.name == key).metadata
        if _not_finite(value):
            problems.append(_NOT_FINITE.format(key=f"{prefix}.{key}", expected=meta["expected"], found=value))
            continue
        if value is None or not meta["check"](value):
            problems.append(_bad_value(f"{prefix}.{key}", value, meta))
            continue
        over = _over_limits(f"{prefix}.{key}", value, meta["limits"], problems)
        if not over:
            values[key] = value
            refused.discard(f"{prefix}.{key}")
    for f in fields(cls):
        if f.metadata.get("required") and f.name not in raw:
            problems.append(_MISSING.format(key=f"{prefix}.{f.name}", expected=f.metadata["expected"]))
    try:
        return cls(**values)
    except TypeError:  # pragma: no cover - only if a required field was missing; already reported
        return None

