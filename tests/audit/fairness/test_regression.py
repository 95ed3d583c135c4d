"""regression_fairness_report: every number equals Fairlearn's MetricFrame; intervals, nulls and bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn.metrics import MetricFrame

from audit.exceptions import ConfigError, DataError
from audit.fairness._regression import regression_fairness_report
from audit.fairness._regression_ci import MIN_ROWS, MIN_ROWS_RMSE

TOL = 1e-12
MIN_SIZE = 30
GROUP_METRICS = {
    "mae": skm.mean_absolute_error,
    "rmse": lambda yt, yp: float(np.sqrt(skm.mean_squared_error(yt, yp))),
    "mean_prediction": lambda yt, yp: float(np.mean(yp)),
    "mean_target": lambda yt, yp: float(np.mean(yt)),
    "mean_error": lambda yt, yp: float(np.mean(yp - yt)),
}


def _table(seed: int = 0, n: int = 1500) -> dict:
    """Groups: big 'red'/'blue'/'green', a 'tiny' one (< 30 rows), missing colours; integer levels; unequal noise."""
    rng = np.random.default_rng(seed)
    color = rng.choice(np.array(["red", "blue", "green"], dtype=object), n, p=[0.45, 0.35, 0.20])
    color[:12] = "tiny"
    color[12:72] = None
    level = rng.integers(1, 4, n)
    y = 50.0 + 10.0 * rng.normal(size=n) + 3.0 * level
    noise = np.where(color == "blue", 6.0, 3.0) + level
    p = y + noise * rng.normal(size=n) + np.where(color == "green", 2.0, 0.0)
    return {"y": y, "p": p, "sens": pd.DataFrame({"color": color, "level": level})}


@pytest.fixture(scope="module")
def data():
    return _table()


@pytest.fixture(scope="module")
def report(data):
    return regression_fairness_report(y_true=data["y"], y_pred=data["p"], sensitive=data["sens"], n_boot=200, seed=0)


def _fl_sens(sens: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The sensitive columns as Fairlearn sees them: text, missing values as '<missing>'."""
    return sens[columns].astype(object).where(sens[columns].notna(), "<missing>").astype(str)


def _key(values: dict):
    key = tuple(values.values())
    return key if len(key) > 1 else key[0]


BLOCKS = [("color", ["color"]), ("level", ["level"]), ("color & level", ["color", "level"])]


@pytest.mark.parametrize("key,columns", BLOCKS)
def test_group_metrics_equal_metricframe(report, data, key, columns):
    mf = MetricFrame(metrics=GROUP_METRICS, y_true=data["y"], y_pred=data["p"],
                     sensitive_features=_fl_sens(data["sens"], columns))
    by_group = mf.by_group.dropna(how="all")
    block = report["by_feature"][key]
    assert len(block["groups"]) == len(by_group)
    for g in block["groups"]:
        row = by_group.loc[_key(g["values"])]
        for m in GROUP_METRICS:
            assert g[m]["value"] == pytest.approx(row[m], abs=TOL), (g["group"], m)
        assert g["sufficient"] == (g["n"] >= MIN_SIZE)


@pytest.mark.parametrize("key,columns", BLOCKS)
def test_disparities_equal_metricframe_over_sufficient_groups(report, data, key, columns):
    sens = _fl_sens(data["sens"], columns)
    label = sens.agg(" & ".join, axis=1)
    keep = (label.map(label.value_counts()) >= MIN_SIZE).to_numpy()
    mf = MetricFrame(metrics=GROUP_METRICS, y_true=data["y"][keep], y_pred=data["p"][keep],
                     sensitive_features=sens[keep])
    disp = report["by_feature"][key]["disparities"]
    expected = {
        "mae_difference": mf.difference()["mae"],
        "mae_ratio": mf.ratio()["mae"],
        "rmse_difference": mf.difference()["rmse"],
        "rmse_ratio": mf.ratio()["rmse"],
        "mean_prediction_difference": mf.difference()["mean_prediction"],
        "mean_error_difference": mf.difference()["mean_error"],
        "worst_group_mae": mf.group_max()["mae"],
        "worst_group_rmse": mf.group_max()["rmse"],
    }
    for name, value in expected.items():
        assert disp[name]["value"] == pytest.approx(value, abs=TOL), name
        assert set(disp[name]["groups_used"]) == set(label[keep])
    by_group = mf.by_group
    assert disp["worst_group_mae"]["worst_group"] == " & ".join(np.atleast_1d(by_group["mae"].idxmax()))
    assert disp["worst_group_rmse"]["worst_group"] == " & ".join(np.atleast_1d(by_group["rmse"].idxmax()))


