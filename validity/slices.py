"""Error-analysis slices: family-wise error of `significant` slices, coverage of the selected slice's interval.

Every simulated audit draws a test set from a known generative model (features, and an error
probability for every row that depends on its features) and runs :func:`audit.slices.find_slices`
with the pipeline's settings (depth 2, numeric features cut adaptively into at most 4 ranges;
``min_size`` 30, and 20 in the small-slice cells). The grid holds the hard cells: error rates 0.01
and 0.3, several hundred slices examined, slices of 20 rows, half of the rows sharing one feature
vector, and six continuous features whose cut points are chosen from the errors (the family then
counts every slice the cuts could form).

* **Null** (the error rate is the same for every row): the share of audits with any significant
  slice, at most 5%.
* **Selected slice**: with error rates that differ between slices, the slice the gate reads (the
  highest error rate among significant slices) is a maximum over hundreds of estimates; its
  reported interval must cover its true error rate (the mean error probability of the population
  rows that satisfy its conditions, from a sample of 400,000 population rows).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from audit.slices import find_slices, slice_mask
from validity._harness import Check, Row, coverage_row, error_row

ALPHA = 0.05
_LEVELS = ("a", "b", "c", "d", "e")


@dataclass(frozen=True)
class SliceWorld:
    """A generative model of test rows: features, and each row's error probability."""

    label: str
    n: int
    base: float
    n_categorical: int = 6
    min_size: int = 30
    shared_share: float = 0.0  # share of rows that are copies of one feature vector
    driver: float = 0.0  # error probability added where f0 = "a"
    interaction: bool = True  # and added again where also f1 = "a"
    n_numeric: int = 0  # extra continuous features x0, x1, ...
    age_driver: float = 0.0  # error probability added where age is 40-49

    def rows(self, rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
        data = {f"f{j}": rng.choice(np.array(_LEVELS), n) for j in range(self.n_categorical)}
        data["age"] = rng.integers(18, 80, n).astype(float)
        data["income"] = np.round(rng.lognormal(10, 1, n), -2)
        data.update({f"x{j}": rng.normal(size=n) for j in range(self.n_numeric)})
        frame = pd.DataFrame(data)
        if self.shared_share:
            same = rng.random(n) < self.shared_share
            for j in range(self.n_categorical):
                frame.loc[same, f"f{j}"] = "b"
            frame.loc[same, "age"] = 40.0
            frame.loc[same, "income"] = 30000.0
        p = np.full(n, self.base)
        if self.driver:
            a0, a1 = (frame["f0"] == "a").to_numpy(), (frame["f1"] == "a").to_numpy()
            p = p + self.driver * a0 + self.driver * (a0 & a1) * self.interaction
        p = p + self.age_driver * ((frame["age"] >= 40) & (frame["age"] <= 49)).to_numpy()
        return frame, p

    def draw(self, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        frame, p = self.rows(rng, self.n)
        y = rng.integers(0, 2, self.n)
        wrong = rng.random(self.n) < p
        return frame, y, np.where(wrong, 1 - y, y)


NULL_WORLDS = (
    SliceWorld("2,000 rows, error rate 0.01", 2000, 0.01),
    SliceWorld("2,000 rows, error rate 0.3", 2000, 0.3),
    SliceWorld("1,000 rows, error rate 0.3, slices of 20+ rows, 10 features", 1000, 0.3, n_categorical=8, min_size=20),
    SliceWorld("1,000 rows, error rate 0.01, slices of 20+ rows", 1000, 0.01, min_size=20),
    SliceWorld("2,000 rows, error rate 0.3, half the rows share one feature vector", 2000, 0.3, shared_share=0.5),
    SliceWorld("2,000 rows, error rate 0.01, half the rows share one feature vector", 2000, 0.01, shared_share=0.5,
               min_size=20),
    SliceWorld("2,000 rows, error rate 0.3, 6 continuous features cut from the errors", 2000, 0.3, n_categorical=3,
               n_numeric=4),
    SliceWorld("1,000 rows, error rate 0.05, 6 continuous features, slices of 20+", 1000, 0.05, n_categorical=2,
               n_numeric=4, min_size=20),
)
SELECTED_WORLDS = (
    SliceWorld("2,000 rows, 0.1 base, f0 = a at 0.3 (0.5 with f1 = a)", 2000, 0.1, driver=0.2),
    SliceWorld("2,000 rows, 0.1 base, f0 = a at 0.3: the highest of ~40 sub-slices at 0.3", 2000, 0.1, driver=0.2,
               interaction=False),
    SliceWorld("1,000 rows, 0.01 base, f0 = a at 0.11, slices of 20+", 1000, 0.01, driver=0.1, min_size=20),
    SliceWorld("2,000 rows, 0.3 base, f0 = a at 0.4, half share one vector", 2000, 0.3, driver=0.1, shared_share=0.5),
    SliceWorld("2,000 rows, 0.1 base, age 40-49 at 0.35 (a range the cuts must find), 4 continuous", 2000, 0.1,
               n_numeric=2, age_driver=0.25),
)


def _found(world: SliceWorld, rng: np.random.Generator) -> tuple[dict, pd.DataFrame]:
    frame, y, pred = world.draw(rng)
    return find_slices(frame, y_true=y, y_pred=pred, max_depth=2, min_size=world.min_size, alpha=ALPHA), frame


@lru_cache(maxsize=8)
def _population(world: SliceWorld) -> tuple[pd.DataFrame, np.ndarray]:
    return world.rows(np.random.default_rng(987), 400_000)


def _run_fwer(*, quick: bool, seed: int) -> list[Row]:
    reps = 60 if quick else 1000
    rows = []
    for wi, world in enumerate(NULL_WORLDS):
        if quick and wi not in (0, 4, 6):
            continue
        rng = np.random.default_rng([seed, 31, zlib.crc32(world.label.encode())])
        errors, examined, family = 0, [], []
        for _ in range(reps):
            found, _ = _found(world, rng)
            errors += found["n_significant"] > 0
            examined.append(found["n_examined"])
            family.append(found["n_family"])
        rows.append(error_row("family_wise_error", {"world": world.label}, errors=errors, reps=reps,
                              measure="audits with any significant slice",
                              detail=f"{int(np.median(examined))} slices examined, a family of "
                                     f"{int(np.median(family)):,} (medians)"))
    return rows


def _selected(found: dict) -> dict | None:
    """The slice the gate reads: the highest error rate among the significant ones."""
    sig = [s for s in found["by_error_rate"] if s["significant"]]
    return max(sig, key=lambda s: s["error_rate"]) if sig else None


def _run_selected(*, quick: bool, seed: int) -> list[Row]:
    reps = 60 if quick else 1000
    rows = []
    for wi, world in enumerate(SELECTED_WORLDS):
        if quick and wi not in (1, 4):
            continue
        population, prob = _population(world)
        rng = np.random.default_rng([seed, 32, zlib.crc32(world.label.encode())])
        hits = marginal = trials = 0
        for _ in range(reps):
            found, _ = _found(world, rng)
            chosen = _selected(found)
            if chosen is None:
                continue
            truth = float(prob[slice_mask(population, chosen["conditions"])].mean())
            hits += chosen["ci"][0] - 1e-12 <= truth <= chosen["ci"][1] + 1e-12
            marginal += chosen["ci_marginal"][0] - 1e-12 <= truth <= chosen["ci_marginal"][1] + 1e-12
            trials += 1
        rows.append(coverage_row("selected_slice", {"world": world.label}, hits=hits, reps=trials, quick=quick,
                                 measure="coverage of the selected slice's interval",
                                 detail=f"a slice was significant in {trials} of {reps} audits; the unadjusted "
                                        f"exact interval (ci_marginal) covered {marginal / max(trials, 1):.1%}"))
    return rows


CHECKS = [
    Check("family_wise_error", "Slices: family-wise error of `significant` at the null",
          "With one error rate for every row, the share of audits in which any slice is flagged significant (one-"
          "sided exact binomial test against the overall error rate, Holm over every slice the adaptive numeric cuts "
          "could form) stays at or below 5%.", _run_fwer),
    Check("selected_slice", "Slices: the interval of the selected slice",
          "The slice the gate max_significant_slice_error_rate reads (the highest error rate among significant "
          "slices, a maximum over hundreds of estimates) has an interval that covers its true error rate.",
          _run_selected),
]
