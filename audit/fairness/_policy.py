"""The small-group policy: which groups each gate-facing disparity rests on, and its multiple-testing flags.

``fairness_report(disparity_groups="sufficient")`` (the default) computes the disparities under
``disparities`` over the groups sufficient for the metric(s) compared (see ``_sufficiency``);
``"all"`` over every group with a defined rate (Fairlearn's numbers, always kept under
``disparities_all_groups``). A disparity resting on fewer than two groups is null, with the
reason. Every conclusive disparity then gets an exact p-value of parity (``_exact``), Holm-adjusted
across the model's elementary tests, a ``significant`` flag, the smallest disparity the tests detect
with 80% power, and an interval that holds jointly with every other disparity of the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audit.exceptions import ConfigError
from audit.fairness._engine import View
from audit.fairness._exact import detectable, rate_counts
from audit.fairness._holm import holm
from audit.fairness._sufficiency import (
    DISPARITY_GROUPS_MODES,
    disparity_metrics,
    inconclusive_reason,
    sufficient_mask,
)

__all__ = ["DETECT_POWER", "Plan", "Policy", "Tested", "apply_multiple_testing", "check_policy", "gate_entry",
           "plan_disparities"]

DETECT_POWER = 0.8
"""Power at which ``detectable`` is stated."""

_BAD_MODE = ("disparity_groups = {value!r} is invalid. Expected one of {modes}. Fix: use 'sufficient' (groups "
             "with too little data do not decide a disparity) or 'all' (Fairlearn's numbers over every group).")
_BAD_POSITIVES = ("min_group_positives = {value!r} is invalid. Expected an integer >= 0. Fix: use 10 "
                  "(0 counts rows only).")
_UNDEFINED_FEW = "fewer than two groups have a defined {metrics}; a disparity needs two groups to compare"


def check_policy(*, min_group_positives, disparity_groups) -> None:
    """Raise :class:`ConfigError` listing every invalid policy parameter."""
    problems = []
    if (not isinstance(min_group_positives, (int, np.integer)) or isinstance(min_group_positives, bool)
            or min_group_positives < 0):
        problems.append(_BAD_POSITIVES.format(value=min_group_positives))
    if disparity_groups not in DISPARITY_GROUPS_MODES:
        problems.append(_BAD_MODE.format(value=disparity_groups, modes=list(DISPARITY_GROUPS_MODES)))
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)


@dataclass(frozen=True)
class Policy:
    """Thresholds of the small-group policy and which groups ``disparities`` use."""

    min_group_size: int
    min_group_positives: int
    mode: str

    def mask(self, den: dict[str, np.ndarray], metrics) -> np.ndarray:
        if self.mode == "all":
            return np.ones(len(den["rows"]), dtype=bool)
        return sufficient_mask(den, metrics, min_group_size=self.min_group_size,
                               min_group_positives=self.min_group_positives)

    def reason(self, metrics, *, used: int, total: int) -> str:
        if self.mode == "all":
            return _UNDEFINED_FEW.format(metrics=" and ".join(metrics))
        return inconclusive_reason(metrics, used=used, total=total, min_group_size=self.min_group_size,
                                   min_group_positives=self.min_group_positives)


@dataclass
class Plan:
    """Per (grouping, disparity): the source computing it (None: inconclusive) and the groups used."""

    source: dict = field(default_factory=dict)
    used: dict = field(default_factory=dict)
    reason: dict = field(default_factory=dict)
    views: list[View] = field(default_factory=list)


def plan_disparities(point: dict, dens: list[dict], policy: Policy) -> Plan:
    """Decide, for every disparity of every grouping, which groups it rests on."""
    plan = Plan()
    view_of: dict[tuple[int, bytes], int] = {}  # (grouping, groups used) -> its view's index
    names_of: dict[tuple, list[str]] = {}
    for key in point:
        if len(key) == 3 and key[1] == "disparity" and isinstance(key[0], int):
            gi, name = key[0], key[2]
            metrics = disparity_metrics(name)
            defined = np.logical_and.reduce([np.isfinite(np.asarray(point[(gi, "group", m)][0])) for m in metrics])
            used = policy.mask(dens[gi], metrics) & defined
            plan.used[(gi, name)] = used
            if used.sum() < 2:
                plan.source[(gi, name)] = None
                plan.reason[(gi, name)] = policy.reason(metrics, used=int(used.sum()), total=len(used))
            elif used.all():
                plan.source[(gi, name)] = gi
            else:
                vk = (gi, used.tobytes())
                if vk not in view_of:
                    view_of[vk] = len(view_of)
                    names_of[vk] = []
                names_of[vk].append(name)
                plan.source[(gi, name)] = ("view", view_of[vk])
    plan.views = [View(gi=vk[0], idx=np.flatnonzero(np.frombuffer(vk[1], dtype=bool)), names=tuple(names_of[vk]))
                  for vk in sorted(view_of, key=view_of.__getitem__)]
    return plan


def gate_entry(base: dict, *, labels: list[str], used: np.ndarray, reason: str | None, p_value=None) -> dict:
    """A gate-facing disparity entry: ``base`` ({value, ci, ...}) plus the groups used and the inference fields."""
    if reason is not None:
        base = {**base, "value": None, "ci": None}
        p_value = None
    return {**base, "groups_used": [labels[k] for k in np.flatnonzero(used)], "inconclusive_reason": reason,
            "p_value": p_value, "p_adjusted": None, "significant": None, "simultaneous_ci": None, "detectable": None}


@dataclass(frozen=True)
class Tested:
    """A gate-facing disparity in the model's family: where it is, its elementary tests and what it rests on."""

    block: str
    name: str
    source: Any
    keys: tuple
    detect: tuple = ()