def test_overall_equals_sklearn(report, data):
    y, p = data["y"], data["p"]
    expected = {
        "mae": skm.mean_absolute_error(y, p),
        "rmse": skm.root_mean_squared_error(y, p),
        "r2": skm.r2_score(y, p),
        "mean_prediction": np.mean(p),
        "mean_target": np.mean(y),
        "mean_error": np.mean(p - y),
    }
    for m, v in expected.items():
        assert report["overall"][m]["value"] == pytest.approx(v, abs=TOL), m
    assert report["overall"]["n"] == len(y)


def test_small_and_missing_groups_are_reported_and_excluded(report):
    block = report["by_feature"]["color"]
    groups = {g["group"]: g for g in block["groups"]}
    assert groups["tiny"]["n"] == 12 and not groups["tiny"]["sufficient"]
    assert groups["<missing>"]["n"] == 60 and groups["<missing>"]["sufficient"]
    assert [e["group"] for e in block["excluded_groups"]] == ["tiny"]
    assert "tiny" not in block["disparities"]["mae_difference"]["groups_used"]
    assert block["disparities"]["worst_group_mae"]["worst_group"] == "blue"
    assert report["by_feature"]["level"]["groups"][0]["group"] == "1"


def test_group_intervals_are_studentized_bootstrap_and_rmse_is_withheld_below_its_floor(report):
    red = {g["group"]: g for g in report["by_feature"]["color"]["groups"]}["red"]
    assert red["rmse"]["ci"] is not None and red["mae"]["ci"][0] > 0  # log scale: MAE's interval stays above 0
    assert report["intervals"]["mae"].startswith("studentized bootstrap on the log scale")
    assert "studentized" in report["intervals"]["mean_error"] and "square root" in report["intervals"]["rmse"]
    small = [g for b in report["by_feature"].values() for g in b["groups"] if MIN_ROWS <= g["n"] < MIN_ROWS_RMSE]
    assert small
    for g in small:
        assert g["rmse"]["ci"] is None and f"< {MIN_ROWS_RMSE}" in g["rmse"]["ci_reason"]
        assert g["mae"]["ci"] is not None and g["mean_error"]["ci"] is not None
    tiny = [g for b in report["by_feature"].values() for g in b["groups"] if g["n"] < MIN_ROWS]
    assert all(g["mae"]["ci"] is None and "rows" in g["mae"]["ci_reason"] for g in tiny)


def test_intervals_contain_the_estimate(report):
    entries = [report["overall"][m] for m in ("mae", "rmse", "r2", "mean_error")]
    for block in report["by_feature"].values():
        entries += [g[m] for g in block["groups"] if g["n"] >= 30 for m in ("mae", "mean_prediction", "mean_error")]
        entries += [g["rmse"] for g in block["groups"] if g["n"] >= MIN_ROWS_RMSE]
        entries += list(block["disparities"].values())
    assert len(entries) > 30
    for e in entries:
        lo, hi = e["ci"]
        assert lo <= e["value"] <= hi


def test_identical_groups_give_difference_intervals_from_zero():
    rng = np.random.default_rng(5)
    y = rng.normal(size=3000)
    p = y + rng.normal(size=3000)
    r = regression_fairness_report(y_true=y, y_pred=p, sensitive=pd.DataFrame({"g": rng.choice(list("abcd"), 3000)}),
                                   n_boot=500)
    d = r["by_feature"]["g"]["disparities"]
    for name in ("mae_difference", "rmse_difference", "mean_error_difference", "mean_prediction_difference"):
        assert d[name]["ci"][0] == 0.0 < d[name]["value"] <= d[name]["ci"][1], name
    for name in ("mae_ratio", "rmse_ratio"):
        assert d[name]["ci"][1] == 1.0
    lo, hi = d["worst_group_mae"]["ci"]
    assert lo < 0.8 < hi  # E|N(0, 1)| = 0.798, whichever group looks worst
    # the gap the interval would resolve with 80% probability (groups of ~750 rows, errors N(0, 1))
    assert 0.05 < d["mae_difference"]["detectable_difference"] < 0.5
    assert "detectable_difference" not in d["mae_ratio"]


