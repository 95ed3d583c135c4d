"""The robustness section: how each model's decisions change under perturbed test rows (``audit.robustness``).

Examples
--------
>>> r = Robustness.from_dict({"level": 0.95, "n_family": 3, "models": {"private": {"results": [{
...     "perturbation": "numeric_noise", "setting": 0.1, "label": "numeric noise ×0.1 SD",
...     "overall": {"n": 100, "flips": 5, "flip_rate": 0.05, "flip_rate_ci": [0.01, 0.14]}}]}}})
>>> r.models["private"].results[0].overall.flip_rate
0.05
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.result._base import Section, doc
from audit.result._common import CI, Count, Probability

__all__ = ["WORST_CELLS", "GroupRobustness", "ModelRobustness", "PerturbationResult", "Robustness", "RobustnessCell",
           "WorstCell"]

#: The worst cells of each model's robustness, key → label: the largest ``flip_rate`` or ``accuracy_drop`` over the
#: settings (all rows), and, ``group_``-prefixed, over the settings and every group.
WORST_CELLS = {"flip_rate": "largest flip rate", "accuracy_drop": "largest accuracy drop",
               "group_flip_rate": "largest group flip rate", "group_accuracy_drop": "largest group accuracy drop"}


@dataclass(kw_only=True)
class RobustnessCell(Section):
    """One perturbation on some rows: decisions that flipped and accuracy lost, each with its intervals."""

    n: Count = field(metadata=doc("rows"))
    flips: Count | None = field(default=None, metadata=doc("rows whose decision changed"))
    flip_rate: Probability | None = field(default=None, metadata=doc("flips / n"))
    flip_rate_ci: CI | None = field(default=None, metadata=doc(
        "exact interval, simultaneous over every cell of the family (Bonferroni level 1 − (1 − level) / n_family)"))
    flip_rate_ci_marginal: CI | None = field(default=None, metadata=doc("exact interval at level, for a cell chosen in advance"))
    accuracy: Probability | None = field(default=None, metadata=doc("accuracy on the original rows"))
    accuracy_perturbed: Probability | None = field(default=None, metadata=doc("accuracy on the perturbed rows"))
    right_to_wrong: Count | None = field(default=None, metadata=doc("rows right before and wrong after"))
    wrong_to_right: Count | None = field(default=None, metadata=doc("rows wrong before and right after"))
    accuracy_drop: float | None = field(default=None, metadata=doc("accuracy − accuracy_perturbed (paired, same rows)"))
    accuracy_drop_ci: CI | None = field(default=None, metadata=doc(
        "interval of the drop, simultaneous over the family (exact intervals of both discordant shares joined)"))
    accuracy_drop_ci_marginal: CI | None = field(default=None, metadata=doc("the same at level, for a cell chosen in advance"))


@dataclass(kw_only=True)
class GroupRobustness(RobustnessCell):
    """A cell of one group of one sensitive feature."""

    feature: str = field(metadata=doc("sensitive feature"))
    group: str = field(metadata=doc("its group"))


@dataclass(kw_only=True)
class PerturbationResult(Section):
    """One perturbation setting on one model."""

    perturbation: str = field(metadata=doc("registered perturbation (audit.robustness.PERTURBATIONS)"))
    setting: float | None = field(default=None, metadata=doc("its scale or rate"))
    label: str | None = field(default=None, metadata=doc("short name, e.g. 'numeric noise ×0.1 SD'"))
    description: str | None = field(default=None, metadata=doc("what it does to a row"))
    overall: RobustnessCell | None = field(default=None, metadata=doc("every perturbed row"))
    groups: list[GroupRobustness] = field(default_factory=list, metadata=doc("each group of each sensitive feature"))


@dataclass(kw_only=True)
class WorstCell(Section):
    """The largest value of a figure over the family (a selected cell: its interval is the simultaneous one)."""

    value: float | None = field(default=None, metadata=doc("the largest value"))
    ci: CI | None = field(default=None, metadata=doc("its simultaneous interval"))
    perturbation: str | None = field(default=None, metadata=doc("the setting's label"))
    feature: str | None = field(default=None, metadata=doc("the group's feature (group figures)"))
    group: str | None = field(default=None, metadata=doc("the group (group figures)"))
    n: Count | None = field(default=None, metadata=doc("the cell's rows"))
    n_family: Count | None = field(default=None, metadata=doc("cells the maximum is taken over, at most"))
    reason: str | None = field(default=None, metadata=doc("why there is no value"))


@dataclass(kw_only=True)
class ModelRobustness(Section):
    """Every setting's figures for one model, and the worst cells."""

    results: list[PerturbationResult] = field(default_factory=list, metadata=doc("one per perturbation setting"))
    worst: dict[str, WorstCell] = field(default_factory=dict, metadata=doc(
        "flip_rate, accuracy_drop (over settings), group_flip_rate, group_accuracy_drop (over settings and groups)"))


@dataclass(kw_only=True)
class Robustness(Section):
    """The robustness audit: decisions under perturbed test rows, overall and by group."""

    method: str | None = field(default=None, metadata=doc("how rows were perturbed and what a flip is"))
    interval: str | None = field(default=None, metadata=doc("how the intervals are computed"))
    level: Probability | None = field(default=None, metadata=doc("family-wise coverage of every *_ci"))
    n_family: Count | None = field(default=None, metadata=doc("cells in the family: settings × (1 + groups)"))
    rows: Count | None = field(default=None, metadata=doc("test rows perturbed"))
    sample: str | None = field(default=None, metadata=doc("'all' or 'random sample of N' (robustness.max_rows)"))
    perturbed_columns: list[str] = field(default_factory=list, metadata=doc("columns the perturbations change"))
    excluded_columns: list[str] = field(default_factory=list, metadata=doc("sensitive columns, never perturbed"))
    models: dict[str, ModelRobustness] = field(default_factory=dict, metadata=doc("model → figures"))
