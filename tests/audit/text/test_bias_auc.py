"""Identity AUCs: each equals sklearn's roc_auc_score on the subset the paper defines."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from audit.exceptions import DataError
from audit.text import identity_auc_metrics, power_mean


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 1500
    y = rng.integers(0, 2, n)
    groups = {"muslim": rng.random(n) < 0.15, "women": rng.random(n) < 0.3, "deaf": rng.random(n) < 0.1}
    # A biased scorer: mentioning "muslim" adds to the score whatever the label (BPSN should drop).
    scores = y + rng.normal(size=n) + 1.0 * groups["muslim"]
    return y, np.round(scores, 1), groups  # rounding makes ties, which both implementations must handle alike


def test_each_auc_equals_sklearn_on_the_subsets_of_the_definitions(data):
    y, s, groups = data
    out = identity_auc_metrics(y, s, groups, n_boot=0)
    assert out["overall_auc"]["value"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    for name, g in groups.items():
        bg = ~g
        subgroup = g
        bpsn = (bg & (y == 1)) | (g & (y == 0))
        bnsp = (bg & (y == 0)) | (g & (y == 1))
        got = out["subgroups"][name]
        assert got["subgroup_auc"]["value"] == pytest.approx(roc_auc_score(y[subgroup], s[subgroup]), abs=1e-12)
        assert got["bpsn_auc"]["value"] == pytest.approx(roc_auc_score(y[bpsn], s[bpsn]), abs=1e-12)
        assert got["bnsp_auc"]["value"] == pytest.approx(roc_auc_score(y[bnsp], s[bnsp]), abs=1e-12)
        assert got["n"] == g.sum() and got["n_positive"] + got["n_negative"] == g.sum()


def test_a_group_scored_higher_regardless_of_label_has_low_bpsn_and_high_bnsp(data):
    y, s, groups = data
    muslim = identity_auc_metrics(y, s, groups, n_boot=0)["subgroups"]["muslim"]
    assert muslim["bpsn_auc"]["value"] < muslim["subgroup_auc"]["value"] < muslim["bnsp_auc"]["value"]


def test_power_means_and_final_score_follow_the_jigsaw_formula(data):
    y, s, groups = data
    out = identity_auc_metrics(y, s, groups, n_boot=0)
    means = {}
    for fam in ("subgroup_auc", "bpsn_auc", "bnsp_auc"):
        values = np.array([out["subgroups"][g][fam]["value"] for g in groups])
        means[fam] = np.mean(values ** -5.0) ** (1 / -5.0)
        assert out[f"power_mean_{fam}"]["value"] == pytest.approx(means[fam])
    expected = 0.25 * roc_auc_score(y, s) + 0.25 * sum(means.values())
    assert out["final_score"]["value"] == pytest.approx(expected)
    assert power_mean([0.5, 1.0]) < np.mean([0.5, 1.0])


def test_a_side_below_min_size_gives_a_reason_instead_of_a_value(data):
    y, s, _ = data
    tiny = np.zeros(len(y), dtype=bool)
    tiny[np.flatnonzero(y == 1)[:3]] = True  # three positives, no negatives
    got = identity_auc_metrics(y, s, {"tiny": tiny}, n_boot=0, min_size=5)["subgroups"]["tiny"]
    assert got["subgroup_auc"]["value"] is None and "subgroup negatives has 0" in got["subgroup_auc"]["reason"]
    assert got["bpsn_auc"]["value"] is None and got["bnsp_auc"]["value"] is None
    assert got["bnsp_auc"]["sides"]["subgroup positives"] == 3


def test_intervals_cover_the_point_and_are_json_and_seeded(data):
    y, s, groups = data
    first = identity_auc_metrics(y, s, groups, n_boot=50, seed=1)
    assert json.dumps(first, allow_nan=False) == json.dumps(identity_auc_metrics(y, s, groups, n_boot=50, seed=1))
    for key in ("overall_auc", "final_score", "power_mean_bpsn_auc"):
        low, high = first[key]["ci"]
        assert low <= first[key]["value"] <= high
    low, high = first["subgroups"]["women"]["bnsp_auc"]["ci"]
    assert low < first["subgroups"]["women"]["bnsp_auc"]["value"] < high
    # each AUC's interval needs no resampling
    assert identity_auc_metrics(y, s, groups, n_boot=0)["subgroups"]["women"]["bnsp_auc"]["ci"] == [low, high]


def test_an_auc_interval_on_a_perfect_small_ranking_is_not_a_point():
    y = np.r_[np.ones(10), np.zeros(200)].astype(int)
    s = np.r_[np.full(10, 5.0), np.linspace(0, 1, 200)]
    g = np.r_[np.ones(10, bool), np.zeros(100, bool), np.ones(10, bool), np.zeros(90, bool)]
    bnsp = identity_auc_metrics(y, s, {"g": g}, n_boot=0)["subgroups"]["g"]["bnsp_auc"]
    assert bnsp["value"] == 1.0
    # 10 subgroup positives: no narrower than Clopper-Pearson for 10 of 10 (Birnbaum-Klose's worst case)
    assert bnsp["ci"] == pytest.approx([0.025 ** (1 / 10), 1.0])


def test_the_interval_narrows_to_delongs_with_many_texts():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 4000)
    s = y + rng.normal(size=4000)
    value, ci = identity_auc_metrics(y, s, {}, n_boot=0)["overall_auc"].values()
    pos, neg = s[y == 1], s[y == 0]
    v10 = (pos[:, None] > neg[None, :]).mean(axis=1)
    v01 = (pos[:, None] > neg[None, :]).mean(axis=0)
    se = np.sqrt(v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size)
    assert ci[0] == pytest.approx(value - 1.96 * se, abs=2e-3) and ci[1] == pytest.approx(value + 1.96 * se, abs=2e-3)


def test_the_lowest_auc_has_an_interval_adjusted_for_choosing_it(data):
    y, s, groups = data
    out = identity_auc_metrics(y, s, groups, n_boot=0)
    worst = out["worst"]["bpsn_auc"]
    assert worst["subgroup"] == "muslim" and worst["value"] == out["subgroups"]["muslim"]["bpsn_auc"]["value"]
    assert worst["n_subgroups"] == 3 and worst["level_each"] == pytest.approx(1 - 0.05 / 3)
    assert worst["ci_subgroup"] == out["subgroups"]["muslim"]["bpsn_auc"]["ci"]
    assert worst["ci"][0] < worst["ci_subgroup"][0] and worst["ci"][1] > worst["ci_subgroup"][1]
    assert worst["lower_bound_all_subgroups"] <= worst["ci"][0]
    tiny = np.zeros(len(y), dtype=bool)
    none = identity_auc_metrics(y, s, {"tiny": tiny}, n_boot=0)["worst"]["bpsn_auc"]
    assert none["value"] is None and "enough test texts" in none["reason"]


def test_bad_inputs_are_refused():
    with pytest.raises(DataError, match="labels"):
        identity_auc_metrics([0, 2], [0.1, 0.2], {})
    with pytest.raises(DataError, match="boolean"):
        identity_auc_metrics([0, 1], [0.1, 0.2], {"g": [1, 0]})
    with pytest.raises(DataError, match="finite"):
        identity_auc_metrics([0, 1], [0.1, np.nan], {})


def _row_by_row_bootstrap(y, s, masks, usable, n_boot, seed):
    """The previous resampler (each resample's rows ranked afresh), kept as the reference."""
    from audit.text._bias_auc import _point, _summary, auc

    rng = np.random.default_rng(seed)
    summ: dict[str, list[float]] = {}
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), size=len(y))
        yb, sb = y[idx], s[idx]
        vals = _point(yb, sb, {g: m[idx] for g, m in masks.items()})
        overall = auc(yb, sb)
        summ.setdefault("overall_auc", []).append(overall)
        for key, value in _summary(vals, overall, usable).items():
            summ.setdefault(key, []).append(value)
    return summ


@pytest.mark.parametrize("seed", [0, 1])
def test_the_counted_bootstrap_equals_ranking_each_resample(seed):
    """Ties (scores rounded to 0.1), a subgroup of 6 rows whose resamples often lack a class, and one usable flag off."""
    from audit.text._bias_auc import _bootstrap

    rng = np.random.default_rng(seed)
    n = 400
    y = (rng.random(n) < 0.3).astype(int)
    s = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 1)
    masks = {"a": rng.random(n) < 0.2, "b": rng.random(n) < 0.5, "tiny": np.arange(n) < 6}
    usable = {"a": dict.fromkeys(("subgroup_auc", "bpsn_auc", "bnsp_auc"), True),
              "b": {"subgroup_auc": True, "bpsn_auc": False, "bnsp_auc": True},
              "tiny": dict.fromkeys(("subgroup_auc", "bpsn_auc", "bnsp_auc"), True)}
    new = _bootstrap(y, s, masks, usable, 150, seed)
    old = _row_by_row_bootstrap(y, s, masks, usable, 150, seed)
    assert new.keys() == old.keys()
    for key in old:
        np.testing.assert_allclose(new[key], old[key], rtol=0, atol=1e-12, equal_nan=True, err_msg=key)