def test_a_group_without_spread_has_no_interval_and_says_why():
    y = np.arange(60.0)
    p = y + np.r_[np.full(30, 1.0), np.linspace(-2, 2, 30)]
    r = regression_fairness_report(y_true=y, y_pred=p, sensitive=pd.DataFrame({"g": ["flat"] * 30 + ["x"] * 30}),
                                   n_boot=200)
    flat = r["by_feature"]["g"]["groups"][0]
    assert flat["mae"]["value"] == 1.0 and flat["mae"]["ci"] is None and "same absolute error" in flat["mae"]["ci_reason"]
    d = r["by_feature"]["g"]["disparities"]["mae_difference"]
    assert d["value"] is not None and d["ci"] is None and "a compared group" in d["ci_reason"]


def test_deterministic_under_seed(data):
    kw = dict(y_true=data["y"], y_pred=data["p"], sensitive=data["sens"], n_boot=200)
    a = regression_fairness_report(seed=3, **kw)
    assert a == regression_fairness_report(seed=3, **kw)
    assert a != regression_fairness_report(seed=4, **kw)


def test_n_boot_zero_gives_null_intervals(data):
    r = regression_fairness_report(y_true=data["y"], y_pred=data["p"], sensitive=data["sens"], n_boot=0)
    assert r["overall"]["mae"]["ci"] is None and r["overall"]["rmse"]["ci"] is None
    block = r["by_feature"]["color & level"]
    assert all(g[m]["ci"] is None for g in block["groups"] for m in ("mae", "rmse"))
    assert all(d["ci"] is None for d in block["disparities"].values())
    assert block["disparities"]["mae_difference"]["value"] is not None


def test_report_is_strict_json(report):
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert set(report) >= {"task", "n", "ci", "intervals", "overall", "by_feature"}


def test_disparity_with_fewer_than_two_sufficient_groups_is_null_with_reason(data):
    r = regression_fairness_report(y_true=data["y"], y_pred=data["p"], sensitive=data["sens"][["color"]], n_boot=50,
                                   min_group_size=600)
    for name, d in r["by_feature"]["color"]["disparities"].items():
        assert d["value"] is None and d["ci"] is None and d["groups_used"] == [], name
        assert "fewer than two groups have enough data (1 of 5" in d["reason"]
    assert r["by_feature"]["color"]["disparities"]["worst_group_mae"]["worst_group"] is None


def test_perfect_predictions_give_a_null_ratio_with_reason():
    y = np.arange(8.0)
    r = regression_fairness_report(y_true=y, y_pred=y, sensitive=pd.DataFrame({"g": list("aaaabbbb")}), n_boot=20,
                                   min_group_size=2)
    d = r["by_feature"]["g"]["disparities"]
    assert d["mae_difference"]["value"] == 0.0
    assert d["mae_ratio"]["value"] is None and "largest group mae is 0" in d["mae_ratio"]["reason"]


S = pd.DataFrame({"g": list("aabb")})


@pytest.mark.parametrize(
    "kwargs,error,words",
    [
        (dict(y_true=[1.0, 2.0, 3.0]), DataError, ["y_pred has 4 rows", "y_true has 3"]),
        (dict(sensitive=S.iloc[:3]), DataError, ["sensitive has 3 rows"]),
        (dict(y_pred=[1.0, np.inf, 2.0, np.nan]), DataError, ["y_pred has 2 missing or infinite"]),
        (dict(y_true=["a", "b", "c", "d"]), DataError, ["y_true has dtype", "convert it to float"]),
        (dict(y_true=np.ones((4, 2))), DataError, ["y_true has shape (4, 2)"]),
        (dict(y_true=[]), DataError, ["empty"]),
        (dict(ci_level=1.5), ConfigError, ["ci_level = 1.5"]),
        (dict(min_group_size=0), ConfigError, ["min_group_size = 0"]),
    ],
)
def test_bad_input_raises_naming_the_problem(kwargs, error, words):
    base = dict(y_true=[1.0, 2.0, 3.0, 4.0], y_pred=[1.5, 2.0, 2.5, 4.0], sensitive=S, n_boot=0)
    with pytest.raises(error) as err:
        regression_fairness_report(**{**base, **kwargs})
    for w in words:
        assert w in str(err.value)
