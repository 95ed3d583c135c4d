"""Robustness: coverage of the flip-rate and accuracy-drop intervals, alone and for the worst cell.

* **Cell intervals**: a cell's flips and discordant pairs drawn from known rates (flip rates 0.01, 0.5 and
  0.99; cells of 20 and 1,000 rows); the marginal exact interval of the flip rate and the joined interval
  of the accuracy drop must each cover the truth in at least 93% of cells.
* **Worst cell, end to end**: :func:`audit.robustness.robustness_audit` on test samples drawn from a known
  population (a numeric feature, a threshold model, 2% positives, groups of 20 rows beside groups of
  1,000, 2 to 20 groups, and a world where half the rows share one feature vector), with numeric noise and
  missing values. The true flip rate of every cell comes from 500,000 population rows perturbed the same
  way; the worst group's simultaneous interval (what the gate reads) must cover its true rate, and so must
  every interval of the family at once, in at least 93% of audits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from audit.robustness import Setting, cell_figures, columns_for, robustness_audit
from validity._harness import Check, Row, coverage_row

_SETTINGS = (Setting("numeric_noise", 0.25), Setting("missing_values", 0.1))


def _run_cells(*, quick: bool, seed: int) -> list[Row]:
    reps = 400 if quick else 4000
    rows = []
    for n in (20, 1000):
        for flip, p10 in ((0.01, 0.008), (0.5, 0.3), (0.99, 0.6)):
            rng = np.random.default_rng([seed, n, int(flip * 100)])
            p01 = flip - p10  # binary: every flip moves a row from right to wrong or back
            hits_flip = hits_drop = 0
            for _ in range(reps):
                kind = rng.choice(3, size=n, p=[p10, p01, 1 - flip])  # 0: right->wrong, 1: wrong->right, 2: kept
                y = np.ones(n, dtype=int)
                before = np.where(kind == 1, 0, 1)
                after = np.where(kind == 0, 0, np.where(kind == 1, 1, before))
                cell = cell_figures(before, after, y, level=0.95, n_family=1)
                lo, hi = cell["flip_rate_ci_marginal"]
                hits_flip += lo <= flip <= hi
                lo, hi = cell["accuracy_drop_ci_marginal"]
                hits_drop += lo <= p10 - p01 <= hi
            cell_id = {"n": n, "flip rate": flip}
            rows.append(coverage_row("cell_intervals", cell_id, hits=hits_flip, reps=reps, quick=quick,
                                     measure="coverage of the flip rate (exact)"))
            rows.append(coverage_row("cell_intervals", cell_id, hits=hits_drop, reps=reps, quick=quick,
                                     measure="coverage of the accuracy drop (joined exact)"))
    return rows


@dataclass(frozen=True)
class World:
    """A population: x ~ N(0, 1) (a share of rows at one shared value), 2% positives, groups of given sizes."""

    label: str
    sizes: tuple[int, ...]  # rows of each group in one test sample
    shared: float = 0.0  # share of rows whose x is the one shared value 1.9 (near the threshold 2.05)

    def draw(self, rng: np.random.Generator, scale: int = 1) -> pd.DataFrame:
        n = sum(self.sizes) * scale
        x = rng.normal(0, 1, n)
        x[rng.random(n) < self.shared] = 1.9
        g = np.repeat([f"g{i}" for i in range(len(self.sizes))], [s * scale for s in self.sizes])
        return pd.DataFrame({"x": x + 0.3 * (g != "g0"), "g": g})  # groups differ in x, so in flip rates


def _decide(frame: pd.DataFrame) -> np.ndarray:
    return (pd.to_numeric(frame["x"]).fillna(0.0) > 2.05).astype(int).to_numpy()  # about 2% positive decisions


def _audit(rows: pd.DataFrame, rng_seed: int) -> dict:
    return robustness_audit({"m": _decide}, rows[["x"]], _decide(rows), rows[["g"]], settings=_SETTINGS,
                            columns=_COLUMNS, seed=rng_seed)["models"]["m"]


_COLUMNS = columns_for(pd.DataFrame({"x": np.random.default_rng(0).normal(0, 1, 100_000)}), ["x"])


@lru_cache(maxsize=8)
def _truth(world: World) -> dict[tuple[int, str], float]:
    """Each (setting, group)'s flip rate over 500,000 population rows perturbed as the audit perturbs them."""
    rows = world.draw(np.random.default_rng(12345), scale=max(1, 500_000 // sum(world.sizes)))
    found = _audit(rows, 999)
    return {(i, g.get("group", "all")): g["flip_rate"] for i, r in enumerate(found["results"])
            for g in [r["overall"], *r["groups"]]}


def _run_worst(*, quick: bool, seed: int) -> list[Row]:
    reps = 40 if quick else 1000
    worlds = (World("2 groups: 20 beside 1,000", (1000, 20)), World("20 groups of 20 to 1,000", (1000,) + (20,) * 19),
              World("half the rows share one vector", (600, 200, 40), shared=0.5))
    rows = []
    for world in worlds:
        truth = _truth(world)
        rng = np.random.default_rng([seed, len(world.sizes), int(world.shared * 10)])
        worst_hits = all_hits = 0
        for rep in range(reps):
            found = _audit(world.draw(rng), rep)
            w = found["worst"]["group_flip_rate"]
            setting = next(i for i, r in enumerate(found["results"]) if r["label"] == w["perturbation"])
            lo, hi = w["ci"]
            worst_hits += lo <= truth[(setting, w["group"])] <= hi
            all_hits += all(c["flip_rate_ci"][0] <= truth[(i, c.get("group", "all"))] <= c["flip_rate_ci"][1]
                            for i, r in enumerate(found["results"]) for c in [r["overall"], *r["groups"]])
        cell = {"world": world.label}
        rows.append(coverage_row("worst_cell", cell, hits=worst_hits, reps=reps, quick=quick,
                                 measure="coverage of the worst group's flip rate (simultaneous)"))
        rows.append(coverage_row("worst_cell", cell, hits=all_hits, reps=reps, quick=quick,
                                 measure="every interval of the family at once"))
    return rows


CHECKS = [
    Check("cell_intervals", "Robustness: a cell's flip rate and accuracy drop",
          "The exact interval of a flip rate and the joined exact interval of an accuracy drop (paired, same rows) "
          "each cover the truth in at least 93% of cells, at flip rates 0.01, 0.5 and 0.99 and cells of 20 rows.",
          _run_cells),
    Check("worst_cell", "Robustness: the worst group under perturbation",
          "The largest group flip rate over every setting and group (what robustness_group_flip_rate gates) is a "
          "maximum of many estimates; its interval, simultaneous over the family, covers its true rate, and every "
          "interval of the family holds at once, in at least 93% of audits, with groups of 20 rows beside 1,000, "
          "20 groups, 2% positive decisions and half the rows sharing one feature vector.", _run_worst),
]