def _holm_by_key(keys: list, tests: dict) -> tuple[dict, int]:
    """Holm across every elementary test of the family; per test key the smallest adjusted p-value."""
    flat = [(key, float(p)) for key in keys for p in np.atleast_1d(tests[key])]
    adjusted: dict = {}
    for (key, _), a in zip(flat, holm([p for _, p in flat]), strict=True):
        adjusted[key] = min(adjusted.get(key, 1.0), a)
    return adjusted, len(flat)


def _detectable(name: str, detect: tuple, alpha: float) -> float | None:
    """The smallest disparity of this kind the family's tests detect with 80% power (None: not computed)."""
    found = []
    for counts, metric in detect:
        delta = detectable(counts, metric, alpha=alpha)
        if delta is None:
            return None
        k, n = rate_counts(counts, metric)
        rate = float(k.sum() / max(int(n.sum()), 1))
        if "_ratio" in name:
            down = (rate - delta) / rate if rate > delta else 0.0
            found.append(min(down, rate / (rate + delta)) if rate > 0 else 0.0)
        else:
            found.append(delta)
    if not found:
        return None
    return float(min(found) if "_ratio" in name else max(found))


def apply_multiple_testing(blocks: dict, tested: list[Tested], tests: dict, *, level: float,
                           interval_at: Callable[[Any, str, float], tuple[float, float]]) -> dict:
    """Holm across the model's elementary parity tests; flags, detectable disparities and the joint band.

    ``tested`` lists the gate-facing disparities with their test keys into ``tests`` (key ->
    p-values). A disparity's ``p_adjusted`` is the smallest Holm-adjusted p-value of its tests
    (rejecting any of them rejects its parity); ``detectable`` the smallest disparity of its kind
    the family detects with 80% power at the smallest group; ``simultaneous_ci`` its interval at
    the Bonferroni level over the family's hypotheses (all of them cover at once at ``level``).
    Returns the summary stored in ``ci.multiple_testing``.
    """
    keys = list(dict.fromkeys(k for t in tested for k in t.keys))
    adjusted, n_tests = _holm_by_key(keys, tests)
    alpha = round(1.0 - level, 12)
    band_level = 1.0 - alpha / max(len(keys), 1)
    significant = 0
    for t in tested:
        entry = blocks[t.block]["disparities"][t.name]
        entry["p_adjusted"] = min(adjusted[k] for k in t.keys)
        entry["significant"] = bool(entry["p_adjusted"] < alpha)
        significant += entry["significant"]
        entry["detectable"] = _detectable(t.name, t.detect, alpha / max(n_tests, 1))
        if t.source is not None and entry.get("ci"):
            lo, hi = interval_at(t.source, t.name, band_level)
            entry["simultaneous_ci"] = [float(np.clip(min(lo, entry["ci"][0]), 0, 1)),
                                        float(np.clip(max(hi, entry["ci"][1]), 0, 1))]
    return {"tests": n_tests, "hypotheses": len(keys), "significant": significant, "alpha": alpha,
            "disparities_tested": len(tested), "disparity_band_level": band_level, "detectable_power": DETECT_POWER}
