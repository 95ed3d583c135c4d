"""Groups whose data cannot support a metric do not decide a disparity (``disparity_groups="sufficient"``).

The gate-facing ``disparities`` equal Fairlearn's on the rows of the groups sufficient for the
metric(s) compared; ``disparities_all_groups`` equal Fairlearn's on all rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    equalized_odds_ratio,
)
from sklearn.metrics import precision_score

from audit.exceptions import ConfigError
from audit.fairness import fairness_report

TOL = 1e-12
# disparity -> (Fairlearn function of (y, p, sensitive_features, method), metrics whose denominators count)
FAIRLEARN = {
    "demographic_parity_difference": (demographic_parity_difference, ()),
    "demographic_parity_ratio": (demographic_parity_ratio, ()),
    "equal_opportunity_difference": (equal_opportunity_difference, ("positives",)),
    "equalized_odds_difference": (equalized_odds_difference, ("positives", "negatives")),
    "equalized_odds_ratio": (equalized_odds_ratio, ("positives", "negatives")),
    "predictive_parity_difference": (
        lambda y, p, sensitive_features, method: MetricFrame(
            metrics=lambda a, b: precision_score(a, b, zero_division=0), y_true=y, y_pred=p,
            sensitive_features=sensitive_features).difference(method=method),
        ("predicted_positives",)),
}


def _tiny_extreme_groups(seed: int = 0) -> pd.DataFrame:
    """Three ordinary groups and three extreme small ones (by rows, by positives, by predicted positives)."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, n, base, sel in (("a", 1500, 0.3, 0.3), ("b", 1500, 0.4, 0.35), ("c", 800, 0.35, 0.25)):
        y = (rng.random(n) < base).astype(int)
        p = np.where(rng.random(n) < 0.8, y, (rng.random(n) < sel).astype(int))
        parts.append(pd.DataFrame({"g": name, "y": y, "p": p}))
    parts.append(pd.DataFrame({"g": "tiny", "y": [0, 0, 1, 0], "p": [1, 1, 1, 1]}))  # 4 rows, all selected
    fewpos = np.zeros(200, int)
    fewpos[:3] = 1  # 3 actual positives, all missed: TPR 0
    parts.append(pd.DataFrame({"g": "fewpos", "y": fewpos, "p": np.r_[np.zeros(3, int), (rng.random(197) < 0.3)]}))
    nopred = (rng.random(300) < 0.3).astype(int)
    pred = np.zeros(300, int)
    pred[np.flatnonzero(nopred == 0)[:2]] = 1  # 2 predicted positives, both wrong: precision 0
    parts.append(pd.DataFrame({"g": "nopred", "y": nopred, "p": pred}))
    return pd.concat(parts, ignore_index=True)


def _sufficient_groups(df: pd.DataFrame, needs: tuple, *, min_rows=30, min_pos=10) -> set:
    """The groups the policy must use, counted independently of the engine."""
    out = set()
    for name, d in df.groupby("g"):
        counts = {"positives": int(d.y.sum()), "negatives": int((1 - d.y).sum()), "predicted_positives": int(d.p.sum())}
        if len(d) >= min_rows and all(counts[k] >= min_pos for k in needs):
            out.add(name)
    return out


