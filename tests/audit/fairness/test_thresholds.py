"""Threshold curves equal a brute-force recount; equalising thresholds close the gap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.fairness import equalizing_thresholds, rates_at_threshold, threshold_analysis


def _brute(y, s, g, group, t):
    idx = g == group
    sel = s[idx] >= t
    pos = y[idx] == 1
    return sel.mean(), (sel & pos).sum() / pos.sum(), (sel & ~pos).sum() / (~pos).sum()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 2000
    g = rng.choice(["a", "b", "c"], n)
    s = np.round(rng.random(n), 2)  # ties on purpose
    y = (rng.random(n) < s).astype(int)
    return y, s, g


def test_every_distinct_threshold_equals_brute_force(data):
    y, s, g = data
    a = threshold_analysis(y_true=y, y_score=s, sensitive=pd.Series(g, name="grp"))
    for group, c in a["groups"].items():
        for k in range(0, len(c["thresholds"]), 7):
            sel, tpr, fpr = _brute(y, s, g, group, c["thresholds"][k])
            assert c["selection_rate"][k] == pytest.approx(sel, abs=1e-12)
            assert c["tpr"][k] == pytest.approx(tpr, abs=1e-12)
            assert c["fpr"][k] == pytest.approx(fpr, abs=1e-12)


def test_rates_at_any_threshold_equal_brute_force_after_json_round_trip(data):
    y, s, g = data
    a = json.loads(json.dumps(threshold_analysis(y_true=y, y_score=s, sensitive=pd.Series(g, name="grp"))))
    for t in (0.0, 0.005, 0.33, 0.5, 0.505, 0.99, 1.0):
        r = rates_at_threshold(a, t)
        for group in ("a", "b", "c"):
            sel, tpr, fpr = _brute(y, s, g, group, t)
            assert r[group]["selection_rate"] == pytest.approx(sel, abs=1e-12)
            assert r[group]["tpr"] == pytest.approx(tpr, abs=1e-12)
            assert r[group]["fpr"] == pytest.approx(fpr, abs=1e-12)


def test_grid_thresholds_equal_brute_force(data):
    y, s, g = data
    grid = np.linspace(0, 1, 21)
    a = threshold_analysis(y_true=y, y_score=s, sensitive=pd.Series(g, name="grp"), thresholds=grid)
    for k, t in enumerate(grid):
        sel, _, _ = _brute(y, s, g, "b", t)
        assert a["groups"]["b"]["selection_rate"][k] == pytest.approx(sel, abs=1e-12)


@pytest.mark.parametrize("criterion,metric", [("demographic_parity", "selection_rate"), ("equal_opportunity", "tpr")])
def test_equalizing_thresholds_reach_target(data, criterion, metric):
    y, s, g = data
    s2 = np.clip(s + np.where(g == "a", 0.2, 0.0), 0, 1)  # group a scored higher
    sens = pd.Series(g, name="grp")
    r = equalizing_thresholds(y_true=y, y_score=s2, sensitive=sens, criterion=criterion)
    before = rates_at_threshold(threshold_analysis(y_true=y, y_score=s2, sensitive=sens), 0.5)
    gap_before = max(v[metric] for v in before.values()) - min(v[metric] for v in before.values())
    after = rates_at_threshold(threshold_analysis(y_true=y, y_score=s2, sensitive=sens), r["thresholds"])
    gap_after = max(v[metric] for v in after.values()) - min(v[metric] for v in after.values())
    assert gap_after < gap_before / 3
    assert r["max_gap"] == pytest.approx(gap_after, abs=1e-12)
