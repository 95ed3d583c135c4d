"""The intervals of a robustness cell: exact against scipy, and covering in the hard cells by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from audit.robustness import cell_figures, drop_interval, simultaneous_level


@pytest.mark.parametrize(("k", "n"), [(0, 20), (3, 20), (20, 20), (17, 1000), (512, 16281)])
def test_the_flip_rate_interval_is_scipys_exact_interval(k, n):
    before = np.zeros(n, dtype=int)
    after = np.r_[np.ones(k, dtype=int), np.zeros(n - k, dtype=int)]
    cell = cell_figures(before, after, before, level=0.95, n_family=4)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert cell["flip_rate_ci_marginal"] == pytest.approx([ref.low, ref.high], abs=1e-9)
    joint = stats.binomtest(k, n).proportion_ci(confidence_level=simultaneous_level(0.95, 4), method="exact")
    assert cell["flip_rate_ci"] == pytest.approx([joint.low, joint.high], abs=1e-9)


def test_the_counts_of_a_cell():
    y = np.array([1, 1, 1, 0, 0, 0])
    before = np.array([1, 1, 0, 0, 0, 1])  # 4 right
    after = np.array([1, 0, 1, 0, 1, 1])  # 3 right: row 1 right->wrong, row 2 wrong->right, row 4 right->wrong
    cell = cell_figures(before, after, y, level=0.95, n_family=1)
    assert (cell["flips"], cell["right_to_wrong"], cell["wrong_to_right"]) == (3, 2, 1)
    assert cell["accuracy_drop"] == pytest.approx(cell["accuracy"] - cell["accuracy_perturbed"])


@pytest.mark.parametrize(("n", "p10", "p01"), [(20, 0.01, 0.0), (20, 0.2, 0.05), (1000, 0.01, 0.01),
                                               (1000, 0.0, 0.02), (200, 0.5, 0.45)])
def test_the_drop_interval_covers_in_the_hard_cells(n, p10, p01):
    """The joined exact interval keeps 95% coverage of p10 - p01 with few rows and rare discordant pairs."""
    rng = np.random.default_rng(0)
    draws = rng.multinomial(n, [p10, p01, 1 - p10 - p01], size=2000)
    hits = 0
    for n10, n01, _ in draws:
        lo, hi = drop_interval(int(n10), int(n01), n, 0.95)
        hits += lo <= p10 - p01 <= hi
    assert hits / len(draws) >= 0.95