@pytest.mark.parametrize(("name", "method"), [(n, m) for n in FAIRLEARN for m in ("between_groups", "to_overall")])
def test_gate_disparity_equals_fairlearn_on_the_sufficient_groups_rows(name, method):
    df = _tiny_extreme_groups()
    rep = fairness_report(y_true=df.y, y_pred=df.p, sensitive=df[["g"]], n_boot=0)
    block = rep["by_feature"]["g"]
    key = name + ("_to_overall" if method == "to_overall" else "")
    fn, needs = FAIRLEARN[name]
    used = _sufficient_groups(df, needs)
    entry = block["disparities"][key]
    assert set(entry["groups_used"]) == used and entry["inconclusive_reason"] is None
    sub = df[df.g.isin(used)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fn(sub.y.to_numpy(), sub.p.to_numpy(), sensitive_features=sub.g.to_numpy(), method=method)
        expected_all = fn(df.y.to_numpy(), df.p.to_numpy(), sensitive_features=df.g.to_numpy(), method=method)
    assert entry["value"] == pytest.approx(expected, abs=TOL)
    assert block["disparities_all_groups"][key]["value"] == pytest.approx(expected_all, abs=TOL)


def test_extreme_small_groups_no_longer_decide_the_disparity():
    df = _tiny_extreme_groups()
    block = fairness_report(y_true=df.y, y_pred=df.p, sensitive=df[["g"]], n_boot=200)["by_feature"]["g"]
    # all groups: the 4-row group selecting everyone makes the selection-rate gap about 0.75
    assert block["disparities_all_groups"]["demographic_parity_difference"]["value"] > 0.6
    dp = block["disparities"]["demographic_parity_difference"]
    assert "tiny" not in dp["groups_used"] and dp["value"] < 0.4  # nopred's 2 in 300 vs b's ~0.4
    assert block["disparities_all_groups"]["equal_opportunity_difference"]["value"] > 0.7  # fewpos: TPR 0 of 3
    assert "fewpos" not in block["disparities"]["equal_opportunity_difference"]["groups_used"]
    # small groups stay in the tables with their own intervals
    tiny = next(g for g in block["groups"] if g["group"] == "tiny")
    assert tiny["metrics"]["selection_rate"]["value"] == 1.0 and tiny["metrics"]["selection_rate"]["ci"] is not None


def test_each_group_lists_the_metrics_it_is_insufficient_for():
    df = _tiny_extreme_groups()
    rep = fairness_report(y_true=df.y, y_pred=df.p, sensitive=df[["g"]], n_boot=0, min_group_positives=10)
    groups = {g["group"]: g for g in rep["by_feature"]["g"]["groups"]}
    assert groups["a"]["insufficient_for"] == []
    assert set(groups["tiny"]["insufficient_for"]) == {"selection_rate", "accuracy", "balanced_accuracy", "tpr", "fpr",
                                                      "tnr", "fnr", "precision", "base_rate"}
    assert groups["tiny"]["insufficient_data"]  # rows: the existing flag keeps its meaning
    assert set(groups["fewpos"]["insufficient_for"]) == {"tpr", "fnr", "balanced_accuracy"}
    assert not groups["fewpos"]["insufficient_data"]
    assert groups["fewpos"]["denominators"] == {"positives": 3, "negatives": 197,
                                                "predicted_positives": int(df[df.g == "fewpos"].p.sum())}
    assert groups["nopred"]["insufficient_for"] == ["precision"]
    by_metric = rep["by_feature"]["g"]["insufficient_by_metric"]
    assert by_metric["tpr"] == ["fewpos", "tiny"] and by_metric["precision"] == ["nopred", "tiny"]
    assert rep["min_group_positives"] == 10 and rep["disparity_groups"] == "sufficient"


def test_intersection_cells_are_flagged_by_positives_not_rows():
    rng = np.random.default_rng(3)
    n = 4000
    s = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["x", "y"], n, p=[0.9, 0.1])})
    y = (rng.random(n) < np.where(s.race == "y", 0.02, 0.3)).astype(int)  # race y: about 4 positives per sex
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    block = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=100)["by_feature"]["sex & race"]
    cells = {g["group"]: g for g in block["groups"]}
    for label in ("F & y", "M & y"):
        assert cells[label]["count"] >= 30 and not cells[label]["insufficient_data"]
        assert "tpr" in cells[label]["insufficient_for"]
    assert set(block["disparities"]["equal_opportunity_difference"]["groups_used"]) == {"F & x", "M & x"}


def test_fewer_than_two_sufficient_groups_is_null_with_a_reason():
    rng = np.random.default_rng(4)
    g = np.array(["big"] * 500 + ["small"] * 14)
    y, p = rng.integers(0, 2, 514), rng.integers(0, 2, 514)
    block = fairness_report(y_true=y, y_pred=p, sensitive=pd.DataFrame({"age": g}), n_boot=100)["by_feature"]["age"]
    entry = block["disparities"]["demographic_parity_difference"]
    assert entry["value"] is None and entry["ci"] is None and entry["significant"] is None
    assert entry["groups_used"] == ["big"]
    assert "fewer than two groups" in entry["inconclusive_reason"] and "30 rows" in entry["inconclusive_reason"]
    assert block["four_fifths_rule"]["passed"] is None
    assert block["disparities_all_groups"]["demographic_parity_difference"]["value"] is not None


def test_all_mode_reports_fairlearn_all_groups_values_under_disparities():
    df = _tiny_extreme_groups()
    block = fairness_report(y_true=df.y, y_pred=df.p, sensitive=df[["g"]], n_boot=100,
                            disparity_groups="all")["by_feature"]["g"]
    for name, entry in block["disparities_all_groups"].items():
        assert block["disparities"][name]["value"] == entry["value"]
        assert block["disparities"][name]["ci"] == entry["ci"]
    assert len(block["disparities"]["demographic_parity_difference"]["groups_used"]) == 6


def test_policy_keywords_are_checked():
    with pytest.raises(ConfigError, match="disparity_groups") as err:
        fairness_report(y_true=[0, 1], y_pred=[0, 1], sensitive=pd.DataFrame({"g": ["a", "b"]}),
                        disparity_groups="some", min_group_positives=-1)
    assert "min_group_positives" in str(err.value)  # every problem at once
