"""multiclass_fairness_report: every number equals Fairlearn's MetricFrame; intervals, nulls and bad inputs."""

from __future__ import annotations

import json
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn.metrics import MetricFrame, selection_rate

from audit.exceptions import ConfigError, DataError
from audit.fairness._multiclass import multiclass_fairness_report

TOL = 1e-12
CLASSES = ["cat", "dog", "bird"]
K = len(CLASSES)
MIN_SIZE, MIN_POS = 30, 10
GROUP_METRICS = {
    "accuracy": skm.accuracy_score,
    "macro_recall": partial(skm.recall_score, average="macro", zero_division=0),
    "macro_f1": partial(skm.f1_score, average="macro", zero_division=0),
}


def _table(seed: int = 0, n: int = 1500) -> dict:
    """Groups: big 'red'/'blue', a 'tiny' one (< 30 rows), missing colours; 'blue' never sees class 2; int levels."""
    rng = np.random.default_rng(seed)
    color = rng.choice(np.array(["red", "blue", "green"], dtype=object), n, p=[0.45, 0.35, 0.20])
    color[:12] = "tiny"
    color[12:72] = None
    level = rng.integers(1, 4, n)
    y = rng.integers(0, K, n)
    p = np.where(rng.random(n) < 0.6 + 0.1 * level, y, rng.integers(0, K, n))
    blue = color == "blue"
    y[blue] = rng.integers(0, 2, blue.sum())
    p[blue] = np.where(rng.random(blue.sum()) < 0.7, y[blue], 1 - y[blue])
    p[(color == "green") & (p == 1)] = 0  # green: class 1 never predicted
    proba = rng.dirichlet(np.ones(K), n)
    sens = pd.DataFrame({"color": color, "level": level})
    return {"y": y, "p": p, "proba": proba, "sens": sens}


@pytest.fixture(scope="module")
def data():
    return _table()


@pytest.fixture(scope="module")
def report(data):
    return multiclass_fairness_report(y_true=data["y"], y_pred=data["p"], proba=data["proba"], sensitive=data["sens"],
                                      classes=CLASSES, n_boot=200, seed=0)


