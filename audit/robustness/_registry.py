"""The perturbation registry: one :class:`Perturbation` per name, registered once by :func:`register_perturbation`.

A perturbation changes the raw test rows the way production data drifts or degrades (noise, missing values,
remapped categories, typos) and never touches the sensitive columns, so a decision that changes changed for
a reason unrelated to who the row is about. It takes the rows, its setting (a scale or a rate) and what the
training rows say about each column (:class:`Columns`), and returns new rows; its randomness comes from the
generator it is given, so an audit is reproducible from its seed.

Examples
--------
>>> sorted(name for name, p in PERTURBATIONS.items() if p.input_kind == "table")
['category_remap', 'missing_values', 'numeric_noise']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["PERTURBATIONS", "Columns", "Perturbation", "register_perturbation"]


@dataclass(frozen=True)
class Columns:
    """What a perturbation may change and what the training rows say about it.

    Attributes
    ----------
    numeric : dict of str to float
        Numeric feature → its training standard deviation (noise is stated in these units).
    categorical : dict of str to (values, weights)
        Categorical feature → the training values and their frequencies (remaps draw from them).
    text : str or None
        The text column of a text model.
    protected_terms : frozenset of str
        Words a text edit leaves alone (identity terms: an edit to them is not identity-irrelevant).
    """

    numeric: Mapping[str, float] = field(default_factory=dict)
    categorical: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    text: str | None = None
    protected_terms: frozenset[str] = frozenset()

    @property
    def names(self) -> list[str]:
        """Every column some perturbation changes."""
        return [*self.numeric, *self.categorical, *([self.text] if self.text else [])]


#: ``apply(rows, setting, columns, rng)``: the perturbed copy of ``rows``.
Apply = Callable[[pd.DataFrame, float, Columns, np.random.Generator], pd.DataFrame]


@dataclass(frozen=True)
class Perturbation:
    """One kind of perturbation.

    Attributes
    ----------
    name : str
        Its registry name (the record's ``perturbation``).
    input_kind : str
        ``"table"`` or ``"text"``: the models it applies to.
    setting : str
        The ``[robustness]`` key giving its settings (a list of scales, or one rate; 0 turns it off).
    label : callable
        ``label(setting)``: a short name for the table, e.g. ``"numeric noise ×0.1 SD"``.
    description : callable
        ``description(setting)``: what it does to a row, in a sentence.
    apply : callable
        See :data:`Apply`.
    """

    name: str
    input_kind: str
    setting: str
    label: Callable[[float], str]
    description: Callable[[float], str]
    apply: Apply


#: Every perturbation, in registration order (the order of the record's results).
PERTURBATIONS: dict[str, Perturbation] = {}


def register_perturbation(name: str, *, input_kind: str, setting: str, label: Callable[[float], str],
                          description: Callable[[float], str]) -> Callable[[Apply], Apply]:
    """Decorator: register the decorated function as perturbation ``name``.

    Examples
    --------
    >>> @register_perturbation("_example", input_kind="table", setting="noise_scales",
    ...                        label=lambda s: "none", description=lambda s: "nothing")
    ... def _same(rows, setting, columns, rng):
    ...     return rows.copy()
    >>> PERTURBATIONS.pop("_example").name
    '_example'
    """
    if input_kind not in ("table", "text"):
        raise ValueError(f"perturbation {name!r}: input_kind {input_kind!r}; expected 'table' or 'text'")

    def decorator(apply: Apply) -> Apply:
        if name in PERTURBATIONS:
            raise ValueError(f"perturbation {name!r} is registered twice")
        PERTURBATIONS[name] = Perturbation(name=name, input_kind=input_kind, setting=setting, label=label,
                                           description=description, apply=apply)
        return apply

    return decorator
