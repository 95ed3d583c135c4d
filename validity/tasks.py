"""Multiclass and regression group audits: group intervals, disparity intervals, parity tests.

Every simulated audit draws a test set with known truth and runs the function a run calls
(:func:`audit.fairness.multiclass_fairness_report`, :func:`audit.fairness.regression_fairness_report`)
with the pipeline's defaults (``min_group_size`` 30, ``min_group_positives`` 10, 1,000 resamples
for regression).

* **Multiclass.** Per group, a population confusion matrix: class shares (1% to 90%) and a
  recall per class, the errors spread evenly over the other classes. The truth of every figure
  follows from it (accuracy, each class's selection rate and recall, macro recall, macro F1 over
  all classes). The grid: 2 to 20 groups of 8 to 1,000 unequal rows, rare classes (1%, 2%), rates
  near 1 (recall 0.99), a group shifted away from the others.
* **Regression.** Per group, errors ``e = bias + scale · ε`` with ε normal, skewed (centred
  gamma, skewness 1), heavy-tailed (Student t₁₀, Laplace) or a scale mixture (10% of rows at
  twice the noise), ε standardised (mean 0, variance 1) so the true mean error is ``bias`` and
  the true RMSE ``sqrt(bias² + scale²)``; the true MAE comes from 4 million draws of ε. Groups of 8
  to 1,000 rows; parity (every group alike) and unequal groups, 2 to 20 of them. Where every cell
  has at least ``NORMAL_MIN_ROWS`` rows the report draws the resampled cell sums from their normal
  approximation: its own check runs groups of exactly that size (the hardest cells it is used on).

The multiclass parity tests are also run at parity (family-wise error) and against a z-test
baseline with a shifted group (power).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from audit.fairness import multiclass_fairness_report, regression_fairness_report
from audit.fairness._proportions import z_vs_rest
from audit.fairness._regression_ci import MIN_ROWS_RMSE, NORMAL_MIN_ROWS
from validity._harness import Check, Row, coverage_row, error_row, power_row

LEVEL = 0.95
MIN_GROUP_SIZE, MIN_POSITIVES = 30, 10


def _reps(quick: bool, full: int, fast: int) -> int:
    return fast if quick else full


def _covers(ci, truth: float) -> bool:
    return ci is not None and truth is not None and ci[0] - 1e-12 <= truth <= ci[1] + 1e-12


class _Tally:
    """Hits and trials per key over the simulated audits of one world."""

    def __init__(self) -> None:
        self.hits: dict[tuple, int] = {}
        self.trials: dict[tuple, int] = {}

    def add(self, key: tuple, hit: bool) -> None:
        self.hits[key] = self.hits.get(key, 0) + int(bool(hit))
        self.trials[key] = self.trials.get(key, 0) + 1


# ---------------------------------------------------------------------------------------------- multiclass
@dataclass(frozen=True)
class ClassWorld:
    """Known truth of a multiclass test set: group sizes, class shares and per-class recall per group."""

    label: str
    sizes: tuple[int, ...]
    shares: tuple[float, ...]
    recall: tuple[float, ...]
    shift: tuple[float, ...] | None = None  # the first group's recalls, when it departs from the others
    null: bool = True

    def confusion(self, g: int) -> np.ndarray:
        """The population joint distribution (K, K) of (true, predicted) in group ``g``."""
        rec = np.asarray(self.shift if (g == 0 and self.shift is not None) else self.recall, dtype=float)
        k = len(self.shares)
        p = np.repeat(((1 - rec) / (k - 1))[:, None], k, axis=1)
        p[np.arange(k), np.arange(k)] = rec
        return p * np.asarray(self.shares)[:, None]

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        k = len(self.shares)
        ys, ps, gs = [], [], []
        for g, n in enumerate(self.sizes):
            counts = rng.multinomial(n, self.confusion(g).ravel())
            cell = np.repeat(np.arange(k * k), counts)
            ys.append(cell // k)
            ps.append(cell % k)
            gs.append(np.full(n, g))
        g = np.concatenate(gs)
        frame = pd.DataFrame({"g": pd.Categorical.from_codes(g, [f"g{i:02d}" for i in range(len(self.sizes))])})
        return np.concatenate(ys), np.concatenate(ps), frame


def _class_truth(p: np.ndarray) -> dict[str, object]:
    true, pred, tp = p.sum(axis=1), p.sum(axis=0), np.diag(p)
    return {"accuracy": float(tp.sum()), "selection_rate": pred, "recall": tp / true,
            "macro_recall": float(np.mean(tp / true)), "macro_f1": float(np.mean(2 * tp / (true + pred)))}


UNEQUAL_5 = (8, 20, 60, 250, 1000)
UNEQUAL_20 = tuple(int(x) for x in np.geomspace(8, 1000, 20).round())
RARE_3 = (0.90, 0.09, 0.01)
FIVE = (0.40, 0.30, 0.20, 0.08, 0.02)

CLASS_WORLDS = (
    ClassWorld("2 groups (30, 1000), shares 90/9/1%", (30, 1000), RARE_3, (0.95, 0.6, 0.3)),
    ClassWorld("5 groups 8-1000, 3 balanced classes, recall 0.99", UNEQUAL_5, (0.34, 0.33, 0.33), (0.99, 0.99, 0.99)),
    ClassWorld("20 groups 8-1000, shares 40/30/20/8/2%", UNEQUAL_20, FIVE, (0.9, 0.8, 0.7, 0.5, 0.2)),
    ClassWorld("12 groups x 100, shares 90/9/1%", (100,) * 12, RARE_3, (0.95, 0.6, 0.3)),
    ClassWorld("5 groups 8-1000, shares 90/9/1%, first group recall 0.7/0.2/0.1", (1000, 8, 20, 60, 250), RARE_3,
               (0.95, 0.6, 0.3), shift=(0.7, 0.2, 0.1), null=False),
    ClassWorld("20 groups 8-1000, first group recall lower by 0.3", UNEQUAL_20[::-1], FIVE, (0.9, 0.8, 0.7, 0.5, 0.2),
               shift=(0.6, 0.5, 0.4, 0.2, 0.1), null=False),
)


def _multiclass_report(world: ClassWorld, rng: np.random.Generator) -> dict:
    y, p, frame = world.draw(rng)
    classes = [f"c{i}" for i in range(len(world.shares))]
    return multiclass_fairness_report(y_true=y, y_pred=p, proba=None, sensitive=frame, classes=classes,
                                      ci_level=LEVEL, min_group_size=MIN_GROUP_SIZE,
                                      min_group_positives=MIN_POSITIVES, intersections=False)


def _spread(values: np.ndarray, used: np.ndarray) -> tuple[float, float, float]:
    v = values[used]
    return float(v.max() - v.min()), float(v.min() / v.max()) if v.max() > 0 else float("nan"), float(v.max())


def _multiclass_disparity_truth(world: ClassWorld, block: dict) -> dict[str, float]:
    labels = [g["group"] for g in block["groups"]]
    truths = [_class_truth(world.confusion(int(label[1:]))) for label in labels]
    d = block["disparities"]
    used = np.array([label in d["accuracy_difference"]["groups_used"] for label in labels])
    out = {f"{m}_difference": _spread(np.array([t[m] for t in truths]), used)[0]
           for m in ("accuracy", "macro_recall", "macro_f1")}
    sel = np.array([t["selection_rate"] for t in truths])
    per_class = [_spread(sel[:, c], used) for c in range(sel.shape[1])]
    out["selection_rate_difference_ovr"] = max(x[0] for x in per_class)
    out["selection_rate_ratio_ovr"] = min(x[1] for x in per_class)
    rec = np.array([t["recall"] for t in truths])
    by_class = d["recall_difference_ovr"]["groups_used_by_class"]
    gaps = [_spread(rec[:, c], np.array([label in by_class[f"c{c}"] for label in labels]))[0]
            for c in range(rec.shape[1]) if len(by_class[f"c{c}"]) >= 2]
    out["recall_difference_ovr"] = max(gaps) if gaps else None
    return out


def _tally_multiclass(tally: _Tally, report: dict, world: ClassWorld) -> None:
    block = report["by_feature"]["g"]
    for g in block["groups"]:
        truth = _class_truth(world.confusion(int(g["group"][1:])))
        size = "8-20 rows" if g["n"] < 30 else "30+ rows"
        for m in ("accuracy", "macro_recall", "macro_f1"):
            tally.add(("group", m, size), _covers(g[m]["ci"], truth[m]))
        for c, ci in g["selection_rate_ci"].items():
            tally.add(("group", "selection_rate (each class)", size), _covers(ci, truth["selection_rate"][int(c[1:])]))
        for c, ci in g["recall_ci"].items():
            if ci is not None:
                tally.add(("group", "recall (each class)", size), _covers(ci, truth["recall"][int(c[1:])]))
    for name, t in _multiclass_disparity_truth(world, block).items():
        if t is not None and block["disparities"][name]["value"] is not None:
            tally.add(("disparity", name, ""), _covers(block["disparities"][name]["ci"], t))
    if world.null:
        tally.add(("fwer", "any disparity significant", ""),
                  any(e.get("significant") for e in block["disparities"].values()))


@lru_cache(maxsize=4)
def _multiclass_tallies(quick: bool, seed: int) -> tuple[tuple[ClassWorld, _Tally, int], ...]:
    """One simulation per world, shared by the multiclass checks."""
    reps = _reps(quick, 1000, 60)
    worlds = (CLASS_WORLDS[0], CLASS_WORLDS[2], CLASS_WORLDS[4]) if quick else CLASS_WORLDS
    out = []
    for world in worlds:
        rng = np.random.default_rng([seed, 21, zlib.crc32(world.label.encode())])
        tally, tests = _Tally(), 0
        for _ in range(reps):
            report = _multiclass_report(world, rng)
            _tally_multiclass(tally, report, world)
            tests = report["ci"]["multiple_testing"]["tests"]
        out.append((world, tally, tests))
    return tuple(out)


def _run_multiclass_groups(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world, tally, _ in _multiclass_tallies(quick, seed):
        for (kind, what, size), hits in tally.hits.items():
            if kind == "group":
                rows.append(coverage_row("multiclass_groups", {"world": world.label, "of": what, "groups": size},
                                         hits=hits, reps=tally.trials[(kind, what, size)], quick=quick,
                                         measure="coverage (every group and class, pooled)"))
    return rows


def _run_multiclass_disparities(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world, tally, _ in _multiclass_tallies(quick, seed):
        for (kind, what, _), hits in tally.hits.items():
            if kind == "disparity":
                rows.append(coverage_row("multiclass_disparities", {"world": world.label, "of": what}, hits=hits,
                                         reps=tally.trials[(kind, what, "")], quick=quick))
    return rows


def _run_multiclass_fwer(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world, tally, tests in _multiclass_tallies(quick, seed):
        key = ("fwer", "any disparity significant", "")
        if key in tally.hits:
            rows.append(error_row("multiclass_family_wise_error", {"world": world.label}, errors=tally.hits[key],
                                  reps=tally.trials[key], measure="audits with any disparity significant",
                                  detail=f"{tests} tests per audit"))
    return rows


POWER_WORLDS = (
    ClassWorld("12 groups x 250, 3 balanced classes, one group's accuracy 0.8 -> 0.7", (250,) * 12,
               (0.34, 0.33, 0.33), (0.8, 0.8, 0.8), shift=(0.7, 0.7, 0.7), null=False),
    ClassWorld("2 groups x 500, shares 90/9/1%, one group's recall 0.95/0.6/0.3 -> 0.88/0.5/0.3", (500, 500), RARE_3,
               (0.95, 0.6, 0.3), shift=(0.88, 0.5, 0.3), null=False),
)


def _accuracy_z_test(y: np.ndarray, p: np.ndarray, frame: pd.DataFrame, n_tests: int) -> bool:
    """The baseline: a z-test of each group's accuracy against the rest, Bonferroni over the model's tests."""
    codes = frame["g"].cat.codes.to_numpy()
    k = np.bincount(codes, weights=(y == p)).astype(int)
    n = np.bincount(codes)
    return bool(z_vs_rest(k, n).min() < (1 - LEVEL) / n_tests)


def _run_multiclass_power(*, quick: bool, seed: int) -> list[Row]:
    reps = _reps(quick, 500, 40)
    rows = []
    for wi, world in enumerate(POWER_WORLDS[:1] if quick else POWER_WORLDS):
        rng = np.random.default_rng([seed, 23, wi])
        ours = base = 0
        for _ in range(reps):
            y, p, frame = world.draw(rng)
            report = multiclass_fairness_report(y_true=y, y_pred=p, proba=None, sensitive=frame,
                                                classes=[f"c{i}" for i in range(len(world.shares))], ci_level=LEVEL,
                                                min_group_size=MIN_GROUP_SIZE, min_group_positives=MIN_POSITIVES,
                                                intersections=False)
            ours += bool(report["by_feature"]["g"]["disparities"]["accuracy_difference"]["significant"])
            base += _accuracy_z_test(y, p, frame, report["ci"]["multiple_testing"]["tests"])
        rows.append(power_row("multiclass_power", {"world": world.label}, ours=ours, baseline=base, reps=reps,
                              baseline_name="z-test of each group's accuracy vs the rest, Bonferroni over the "
                                            "model's tests", measure="power (accuracy_difference significant)"))
    return rows


# ---------------------------------------------------------------------------------------------- regression
def _noise(dist: str, rng: np.random.Generator, size) -> np.ndarray:
    """Standardised errors ε (mean 0, variance 1) of one of the grid's shapes."""
    if dist == "normal":
        return rng.normal(size=size)
    if dist == "skewed (gamma, skewness 1)":
        return (rng.gamma(4.0, size=size) - 4.0) / 2.0
    if dist == "Laplace":
        return rng.laplace(size=size) / np.sqrt(2.0)
    if dist == "Student t10":
        return rng.standard_t(10, size=size) / np.sqrt(1.25)
    if dist == "scale mixture (10% at 2x)":
        return rng.normal(size=size) * np.where(rng.random(size) < 0.1, 2.0, 1.0) / np.sqrt(1.3)
    raise ValueError(dist)


