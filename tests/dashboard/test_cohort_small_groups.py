"""Cohort figures follow the run's fairness small-group policy: exact (Clopper–Pearson) intervals like the fairness
report's, and cohorts under min_group_size marked insufficient (a 12-row cohort got DP 0.380 with no interval or flag)."""

from __future__ import annotations

import pandas as pd
import pytest

from audit.fairness._proportions import clopper_pearson
from dashboard._cohorts import cohort_metrics, small_cohorts


def test_cohort_proportions_carry_the_fairness_reports_exact_interval():
    f = pd.DataFrame({"model": ["m"] * 12, "y_true": [1, 0] * 6, "y_pred": [1] * 5 + [0] * 7})
    row = cohort_metrics(f).iloc[0]
    lo, hi = clopper_pearson(5, 12, 0.95)
    assert (row["selection rate lo"], row["selection rate hi"]) == pytest.approx((float(lo), float(hi)))


def test_cohorts_under_min_group_size_are_marked_insufficient():
    marked = small_cohorts(pd.DataFrame({"rows": [12, 30, 400]}), min_group_size=30)
    assert marked["insufficient"].tolist() == [True, False, False]
