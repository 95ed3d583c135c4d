"""Property: on any random table the fairness engine gives Fairlearn's numbers, or a clear DataError.

Tables vary in size, number and size of groups (down to one row, groups with no
positives or no negatives), label encoding (0/1 or strings) and which label is
positive. The error is allowed only for the documented reasons (one group only,
a positive label that does not occur) and must say so.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.exceptions import DataError
from audit.fairness import fairness_report

TOL = 1e-12


@st.composite
def tables(draw):
    n = draw(st.integers(min_value=1, max_value=120))
    n_groups = draw(st.integers(min_value=1, max_value=6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    groups = rng.integers(0, n_groups, n)
    p_pos = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    y = (rng.random(n) < p_pos).astype(int)
    p = np.where(rng.random(n) < draw(st.sampled_from([0.0, 0.5, 0.8, 1.0])), y, 1 - y)
    names = draw(st.sampled_from([(0, 1), ("no", "yes"), ("<=50K", ">50K")]))
    pos_label = names[1] if draw(st.booleans()) else names[0]
    group_names = draw(st.sampled_from([["a", "b", "c", "d", "e", "f"], ["<b>x</b>", "é", "🙂", "0", "nan ", " "]]))
    return {
        "y_true": [names[v] for v in y],
        "y_pred": [names[v] for v in p],
        "sensitive": pd.DataFrame({"g": [group_names[g] for g in groups]}),
        "pos_label": pos_label,
    }


def _fairlearn_by_group(y01: np.ndarray, p01: np.ndarray, g: pd.Series) -> pd.DataFrame:
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    metrics = {
        "selection_rate": selection_rate,
        "accuracy": accuracy_score,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "tnr": true_negative_rate,
        "fnr": false_negative_rate,
        "precision": lambda a, b: precision_score(a, b, zero_division=0),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(metrics=metrics, y_true=y01, y_pred=p01, sensitive_features=g.to_numpy())
    return frame.by_group


def _close(ours, theirs) -> bool:
    if ours is None:
        return theirs is None or (isinstance(theirs, float) and math.isnan(theirs))
    return theirs is not None and not math.isnan(theirs) and abs(ours - theirs) <= TOL


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_random_tables_match_fairlearn_or_raise_a_clear_error(table):
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    g = table["sensitive"]["g"]
    y01 = np.array([v == table["pos_label"] for v in table["y_true"]], dtype=int)
    p01 = np.array([v == table["pos_label"] for v in table["y_pred"]], dtype=int)
    try:
        report = fairness_report(y_true=table["y_true"], y_pred=table["y_pred"], sensitive=table["sensitive"],
                                 pos_label=table["pos_label"], n_boot=0, min_group_size=5, intersections=False)
    except DataError as exc:
        text = str(exc)
        one_group = g.nunique() < 2
        absent = table["pos_label"] not in set(table["y_true"])
        assert one_group or absent, f"unexpected refusal: {text}"
        if one_group:
            assert "single group" in text
        if absent:
            assert "does not occur" in text and "Fix" in text
        return
    expected = _fairlearn_by_group(y01, p01, g)
    feature = report["by_feature"]["g"]
    assert {grp["group"] for grp in feature["groups"]} == set(g.unique())
    for grp in feature["groups"]:
        assert grp["count"] == int((g == grp["group"]).sum())
        assert grp["insufficient_data"] == (grp["count"] < 5)
        for metric in expected.columns:
            ours = grp["metrics"][metric]["value"]
            theirs = float(expected.loc[grp["group"], metric])
            assert _close(ours, theirs), f"{metric}[{grp['group']!r}]: ours {ours}, Fairlearn {theirs}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dpd = demographic_parity_difference(y01, p01, sensitive_features=g.to_numpy())
        eod = equalized_odds_difference(y01, p01, sensitive_features=g.to_numpy())
    assert _close(feature["disparities_all_groups"]["demographic_parity_difference"]["value"], float(dpd))
    assert _close(feature["disparities_all_groups"]["equalized_odds_difference"]["value"], float(eod))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=30))
def test_scores_outside_unit_interval_or_nan_are_refused_never_used(scores):
    n = len(scores)
    y = [i % 2 for i in range(n)]
    sensitive = pd.DataFrame({"g": ["a", "b"] * (n // 2) + ["a"] * (n % 2)})
    arr = np.asarray(scores, dtype=float)
    bad = bool(np.isnan(arr).any() or (arr < 0).any() or (arr > 1).any())
    if bad:
        with pytest.raises(DataError, match=r"y_score"):
            fairness_report(y_true=y, y_pred=y, y_score=scores, sensitive=sensitive, n_boot=0)
    else:
        report = fairness_report(y_true=y, y_pred=y, y_score=scores, sensitive=sensitive, n_boot=0)
        assert report["by_feature"]["g"]["groups"]


def test_one_class_truth_with_the_other_label_predicted_is_accepted():
    sensitive = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    report = fairness_report(y_true=[1, 1, 1, 1], y_pred=[0, 1, 0, 0], sensitive=sensitive, pos_label=1, n_boot=0)
    tpr = {g["group"]: g["metrics"]["tpr"]["value"] for g in report["by_feature"]["g"]["groups"]}
    assert tpr == {"a": 0.5, "b": 0.0}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.integers(1, 8), st.integers(0, 4))
def test_gate_disparities_equal_fairlearn_on_the_sufficient_groups_rows(table, min_rows, min_pos):
    """``disparities`` = Fairlearn on the rows of the groups with enough data, or null when fewer than two."""
    from fairlearn.metrics import demographic_parity_difference, equal_opportunity_difference, equalized_odds_difference

    try:
        report = fairness_report(y_true=table["y_true"], y_pred=table["y_pred"], sensitive=table["sensitive"],
                                 pos_label=table["pos_label"], n_boot=0, min_group_size=min_rows,
                                 min_group_positives=min_pos, intersections=False)
    except DataError:
        return  # refusals are covered above
    g = table["sensitive"]["g"].to_numpy()
    y01 = np.array([v == table["pos_label"] for v in table["y_true"]], dtype=int)
    p01 = np.array([v == table["pos_label"] for v in table["y_pred"]], dtype=int)
    checks = {"demographic_parity_difference": (demographic_parity_difference, ()),
              "equal_opportunity_difference": (equal_opportunity_difference, ("pos",)),
              "equalized_odds_difference": (equalized_odds_difference, ("pos", "neg"))}
    disp = report["by_feature"]["g"]["disparities"]
    for name, (fn, needs) in checks.items():
        used = [k for k in pd.unique(g) if (g == k).sum() >= min_rows
                and ("pos" not in needs or y01[g == k].sum() >= min_pos)
                and ("neg" not in needs or (1 - y01[g == k]).sum() >= min_pos)]
        entry = disp[name]
        assert set(entry["groups_used"]) == set(used), name
        if len(used) < 2:
            assert entry["value"] is None and entry["inconclusive_reason"], name
            continue
        keep = np.isin(g, used)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = float(fn(y01[keep], p01[keep], sensitive_features=g[keep]))
        assert _close(entry["value"], expected), (name, entry["value"], expected)
