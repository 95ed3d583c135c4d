"""The inputs of ``multiclass_fairness_report``: parameters, classes, labels and probabilities checked, groups encoded.

Parameters are a :class:`~audit.exceptions.ConfigError`; the data's problems are listed together in one
:class:`~audit.exceptions.DataError`. The sensitive columns are grouped as every report groups them
(:func:`audit.fairness._group_report.group_layout`).

Examples
--------
>>> class_indices([0, 2, 1], "y_true", ["a", "b", "c"], problems=[]).tolist()
[0, 2, 1]
>>> problems = []
>>> class_indices([0, 3], "y_pred", ["a", "b"], problems=problems) is None, len(problems)
(True, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError, DataError
from audit.fairness._group_report import Layout, check_rows, group_layout, one_d_floats
from audit.fairness._inputs import check_params

__all__ = ["check_classes", "check_proba", "class_indices", "prepare_inputs"]

_EMPTY = "y_true is empty. Expected at least one example. Fix: pass the test-set labels."
_NOT_1D = "{name} has shape {shape}. Expected a 1-d array of class indices. Fix: pass one value per example."
_NOT_INDICES = (
    "{name} has dtype {dtype}. Expected integer class indices 0..{last} (positions in classes). "
    "Fix: map labels to indices first, e.g. y.map({{label: i for i, label in enumerate(classes)}})."
)
_NAN_LABELS = (
    "{name} contains {count} missing value(s). Expected a class index for every example. Fix: drop those rows."
)
_NOT_INTEGRAL = (
    "{name} has non-integer values (e.g. {example!r}). Expected integer class indices 0..{last}. "
    "Fix: round or map them."
)
_OUT_OF_RANGE = (
    "{name} has class indices {values} outside 0..{last}, but classes has {k} labels {classes}. Expected "
    "every index to name a class. Fix: pass every class in classes, in index order."
)
_CLASSES_FEW = (
    "classes has {k} label(s) {classes}. Expected at least two class labels. Fix: pass every class name, "
    "in index order."
)
_CLASSES_DUP = "classes {classes} repeat the label {label!r}. Expected distinct labels. Fix: rename the duplicates."
_CLASSES_TYPE = "classes is {kind}. Expected a sequence of class labels, e.g. ['cat', 'dog', 'bird']. Fix: pass a list."
_PROBA_SHAPE = (
    "proba has shape {shape}. Expected (n_rows, n_classes) = ({n}, {k}), one column per label in classes. "
    "Fix: pass predict_proba's output for the same rows, or classes with one label per column."
)
_PROBA_NUMERIC = "proba has dtype {dtype}. Expected probabilities as numbers. Fix: pass predict_proba's output."
_PROBA_RANGE = (
    "proba has {count} value(s) that are missing or outside [0, 1]. Expected probabilities. Fix: apply a "
    "softmax to logits before the audit."
)
_PROBA_SUM = (
    "proba rows sum to between {lo:.6g} and {hi:.6g}. Expected each row to sum to 1 (within {tol:g}). Fix: "
    "apply a softmax to logits, or normalise each row."
)
_BAD_POSITIVES = (
    "min_group_positives = {value!r} is invalid. Expected an integer >= 0. Fix: use 10 (0 counts rows only)."
)
_PROBA_TOL = 1e-3


@dataclass(frozen=True)
class _Inputs:
    y: np.ndarray
    p: np.ndarray
    layout: Layout
    classes: list[str]


def prepare_inputs(*, y_true, y_pred, proba, sensitive, classes, n_boot, ci_level, min_group_size,
                   min_group_positives, intersections) -> _Inputs:
    """Check parameters (ConfigError) and data (one DataError listing every problem); encode the groups."""
    check_params(n_boot=n_boot, ci_level=ci_level, min_group_size=min_group_size)
    if (not isinstance(min_group_positives, (int, np.integer)) or isinstance(min_group_positives, bool)
            or min_group_positives < 0):
        raise ConfigError(_BAD_POSITIVES.format(value=min_group_positives))
    labels = check_classes(classes)
    n = check_rows(y_true, {"y_pred": y_pred, "proba": proba, "sensitive": sensitive}, empty=_EMPTY, not_1d=_NOT_1D)
    problems: list[str] = []
    y = class_indices(y_true, "y_true", labels, problems=problems)
    p = class_indices(y_pred, "y_pred", labels, problems=problems)
    if proba is not None:
        check_proba(proba, n=n, k=len(labels), problems=problems)
    layout = group_layout(sensitive, n=n, intersections=intersections, problems=problems)
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    assert y is not None and p is not None and layout is not None  # None only beside a problem
    return _Inputs(y=y, p=p, layout=layout, classes=labels)


def check_classes(classes) -> list[str]:
    """The class labels as text; :class:`ConfigError` unless there are two or more distinct ones."""
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray, pd.Index)):
        raise ConfigError(_CLASSES_TYPE.format(kind=type(classes).__name__))
    labels = [str(c.item() if isinstance(c, np.generic) else c) for c in classes]
    if len(labels) < 2:
        raise ConfigError(_CLASSES_FEW.format(k=len(labels), classes=labels))
    dup = next((c for c in labels if labels.count(c) > 1), None)
    if dup is not None:
        raise ConfigError(_CLASSES_DUP.format(classes=labels, label=dup))
    return labels


def class_indices(values, name: str, classes: list[str], *, problems: list[str]) -> np.ndarray | None:
    """int64 class indices in ``0 .. K-1``; problems are appended (and None returned) otherwise."""
    last = len(classes) - 1
    arr = one_d_floats(values, name, not_1d=_NOT_1D, not_numeric=_NOT_INDICES, problems=problems, last=last)
    if arr is None:
        return None
    nan = np.isnan(arr)
    if nan.any():
        problems.append(_NAN_LABELS.format(name=name, count=int(nan.sum())))
        return None
    odd = arr != np.round(arr)
    if odd.any():
        problems.append(_NOT_INTEGRAL.format(name=name, example=float(arr[odd][0]), last=last))
        return None
    outside = (arr < 0) | (arr > last)
    if outside.any():
        values_out = sorted({int(v) for v in arr[outside][:1000]})[:10]
        problems.append(_OUT_OF_RANGE.format(name=name, values=values_out, last=last, k=len(classes), classes=classes))
        return None
    return arr.astype(np.int64)


def check_proba(proba, *, n: int, k: int, problems: list[str]) -> None:
    """Append the problems of ``proba``: shape (n, K), numbers in [0, 1], rows summing to 1."""
    arr = np.asarray(proba)
    if arr.ndim != 2 or arr.shape != (n, k):
        problems.append(_PROBA_SHAPE.format(shape=arr.shape, n=n, k=k))
        return
    if arr.dtype.kind not in "biuf":
        problems.append(_PROBA_NUMERIC.format(dtype=arr.dtype))
        return
    arr = arr.astype(np.float64)
    bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        problems.append(_PROBA_RANGE.format(count=int(bad.sum())))
        return
    sums = arr.sum(axis=1)
    if np.abs(sums - 1).max() > _PROBA_TOL:
        problems.append(_PROBA_SUM.format(lo=float(sums.min()), hi=float(sums.max()), tol=_PROBA_TOL))