def _fl_sens(sens: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The sensitive columns as Fairlearn sees them: text, missing values as '<missing>'."""
    return sens[columns].astype(object).where(sens[columns].notna(), "<missing>").astype(str)


def _frame(metrics, y, p, sens) -> MetricFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on classes absent from a group
        return MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sens)


def _key(values: dict):
    key = tuple(values.values())
    return key if len(key) > 1 else key[0]


BLOCKS = [("color", ["color"]), ("level", ["level"]), ("color & level", ["color", "level"])]


@pytest.mark.parametrize("key,columns", BLOCKS)
def test_group_metrics_equal_metricframe(report, data, key, columns):
    sens = _fl_sens(data["sens"], columns)
    mf = _frame(GROUP_METRICS, data["y"], data["p"], sens)
    by_group = mf.by_group.dropna(how="all")
    block = report["by_feature"][key]
    assert len(block["groups"]) == len(by_group)
    for g in block["groups"]:
        row = by_group.loc[_key(g["values"])]
        for m in GROUP_METRICS:
            assert g[m]["value"] == pytest.approx(row[m], abs=TOL), (g["group"], m)
        rows = (sens.agg(" & ".join, axis=1) == g["group"]).to_numpy()
        assert g["n"] == rows.sum()
        assert g["confusion"] == skm.confusion_matrix(data["y"][rows], data["p"][rows], labels=range(K)).tolist()
        for c, name in enumerate(CLASSES):
            assert g["selection_rate"][name] == pytest.approx(selection_rate(data["y"][rows], data["p"][rows],
                                                                             pos_label=c), abs=TOL)
            true_c = (data["y"][rows] == c).sum()
            expected = skm.recall_score(data["y"][rows], data["p"][rows], labels=[c], average=None, zero_division=0)[0]
            assert g["recall"][name] == (pytest.approx(expected, abs=TOL) if true_c >= MIN_POS else None)


def _sufficient_rows(sens: pd.DataFrame) -> np.ndarray:
    label = sens.agg(" & ".join, axis=1)
    return (label.map(label.value_counts()) >= MIN_SIZE).to_numpy()


@pytest.mark.parametrize("key,columns", BLOCKS)
def test_disparities_equal_metricframe_over_sufficient_groups(report, data, key, columns):
    sens = _fl_sens(data["sens"], columns)
    keep = _sufficient_rows(sens)
    y, p, s = data["y"][keep], data["p"][keep], sens[keep]
    disp = report["by_feature"][key]["disparities"]
    diff = _frame(GROUP_METRICS, y, p, s).difference()
    for m in GROUP_METRICS:
        assert disp[f"{m}_difference"]["value"] == pytest.approx(diff[m], abs=TOL)
        assert set(disp[f"{m}_difference"]["groups_used"]) == set(s.agg(" & ".join, axis=1))
    sel = _frame({c: partial(selection_rate, pos_label=i) for i, c in enumerate(CLASSES)}, y, p, s)
    sr_diff, sr_ratio = disp["selection_rate_difference_ovr"], disp["selection_rate_ratio_ovr"]
    for c in CLASSES:
        assert sr_diff["by_class"][c] == pytest.approx(sel.difference()[c], abs=TOL)
        assert sr_ratio["by_class"][c] == pytest.approx(sel.ratio()[c], abs=TOL)
    assert sr_diff["value"] == pytest.approx(sel.difference().max(), abs=TOL)
    assert sr_diff["worst_class"] == sel.difference().idxmax()
    assert sr_ratio["value"] == pytest.approx(sel.ratio().min(), abs=TOL)
    assert sr_ratio["worst_class"] == sel.ratio().idxmin()
    _assert_recall_ovr(disp["recall_difference_ovr"], y, p, s)


def _assert_recall_ovr(entry: dict, y, p, s) -> None:
    """Per class: Fairlearn's recall difference over the groups with >= MIN_POS true rows of the class."""
    label = s.agg(" & ".join, axis=1)
    expected = {}
    for c, name in enumerate(CLASSES):
        enough = (y == c).astype(int)
        counts = pd.Series(enough).groupby(label.to_numpy()).sum()
        keep = label.isin(counts[counts >= MIN_POS].index).to_numpy()
        if counts.ge(MIN_POS).sum() < 2:
            assert entry["by_class"][name] is None
            continue
        recall_c = partial(skm.recall_score, labels=[c], average="macro", zero_division=0)
        expected[name] = _frame({"r": recall_c}, y[keep], p[keep], s[keep]).difference()["r"]
        assert entry["by_class"][name] == pytest.approx(expected[name], abs=TOL)
    assert entry["value"] == pytest.approx(max(expected.values()), abs=TOL)
    assert entry["worst_class"] == max(expected, key=expected.get)


def test_overall_equals_sklearn(report, data):
    y, p = data["y"], data["p"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {
            "accuracy": skm.accuracy_score(y, p),
            "macro_precision": skm.precision_score(y, p, average="macro", zero_division=0),
            "macro_recall": skm.recall_score(y, p, average="macro"),
            "macro_f1": skm.f1_score(y, p, average="macro"),
            "balanced_accuracy": skm.balanced_accuracy_score(y, p),
        }
    for m, v in expected.items():
        assert report["overall"][m]["value"] == pytest.approx(v, abs=TOL), m
    assert report["overall"]["n"] == len(y)


def test_class_absent_from_a_group_follows_sklearn_macro_average():
    # group a never sees class 2 (left out of its macro average); group b predicts class 2 with no true rows (recall 0)
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    p = np.array([0, 1, 1, 1, 0, 2, 0, 1])
    s = pd.DataFrame({"g": list("aaaabbbb")})
    r = multiclass_fairness_report(y_true=y, y_pred=p, proba=None, sensitive=s, classes=CLASSES, n_boot=0,
                                   min_group_size=1, min_group_positives=1)
    a, b = r["by_feature"]["g"]["groups"]
    assert a["macro_recall"]["value"] == pytest.approx(skm.recall_score(y[:4], p[:4], average="macro"), abs=TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert b["macro_f1"]["value"] == pytest.approx(skm.f1_score(y[4:], p[4:], average="macro"), abs=TOL)
    assert b["recall"]["bird"] is None and b["selection_rate"]["bird"] == 0.25


def test_small_and_missing_groups_are_reported_and_excluded(report):
    block = report["by_feature"]["color"]
    groups = {g["group"]: g for g in block["groups"]}
    assert groups["tiny"]["n"] == 12 and not groups["tiny"]["sufficient"]
    assert groups["<missing>"]["n"] == 60 and groups["<missing>"]["sufficient"]
    assert [e["group"] for e in block["excluded_groups"]] == ["tiny"]
    assert "12 rows < min_group_size = 30" in block["excluded_groups"][0]["reason"]
    assert "tiny" not in block["disparities"]["accuracy_difference"]["groups_used"]
    assert groups["blue"]["recall"]["bird"] is None  # blue has no true bird rows
    assert report["by_feature"]["level"]["groups"][0]["group"] == "1"  # integer labels become text


def test_intervals_contain_the_estimate(report):
    entries = [report["overall"][m] for m in ("accuracy", "macro_f1", "balanced_accuracy")]
    for block in report["by_feature"].values():
        entries += [g[m] for g in block["groups"] if g["n"] >= 100 for m in ("accuracy", "macro_recall", "macro_f1")]
        entries += [d for d in block["disparities"].values() if d["value"] is not None]
    assert len(entries) > 30
    for e in entries:
        lo, hi = e["ci"]
        assert lo <= e["value"] <= hi


def test_intervals_are_exact_and_do_not_resample(data):
    kw = dict(y_true=data["y"], y_pred=data["p"], proba=None, sensitive=data["sens"], classes=CLASSES, n_boot=200)
    assert multiclass_fairness_report(seed=3, **kw) == multiclass_fairness_report(seed=4, **kw)


def _one_feature(y, p, groups, **kw):
    return multiclass_fairness_report(y_true=y, y_pred=p, proba=None, sensitive=pd.DataFrame({"g": groups}),
                                      classes=CLASSES, min_group_size=1, min_group_positives=1, **kw)


def test_a_rate_of_zero_gets_an_exact_interval_not_width_zero():
    # group A never predicts "bird" in 60 rows: the selection rate is 0, its interval [0, 0.06] (Clopper-Pearson)
    y = np.r_[np.zeros(60, int), np.tile([0, 1, 2], 20)]
    p = np.r_[np.tile([0, 1], 30), np.tile([0, 1, 2], 20)]
    g = ["A"] * 60 + ["B"] * 60
    r = _one_feature(y, p, g)
    a = {x["group"]: x for x in r["by_feature"]["g"]["groups"]}["A"]
    assert a["selection_rate"]["bird"] == 0.0
    lo, hi = a["selection_rate_ci"]["bird"]
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 60), abs=1e-9)
    assert a["recall_ci"]["dog"] is None and a["recall"]["dog"] is None  # no true "dog" rows in A
    for m in ("accuracy", "macro_recall", "macro_f1"):
        lo, hi = a[m]["ci"]
        assert hi > lo and lo <= a[m]["value"] <= hi


def test_identical_groups_give_disparity_intervals_from_zero_and_nothing_significant():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 2000)
    p = np.where(rng.random(2000) < 0.8, y, rng.integers(0, 3, 2000))
    g = rng.choice(["a", "b", "c", "d"], 2000)
    disp = _one_feature(y, p, g)["by_feature"]["g"]["disparities"]
    for name in ("accuracy_difference", "macro_recall_difference", "macro_f1_difference",
                 "selection_rate_difference_ovr", "recall_difference_ovr"):
        assert disp[name]["ci"][0] == 0.0 < disp[name]["value"], name
    assert disp["selection_rate_ratio_ovr"]["ci"][1] == 1.0
    assert not any(d["significant"] for d in disp.values())
    assert disp["macro_f1_difference"]["significant"] is None and disp["macro_f1_difference"]["p_value"] is None


