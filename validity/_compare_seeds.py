"""``rai-audit compare --baseline-rerun``: two trainings of one config are not a change.

Training randomness is systematic, not row by row: a seed moves a model's calibration and its groups'
rates together, so two seeds' figures on the same test rows differ by more than the paired bootstrap of
the rows allows. The world here adds such seed effects (a logit offset per seed, and one for group g1)
to the per-row disagreement of :mod:`validity.compare`. Run A, its ``k`` reruns and run B are iid
trainings under the null; B (and its reruns, when given) has a 5-point lower TPR in g1 under the alternative.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from audit.compare import ModelRows, compare_rows
from audit.compare._changes import family_adjust
from audit.compare._seeds import with_seeds
from validity._harness import Row, coverage_row, error_row

__all__ = ["run_seeds"]

LEVEL = 0.95
SEED_SD, GROUP_SD, ROW_SD = 0.12, 0.12, 0.2  # logit sd of a seed's offset, its g1 offset, the per-row disagreement


def _world(rng: np.random.Generator, n: int = 10_000) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    g = rng.random(n) < 0.3
    y = (rng.random(n) < np.where(g, 0.25, 0.3)).astype(np.int8)
    return pd.DataFrame({"group": np.where(g, "g1", "g0")}), y, 1.6 * (2 * y - 1) + rng.normal(0, 1.2, n) - 0.6


def _training(rng: np.random.Generator, y: np.ndarray, common: np.ndarray, g1: np.ndarray, drop: float) -> ModelRows:
    logit = common + rng.normal(0, ROW_SD, len(y)) + rng.normal(0, SEED_SD) + g1 * rng.normal(0, GROUP_SD)
    score = 1 / (1 + np.exp(-logit))
    d = (score >= 0.5).astype(np.int8)
    if drop:  # flip true positives of g1: about `drop` of g1's TPR (0.8 in this world)
        flip = g1 & (y == 1) & (d == 1) & (rng.random(len(y)) < drop / 0.8)
        d[flip], score[flip] = 0, 0.49
    return ModelRows(y, d, score)


def _one(rng: np.random.Generator, k: int, drop: float, n_boot: int, k_b: int = 0) -> list:
    frame, y, common = _world(rng)
    g1 = frame["group"].to_numpy() == "g1"
    a = _training(rng, y, common, g1, 0.0)
    b = _training(rng, y, common, g1, drop)
    kw = {"groupings": {"group": ["group"]}, "models": ["m"], "paired": True}
    changes = compare_rows((frame, {"m": a}), (frame, {"m": b}), n_boot=n_boot, seed=int(rng.integers(2**31)), **kw)
    if k:
        def reruns(n: int, d: float) -> list[dict]:
            return [{c.key: c.b for c in compare_rows((frame, {"m": a}), (frame, {"m": _training(rng, y, common, g1, d)}),
                                                      n_boot=2, **kw)} for _ in range(n)]

        with_seeds(changes, reruns(k, 0.0), reruns(k_b, drop))
    family_adjust(changes, level=LEVEL)
    return changes


def run_seeds(*, quick: bool, seed: int) -> list[Row]:
    """False alarms between two trainings of one config, without and with reruns of the baseline; power with 4."""
    reps, n_boot = (30, 100) if quick else (400, 200)
    rows = []
    for k in ((2,) if quick else (0, 1, 2, 4)):  # quick: the promise only (the paired-alone row has no target)
        rng, alarms, covered = np.random.default_rng([seed, 31, k, zlib.crc32(b"seeds")]), 0, 0
        for _ in range(reps):
            tested = [c for c in _one(rng, k, 0.0, n_boot) if c.ci is not None]
            alarms += any(c.significant for c in tested)
            covered += all(c.ci[0] <= 0 <= c.ci[1] for c in tested)
        cell = {"world": f"two trainings of one config, {k} rerun(s) of the baseline"}
        if k == 0:  # the paired test alone: what the reruns are for (no target: it answers another question)
            rows.append(Row("seeds", cell, "pairs with any significant change", alarms / reps,
                            "measured (paired rows only: training randomness not in the test)", True, reps))
            continue
        rows.append(error_row("seeds", cell, errors=alarms, reps=reps, measure="pairs with any significant change",
                              detail="Holm over the family, t with k degrees of freedom"))
        rows.append(coverage_row("seeds", cell, hits=covered, reps=reps, quick=quick,
                                 measure="simultaneous coverage (every interval holds 0)"))
    for k, k_b in (() if quick else ((4, 0), (4, 4), (9, 9))):
        rng, hits = np.random.default_rng([seed, 37, k, k_b]), 0
        for _ in range(reps):
            found = {c.key: c for c in _one(rng, k, 0.05, n_boot, k_b)}["tpr[group=g1]@m"]
            hits += found.significant and (found.delta or 0) < 0
        rows.append(Row("seeds", {"world": f"B's TPR(g1) − 5 points, {k} reruns of A, {k_b} of B"},
                        "power (TPR(g1) drop flagged, Holm)", hits / reps, "measured (no target)", True, reps))
    return rows
