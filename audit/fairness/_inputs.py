"""Validate and encode the inputs of the fairness engine.

Labels become one boolean array ("is positive"), scores a float array in [0, 1],
and every sensitive column a small integer code per row plus the group names.
Every problem found is collected and raised once as a :class:`DataError`.

Missing values in a sensitive feature are kept as their own group, named
:data:`MISSING_GROUP`: dropping those rows would hide exactly the people a
data pipeline failed to describe, and refusing would block audits of real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError, DataError

MISSING_GROUP = "<missing>"
"""Name of the group formed by rows whose sensitive value is missing (NaN/None/<NA>)."""

_LENGTH_MISMATCH = (
    "{name} has {found} rows but y_true has {n}. Expected one entry per example in every input. "
    "Fix: pass arrays (and the sensitive table) built from the same rows, in the same order."
)
_EMPTY = "y_true is empty. Expected at least one example. Fix: pass the test-set labels."
_NAN_LABELS = (
    "{name} contains {count} missing value(s) (NaN/None). Expected a label for every example. "
    "Fix: drop or fill those rows before the audit."
)
_NOT_BINARY = (
    "{name} is not binary: found {k} distinct values {values}. Expected exactly two labels "
    "(or one, if every example has the same label). Fix: map the labels to two classes "
    "(e.g. 0/1) before the audit."
)
_POS_LABEL_ABSENT = (
    "The positive label {pos!r} does not occur in y_true, whose values are {values}. "
    "Expected pos_label to be one of those values. Fix: pass pos_label={suggest!r} "
    "(or whichever value means the favourable outcome)."
)
_PRED_OUTSIDE = (
    "y_pred has values {values} that are not labels of y_true {labels}. Expected predicted "
    "labels, the same kind as y_true. Fix: threshold scores into labels first, or pass "
    "probabilities as y_score."
)
_SCORE_NOT_NUMERIC = (
    "y_score has dtype {dtype}. Expected probabilities of the positive class as numbers in "
    "[0, 1]. Fix: pass the predicted probability column."
)
_SCORE_NAN = (
    "y_score contains {count} missing value(s). Expected a probability for every example. "
    "Fix: drop those rows or recompute the scores."
)
_SCORE_RANGE = (
    "y_score has values outside [0, 1] (min {lo:.6g}, max {hi:.6g}). Expected probabilities "
    "of the positive class. Fix: apply a sigmoid/softmax to logits before the audit."
)
_NO_SENSITIVE = (
    "No sensitive feature was given. Expected a DataFrame with one column per sensitive "
    "feature. Fix: pass e.g. sensitive=df[['sex', 'race']]."
)
_ONE_GROUP = (
    "Sensitive feature {name!r} has a single group ({group!r}) in these rows. Expected at "
    "least two groups to compare. Fix: drop this feature from the audit or use data that "
    "contains more than one group."
)
_NAME_CLASH = (
    "Sensitive feature {name!r} has distinct values that print the same ({label!r}). Expected "
    "values that stay distinct as text. Fix: convert the column to one type (e.g. str) first."
)
_BAD_PARAM = "{name} = {value!r} is invalid. Expected {expected}. Fix: {fix}"


@dataclass(frozen=True)
class Feature:
    """One sensitive feature encoded: group code per row and the group names in code order."""

    name: str
    codes: np.ndarray  # int64, one per row
    groups: list[str]


def _as_series(values, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise DataError(f"{name} has {values.shape[1]} columns. Expected one column. Fix: pass a single column.")
        return values.iloc[:, 0].reset_index(drop=True)
    arr = np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise DataError(f"{name} has shape {arr.shape}. Expected a 1-d array. Fix: pass one value per example.")
    return pd.Series(arr)


def _fmt_values(values, limit: int = 10) -> str:
    vals = [v.item() if isinstance(v, np.generic) else v for v in list(values)[:limit]]
    more = "" if len(values) <= limit else f" ... ({len(values)} in all)"
    return f"{vals!r}{more}"


def _sorted_unique(s: pd.Series) -> list:
    uniq = pd.unique(s.dropna())
    try:
        return sorted(uniq)
    except TypeError:  # mixed types: order by their text
        return sorted(uniq, key=str)


def check_params(*, n_boot: int, ci_level: float, min_group_size: int) -> None:
    """Raise :class:`ConfigError` listing every invalid engine parameter."""
    problems = []
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 0:
        problems.append(_BAD_PARAM.format(name="n_boot", value=n_boot, expected="an integer >= 0",
                                          fix="use 1000 (0 turns confidence intervals off)."))
    if not isinstance(ci_level, (float, int)) or not 0 < float(ci_level) < 1:
        problems.append(_BAD_PARAM.format(name="ci_level", value=ci_level, expected="a number in (0, 1)",
                                          fix="use 0.95."))
    if not isinstance(min_group_size, (int, np.integer)) or isinstance(min_group_size, bool) or min_group_size < 1:
        problems.append(_BAD_PARAM.format(name="min_group_size", value=min_group_size,
                                          expected="an integer >= 1", fix="use 30."))
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)


def encode_labels(y_true, y_pred, *, pos_label,
                  problems: list[str]) -> tuple[np.ndarray | None, np.ndarray | None, list]:
    """Boolean "is positive" arrays for ``y_true`` and ``y_pred`` (``y_pred`` may be None).

    Problems are appended to ``problems``; arrays are None where they could not be encoded.
    """
    yt = _as_series(y_true, "y_true")
    labels: list = []
    yt01 = None
    n_na = int(yt.isna().sum())
    if n_na:
        problems.append(_NAN_LABELS.format(name="y_true", count=n_na))
    else:
        labels = _sorted_unique(yt)
        if len(labels) > 2:
            problems.append(_NOT_BINARY.format(name="y_true", k=len(labels), values=_fmt_values(labels)))
        elif pos_label not in labels:
            other = [v for v in labels if not _same(v, pos_label)]
            suggest = other[-1] if other else (labels[-1] if labels else pos_label)
            suggest = suggest.item() if isinstance(suggest, np.generic) else suggest
            problems.append(_POS_LABEL_ABSENT.format(pos=pos_label, values=_fmt_values(labels), suggest=suggest))
        else:
            yt01 = _equals(yt, pos_label)
    yp01 = None
    if y_pred is not None:
        yp = _as_series(y_pred, "y_pred")
        n_na = int(yp.isna().sum())
        if n_na:
            problems.append(_NAN_LABELS.format(name="y_pred", count=n_na))
        elif yt01 is not None:  # y_pred is judged against valid y_true labels only
            pred_vals = _sorted_unique(yp)
            allowed = set(labels) | {pos_label}
            if len(labels) == 1:
                # y_true holds one class only: the one other value y_pred uses is the second class (as Fairlearn accepts).
                allowed |= set(pred_vals[:2]) if len(set(pred_vals) | allowed) <= 2 else set()
            outside = [v for v in pred_vals if v not in allowed]
            if outside:
                problems.append(_PRED_OUTSIDE.format(values=_fmt_values(outside), labels=_fmt_values(labels)))
            elif len(set(pred_vals) | set(labels)) > 2:
                problems.append(_NOT_BINARY.format(name="y_pred", k=len(pred_vals), values=_fmt_values(pred_vals)))
            else:
                yp01 = _equals(yp, pos_label)
    return yt01, yp01, labels


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _equals(s: pd.Series, value) -> np.ndarray:
    # numpy comparison is much faster than pandas' for plain numeric columns
    if s.dtype.kind in "biuf":
        return np.asarray(s.to_numpy() == value, dtype=bool)
    return np.asarray((s == value).to_numpy(dtype=bool, na_value=False), dtype=bool)


def encode_scores(y_score, *, problems: list[str]) -> np.ndarray | None:
    """Float64 scores checked to lie in [0, 1]."""
    s = _as_series(y_score, "y_score")
    if s.dtype.kind not in "biuf" and not pd.api.types.is_numeric_dtype(s.dtype):
        problems.append(_SCORE_NOT_NUMERIC.format(dtype=s.dtype))
        return None
    arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
    n_na = int(np.isnan(arr).sum())
    if n_na:
        problems.append(_SCORE_NAN.format(count=n_na))
        return None
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        problems.append(_SCORE_RANGE.format(lo=float(arr.min()), hi=float(arr.max())))
        return None
    return arr


def encode_feature(s: pd.Series, name: str, *, problems: list[str], require_two: bool = True) -> Feature | None:
    """Integer codes per row for one sensitive column; missing values form :data:`MISSING_GROUP`."""
    s = s.reset_index(drop=True)
    na = s.isna().to_numpy()
    values = _sorted_unique(s)
    groups = [str(v.item() if isinstance(v, np.generic) else v) for v in values]
    if len(set(groups)) != len(groups):
        dup = next(g for g in groups if groups.count(g) > 1)
        problems.append(_NAME_CLASH.format(name=name, label=dup))
        return None
    # codes in sorted order; pd.Categorical maps values without Python loops over rows
    codes = pd.Categorical(s, categories=values).codes.astype(np.int64)
    if na.any():
        codes[na] = len(groups)
        groups.append(MISSING_GROUP if MISSING_GROUP not in groups else f"{MISSING_GROUP} (NA)")
    if require_two and len(groups) < 2:
        problems.append(_ONE_GROUP.format(name=name, group=groups[0] if groups else None))
        return None
    return Feature(name=name, codes=codes, groups=groups)


def encode_sensitive(sensitive, *, n: int, problems: list[str], require_two: bool = True) -> list[Feature]:
    """Encode every column of ``sensitive`` (a DataFrame, or a Series for one feature)."""
    if isinstance(sensitive, pd.Series):
        sensitive = sensitive.to_frame(name=str(sensitive.name) if sensitive.name is not None else "sensitive")
    elif not isinstance(sensitive, pd.DataFrame):
        arr = np.asarray(sensitive)
        if arr.ndim == 1:
            sensitive = pd.DataFrame({"sensitive": arr})
        elif arr.ndim == 2:
            sensitive = pd.DataFrame(arr, columns=[f"sensitive_{i}" for i in range(arr.shape[1])])
        else:
            problems.append(_NO_SENSITIVE)
            return []
    if sensitive.shape[1] == 0:
        problems.append(_NO_SENSITIVE)
        return []
    if len(sensitive) != n:
        problems.append(_LENGTH_MISMATCH.format(name="sensitive", found=len(sensitive), n=n))
        return []
    names = [str(c) for c in sensitive.columns]
    if len(set(names)) != len(names):
        problems.append(f"Sensitive columns {names} repeat a name. Expected distinct names. Fix: rename or drop duplicates.")
        return []
    out = []
    for i, name in enumerate(names):
        feat = encode_feature(sensitive.iloc[:, i], name, problems=problems, require_two=require_two)
        if feat is not None:
            out.append(feat)
    return out


@dataclass(frozen=True)
class Inputs:
    """Everything the engine needs, validated."""

    y: np.ndarray  # bool: true label is positive
    p: np.ndarray  # bool: predicted label is positive
    score: np.ndarray | None
    features: list[Feature]
    labels: list


def prepare(*, y_true, y_pred, sensitive, y_score=None, pos_label=1) -> Inputs:
    """Validate and encode all inputs, raising one :class:`DataError` listing every problem."""
    problems: list[str] = []
    yt = _as_series(y_true, "y_true")
    n = len(yt)
    if n == 0:
        raise DataError(_EMPTY)
    for name, arr in (("y_pred", y_pred), ("y_score", y_score)):
        if arr is not None and len(arr) != n:
            problems.append(_LENGTH_MISMATCH.format(name=name, found=len(arr), n=n))
    if problems:  # nothing else is meaningful when rows do not line up
        raise DataError("\n".join(problems), problems=problems)
    y, p, labels = encode_labels(yt, y_pred, pos_label=pos_label, problems=problems)
    score = encode_scores(y_score, problems=problems) if y_score is not None else None
    features = encode_sensitive(sensitive, n=n, problems=problems)
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    assert y is not None and p is not None  # encode_labels leaves one None only beside a problem
    return Inputs(y=y, p=p, score=score, features=features, labels=labels)