def test_a_shifted_group_is_significant_after_holm_with_its_detectable_difference():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 3000)
    g = rng.choice(["a", "b", "c"], 3000)
    p = np.where(rng.random(3000) < np.where(g == "a", 0.5, 0.9), y, (y + 1) % 3)
    r = _one_feature(y, p, g)
    d = r["by_feature"]["g"]["disparities"]["accuracy_difference"]
    assert d["significant"] and d["p_adjusted"] >= d["p_value"] and d["ci"][0] > 0.3
    assert 0 < d["detectable_difference"] < 0.1
    mt = r["ci"]["multiple_testing"]
    assert mt["tests"] == 3 + 9 + 9 and mt["significant"] >= 1 and mt["untested"] == ["macro_recall_difference",
                                                                                        "macro_f1_difference"]


def test_two_groups_are_one_test_per_rate_not_two():
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 3, 400), rng.integers(0, 3, 400)
    r = _one_feature(y, p, rng.choice(["a", "b"], 400))
    assert r["ci"]["multiple_testing"]["tests"] == 1 + 3 + 3


def test_n_boot_zero_gives_null_intervals(data):
    r = multiclass_fairness_report(y_true=data["y"], y_pred=data["p"], proba=None, sensitive=data["sens"],
                                   classes=CLASSES, n_boot=0)
    assert r["overall"]["accuracy"]["ci"] is None
    block = r["by_feature"]["color"]
    assert all(g["accuracy"]["ci"] is None for g in block["groups"])
    assert all(d["ci"] is None and d["p_value"] is None for d in block["disparities"].values())
    assert block["disparities"]["accuracy_difference"]["value"] is not None
    assert "selection_rate_ci" not in block["groups"][0] and r["ci"]["multiple_testing"] is None


