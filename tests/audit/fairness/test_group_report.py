"""One group-report engine: every kind's report is laid out, checked and assembled by the same layers.

A battery runs over the three kinds (binary, multiclass, regression) on the same rows and groups; the engine's
pieces are tested on their own below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit import choices
from audit.exceptions import DataError
from audit.fairness import METRIC_DENOMINATORS, fairness_report, multiclass_fairness_report, regression_fairness_report
from audit.fairness._group_report import (
    MetricSpec,
    check_rows,
    excluded_groups,
    few_groups,
    group_layout,
    interval_entry,
    spread,
    sufficient,
)
from audit.fairness._holm import holm, holm_adjusted
from audit.fairness._specs import GROUP_REPORTS, MULTICLASS_DISPARITIES, REGRESSION_DISPARITIES
from audit.fairness._sufficiency import inconclusive_reason, sufficient_mask

RNG = np.random.default_rng(7)
N = 400
SENSITIVE = pd.DataFrame({"sex": RNG.choice(["F", "M", None], N, p=[0.45, 0.45, 0.1]),
                          "race": RNG.choice(["a", "b", "c"], N, p=[0.6, 0.35, 0.05])})


def _report(kind: str) -> dict:
    common = {"sensitive": SENSITIVE, "n_boot": 50, "min_group_size": 30, "seed": 0}
    if kind == "binary":
        y = RNG.integers(0, 2, N)
        return fairness_report(y_true=y, y_pred=np.where(RNG.random(N) < 0.7, y, 1 - y), y_score=RNG.random(N),
                               **common)
    if kind == "multiclass":
        y = RNG.integers(0, 3, N)
        return multiclass_fairness_report(y_true=y, y_pred=np.where(RNG.random(N) < 0.6, y, RNG.integers(0, 3, N)),
                                          proba=None, classes=["a", "b", "c"], **common)
    t = RNG.lognormal(3, 0.5, N)
    return regression_fairness_report(y_true=t, y_pred=t * RNG.normal(1, 0.2, N), **common)


@pytest.fixture(scope="module", params=list(GROUP_REPORTS))
def kind_report(request) -> tuple[str, dict]:
    return request.param, _report(request.param)


def test_every_kind_groups_the_rows_the_same_way(kind_report):
    _, report = kind_report
    layout = group_layout(SENSITIVE, n=N, intersections=True, problems=[])
    assert list(report["by_feature"]) == [g.key for g in layout.groupings] == ["sex", "race", "sex & race"]
    for g in layout.groupings:
        block = report["by_feature"][g.key]
        assert [x["group"] for x in block["groups"]] == g.labels
        assert "<missing>" in [x["group"] for x in report["by_feature"]["sex"]["groups"]]


def test_every_kind_assembles_the_same_shape(kind_report):
    kind, report = kind_report
    assert list(report)[-2:] == ["overall", "by_feature"] and report["n"] == N
    assert report["min_group_size"] == 30 and report["missing_group"] == "<missing>"
    for block in report["by_feature"].values():
        assert list(block)[:3] == ["features", "groups", "disparities"]
        assert set(GROUP_REPORTS[kind].disparities) <= set(block["disparities"])
        for d in block["disparities"].values():
            assert set(d) >= {"value", "ci"}


def test_every_kind_leaves_small_groups_out_with_the_engine_reason(kind_report):
    kind, report = kind_report
    block = report["by_feature"]["sex & race"]
    rows = {x["group"]: x.get("n", x.get("count")) for x in block["groups"]}
    small = sorted(g for g, n in rows.items() if n < 30)
    assert small  # race c and the missing sexes are thin
    if kind == "binary":
        assert sorted(block["insufficient_groups"]) == small
    else:
        assert sorted(x["group"] for x in block["excluded_groups"]) == small
        assert all(x["reason"] == f"{x['n']} rows < min_group_size = 30" for x in block["excluded_groups"])
    used = set(block["disparities"][GROUP_REPORTS[kind].disparities[0]]["groups_used"])
    assert used.isdisjoint(small)


def test_the_disparity_lists_are_the_specifications():
    assert GROUP_REPORTS["binary"].disparities == choices.FAIRNESS_DISPARITIES
    assert GROUP_REPORTS["multiclass"].disparities == tuple(MULTICLASS_DISPARITIES)
    assert set(MULTICLASS_DISPARITIES) == set(choices.MULTICLASS_DISPARITIES)
    assert set(REGRESSION_DISPARITIES) == set(choices.REGRESSION_DISPARITIES)
    for kind, spec in GROUP_REPORTS.items():
        for name in spec.disparities:
            d = MULTICLASS_DISPARITIES.get(name) if kind == "multiclass" else REGRESSION_DISPARITIES.get(name)
            assert d is None or d.metric in spec.metrics, (kind, name)


def test_binary_denominators_come_from_the_specifications():
    assert METRIC_DENOMINATORS == {"selection_rate": (), "accuracy": (), "balanced_accuracy": ("positives", "negatives"),
                                   "tpr": ("positives",), "fpr": ("negatives",), "tnr": ("negatives",),
                                   "fnr": ("positives",), "precision": ("predicted_positives",), "base_rate": (),
                                   "roc_auc": ("positives", "negatives"), "ece": ()}


def test_sufficiency_needs_the_rows_and_each_denominator():
    den = {"rows": np.array([40, 40, 12, 40]), "positives": np.array([15, 4, 10, 0]),
           "negatives": np.array([25, 36, 2, 40]), "predicted_positives": np.array([10, 5, 3, 0])}
    got = sufficient_mask(den, ("tpr", "fpr"), min_group_size=30, min_group_positives=10)
    assert got.tolist() == [True, False, False, False]
    assert sufficient_mask(den, ("accuracy",), min_group_size=30, min_group_positives=10).tolist() == [True, True, False, True]
    per_class = MetricSpec("recall", "recall of a class", denominators=("class_rows",), per_class=True)
    mask = sufficient(np.array([50, 8]), per_class, {"class_rows": np.array([[12, 3], [8, 0]])}, min_group_size=10,
                      min_group_positives=5)
    assert mask.tolist() == [[True, False], [False, False]]


def test_few_groups_reads_the_same_in_every_kind():
    assert inconclusive_reason(("tpr",), used=1, total=3, min_group_size=30, min_group_positives=10) == few_groups(
        1, 3, min_rows=30, metrics="tpr", extra=" and 10 actual positives")
    assert few_groups(0, 2, min_rows=5) == ("fewer than two groups have enough data (0 of 2: at least 5 rows); "
                                            "a disparity needs two groups to compare")


def test_excluded_groups_and_entries():
    groups = [{"group": "a", "n": 40, "sufficient": True}, {"group": "b", "n": 3, "sufficient": False}]
    assert excluded_groups(groups, min_group_size=30) == [{"group": "b", "n": 3, "reason": "3 rows < min_group_size = 30"}]
    assert interval_entry(float("nan"), (0.1, 0.2)) == {"value": None, "ci": None}
    assert interval_entry(0.3, (0.1, float("inf"))) == {"value": 0.3, "ci": None}
    assert interval_entry(0.3, None, reason="ignored without bounds") == {"value": 0.3, "ci": None}


def test_spread_is_the_statistic_of_each_disparity():
    x, mask = np.array([0.2, 0.8, 0.5]), np.array([True, False, True])
    assert [round(float(v), 12) for v in spread(x, mask)] == [0.3, 0.4, 0.5]
    assert all(np.isnan(v) for v in spread(x, np.array([True, False, False])))


def test_row_checks_name_every_input_of_another_length():
    with pytest.raises(DataError) as err:
        check_rows([1, 2, 3], {"y_pred": [1, 2], "sensitive": None, "proba": [1]}, empty="no rows", not_1d="{name} {shape}")
    assert [p.split(" has ")[0] for p in err.value.problems] == ["y_pred", "proba"]
    with pytest.raises(DataError, match="sensitive ()"):
        check_rows([1], {"sensitive": None}, empty="no rows", not_1d="{name} {shape}", skip_none=False)
    with pytest.raises(DataError, match="no rows"):
        check_rows([], {}, empty="no rows", not_1d="{name} {shape}")


def test_one_holm_adjustment():
    p = RNG.random(30) ** 3
    assert holm(list(p)) == [round(float(v), 15) for v in holm_adjusted(p)]
    assert holm_adjusted([]).size == 0 and holm([]) == []
