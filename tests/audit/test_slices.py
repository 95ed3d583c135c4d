"""Slice discovery (audit.slices): counts, intervals, the Holm correction, masks and the stored features."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import DataError
from audit.result import AuditResult, Slices
from audit.slices import (
    _holm,
    clopper_pearson,
    condition_mask,
    find_slices,
    pack_features,
    slice_mask,
    unpack_features,
    wilson_interval,
)


def _planted(n: int = 4000, seed: int = 0):
    """Random labels, 10% noise, and a planted failure: ``job = c & age ≥ 50`` errs 70% of the time."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"job": rng.choice(["a", "b", "c", "d"], n), "age": rng.integers(18, 80, n).astype(float),
                      "city": rng.choice(["x", "y"], n)})
    X.loc[rng.random(n) < 0.02, "city"] = None
    y = rng.integers(0, 2, n)
    bad = (X["job"] == "c").to_numpy() & (X["age"] >= 50).to_numpy()
    flip = np.where(bad, rng.random(n) < 0.7, rng.random(n) < 0.1)
    return X, y, np.where(flip, 1 - y, y)


def test_planted_failure_ranks_first_and_is_significant():
    X, y, p = _planted()
    found = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30)
    top = found["by_error_rate"][0]
    assert {c["feature"] for c in top["conditions"]} == {"job", "age"}
    assert "job = c" in top["label"] and top["significant"] and top["error_rate"] > 0.5
    assert found["max_significant_error_rate"] == pytest.approx(top["error_rate"])


def test_counts_intervals_and_gap_match_the_rows():
    X, y, p = _planted()
    found = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=20)
    for s in found["by_error_rate"] + found["by_gap"]:
        m = slice_mask(X, s["conditions"])
        assert m.sum() == s["size"] and (y[m] != p[m]).sum() == s["errors"]
        assert s["ci"][0] <= s["error_rate"] <= s["ci"][1]
        rest = (y[~m] != p[~m]).mean()
        assert s["gap"] == pytest.approx(s["error_rate"] - rest)


def test_holm_is_over_every_slice_the_cuts_could_form():
    # issue 27: the numeric cut points are chosen from the errors, so the family is every slice they could form
    # (n_family), not only the slices examined (it was n_examined while the bins were fixed quantiles)
    X, y, p = _planted()
    found = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30)
    assert found["n_examined"] == sum(found["examined_by_depth"].values()) and found["examined_by_depth"]["2"] > 0
    m = found["n_family"]
    assert m > found["n_examined"]
    for s in found["by_error_rate"]:
        assert s["p_adjusted"] >= min(1.0, s["p_value"])  # never below the raw p-value
        assert s["p_adjusted"] <= min(1.0, m * s["p_value"]) + 1e-12  # never above Bonferroni


def test_holm_step_down_matches_the_textbook():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert np.allclose(_holm(p), [0.03, 0.06, 0.06, 0.02])


def test_no_signal_means_no_significant_slice_and_the_gate_value_is_the_overall_rate():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.choice(list("pqrs"), 3000), "b": rng.normal(size=3000)})
    y = rng.integers(0, 2, 3000)
    p = np.where(rng.random(3000) < 0.2, 1 - y, y)
    found = find_slices(X, y_true=y, y_pred=p, max_depth=2)
    assert found["n_significant"] == 0
    assert found["max_significant_error_rate"] == pytest.approx(found["overall_error_rate"])


def test_redundant_children_are_not_examined():
    X = pd.DataFrame({"a": ["u"] * 50 + ["v"] * 50, "b": ["u"] * 50 + ["v"] * 50})  # b repeats a
    found = find_slices(X, y_true=[0] * 100, y_pred=[0] * 100, max_depth=2, min_size=10)
    assert found["examined_by_depth"] == {"1": 4, "2": 0}


def test_dominant_numeric_value_gets_its_own_bin_and_bins_do_not_overlap():
    x = np.r_[np.zeros(900), np.arange(1, 101, dtype=float)]
    X = pd.DataFrame({"gain": x})
    found = find_slices(X, y_true=np.zeros(1000), y_pred=np.zeros(1000), max_depth=1, min_size=1, top_k=50,
                        cuts="quantile")  # adaptive cuts keep one range when the error rate does not vary (below)
    labels = {s["label"] for s in found["by_error_rate"]}
    assert "gain = 0" in labels
    assert sum(s["size"] for s in found["by_error_rate"]) == 1000
    wrong = np.r_[np.zeros(900), (np.arange(100) % 2).astype(float)]  # errors only where gain > 0
    adaptive = find_slices(X, y_true=np.zeros(1000), y_pred=wrong, max_depth=1, min_size=1, top_k=50, n_bins=2)
    assert {s["label"] for s in adaptive["by_error_rate"]} == {"gain = 0", "gain 1–100"}


