"""Binary fairness: group-rate intervals and bands, disparity intervals, parity tests, power.

Every simulated audit draws a test set with known truth (per group: its size, base rate, TPR and
FPR) and runs :func:`audit.fairness.fairness_report` on it, the function a run calls. The grid holds
the hard cells: rates 0.01 and 0.99, 2% positives, 2 to 20 groups, groups of 20 beside groups of
1,000, and a second sensitive feature whose intersection with the first joins the family.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.fairness import fairness_report
from audit.fairness._proportions import chi2_homogeneity, z_vs_rest
from validity._harness import Check, Row, coverage_row, error_row, power_row

LEVEL = 0.95
ALPHA = 1 - LEVEL


@dataclass(frozen=True)
class World:
    """Known truth of a test set: group sizes and, per group, base rate, TPR and FPR."""

    label: str
    sizes: tuple[int, ...]
    base: tuple[float, ...]
    tpr: tuple[float, ...]
    fpr: tuple[float, ...]
    second_feature: bool = False

    def selection_rate(self) -> np.ndarray:
        b, t, f = (np.asarray(x, dtype=float) for x in (self.base, self.tpr, self.fpr))
        return b * t + (1 - b) * f

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        g = np.repeat(np.arange(len(self.sizes)), self.sizes)
        y = rng.random(len(g)) < np.asarray(self.base)[g]
        rate = np.where(y, np.asarray(self.tpr)[g], np.asarray(self.fpr)[g])
        pred = rng.random(len(g)) < rate
        frame = pd.DataFrame({"g": pd.Categorical.from_codes(g, [f"g{i:02d}" for i in range(len(self.sizes))])})
        if self.second_feature:  # independent of everything: its disparities and the intersection's are null too
            frame["h"] = rng.choice(np.array(["x", "y"]), len(g))
        return y.astype(int), pred.astype(int), frame


def _same(n: int, value: float) -> tuple[float, ...]:
    return (value,) * n


def _world(label: str, sizes: Sequence[int], *, base: float, tpr: float, fpr: float, second: bool = False,
           shift: dict[str, float] | None = None) -> World:
    g = len(sizes)
    values = {"base": list(_same(g, base)), "tpr": list(_same(g, tpr)), "fpr": list(_same(g, fpr))}
    for key, delta in (shift or {}).items():  # the first group departs from the others
        values[key][0] = values[key][0] + delta
    return World(label, tuple(sizes), tuple(values["base"]), tuple(values["tpr"]), tuple(values["fpr"]), second)


UNEQUAL_12 = (40, 60, 100, 200, 400, 1000) * 2
SMALL_BESIDE_LARGE = (20, 20, 20, 1000, 1000)

NULL_WORLDS = (
    _world("12 x 100, FPR 0.03", (100,) * 12, base=0.3, tpr=0.7, fpr=0.03),
    _world("12 unequal 40-1000, FPR 0.03", UNEQUAL_12, base=0.3, tpr=0.7, fpr=0.03),
    _world("2 x (20, 1000), rates 0.01", (20, 1000), base=0.5, tpr=0.01, fpr=0.01),
    _world("5 groups 20-1000, rates 0.99", SMALL_BESIDE_LARGE, base=0.5, tpr=0.99, fpr=0.99),
    _world("20 x 60, 2% positives", (60,) * 20, base=0.02, tpr=0.8, fpr=0.05),
    _world("6 unequal x 2 features, 5% positives", (60, 150, 300, 600, 1000, 2000), base=0.05, tpr=0.6, fpr=0.02,
           second=True),
)
SHIFTED_WORLDS = (
    _world("2 x (20, 1000), TPR 0.5 vs 0.99", (20, 1000), base=0.5, tpr=0.99, fpr=0.1, shift={"tpr": -0.49}),
    _world("12 unequal, one FPR 0.01 vs 0.1", UNEQUAL_12, base=0.3, tpr=0.7, fpr=0.1, shift={"fpr": -0.09}),
    _world("5 groups 20-1000, selection 0.3 vs 0.6", SMALL_BESIDE_LARGE, base=0.5, tpr=0.6, fpr=0.6,
           shift={"tpr": -0.3, "fpr": -0.3}),
)
POWER_WORLDS = (
    _world("12 x 250, selection +0.15", (250,) * 12, base=0.3, tpr=0.5, fpr=0.3, shift={"tpr": 0.15, "fpr": 0.15}),
    _world("12 x 250, selection 0.1 -> 0.2", (250,) * 12, base=0.3, tpr=0.1, fpr=0.1, shift={"tpr": 0.1, "fpr": 0.1}),
    _world("2 x 500, selection 0.3 -> 0.4", (500, 500), base=0.3, tpr=0.3, fpr=0.3, shift={"tpr": 0.1, "fpr": 0.1}),
    _world("12 unequal, the 1000-row group 0.1 -> 0.16", (1000, 40, 60, 100, 200, 400) * 2, base=0.3, tpr=0.1,
           fpr=0.1, shift={"tpr": 0.06, "fpr": 0.06}),
    _world("5 x 400, 2% positives, selection 0.05 -> 0.12", (400,) * 5, base=0.02, tpr=0.05, fpr=0.05,
           shift={"tpr": 0.07, "fpr": 0.07}),
)


def _reps(quick: bool, full: int, fast: int) -> int:
    return fast if quick else full


def _report(world: World, rng: np.random.Generator) -> dict:
    y, pred, frame = world.draw(rng)
    return fairness_report(y_true=y, y_pred=pred, sensitive=frame, n_boot=1, ci_level=LEVEL,
                           intersections=world.second_feature, min_group_size=1, min_group_positives=0)


def _covers(ci, truth: float) -> bool:
    return ci is not None and ci[0] - 1e-12 <= truth <= ci[1] + 1e-12


def _group_truth(world: World) -> dict[str, np.ndarray]:
    return {"selection_rate": world.selection_rate(), "tpr": np.asarray(world.tpr), "fpr": np.asarray(world.fpr)}


def _disparity_truths(world: World) -> dict[str, float]:
    sel, tpr, fpr = world.selection_rate(), np.asarray(world.tpr), np.asarray(world.fpr)
    w = np.asarray(world.sizes) / sum(world.sizes)
    overall = float(w @ sel)  # selection rate's denominator is the rows: expected shares are the sizes
    return {
        "demographic_parity_difference": float(sel.max() - sel.min()),
        "demographic_parity_ratio": float(sel.min() / sel.max()),
        "demographic_parity_difference_to_overall": float(np.abs(sel - overall).max()),
        "equalized_odds_difference": float(max(tpr.max() - tpr.min(), fpr.max() - fpr.min())),
        "equal_opportunity_ratio": float(tpr.min() / tpr.max()),
    }


class _Tally:
    """Hits and trials of each (measure, cell) over the simulated audits of one world."""

    def __init__(self) -> None:
        self.hits: dict[tuple, int] = {}
        self.trials: dict[tuple, int] = {}

    def add(self, key: tuple, hits: int, trials: int = 1) -> None:
        self.hits[key] = self.hits.get(key, 0) + int(hits)
        self.trials[key] = self.trials.get(key, 0) + trials


def _tally_audit(tally: _Tally, report: dict, world: World) -> None:
    block = report["by_feature"]["g"]
    for m, true in _group_truth(world).items():
        entries = [g["metrics"][m] for g in block["groups"]]
        tally.add(("marginal coverage (every group)", m), sum(_covers(e["ci"], true[k]) for k, e in enumerate(entries)),
                  len(entries))
        tally.add(("joint band coverage", m), all(_covers(e.get("simultaneous_ci"), true[k]) for k, e in enumerate(entries)))
    truths = _disparity_truths(world)
    disp = block["disparities"]
    for d, t in truths.items():
        tally.add(("coverage", d), _covers(disp[d]["ci"], t))
    tally.add(("joint coverage of simultaneous_ci", "the five disparities"),
              all(_covers(disp[d].get("simultaneous_ci"), t) for d, t in truths.items()))


QUICK_INTERVAL_WORLDS = (NULL_WORLDS[1], NULL_WORLDS[2], SHIFTED_WORLDS[0])


def _run_intervals(*, quick: bool, seed: int) -> list[Row]:
    reps = _reps(quick, 600, 40)
    rows = []
    for world in QUICK_INTERVAL_WORLDS if quick else NULL_WORLDS[:5] + SHIFTED_WORLDS:
        rng = np.random.default_rng([seed, 1, zlib.crc32(world.label.encode())])
        tally = _Tally()
        for _ in range(reps):
            _tally_audit(tally, _report(world, rng), world)
        for (measure, what), hits in tally.hits.items():
            rows.append(coverage_row("intervals", {"world": world.label, "of": what}, hits=hits,
                                     reps=tally.trials[(measure, what)], quick=quick, measure=measure))
    return rows


def _significant_anywhere(report: dict) -> bool:
    return any(e.get("significant") for block in report["by_feature"].values() for e in block["disparities"].values())


def _run_family_wise_error(*, quick: bool, seed: int) -> list[Row]:
    reps = _reps(quick, 1000, 60)
    rows = []
    for wi, world in enumerate(NULL_WORLDS):
        if quick and wi not in (1, 4):
            continue
        rng = np.random.default_rng([seed, 3, wi])
        errors = tests = 0
        for _ in range(reps):
            report = _report(world, rng)
            errors += _significant_anywhere(report)
            tests = report["ci"]["multiple_testing"]["tests"]
        rows.append(error_row("family_wise_error", {"world": world.label}, errors=errors, reps=reps,
                              measure="audits with any disparity significant", detail=f"{tests} tests per audit"))
    return rows


def _baselines(y: np.ndarray, pred: np.ndarray, frame: pd.DataFrame, n_tests: int) -> tuple[bool, bool]:
    """The baselines' verdicts on selection-rate parity: z-test of each group vs the rest and χ² homogeneity."""
    codes = frame["g"].cat.codes.to_numpy()
    k = np.bincount(codes, weights=pred).astype(int)
    n = np.bincount(codes)
    z = bool(z_vs_rest(k, n).min() < ALPHA / n_tests)
    chi2 = chi2_homogeneity(k, n) < ALPHA / n_tests
    return z, bool(chi2)


