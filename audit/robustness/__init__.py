"""Robustness: how a model's decisions change when its test rows are perturbed, overall and by group.

Perturbations (a registry: one decorated function each, :func:`register_perturbation`) change the raw
test rows the way production data degrades: Gaussian noise on numeric features at stated multiples of
their training standard deviation, missing values, categories remapped to other training values, and
for texts typos and neutral filler words. Sensitive columns and identity terms are never changed. For
every model and setting the audit reports the **flip rate** (share of decisions that change) and the
**accuracy drop** (paired, on the same rows), overall and in every group, with exact intervals that
are simultaneous over the whole family of cells (:mod:`audit.robustness._stats`).

Examples
--------
>>> from audit.robustness import PERTURBATIONS
>>> [p for p in PERTURBATIONS]
['numeric_noise', 'missing_values', 'category_remap', 'typos', 'filler_words']
"""

from audit.robustness import _tabular, _text  # noqa: F401 - registration
from audit.robustness._audit import Setting, columns_for, robustness_audit, settings_for
from audit.robustness._registry import PERTURBATIONS, Columns, Perturbation, register_perturbation
from audit.robustness._stats import cell_figures, drop_interval, simultaneous_level

__all__ = [
    "PERTURBATIONS",
    "Columns",
    "Perturbation",
    "Setting",
    "cell_figures",
    "columns_for",
    "drop_interval",
    "register_perturbation",
    "robustness_audit",
    "settings_for",
    "simultaneous_level",
]
