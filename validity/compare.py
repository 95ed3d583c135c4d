"""``rai-audit compare``: false alarms with no change, and power against a 5-point TPR drop.

Each simulated pair is two prediction tables of a binary model over a sensitive feature with two groups
(the same procedure as ``compare_runs``: every row-based figure, bootstrap standard errors, Holm over
the family, Šidák intervals). *Paired*: both models score the same test rows and disagree on a few
percent of them (two seeds of the Adult example disagree on 2.0-2.9% of the test rows), with the same
population figures; the power of a paired comparison depends on that disagreement. *Independent*:
run B scores a fresh sample of the same population with the same model.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from audit.compare import ModelRows, compare_rows
from audit.compare._changes import family_adjust
from validity._compare_seeds import run_seeds as _run_seeds_check
from validity._harness import Check, Row, coverage_row, error_row, mc_se

__all__ = ["CHECKS", "PairWorld", "TaskWorld", "simulate_pair", "simulate_task_pair"]

LEVEL = 0.95
POWER_TARGET = 0.90


@dataclass(frozen=True)
class PairWorld:
    """A population of rows and two models; ``drop`` lowers model B's TPR in group ``g1`` by that much."""

    label: str
    n: int = 10_000
    share: float = 0.3  # share of group g1
    base: tuple[float, float] = (0.3, 0.25)  # base rates of g0 and g1
    disagree: float = 0.35  # model-specific noise (sd of the logit): 4.5% of decisions differ (0.2: 2.4%)
    paired: bool = True
    drop: float = 0.0

    def rows(self, rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        g = rng.random(n) < self.share
        y = (rng.random(n) < np.where(g, self.base[1], self.base[0])).astype(np.int8)
        common = 1.6 * (2 * y - 1) + rng.normal(0, 1.2, n) - 0.6
        return pd.DataFrame({"group": np.where(g, "g1", "g0")}), y, common

    def model(self, rng: np.random.Generator, y: np.ndarray, common: np.ndarray, g1: np.ndarray, drop: float) -> ModelRows:
        logit = common + rng.normal(0, self.disagree, len(y))
        score = 1 / (1 + np.exp(-logit))
        d = (score >= 0.5).astype(np.int8)
        if drop:  # flip true positives of g1 so the population TPR falls by `drop`
            flip = g1 & (y == 1) & (d == 1) & (rng.random(len(y)) < drop / _tpr_g1(self))
            d[flip], score[flip] = 0, 0.49
        return ModelRows(y, d, score)


@lru_cache(maxsize=8)
def _tpr_g1(world: PairWorld) -> float:
    frame, y, common = world.rows(np.random.default_rng(11), 400_000)
    rows = world.model(np.random.default_rng(12), y, common, frame["group"].to_numpy() == "g1", 0.0)
    g1 = (frame["group"].to_numpy() == "g1") & (y == 1)
    return float(rows.y_pred[g1].mean())


def simulate_pair(world: PairWorld, rng: np.random.Generator, *, n_boot: int = 200) -> list:
    """One simulated comparison: the family-adjusted changes (``audit.compare.Change``) of one pair of tables."""
    frame_a, y_a, common_a = world.rows(rng, world.n)
    a = world.model(rng, y_a, common_a, frame_a["group"].to_numpy() == "g1", 0.0)
    frame_b, y_b, common_b = (frame_a, y_a, common_a) if world.paired else world.rows(rng, world.n)
    b = world.model(rng, y_b, common_b, frame_b["group"].to_numpy() == "g1", world.drop)
    changes = compare_rows((frame_a, {"m": a}), (frame_b, {"m": b}), groupings={"group": ["group"]}, models=["m"],
                           paired=world.paired, n_boot=n_boot, seed=int(rng.integers(2**31)))
    family_adjust(changes, level=LEVEL)
    return changes


NULL_WORLDS = (
    PairWorld("paired, 10k rows"),
    PairWorld("independent, 10k rows", paired=False),
    PairWorld("paired, small group (5%), rare positives (5%)", share=0.05, base=(0.3, 0.05)),
    PairWorld("independent, 2k rows, small group (10%)", n=2_000, share=0.1, paired=False),
)
DROP_WORLDS = (  # the first is the promise; the others measure what more disagreement or other rows cost
    PairWorld("paired, 10k rows, models disagree on 2.4% of rows (Adult's seeds: 2.0-2.9%), TPR(g1) − 5 points",
              disagree=0.2, drop=0.05),
    PairWorld("paired, 10k rows, models disagree on 4.5% of rows, TPR(g1) − 5 points", drop=0.05),
    PairWorld("independent, 10k rows, g1 half the rows at base rate 0.5, TPR(g1) − 5 points", share=0.5,
              base=(0.3, 0.5), paired=False, drop=0.05),
)


def _rng(seed: int, world: PairWorld) -> np.random.Generator:
    return np.random.default_rng([seed, 29, zlib.crc32(world.label.encode())])


def _run_null(*, quick: bool, seed: int) -> list[Row]:
    reps, n_boot = (60, 100) if quick else (1000, 200)
    rows = []
    for world in NULL_WORLDS[:2] if quick else NULL_WORLDS:
        rng, alarms, covered, family = _rng(seed, world), 0, 0, 0
        for _ in range(reps):
            changes = simulate_pair(world, rng, n_boot=n_boot)
            tested = [c for c in changes if c.ci is not None]
            alarms += any(c.significant for c in tested)
            covered += all(c.ci[0] <= 0 <= c.ci[1] for c in tested)
            family = len(tested)
        cell = {"world": world.label}
        rows.append(error_row("no_change", cell, errors=alarms, reps=reps, measure="pairs with any significant change",
                              detail=f"Holm over a family of {family} figures"))
        rows.append(coverage_row("no_change", cell, hits=covered, reps=reps, quick=quick,
                                 measure="simultaneous coverage (every interval holds 0)"))
    return rows


def _run_drop(*, quick: bool, seed: int) -> list[Row]:
    reps, n_boot = (40, 100) if quick else (500, 200)
    rows = []
    for world in DROP_WORLDS[:1] if quick else DROP_WORLDS:
        rng, hits, deltas = _rng(seed, world), 0, []
        for _ in range(reps):
            found = {c.key: c for c in simulate_pair(world, rng, n_boot=n_boot)}["tpr[group=g1]@m"]
            hits += found.significant and (found.delta or 0) < 0
            deltas.append(found.delta or 0.0)
        power = hits / reps
        target = POWER_TARGET if world is DROP_WORLDS[0] else None
        ok = power >= POWER_TARGET - 2 * mc_se(POWER_TARGET, reps) if target is not None else True
        rows.append(Row("tpr_drop", {"world": world.label}, "power (TPR(g1) drop flagged, Holm)", power,
                        f"≥ {POWER_TARGET:.0%}" if target is not None else "measured (no target: see docs/compare.md)",
                        ok, reps, f"mean Δ {np.mean(deltas):+.3f}"))
    return rows


@dataclass(frozen=True)
class TaskWorld:
    """A multiclass or regression population with two groups and two models of the same quality.

    ``noise`` is the models' own noise (multiclass: sd of each logit; regression: sd of the error, Student t with
    ``df`` degrees of freedom, heavier-tailed for small ``df``, and 1.5 times larger in group g1); ``common`` the
    part both models share on a row (paired runs: they err on the same rows).
    """

    label: str
    task: str
    n: int = 5_000
    share: float = 0.3
    paired: bool = True
    common: float = 1.0
    noise: float = 0.5
    df: float = 5.0

    def rows(self, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        g1 = rng.random(self.n) < self.share
        if self.task == "multiclass":  # 4 classes, rarer in g1 for the last
            p = np.where(g1[:, None], [0.4, 0.3, 0.25, 0.05], [0.3, 0.3, 0.2, 0.2])
            y = (rng.random(self.n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
            common = 1.5 * np.eye(4)[y] + rng.normal(0, self.common, (self.n, 4))
        else:
            y = rng.normal(150, 60, self.n)
            common = rng.standard_t(self.df, self.n) * 20 * np.where(g1, 1.5, 1.0) * self.common
        return pd.DataFrame({"group": np.where(g1, "g1", "g0")}), y, common

    def model(self, rng: np.random.Generator, frame: pd.DataFrame, y: np.ndarray, common: np.ndarray) -> ModelRows:
        if self.task == "multiclass":
            logits = common + rng.normal(0, self.noise, common.shape)
            pred = logits.argmax(axis=1)
            return ModelRows(y, pred, np.ones(len(y)), ("a", "b", "c", "d"))
        scale = np.where(frame["group"].to_numpy() == "g1", 1.5, 1.0) * 20 * self.noise
        pred = y + common + rng.standard_t(self.df, len(y)) * scale
        return ModelRows(y, pred, pred)


TASK_WORLDS = (
    TaskWorld("multiclass, paired, 5k rows, 4 classes (one 5% in g1)", "multiclass"),
    TaskWorld("multiclass, independent, 5k rows", "multiclass", paired=False),
    TaskWorld("regression, paired, 2k rows, t(5) errors, g1's 1.5x larger", "regression", n=2_000),
    TaskWorld("regression, independent, 2k rows, t(3) errors", "regression", n=2_000, paired=False, df=3.0),
    TaskWorld("multiclass, paired, 2k rows, a group of 5% (100 rows)", "multiclass", n=2_000, share=0.05),
    TaskWorld("regression, paired, 500 rows, a group of 10% (50 rows), t(3) errors", "regression", n=500, share=0.1,
              df=3.0),
)
QUICK_TASK_WORLDS = (TASK_WORLDS[0], TASK_WORLDS[2])


def simulate_task_pair(world: TaskWorld, rng: np.random.Generator, *, n_boot: int = 200) -> list:
    """One simulated comparison of a multiclass or regression world with no change (family-adjusted changes)."""
    frame_a, y_a, common_a = world.rows(rng)
    frame_b, y_b, common_b = (frame_a, y_a, common_a) if world.paired else world.rows(rng)
    a, b = world.model(rng, frame_a, y_a, common_a), world.model(rng, frame_b, y_b, common_b)
    changes = compare_rows((frame_a, {"m": a}), (frame_b, {"m": b}), groupings={"group": ["group"]}, models=["m"],
                           paired=world.paired, n_boot=n_boot, seed=int(rng.integers(2**31)), task=world.task)
    family_adjust(changes, level=LEVEL)
    return changes


def _run_tasks(*, quick: bool, seed: int) -> list[Row]:
    reps, n_boot = (40, 100) if quick else (500, 200)
    rows = []
    for world in QUICK_TASK_WORLDS if quick else TASK_WORLDS:
        rng, alarms, covered, family = np.random.default_rng([seed, 29, zlib.crc32(world.label.encode())]), 0, 0, 0
        for _ in range(reps):
            tested = [c for c in simulate_task_pair(world, rng, n_boot=n_boot) if c.ci is not None]
            alarms += any(c.significant for c in tested)
            covered += all(c.ci[0] <= 0 <= c.ci[1] for c in tested)
            family = len(tested)
        cell = {"world": world.label}
        rows.append(error_row("tasks_no_change", cell, errors=alarms, reps=reps,
                              measure="pairs with any significant change", detail=f"Holm over {family} figures"))
        rows.append(coverage_row("tasks_no_change", cell, hits=covered, reps=reps, quick=quick, floor=0.95,
                                 measure="simultaneous coverage (every interval holds 0)"))
    return rows


CHECKS = [
    Check("no_change", "Compare: false alarms and simultaneous coverage with no change",
          "With the same population figures in both runs, the share of comparisons flagging any significant change "
          "(Holm over every compared figure) stays at or below 5%, and the Šidák intervals hold every true change "
          "(zero) at once in at least 93% of them.", _run_null),
    Check("tpr_drop", "Compare: power against a 5-point drop in one group's TPR",
          "At 10,000 test rows scored by both models, which disagree on 2.4% of them as two seeds of the Adult "
          "example do, a 5-point drop of one group's TPR (about 750 positives) is flagged in at least 90% of "
          "comparisons; the other cells measure the power with more disagreement and on different rows.", _run_drop),
    Check("tasks_no_change", "Compare: multiclass and regression runs with no change",
          "Two models of the same quality (paired: on the same rows, erring partly on the same rows; independent: "
          "on fresh rows) show a significant change (Holm over every figure of the task's comparison: the group "
          "report's figures, per class and per group) in at most 5% of comparisons, and the Šidák intervals hold "
          "every true change (zero) at once in at least 95% of them.", _run_tasks),
    Check("seeds", "Compare: two trainings of one config, judged against the baseline's reruns",
          "With seed effects that move a model's calibration and one group's rates (as retraining does), the paired "
          "test alone flags most pairs of trainings of one config; with k reruns of the baseline (--baseline-rerun) "
          "the share of pairs with any significant change stays at or below 5% and the intervals hold every true "
          "change (zero) at once in at least 93%; the last row measures the power left against a 5-point TPR drop.",
          _run_seeds_check),
]