@lru_cache(maxsize=64)
def _abs_moment(dist: str, bias: float, scale: float) -> float:
    """E|b + s·ε| (no closed form for every shape): the mean over 4 million draws of ε."""
    draws = _noise(dist, np.random.default_rng(12345), 4_000_000)
    return float(np.abs(bias + scale * draws).mean())


@dataclass(frozen=True)
class ErrorWorld:
    """Known truth of a regression test set: group sizes and, per group, the error's bias and scale."""

    label: str
    dist: str
    sizes: tuple[int, ...]
    bias: tuple[float, ...] = field(default=())
    scale: tuple[float, ...] = field(default=())
    null: bool = False

    def params(self, g: int) -> tuple[float, float]:
        return (self.bias[g] if self.bias else 0.0), (self.scale[g] if self.scale else 1.0)

    def truth(self, g: int) -> dict[str, float]:
        b, s = self.params(g)  # E ε = 0 and E ε² = 1 for every shape
        return {"mae": _abs_moment(self.dist, b, s), "rmse": float(np.hypot(b, s)), "mean_error": b}

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        g = np.repeat(np.arange(len(self.sizes)), self.sizes)
        bias = np.array([self.params(j)[0] for j in range(len(self.sizes))])
        scale = np.array([self.params(j)[1] for j in range(len(self.sizes))])
        y = 3.0 * rng.normal(size=len(g))
        e = bias[g] + scale[g] * _noise(self.dist, rng, len(g))
        frame = pd.DataFrame({"g": pd.Categorical.from_codes(g, [f"g{i:02d}" for i in range(len(self.sizes))])})
        return y, y + e, frame


