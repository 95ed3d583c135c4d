"""Perturbations of table rows: numeric noise, missing values, remapped categories (sensitive columns untouched)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.robustness._registry import Columns, register_perturbation

__all__: list[str] = []


@register_perturbation(
    "numeric_noise", input_kind="table", setting="noise_scales",
    label=lambda s: f"numeric noise ×{s:g} SD",
    description=lambda s: (f"every numeric feature gets Gaussian noise with a standard deviation of {s:g} times the "
                           "feature's standard deviation in the training rows"))
def numeric_noise(rows: pd.DataFrame, scale: float, columns: Columns, rng: np.random.Generator) -> pd.DataFrame:
    """Add N(0, (scale·SD)²) to every numeric feature (a missing value stays missing).

    Examples
    --------
    >>> rows = pd.DataFrame({"age": [30.0, 40.0]})
    >>> out = numeric_noise(rows, 0.1, Columns(numeric={"age": 10.0}), np.random.default_rng(0))
    >>> bool((out["age"] - rows["age"]).abs().max() < 5)
    True
    """
    out = rows.copy()
    for col, sd in columns.numeric.items():
        values = pd.to_numeric(out[col], errors="coerce").to_numpy(np.float64)
        out[col] = values + rng.normal(0.0, scale * sd, size=len(values))
    return out


@register_perturbation(
    "missing_values", input_kind="table", setting="missing_rate",
    label=lambda r: f"missing values {r:.0%}",
    description=lambda r: (f"each feature value is made missing with probability {r:g} (encoded as the model's "
                           "preprocessing encodes a missing value: the training median, or the missing category)"))
def missing_values(rows: pd.DataFrame, rate: float, columns: Columns, rng: np.random.Generator) -> pd.DataFrame:
    """Blank each perturbable value with probability ``rate``.

    Examples
    --------
    >>> rows = pd.DataFrame({"age": np.arange(1000.0)})
    >>> out = missing_values(rows, 0.2, Columns(numeric={"age": 1.0}), np.random.default_rng(0))
    >>> 150 < int(out["age"].isna().sum()) < 250
    True
    """
    out = rows.copy()
    for col in [*columns.numeric, *columns.categorical]:
        hit = rng.random(len(out)) < rate
        values = out[col].astype(object) if col in columns.categorical else out[col].astype("float64")
        out[col] = values.mask(hit)
    return out


def _same(a: object, b: object) -> bool:
    return not pd.isna(b) and bool(a == b)


@register_perturbation(
    "category_remap", input_kind="table", setting="remap_rate",
    label=lambda r: f"category remap {r:.0%}",
    description=lambda r: (f"each categorical feature value is replaced, with probability {r:g}, by another value of "
                           "that feature drawn with its training frequencies"))
def category_remap(rows: pd.DataFrame, rate: float, columns: Columns, rng: np.random.Generator) -> pd.DataFrame:
    """Replace each categorical value, with probability ``rate``, by a different training value.

    Examples
    --------
    >>> rows = pd.DataFrame({"job": ["a"] * 1000})
    >>> cols = Columns(categorical={"job": (np.array(["a", "b"], dtype=object), np.array([0.5, 0.5]))})
    >>> out = category_remap(rows, 0.3, cols, np.random.default_rng(0))
    >>> set(out["job"]) == {"a", "b"} and 200 < int((out["job"] == "b").sum()) < 400
    True
    """
    out = rows.copy()
    for col, (values, weights) in columns.categorical.items():
        if len(values) < 2:
            continue  # a single training value has nothing to remap to
        current = out[col].astype(object).to_numpy()
        hit = np.nonzero(rng.random(len(out)) < rate)[0]
        draws = rng.choice(len(values), size=len(hit), p=weights)
        # a draw equal to the current value is redrawn among the others (a remap always changes the value);
        # a missing value equals none (pd.NA compares to nothing)
        for i in np.nonzero([_same(values[d], current[h]) for d, h in zip(draws, hit, strict=True)])[0]:
            others = np.array([not _same(v, current[hit[i]]) for v in values])
            draws[i] = rng.choice(np.nonzero(others)[0], p=weights[others] / weights[others].sum())
        current = current.copy()
        current[hit] = values[draws]
        out[col] = current
    return out
