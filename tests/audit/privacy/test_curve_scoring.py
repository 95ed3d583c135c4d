"""The utility curve's points are scored on the fairness engine: Fairlearn's MetricFrame numbers, exactly."""

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import DataError
from audit.privacy import privacy_utility_curve
from audit.privacy._curve import _features, _group_keys, _point


def _metricframe_point(epsilon, y_true, y_pred, sensitive):
    """The curve's scoring before the engine: a MetricFrame per feature and metric (the cross-check)."""
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    by_group, dpd, eod = {}, {}, {}
    for feature in sensitive.columns:
        groups = _group_keys(sensitive[feature])
        by_group[str(feature)] = {
            str(g): float((y_pred[groups == g] == y_true[groups == g]).mean()) for g in sorted(set(groups))
        }
        dpd[str(feature)] = float(demographic_parity_difference(y_true, y_pred, sensitive_features=groups))
        eod[str(feature)] = float(equalized_odds_difference(y_true, y_pred, sensitive_features=groups))
    return {"epsilon": None if epsilon is None else float(epsilon), "accuracy": float((y_pred == y_true).mean()),
            "by_group_accuracy": by_group, "demographic_parity_difference": dpd, "equalized_odds_difference": eod}


def _case(seed, n=3000):
    rng = np.random.default_rng(seed)
    sex = pd.Series(rng.choice(["Female", "Male", None], n, p=[0.45, 0.5, 0.05]), dtype=object)
    race = pd.Series(rng.choice(["White", "Black", "Asian", "Other"], n, p=[0.7, 0.15, 0.1, 0.05]))
    age = pd.Series(rng.integers(0, 4, n)).astype("Int64")
    age[rng.random(n) < 0.03] = pd.NA
    y = (rng.random(n) < 0.3).astype(np.int64)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y).astype(np.int64)
    # a group without positives (TPR undefined: Fairlearn says 0) and a one-row group
    race[y == 1] = race[y == 1].replace("Other", "White")
    race.iloc[0] = "Pacific"
    return y, pred, pd.DataFrame({"sex": sex, "race": race, "age": age})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_engine_points_equal_metricframe_exactly(seed):
    y, pred, sensitive = _case(seed)
    for epsilon in (1.0, None):
        assert _point(epsilon, y, pred, _features(sensitive)) == _metricframe_point(epsilon, y, pred, sensitive)


def test_constant_predictions_and_one_group_equal_metricframe():
    y, pred, sensitive = _case(3, n=500)
    for p in (np.zeros_like(pred), np.ones_like(pred)):
        assert _point(2.0, y, p, _features(sensitive)) == _metricframe_point(2.0, y, p, sensitive)
    one = pd.DataFrame({"sex": ["Female"] * len(y)})
    assert _point(2.0, y, pred, _features(one)) == _metricframe_point(2.0, y, pred, one)


def test_labels_other_than_zero_and_one_are_refused():
    y, _, sensitive = _case(0, n=50)
    with pytest.raises(DataError, match="0 and 1"):
        privacy_utility_curve(model_factory=None, X_train=None, y_train=None, X_test=None, y_test=y + 1,
                              sensitive_test=sensitive, epsilons=(1.0,))