SIZES_8 = (8, 15, 30, 60, 120, 200, 500, 1000)
DISTS = ("normal", "skewed (gamma, skewness 1)", "Laplace", "Student t10", "scale mixture (10% at 2x)")
_SCALES = tuple(float(x) for x in np.linspace(1.0, 2.0, len(SIZES_8)))
_BIASES = (0.0, 0.5, 0.0, -0.3, 0.0, 0.2, 0.0, 0.0)
GROUP_WORLDS = tuple(ErrorWorld(f"{d}, 8 groups 8-1000, unequal scale and bias", d, SIZES_8, _BIASES, _SCALES)
                     for d in DISTS)
DISPARITY_WORLDS = (
    ErrorWorld("parity: 12 groups x 40, skewed errors", "skewed (gamma, skewness 1)", (40,) * 12, null=True),
    ErrorWorld("parity: 8 groups 30-1000, scale mixture", "scale mixture (10% at 2x)", (30, 30, 60, 120, 250, 500, 1000,
                                                                                          1000), null=True),
    ErrorWorld("parity: 2 groups (30, 1000), Laplace", "Laplace", (30, 1000), null=True),
    ErrorWorld("20 groups 30-1000, skewed, scales 1-2", "skewed (gamma, skewness 1)",
               tuple(int(x) for x in np.geomspace(30, 1000, 20).round()), (),
               tuple(float(x) for x in np.linspace(1.0, 2.0, 20))),
    ErrorWorld("2 groups (30, 1000), normal, one biased by 0.5", "normal", (30, 1000), (0.5, 0.0), (1.0, 1.0)),
)


