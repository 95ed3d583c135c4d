"""Adaptive numeric cut points (audit._slice_cuts) and deduplicated rows in the slice search (issue 27)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit import slices
from audit._slice_cuts import adaptive_ranges, candidate_ranges, family_size, fine_bins
from audit.slices import find_slices, slice_mask

# capital-gain values of Adult's test split with their row counts (a subset; 0 for the other ~92% of rows)
_GAINS = {114: 6, 401: 2, 594: 10, 914: 4, 1055: 12, 1151: 4, 1409: 6, 1471: 4, 1506: 10, 1797: 5, 1831: 4,
          2050: 5, 2174: 25, 2176: 10, 2202: 8, 2228: 5, 2290: 6, 2346: 4, 2354: 6, 2407: 12, 2414: 4, 2463: 6,
          2580: 6, 2597: 12, 2635: 6, 2829: 12, 2885: 10, 2907: 6, 2936: 4, 2961: 3, 2964: 4, 2977: 4, 2993: 4,
          3103: 55, 3137: 14, 3325: 28, 3411: 10, 3464: 10, 3674: 8, 3818: 4, 3908: 10, 3942: 4, 4064: 12,
          4101: 9, 4386: 38, 4416: 12, 4508: 11, 4650: 22, 4787: 12, 4865: 8, 4934: 3, 5013: 48, 5060: 1,
          5178: 49, 5455: 7, 5721: 4, 6418: 7, 6497: 4, 6514: 5, 6849: 15, 7298: 118, 7430: 6, 7688: 126,
          8614: 22, 9386: 12, 10520: 16, 13550: 16, 14084: 16, 14344: 12, 15024: 171, 20051: 16, 27828: 16,
          99999: 80}
_LO, _HI = 4462, 5036


def _adult_like(seed: int = 0, n: int = 16_281):
    """Adult-shaped rows; the model errs 80% of the time on 55 married rows with capital-gain 4462–5036."""
    rng = np.random.default_rng(seed)
    married = rng.random(n) < 0.46
    gain = np.zeros(n)
    values, counts = np.array(list(_GAINS)), np.array(list(_GAINS.values()), dtype=float)
    has = np.flatnonzero(rng.random(n) < 0.08)
    gain[has] = rng.choice(values, len(has), p=counts / counts.sum())
    in_range = (gain >= _LO) & (gain <= _HI)
    gain[in_range & married] = 0.0  # then plant exactly 55 married rows in the range (unmarried ones stay, ~50)
    planted = rng.choice(np.flatnonzero(married & (gain == 0)), 55, replace=False)
    gain[planted] = rng.choice([4508, 4650, 4787, 4865, 5013], 55)
    X = pd.DataFrame({
        "age": rng.integers(17, 90, n).astype(float),
        "education-num": rng.integers(1, 17, n).astype(float),
        "marital-status": np.where(married, "Married-civ-spouse", rng.choice(["Never-married", "Divorced"], n)),
        "occupation": rng.choice(["Sales", "Exec", "Craft", "Service", "Admin"], n),
        "sex": rng.choice(["Male", "Female"], n),
        "capital-gain": gain,
        "hours-per-week": rng.integers(10, 70, n).astype(float),
    })
    is_planted = np.zeros(n, bool)
    is_planted[planted] = True
    rate = np.where(is_planted, 0.8, np.where(married, 0.2, 0.1))
    y = rng.integers(0, 2, n)
    return X, y, np.where(rng.random(n) < rate, 1 - y, y), is_planted


def _recovered(found: dict, X: pd.DataFrame, planted: np.ndarray) -> list[dict]:
    """Significant slices erring ≥ 70% of the time, ≥ 80% of whose rows are planted, holding ≥ 2/3 of the planted rows.

    (The cut points are one partition per feature, chosen over all rows and within each categorical
    feature's levels: a value that most unmarried rows hold at the base error rate, such as 5013,
    may stay outside the range, so the slice found can hold part of the planted rows.)
    """
    out = []
    for s in found["by_error_rate"] + found["by_gap"]:
        rows = slice_mask(X, s["conditions"])
        hit = (rows & planted).sum()
        if s["significant"] and s["error_rate"] >= 0.7 and hit >= 0.8 * rows.sum() and hit >= planted.sum() * 2 / 3:
            out.append(s)
    return out


def test_adaptive_cuts_find_a_planted_numeric_range_that_four_quantile_bins_miss():
    X, y, p, planted = _adult_like()
    assert planted.sum() == 55
    adaptive = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30)
    quantile = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30, n_bins=4, cuts="quantile")
    found = _recovered(adaptive, X, planted)
    assert found, adaptive["by_error_rate"][:3]
    assert "marital-status = Married-civ-spouse" in found[0]["label"] and "capital-gain" in found[0]["label"]
    assert found[0] == adaptive["by_error_rate"][0]  # the top slice
    for s in quantile["by_error_rate"] + quantile["by_gap"]:  # no quantile slice is mostly the planted rows
        rows = slice_mask(X, s["conditions"])
        assert (rows & planted).sum() < 0.5 * rows.sum(), s["label"]
    assert adaptive["max_significant_error_rate"] >= 0.7 > quantile["max_significant_error_rate"]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_planted_range_is_found_for_other_draws(seed):
    X, y, p, planted = _adult_like(seed)
    assert _recovered(find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30), X, planted)


def test_repeated_rows_are_searched_once_with_their_count(monkeypatch):
    X, y, p, _ = _adult_like(3, n=3000)
    X, y, p = pd.concat([X] * 3, ignore_index=True), np.tile(y, 3), np.tile(p, 3)  # every row three times
    deduped = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30)
    monkeypatch.setattr(slices, "_dedupe", lambda f, yy, pp: (f, yy, pp, np.ones(len(yy))))
    row_by_row = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30)
    assert deduped == row_by_row


def test_ranges_separate_the_error_rate_and_never_split_equal_values():
    x = np.sort(np.random.default_rng(0).integers(0, 50, 2000)).astype(float)
    err = ((x >= 20) & (x <= 24)).astype(float)
    ranges = adaptive_ranges(x, err, np.ones(2000), n_bins=4, min_size=30)
    assert ranges[0][0] == 0 and ranges[-1][1] == 2000
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert all(x[a - 1] != x[a] for a, _ in ranges[1:])  # a cut between two distinct values
    assert any(x[a] == 20 and x[b - 1] == 24 for a, b in ranges)


def test_fine_bins_and_the_family_count_every_range_the_cuts_could_choose():
    assert fine_bins(np.ones(5), max_bins=8).tolist() == [0, 1, 2, 3, 4]
    x = np.repeat(np.arange(4.0), 10)  # 4 fine bins of 10 rows: ranges of 1-3 bins (the 4-bin range is every row)
    assert candidate_ranges(x, np.ones(40), min_size=10, total=40) == 4 + 3 + 2
    assert candidate_ranges(x, np.ones(40), min_size=25, total=40) == 2
    assert family_size([9, 4], 1) == 13 and family_size([9, 4], 2) == 13 + 36