def _run_power(*, quick: bool, seed: int) -> list[Row]:
    reps = _reps(quick, 500, 40)
    rows = []
    for wi, world in enumerate(POWER_WORLDS[:1] if quick else POWER_WORLDS):
        rng = np.random.default_rng([seed, 4, wi])
        ours = z_hits = chi_hits = 0
        for _ in range(reps):
            y, pred, frame = world.draw(rng)
            report = fairness_report(y_true=y, y_pred=pred, sensitive=frame, n_boot=1, ci_level=LEVEL,
                                     intersections=False, min_group_size=1, min_group_positives=0)
            ours += bool(report["by_feature"]["g"]["disparities"]["demographic_parity_difference"]["significant"])
            z, chi = _baselines(y, pred, frame, report["ci"]["multiple_testing"]["tests"])
            z_hits += z
            chi_hits += chi
        cell = {"world": world.label}
        rows.append(power_row("power", cell, ours=ours, baseline=z_hits, reps=reps,
                              baseline_name="z-test of each group vs the rest, Bonferroni over the same tests",
                              measure="power (demographic parity significant)"))
        rows.append(power_row("power", cell, ours=ours, baseline=chi_hits, reps=reps,
                              baseline_name="chi-squared homogeneity, Bonferroni over the same tests",
                              measure="power (demographic parity significant)"))
    return rows


CHECKS = [
    Check("intervals", "Group-rate intervals and bands; disparity intervals",
          "Each group's selection rate, TPR and FPR has a 95% interval (exact) and a band that covers every "
          "group's true rate at once (Sidak level): measured over every group, and as the share of audits whose "
          "band covers all groups. Each gate-facing disparity's 95% interval covers the true disparity of the "
          "groups compared; simultaneous_ci covers the five at once.", _run_intervals),
    Check("family_wise_error", "Family-wise error of `significant` at exact parity",
          "With every group identical, the share of audits in which any disparity of the model (every metric, "
          "every feature, the intersection) is flagged significant after Holm stays at or below 5%.",
          _run_family_wise_error),
    Check("power", "Power against stated baselines",
          "With one group's selection rate shifted, the share of audits flagging the demographic-parity "
          "disparity significant is at least that of a z-test of each group against the rest (and of a "
          "chi-squared homogeneity test), each Bonferroni-corrected over the same number of tests as the "
          "model's Holm family.", _run_power),
]
