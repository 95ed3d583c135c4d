"""Every bad input gives one DataError (or ConfigError for parameters) with a clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import ConfigError, DataError
from audit.fairness import fairness_report, representation_report, threshold_analysis

S = pd.DataFrame({"g": list("aabb")})


@pytest.mark.parametrize(
    "kwargs,words",
    [
        (dict(y_true=[0, 1, 1], y_pred=[0, 1, 0, 1], sensitive=S), ["y_pred has 4 rows", "y_true has 3"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], sensitive=S.iloc[:3]), ["sensitive has 3 rows"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], y_score=[0.1, 0.2], sensitive=S), ["y_score has 2 rows"]),
        (dict(y_true=[0, 1, 2, 0], y_pred=[0, 1, 0, 1], sensitive=S), ["not binary", "[0, 1, 2]"]),
        (dict(y_true=["n", "y", "y", "n"], y_pred=["n", "y", "n", "y"], sensitive=S), ["positive label 1", "pos_label='y'"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 2], sensitive=S), ["y_pred has values [2]"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0.2, 0.9, 0.4, 0.7], sensitive=S), ["not labels of y_true", "y_score"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], y_score=[0.1, 1.2, 0.3, -0.1], sensitive=S), ["outside [0, 1]", "sigmoid"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], y_score=[0.1, np.nan, 0.3, 0.1], sensitive=S), ["y_score contains 1 missing"]),
        (dict(y_true=[0, 1, np.nan, 0], y_pred=[0, 1, 0, 1], sensitive=S), ["y_true contains 1 missing"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], sensitive=pd.DataFrame({"g": list("aaaa")})), ["single group", "'g'"]),
        (dict(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], sensitive=pd.DataFrame(index=range(4))), ["No sensitive feature"]),
        (dict(y_true=[], y_pred=[], sensitive=pd.DataFrame({"g": []})), ["empty"]),
    ],
)
def test_bad_input_raises_data_error_naming_the_problem(kwargs, words):
    with pytest.raises(DataError) as err:
        fairness_report(n_boot=0, **kwargs)
    for w in words:
        assert w in str(err.value)


def test_all_problems_reported_at_once():
    with pytest.raises(DataError) as err:
        fairness_report(y_true=[0, 1, 2, 0], y_pred=[0, 1, 0, 1], y_score=[0, 2, 0, 0],
                        sensitive=pd.DataFrame({"g": list("aaaa")}), n_boot=0)
    assert len(err.value.problems) == 3


@pytest.mark.parametrize("kwargs", [dict(n_boot=-1), dict(ci_level=1.5), dict(min_group_size=0), dict(undefined="nan")])
def test_bad_parameters_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        fairness_report(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1], sensitive=S, **kwargs)


def test_threshold_analysis_bad_input():
    with pytest.raises(DataError, match="outside"):
        threshold_analysis(y_true=[0, 1], y_score=[0.5, 3.0], sensitive=pd.Series(["a", "b"]))
    with pytest.raises(DataError, match="rows"):
        threshold_analysis(y_true=[0, 1], y_score=[0.5], sensitive=pd.Series(["a", "b"]))


def test_representation_missing_column_and_absent_label():
    df = pd.DataFrame({"sex": ["F", "M"], "y": [0, 1]})
    with pytest.raises(DataError, match="'race' is missing from the train"):
        representation_report(train=df, test=df, target="y", positive_label=1, sensitive_features=["race"])
    with pytest.raises(DataError, match="positive label 'yes' does not occur"):
        representation_report(train=df, test=df, target="y", positive_label="yes", sensitive_features=["sex"])
