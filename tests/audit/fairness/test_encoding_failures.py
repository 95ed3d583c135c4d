"""A label or group that cannot be encoded is a DataError naming it, never a crash further on."""

import pandas as pd
import pytest

from audit.exceptions import DataError
from audit.fairness import degenerate_model_checks, representation_report


def test_degenerate_checks_missing_prediction_is_a_data_error():
    # y_pred with a missing value left p unencoded; its length was then taken (TypeError)
    with pytest.raises(DataError, match="y_pred contains 1 missing"):
        degenerate_model_checks(y_true=[0, 1, 0, 1], y_pred=[0, None, 1, 1])


def test_representation_values_that_print_alike_are_a_data_error():
    # 1 and "1" print as one group name: the feature was not encoded and was then read (AttributeError)
    df = pd.DataFrame({"sex": [1, "1", "F", "M"] * 5, "y": [0, 1] * 10})
    with pytest.raises(DataError, match="print the same"):
        representation_report(train=df, test=df, target="y", positive_label=1, sensitive_features=["sex"])
