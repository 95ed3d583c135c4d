"""fairness_report_from_counts: the in-memory report from a table of counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import DataError
from audit.fairness._frames import count_table
from audit.fairness._from_cells import (
    AUC_APPROXIMATE,
    AUC_EXACT,
    COUNT,
    auc_from_histogram,
    fairness_report_from_counts,
)
from audit.fairness._scores import auc_and_se

from .conftest import OPTIONS, SENSITIVE, differences, in_memory, make_predictions, without_counting


def _from_counts(frame, **options):
    table = count_table(frame, y_true="y_true", y_pred="y_pred", sensitive=SENSITIVE, y_score="y_score")
    return fairness_report_from_counts(table, y_true="y_true", y_pred="y_pred", sensitive=SENSITIVE,
                                       **{**OPTIONS, **options})


def test_report_from_counts_equals_the_in_memory_report(predictions):
    report = _from_counts(predictions)
    assert report["ci"]["score_metrics"]["roc_auc_counting"] == AUC_EXACT
    assert differences(in_memory(predictions), without_counting(report)) == []


def test_missing_group_and_intersection_are_reported(predictions):
    report = _from_counts(predictions, n_boot=0)
    assert "<missing>" in [g["group"] for g in report["by_feature"]["sex"]["groups"]]
    assert "<missing> & c" in [g["group"] for g in report["by_feature"]["sex & race"]["groups"]]


def test_plain_and_unstratified_bootstrap_and_none_mode_also_equal(predictions):
    options = {"stratified": False, "undefined": "none", "disparity_groups": "all"}
    report = _from_counts(predictions, **options)
    assert differences(in_memory(predictions, **options), without_counting(report)) == []


def test_histogram_auc_equals_delong_on_the_rows_with_ties():
    rng = np.random.default_rng(1)
    score = rng.integers(0, 20, 500) / 20
    y = rng.random(500) < score
    bins = (score * 20).astype(int)
    n0, n1 = np.bincount(bins[~y], minlength=21), np.bincount(bins[y], minlength=21)
    assert auc_from_histogram(n0.astype(float), n1.astype(float)) == pytest.approx(auc_and_se(y, score), abs=1e-12)


def test_approximate_auc_is_labelled_with_its_bin_width_and_a_bound_that_holds():
    frame = make_predictions(3000, grid=False)
    report = _from_counts(frame, n_boot=0)
    exact = in_memory(frame, n_boot=0)
    assert report["ci"]["score_metrics"]["roc_auc_counting"] == AUC_APPROXIMATE.format(width=1e-4)
    labelled = 0
    for key, block in report["by_feature"].items():
        for got, want in zip(block["groups"], exact["by_feature"][key]["groups"], strict=True):
            auc = got["metrics"]["roc_auc"]
            # a group whose bins never mix the classes' distinct scores is exact and carries no label
            approx = auc.get("approximation", {"bin_width": 1e-4, "max_abs_error": 0.0})
            labelled += "approximation" in auc
            assert approx["bin_width"] == 1e-4
            assert abs(auc["value"] - want["metrics"]["roc_auc"]["value"]) <= approx["max_abs_error"] + 1e-12
    assert labelled > 0


def test_missing_labels_are_counted_in_rows_not_table_rows():
    table = pd.DataFrame({"sex": ["F", "M", "M"], "y": [1.0, np.nan, 0.0], "p": [1, 1, 0], COUNT: [10, 7, 5]})
    with pytest.raises(DataError, match="y contains 7 missing value"):
        fairness_report_from_counts(table, y_true="y", y_pred="p", sensitive=["sex"], n_boot=0)


def test_scores_outside_zero_one_are_refused():
    frame = make_predictions(200)
    frame.loc[3, "y_score"] = 1.5
    with pytest.raises(DataError, match=r"outside \[0, 1\]"):
        _from_counts(frame)


def test_a_table_without_the_count_column_is_refused_with_its_columns():
    with pytest.raises(DataError, match="no column"):
        fairness_report_from_counts(pd.DataFrame({"sex": ["F"], "y": [1], "p": [1]}), y_true="y", y_pred="p",
                                    sensitive=["sex"])
