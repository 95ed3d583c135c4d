"""The small-group policy: which groups each gate-facing disparity rests on, and its multiple-testing flags.

``fairness_report(disparity_groups="sufficient")`` (the default) computes the disparities under
``disparities`` over the groups sufficient for the metric(s) compared (see ``_sufficiency``);
``"all"`` over every group with a defined rate (Fairlearn's numbers, always kept under
``disparities_all_groups``). A disparity resting on fewer than two groups is null, with the
reason. Every conclusive disparity then gets a bootstrap p-value of parity, Holm-adjusted across
the model, a ``significant`` flag and a max-t band over all of the model's rate disparities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audit.exceptions import ConfigError
from audit.fairness._engine import View
from audit.fairness._simultaneous import holm, max_t_band
from audit.fairness._sufficiency import (
    DISPARITY_GROUPS_MODES,
    disparity_metrics,
    inconclusive_reason,
    sufficient_mask,
)

__all__ = ["Plan", "Policy", "apply_multiple_testing", "check_policy", "gate_entry", "plan_disparities"]

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
    plan, view_of = Plan(), {}
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
                  for vk in sorted(view_of, key=view_of.get)]
    return plan


def gate_entry(base: dict, *, labels: list[str], used: np.ndarray, reason: str | None, p_value=None) -> dict:
    """A gate-facing disparity entry: ``base`` ({value, ci, ...}) plus the groups used and the inference fields."""
    if reason is not None:
        base = {**base, "value": None, "ci": None}
        p_value = None
    return {**base, "groups_used": [labels[k] for k in np.flatnonzero(used)], "inconclusive_reason": reason,
            "p_value": p_value, "p_adjusted": None, "significant": None, "simultaneous_ci": None}


def apply_multiple_testing(blocks: dict, bands: list[tuple], *, level: float) -> dict:
    """Holm-adjust every conclusive disparity's p-value across the model; add the max-t disparity band.

    ``bands`` lists (block key, disparity name, replicates, estimate) of the rate disparities
    covered together by ``simultaneous_ci``. Returns the summary stored in ``ci.multiple_testing``.
    """
    tested = [(k, d) for k, b in blocks.items() for d, e in b["disparities"].items() if e.get("p_value") is not None]
    adjusted = holm([blocks[k]["disparities"][d]["p_value"] for k, d in tested])
    alpha = round(1.0 - level, 12)
    for (k, d), p in zip(tested, adjusted):
        entry = blocks[k]["disparities"][d]
        entry["p_adjusted"] = p
        entry["significant"] = bool(p < alpha)
    critical = None
    if bands:
        reps = np.stack([r for _, _, r, _ in bands], axis=1)
        est = np.array([e for _, _, _, e in bands], dtype=float)
        lo, hi, critical = max_t_band(reps, est, level)
        for j, (k, d, _, _) in enumerate(bands):
            entry = blocks[k]["disparities"][d]
            m_lo, m_hi = entry["ci"] if entry.get("ci") else (est[j], est[j])
            entry["simultaneous_ci"] = [float(np.clip(min(lo[j], m_lo), 0, 1)), float(np.clip(max(hi[j], m_hi), 0, 1))]
    return {"tests": len(tested), "significant": int(sum(p < alpha for p in adjusted)), "alpha": alpha,
            "disparity_band_critical_value": critical, "disparities_in_band": len(bands)}