def test_report_is_strict_json(report):
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    assert set(report) >= {"task", "classes", "n", "ci", "overall", "by_feature"}
    assert report["ci"]["method"].startswith("exact") and "box of simultaneous" in report["ci"]["disparity_method"]


def test_disparity_with_fewer_than_two_sufficient_groups_is_null_with_reason(data):
    r = multiclass_fairness_report(y_true=data["y"], y_pred=data["p"], proba=None, sensitive=data["sens"][["color"]],
                                   classes=CLASSES, n_boot=50, min_group_size=600)
    disp = r["by_feature"]["color"]["disparities"]
    for name, d in disp.items():
        assert d["value"] is None and d["ci"] is None and d["groups_used"] == [], name
        assert "fewer than two groups have enough data" in d["reason"] or "no class has two groups" in d["reason"]
    assert disp["recall_difference_ovr"]["worst_class"] is None


LEN_S = pd.DataFrame({"g": list("aabb")})


@pytest.mark.parametrize(
    "kwargs,error,words",
    [
        (dict(y_true=[0, 1, 2], y_pred=[0, 1, 2, 1]), DataError, ["y_pred has 4 rows", "y_true has 3"]),
        (dict(sensitive=LEN_S.iloc[:3]), DataError, ["sensitive has 3 rows"]),
        (dict(proba=np.full((4, 2), 0.5)), DataError, ["proba has shape (4, 2)", "(4, 3)"]),
        (dict(proba=np.full((4, 3), 0.5)), DataError, ["sum to", "softmax"]),
        (dict(classes=["a", "b"]), DataError, ["outside 0..1", "classes has 2 labels"]),
        (dict(classes=["a", "b", "c"], y_pred=[0, 1, 3, 1]), DataError, ["y_pred has class indices [3]"]),
        (dict(y_true=["cat", "dog", "bird", "cat"]), DataError, ["integer class indices", "enumerate(classes)"]),
        (dict(y_true=[0, 1, np.nan, 2]), DataError, ["y_true contains 1 missing"]),
        (dict(classes=["a"]), ConfigError, ["at least two class labels"]),
        (dict(classes=["a", "a", "b"]), ConfigError, ["repeat the label 'a'"]),
        (dict(n_boot=-1), ConfigError, ["n_boot = -1"]),
        (dict(min_group_positives=-2), ConfigError, ["min_group_positives = -2"]),
    ],
)
def test_bad_input_raises_naming_the_problem(kwargs, error, words):
    base = dict(y_true=[0, 1, 2, 0], y_pred=[0, 1, 2, 1], proba=None, sensitive=LEN_S, classes=CLASSES, n_boot=0)
    with pytest.raises(error) as err:
        multiclass_fairness_report(**{**base, **kwargs})
    for w in words:
        assert w in str(err.value)