def test_slice_intervals_are_simultaneous_over_every_slice_of_the_family():
    X, y, p = _planted()
    found = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30)
    m = found["n_family"]  # issue 27: adaptive cuts; n_examined with quantile bins (below)
    quantile = find_slices(X, y_true=y, y_pred=p, max_depth=2, min_size=30, cuts="quantile")
    assert quantile["n_family"] == quantile["n_examined"]
    for s in found["by_error_rate"]:
        lo, hi = clopper_pearson(s["errors"], s["size"], level=1 - 0.05 / m)
        assert s["ci"] == pytest.approx([float(lo), float(hi)])
        assert s["ci"][0] <= s["ci_marginal"][0] <= s["error_rate"] <= s["ci_marginal"][1] <= s["ci"][1]
    top = max((s for s in found["by_error_rate"] if s["significant"]), key=lambda s: s["error_rate"])
    assert found["max_significant_error_rate_ci"] == top["ci"]
    assert "simultaneous" in found["settings"]["interval"]


def test_without_a_significant_slice_the_gate_interval_is_the_overall_rate_exact_interval():
    X = pd.DataFrame({"a": ["u", "v"] * 100})
    found = find_slices(X, y_true=[0] * 200, y_pred=[0] * 190 + [1] * 10, max_depth=1)
    assert found["n_significant"] == 0
    lo, hi = clopper_pearson(10, 200)
    assert found["max_significant_error_rate_ci"] == pytest.approx([float(lo), float(hi)])


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(np.array([0, 10]), np.array([10, 10]))
    assert lo[0] == 0 and hi[1] == pytest.approx(1) and 0.25 < hi[0] < 0.35


def test_adult_sized_search_is_fast():
    rng = np.random.default_rng(0)
    n = 16_281
    X = pd.DataFrame({f"c{i}": rng.choice([f"v{j}" for j in range(8)], n) for i in range(8)}
                     | {f"n{i}": rng.normal(size=n) for i in range(4)})
    y = rng.integers(0, 2, n)
    find_slices(X.head(100), y_true=y[:100], y_pred=y[:100])  # imports
    t0 = time.perf_counter()
    find_slices(X, y_true=y, y_pred=np.where(rng.random(n) < 0.2, 1 - y, y), max_depth=2)
    assert time.perf_counter() - t0 < 2.0


def test_wrong_lengths_and_depth_are_refused():
    with pytest.raises(DataError, match="one label and one prediction per row"):
        find_slices(pd.DataFrame({"a": [1, 2]}), y_true=[0], y_pred=[0, 1])
    with pytest.raises(DataError, match="max_depth"):
        find_slices(pd.DataFrame({"a": [1]}), y_true=[0], y_pred=[0], max_depth=4)


def test_condition_mask_handles_missing_and_unknown_features():
    f = pd.DataFrame({"a": [1.0, None, 3.0], "b": ["x", None, "y"]})
    assert condition_mask(f, {"feature": "a", "missing": True}).tolist() == [False, True, False]
    assert condition_mask(f, {"feature": "b", "values": ["y"]}).tolist() == [False, False, True]
    with pytest.raises(DataError, match="lack"):
        condition_mask(f, {"feature": "zzz", "values": ["y"]})


def test_packed_features_round_trip():
    f = pd.DataFrame({"a": [1.5, None, 2.0], "b": ["x", None, "y"]})
    arr, cols = pack_features(f)
    assert arr.dtype == np.float64 and cols[1]["categories"] == ["x", "y"]
    back = unpack_features(arr, cols)
    assert back["b"].tolist()[0] == "x" and pd.isna(back["b"].tolist()[1]) and np.isnan(back["a"][1])
    with pytest.raises(DataError):
        unpack_features(arr[:, :1], cols)


def test_section_reads_back_losslessly():
    X, y, p = _planted(1000)
    found = find_slices(X, y_true=y, y_pred=p, min_size=20)
    found.pop("settings")
    d = {"correction": "holm", "models": {"private": found}, "features": pack_features(X)[1]}
    from audit.result import to_jsonable

    d = to_jsonable(d)
    s = Slices.from_dict(d)
    assert s.to_dict() == d and s.models["private"].by_error_rate[0].conditions
    r = AuditResult(run={"name": "r"}, data={}, models={}, slices=d)
    assert AuditResult.from_json(r.to_json()).slices.models["private"].n_examined == found["n_examined"]


def test_gate_reads_the_highest_significant_slice_error_rate():
    from audit.config import GateSpec
    from audit.verdict.gates import evaluate_gates

    X, y, p = _planted()
    found = find_slices(X, y_true=y, y_pred=p, max_depth=2)
    found.pop("settings")
    from audit.result import to_jsonable

    r = AuditResult(run={"name": "r"}, data={}, models={}, slices={"models": {"private": to_jsonable(found)}})
    spec = GateSpec(metric="max_significant_slice_error_rate", model="private", max=0.5)
    g = evaluate_gates([spec], r)[0]
    assert g.value == pytest.approx(found["max_significant_error_rate"]) and g.value > 0.5 and not g.passed
    assert g.ci == found["max_significant_error_rate_ci"]  # the selected slice's simultaneous interval
    assert g.ci[0] <= g.value <= g.ci[1]
    missing = evaluate_gates([spec], AuditResult(run={"name": "r"}, data={}, models={}))[0]
    assert missing.value is None and not missing.passed  # no error analysis: never a pass
