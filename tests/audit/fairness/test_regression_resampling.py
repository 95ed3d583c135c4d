"""The regression bootstrap's resampled cell sums: exact counts drawn in cache-sized blocks, and the normal
approximation used only when every cell is large (issue 27: 1,000 resamples at 1M rows were 94 s of row-by-row
draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.fairness import _regression_ci
from audit.fairness._regression import regression_fairness_report
from audit.fairness._regression_ci import NORMAL_MIN_ROWS, resampled_cell_sums

SIZES = (5, 30, 3, 0, 12, 2)  # with a block of 8 rows: small bundles, large cells split in blocks, an empty cell


def _counts(sizes, *, n_boot: int, seed: int, approximate: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-row counts of every resample: the cell sums of an identity matrix (row j's column counts row j)."""
    cell = np.repeat(np.arange(len(sizes)), sizes)
    perm = np.random.default_rng(99).permutation(len(cell))  # rows not sorted by cell
    cell = cell[perm]
    sums = np.concatenate(list(resampled_cell_sums(np.eye(len(cell)), cell, len(sizes), n_boot=n_boot,
                                                   rng=np.random.default_rng(seed), approximate=approximate)))
    return sums, cell


@pytest.fixture
def small_block(monkeypatch):
    monkeypatch.setattr(_regression_ci, "_BLOCK", 8)
    monkeypatch.setattr(_regression_ci, "_CHUNK_COUNTS", 64)  # several chunks of resamples too


def test_every_resample_draws_each_cells_rows_from_that_cell_and_keeps_its_size(small_block):
    sums, cell = _counts(SIZES, n_boot=300, seed=0)
    counts = np.rint(sums)
    assert np.allclose(sums, counts, atol=1e-3)  # float32 products of integer counts
    assert (counts >= 0).all()
    for c, k in enumerate(SIZES):
        inside = cell == c
        assert (counts[:, c, ~inside] == 0).all(), "a row was drawn into another cell"
        assert (counts[:, c, inside].sum(axis=1) == k).all(), "a cell changed size"


def test_each_row_count_is_binomial_n_over_n_as_in_row_by_row_resampling(small_block):
    """Drawing k rows of a cell with replacement counts each row Binomial(k, 1/k): mean 1, variance 1 - 1/k."""
    sums, cell = _counts(SIZES, n_boot=4000, seed=1)
    for c, k in enumerate(SIZES):
        if k < 3:
            continue
        row_counts = np.rint(sums[:, c, cell == c])
        assert row_counts.mean() == pytest.approx(1.0, abs=0.03)
        assert row_counts.var() == pytest.approx(1.0 - 1.0 / k, rel=0.06)
        # independent blocks would correlate counts at 0; drawing k rows makes them -1/k on average
        corr = np.corrcoef(row_counts.T)[np.triu_indices(k, 1)].mean()
        assert corr == pytest.approx(-1.0 / (k - 1), abs=0.02)


def test_the_same_seed_gives_the_same_resamples():
    a, _ = _counts(SIZES, n_boot=50, seed=7)
    b, _ = _counts(SIZES, n_boot=50, seed=7)
    c, _ = _counts(SIZES, n_boot=50, seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_large_values_keep_their_precision_in_the_float32_product():
    """Rows far from 0 (a mean prediction of 1e6) are centred on their cell before the float32 product."""
    rng = np.random.default_rng(3)
    rows = 1e6 + rng.normal(size=(2000, 1))
    cell = np.zeros(2000, dtype=np.int64)
    sums = np.concatenate(list(resampled_cell_sums(rows, cell, 1, n_boot=200, rng=rng)))
    sd = sums[:, 0, 0].std()
    assert sd == pytest.approx(np.sqrt(2000) * rows.std(), rel=0.15)  # float32 of raw sums would be off by ~100


def test_the_normal_approximation_has_the_resampled_sums_mean_and_covariance():
    rng = np.random.default_rng(4)
    x = rng.gamma(2.0, size=(3000, 1))
    rows = np.column_stack([x, x * x, 5.0 + 0 * x])
    cell = rng.integers(0, 2, 3000)
    sums = np.concatenate(list(resampled_cell_sums(rows, cell, 2, n_boot=4000, rng=rng, approximate=True)))
    for c in range(2):
        r = rows[cell == c]
        assert sums[:, c].mean(axis=0) == pytest.approx(r.sum(axis=0), rel=0.01)
        cov = np.cov(sums[:, c, :2].T)
        assert cov == pytest.approx(len(r) * np.cov(r[:, :2].T, bias=True), rel=0.1)
        assert np.allclose(sums[:, c, 2], 5.0 * len(r))  # a constant column has no spread


def _two_groups(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    y = 3.0 * rng.normal(size=2 * n)
    p = y + rng.gamma(4.0, size=2 * n) / 2.0 - 2.0
    return {"y_true": y, "y_pred": p, "sensitive": pd.DataFrame({"g": np.repeat(["a", "b"], n)})}


def test_the_approximation_is_used_and_named_only_when_every_cell_is_large():
    big = regression_fairness_report(**_two_groups(NORMAL_MIN_ROWS), n_boot=200, seed=0)
    small = regression_fairness_report(**_two_groups(NORMAL_MIN_ROWS - 1), n_boot=200, seed=0)
    assert "normal approximation" in big["ci"]["method"]
    assert small["ci"]["method"] == "studentized bootstrap"


def test_approximate_and_exact_intervals_agree_on_large_cells(monkeypatch):
    data = _two_groups(NORMAL_MIN_ROWS)
    approx = regression_fairness_report(**data, n_boot=2000, seed=0)
    monkeypatch.setattr("audit.fairness._regression.NORMAL_MIN_ROWS", 10 ** 9)
    exact = regression_fairness_report(**data, n_boot=2000, seed=0)
    assert exact["ci"]["method"] == "studentized bootstrap"
    for a, e in zip(approx["by_feature"]["g"]["groups"], exact["by_feature"]["g"]["groups"], strict=True):
        for m in ("mae", "rmse", "mean_error"):
            width = e[m]["ci"][1] - e[m]["ci"][0]
            assert np.allclose(a[m]["ci"], e[m]["ci"], atol=0.05 * width), m