APPROX_WORLDS = tuple(ErrorWorld(f"{d}, 2 groups x {NORMAL_MIN_ROWS}, one biased by 0.05, scales 1 and 1.5", d,
                                  (NORMAL_MIN_ROWS,) * 2, (0.0, 0.05), (1.0, 1.5)) for d in DISTS) + (
    ErrorWorld(f"parity: 6 groups x {NORMAL_MIN_ROWS}, skewed errors", "skewed (gamma, skewness 1)",
               (NORMAL_MIN_ROWS,) * 6, null=True),)


def _regression_report(world: ErrorWorld, rng: np.random.Generator, seed: int) -> dict:
    y, p, frame = world.draw(rng)
    return regression_fairness_report(y_true=y, y_pred=p, sensitive=frame, ci_level=LEVEL, n_boot=1000,
                                      min_group_size=MIN_GROUP_SIZE, intersections=False, seed=seed)


def _run_regression_approximation(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    worlds = (APPROX_WORLDS[1], APPROX_WORLDS[4], APPROX_WORLDS[5]) if quick else APPROX_WORLDS
    for world in worlds:
        rng, tally = np.random.default_rng([seed, 27, zlib.crc32(world.label.encode())]), _Tally()
        for r in range(_reps(quick, 1000, 60)):
            report = _regression_report(world, rng, seed=r)
            if "normal approximation" not in report["ci"]["method"]:
                raise AssertionError(f"{world.label}: the normal approximation was not used ({report['ci']['method']})")
            _tally_regression(tally, report, world)
        for (kind, what, _), hits in sorted(tally.hits.items()):
            of = f"{kind} {what}" if kind in ("overall", "disparity") else what
            rows.append(coverage_row("regression_normal_approximation", {"world": world.label, "of": of}, hits=hits,
                                     reps=tally.trials[(kind, what, _)], quick=quick))
    return rows


def _size_band(n: int) -> str:
    return "8-15 rows" if n < 30 else "30-120 rows" if n < MIN_ROWS_RMSE else f"{MIN_ROWS_RMSE}+ rows"


def _tally_regression(tally: _Tally, report: dict, world: ErrorWorld) -> None:
    block = report["by_feature"]["g"]
    truths = [world.truth(int(g["group"][1:])) for g in block["groups"]]
    for g, truth in zip(block["groups"], truths, strict=True):
        for m in ("mae", "rmse", "mean_error"):
            if m == "rmse" and g["n"] < MIN_ROWS_RMSE:
                tally.add(("withheld", m, _size_band(g["n"])), g[m]["ci"] is None and bool(g[m].get("ci_reason")))
                continue
            tally.add(("group", m, _size_band(g["n"])), _covers(g[m]["ci"], truth[m]))
    used = np.array([g["sufficient"] for g in block["groups"]])
    for name, d in block["disparities"].items():
        metric = name.replace("worst_group_", "").replace("_difference", "").replace("_ratio", "")
        if metric not in ("mae", "rmse", "mean_error") or d["value"] is None:
            continue
        values = np.array([t[metric] for t in truths])[used]
        t = values.max() - values.min() if name.endswith("_difference") else (
            values.min() / values.max() if name.endswith("_ratio") else values.max())
        tally.add(("disparity", name, ""), _covers(d["ci"], float(t)))
    n = np.array([g["n"] for g in block["groups"]], dtype=float)
    for m in ("mae", "mean_error"):
        tally.add(("overall", m, ""), _covers(report["overall"][m]["ci"], float(n @ [t[m] for t in truths] / n.sum())))
    mse = float(n @ [t["rmse"] ** 2 for t in truths] / n.sum())
    tally.add(("overall", "rmse", ""), _covers(report["overall"]["rmse"]["ci"], float(np.sqrt(mse))))
    tally.add(("overall", "r2", ""), _covers(report["overall"]["r2"]["ci"], 1.0 - mse / 9.0))  # Var(y) = 9


@lru_cache(maxsize=4)
def _regression_tallies(quick: bool, seed: int) -> tuple[tuple[ErrorWorld, _Tally], ...]:
    reps = _reps(quick, 1000, 60)
    worlds = (GROUP_WORLDS[1], GROUP_WORLDS[2], DISPARITY_WORLDS[0]) if quick else GROUP_WORLDS + DISPARITY_WORLDS
    out = []
    for world in worlds:
        rng = np.random.default_rng([seed, 22, zlib.crc32(world.label.encode())])
        tally = _Tally()
        for r in range(reps):
            _tally_regression(tally, _regression_report(world, rng, seed=r), world)
        out.append((world, tally))
    return tuple(out)


def _run_regression_groups(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world, tally in _regression_tallies(quick, seed):
        if world not in GROUP_WORLDS:
            continue
        for (kind, what, size), hits in sorted(tally.hits.items()):
            cell = {"errors": world.dist, "of": what, "groups": size}
            if kind == "group":
                rows.append(coverage_row("regression_groups", cell, hits=hits, reps=tally.trials[(kind, what, size)],
                                         quick=quick, measure="coverage (every group of the band, pooled)"))
            elif kind == "overall":
                rows.append(coverage_row("regression_groups", {"errors": world.dist, "of": f"overall {what}",
                                                               "groups": "all rows"},
                                         hits=hits, reps=tally.trials[(kind, what, size)], quick=quick))
            elif kind == "withheld":
                trials = tally.trials[(kind, what, size)]
                rows.append(Row("regression_groups", cell, "interval withheld with its reason", hits / trials,
                                "100% (below the RMSE floor)", hits == trials, trials))
    return rows


def _run_regression_disparities(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world, tally in _regression_tallies(quick, seed):
        if world in GROUP_WORLDS[2:]:  # two group worlds (normal, skewed) stand for all five here
            continue
        for (kind, what, _), hits in tally.hits.items():
            if kind == "disparity":
                rows.append(coverage_row("regression_disparities", {"world": world.label, "of": what}, hits=hits,
                                         reps=tally.trials[(kind, what, "")], quick=quick))
    return rows


CHECKS = [
    Check("multiclass_groups", "Multiclass: group intervals",
          "Each group's accuracy, macro recall, macro F1, and every class's selection rate and recall have a 95% "
          "interval covering the group's true value (exact Clopper-Pearson for rates, MOVER for the macro "
          "averages), pooled over the groups of 8-20 rows and of 30+ rows.", _run_multiclass_groups),
    Check("multiclass_disparities", "Multiclass: disparity intervals",
          "Each disparity's interval (box of Sidak-level group bands) covers the true disparity of the groups "
          "compared: the largest group gap (or smallest ratio) over classes, whatever group and class the sample "
          "makes look worst.", _run_multiclass_disparities),
    Check("multiclass_family_wise_error", "Multiclass: family-wise error of `significant` at parity",
          "With every group identical, the share of audits in which any disparity is flagged significant (Fisher "
          "group-vs-rest tests, Holm over the model) stays at or below 5%.", _run_multiclass_fwer),
    Check("multiclass_power", "Multiclass: power of the accuracy parity test against a z-test baseline",
          "With one group's accuracy shifted, the share of audits flagging accuracy_difference significant (Fisher "
          "exact group-vs-rest, Holm over every test of the model) is at least that of a z-test of each group's "
          "accuracy against the rest, Bonferroni-corrected over the same number of tests.", _run_multiclass_power),
    Check("regression_groups", "Regression: group intervals",
          "Each group's MAE, RMSE and mean error has a 95% interval (studentized bootstrap; MAE and MSE on the log "
          f"scale) covering the group's true value, for errors normal, skewed, heavy-tailed or mixed, pooled over "
          f"groups of 8-15, 30-120 and {MIN_ROWS_RMSE}+ rows; the RMSE interval is withheld, with its reason, below "
          f"{MIN_ROWS_RMSE} rows. The overall MAE, mean error and RMSE likewise, and R² (percentile bootstrap).",
          _run_regression_groups),
    Check("regression_disparities", "Regression: disparity intervals",
          "Each disparity's interval (box of the max-|T| band over the compared groups) covers the true difference, "
          "ratio or worst-group value, at parity and away from it, with 2 to 20 groups of 30 to 1,000 rows.",
          _run_regression_disparities),
    Check("regression_normal_approximation", "Regression: intervals from the normal approximation of the cell sums",
          f"Where every sensitive cell has at least {NORMAL_MIN_ROWS} rows the resampled cell sums are drawn from "
          "their normal approximation; at exactly that size, for every error shape, each group's MAE, RMSE and mean "
          "error interval, the overall ones, R² and every disparity (also at parity over 6 groups) keep 95%.",
          _run_regression_approximation),
]
