"""Pure helpers behind the multiclass, regression and text views (no Streamlit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import DataError
from audit.result import FairnessBlock, Group
from dashboard._cohorts import task_cohort_metrics
from dashboard._data import as_result, read_predictions
from dashboard._tasks import (
    by_class_frame,
    confusion_frame,
    disparity_frame,
    per_class_rates,
    wilson,
)
from dashboard._text_data import (
    auc_table,
    pair_table,
    swap_context,
    template_spreads,
    top_tokens,
)
from reports._kinds import kind_view

CLASSES = ["a", "b", "c"]
BLOCK = FairnessBlock.from_dict({
    "groups": [
        {"group": "F", "n": 10, "confusion": [[3, 1, 0], [0, 4, 0], [0, 0, 2]]},
        {"group": "M", "n": 6, "confusion": [[2, 0, 0], [1, 1, 0], [0, 0, 2]]},
    ],
    "disparities": {
        "recall_difference_ovr": {"value": 0.5, "ci": [0.1, 0.8], "by_class": {"a": 0.25, "b": 0.5, "c": 0.0},
                                  "worst_class": "b", "groups_used": ["F", "M"]},
        "accuracy_difference": {"value": None, "reason": "one group only"},
    },
})


def test_wilson_matches_the_closed_form():
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) == (None, None)


def test_per_class_rates_come_from_the_confusion_counts():
    rates = per_class_rates(BLOCK, CLASSES)
    f = rates[(rates["group"] == "F")].set_index(["class", "rate"])
    assert f.loc[("a", "selection rate"), "value"] == pytest.approx(3 / 10)
    assert f.loc[("b", "selection rate"), "value"] == pytest.approx(5 / 10)
    assert f.loc[("a", "recall"), "value"] == pytest.approx(3 / 4)
    assert f.loc[("a", "recall"), "n"] == 4
    assert ((rates["lo"] <= rates["value"]) & (rates["value"] <= rates["hi"])).all()


def test_confusion_frame_is_row_normalised():
    frame = confusion_frame(BLOCK.groups[0], CLASSES)
    shares = frame.groupby("true")["share of true class"].sum()
    assert np.allclose(shares.to_numpy(), 1.0)
    assert confusion_frame(Group.from_dict({"group": "X", "confusion": [[1]]}), CLASSES).empty  # dropped, not raised


def test_disparities_keep_the_reason_and_the_by_class_breakdown():
    frame = disparity_frame(BLOCK).set_index("disparity")
    assert frame.loc["recall_difference_ovr", "worst class"] == "b"
    assert frame.loc["accuracy_difference", "reason"] == "one group only"
    assert pd.isna(frame.loc["accuracy_difference", "value"])
    assert by_class_frame(BLOCK).set_index("class")["recall_difference_ovr"].to_dict() == {"a": 0.25, "b": 0.5, "c": 0.0}


def test_pages_read_the_kind_and_the_input_from_the_record():
    def view(record):
        r = as_result(record)
        return kind_view(r).name, r.input_kind

    assert view({"task": "multiclass-classification"}) == ("multiclass", "table")
    assert view({"task": "regression"}) == ("regression", "table")
    assert view({"task": "binary-classification", "text": {"text_column": "t"}}) == ("binary", "text")
    assert view({"task": "text-classification", "data": {"task": "multiclass"}}) == ("multiclass", "text")
    assert view({}) == ("binary", "table")


def test_predictions_are_read_per_task(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("model,y_true,y_pred,y_score,sex\nm,cat,dog,0.6,F\nm,1,1,0.9,M\n", encoding="utf-8")
    frame = read_predictions(path, task="multiclass")
    assert frame["y_true"].tolist() == ["cat", "1"] and frame["y_score"].dtype == np.float64
    path.write_text("model,y_true,y_pred,y_score,sex\nm,151.5,140.0,140.0,F\n", encoding="utf-8")
    assert read_predictions(path, task="regression")["y_pred"].tolist() == [140.0]
    with pytest.raises(DataError, match="y_true and y_pred"):
        read_predictions(path, task="binary")
    path.write_text("model,y_true,y_pred,y_score,sex\nm,abc,140.0,140.0,F\n", encoding="utf-8")
    with pytest.raises(DataError, match="regression"):
        read_predictions(path, task="regression")


def test_cohort_metrics_per_task():
    reg = pd.DataFrame({"model": ["m"] * 4, "y_true": [1.0, 2.0, 3.0, 4.0], "y_pred": [2.0, 2.0, 2.0, 6.0]})
    row = task_cohort_metrics(reg, kind="regression").iloc[0]
    assert row["mae"] == pytest.approx(1.0) and row["mean error"] == pytest.approx(0.5)
    assert row["mae lo"] < row["mae"] < row["mae hi"]
    mc = pd.DataFrame({"model": ["m"] * 4, "y_true": ["a", "b", "c", "a"], "y_pred": ["a", "b", "a", "a"]})
    assert task_cohort_metrics(mc, kind="multiclass").iloc[0]["accuracy"] == pytest.approx(0.75)


COUNTERFACTUAL = {
    "min_pair_size": 10,
    "pairs": [
        {"category": "gender", "from": "she", "to": "he", "n": 4, "n_flips": 2, "flip_rate": {"value": 0.5, "ci": [0.1, 0.9]}},
        {"category": "gender", "from": "he", "to": "she", "n": 40, "n_flips": 2, "flip_rate": {"value": 0.05, "ci": [0.01, 0.17]},
         "examples": [{"original": "he <b>ran</b>", "counterfactual": "she <b>ran</b>", "score": "0.4", "counterfactual_score": 0.6}]},
    ],
    "templates": {"categories": {"gender": {"terms": ["he", "she"], "spread": {"value": 0.2, "max_term": "she", "min_term": "he"},
                                            "mean_score_by_term": {"he": 0.3, "she": 0.5}}}},
}


def test_pairs_with_enough_counterfactuals_come_first():
    pairs = pair_table(COUNTERFACTUAL)
    assert pairs["from"].tolist() == ["he", "she"] and pairs["eligible"].tolist() == [True, False]
    assert pairs.loc[0, "index"] == 1


def test_swap_context_shows_the_words_around_the_swap():
    words = "one two three four five six seven eight nine ten".split()
    before, after = " ".join(words), " ".join(words[:5] + ["native", "american"] + words[6:])
    (a, b), = swap_context(before, after, width=2)
    assert a == "… four five six seven eight …" and b == "… four five native american seven eight …"


def test_template_spreads_tokens_and_aucs_tolerate_missing_keys():
    assert template_spreads(COUNTERFACTUAL).loc[0, "highest term"] == "she"
    assert template_spreads({}).empty and top_tokens(None).empty and auc_table(None).empty
    tokens = {"global": {"top_positive": [{"token": "good", "mean_attribution": 0.5, "count": 3}],
                         "top_negative": [{"token": "bad", "mean_attribution": -0.4, "count": 2}]}}
    assert top_tokens(tokens)["direction"].tolist() == ["raises score", "lowers score"]
    aucs = auc_table({"subgroups": {"g": {"n": 5, "bpsn_auc": {"value": None, "reason": "too few"},
                                          "subgroup_auc": {"value": 0.9, "ci": [0.8, 0.95]}}}})
    assert aucs.loc[0, "BPSN AUC"] == "—" and "too few" in aucs.loc[0, "why missing"]
    assert aucs.loc[0, "subgroup AUC"] == "0.900 [0.800, 0.950]"
