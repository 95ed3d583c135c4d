"""Fairness engine: group metrics, disparities, intervals, thresholds, mitigation.

Group confusion counts are computed in one vectorised pass; every metric and
disparity follows Fairlearn's definitions (checked against Fairlearn to 1e-12
in the tests); intervals and parity tests are exact (Clopper-Pearson, boxes of
simultaneous intervals, conditional tests with Holm across the model), valid at
rates of 0 and 1 and in small groups (docs/fairness.md, docs/validity.md).
Missing values in a sensitive feature form their own group, ``"<missing>"``.
The gate-facing disparities use only the groups with enough data for the metric
compared (``min_group_size`` rows, ``min_group_positives`` of its denominator);
:func:`degenerate_model_checks` tells whether a model predicts anything at all.

Examples
--------
>>> import pandas as pd
>>> from audit.fairness import fairness_report
>>> r = fairness_report(y_true=[0, 1, 1, 0, 1, 0], y_pred=[0, 1, 0, 0, 1, 1],
...                     sensitive=pd.DataFrame({"sex": list("FFFMMM")}), n_boot=0, min_group_size=3)
>>> r["by_feature"]["sex"]["four_fifths_rule"]  # selection rates 1/3 vs 2/3
{'selection_rate_ratio': 0.5, 'passed': False, 'threshold': 0.8}
"""

from typing import Any

from audit.fairness._degenerate import CONSTANT_SHARE, DEGENERATE_LEVEL, degenerate_model_checks
from audit.fairness._degenerate_tasks import multiclass_degenerate_checks, regression_degenerate_checks
from audit.fairness._frames import count_table, fairness_report_from_counts, fairness_report_from_frame
from audit.fairness._inputs import MISSING_GROUP
from audit.fairness._metrics import RATE_METRICS
from audit.fairness._multiclass import multiclass_fairness_report
from audit.fairness._regression import regression_fairness_report
from audit.fairness._report import fairness_report
from audit.fairness._representation import representation_report
from audit.fairness._sufficiency import DEFAULT_MIN_GROUP_POSITIVES, DISPARITY_GROUPS_MODES, METRIC_DENOMINATORS
from audit.fairness._thresholds import equalizing_thresholds, rates_at_threshold, threshold_analysis

__all__ = [
    "CONSTANT_SHARE",
    "DEFAULT_MIN_GROUP_POSITIVES",
    "DEGENERATE_LEVEL",
    "DISPARITY_GROUPS_MODES",
    "METRIC_DENOMINATORS",
    "MISSING_GROUP",
    "RATE_METRICS",
    "ScoreAsFeature",
    "count_table",
    "degenerate_model_checks",
    "equalizing_thresholds",
    "fairness_report",
    "fairness_report_from_counts",
    "fairness_report_from_frame",
    "mitigation_report",
    "multiclass_degenerate_checks",
    "multiclass_fairness_report",
    "rates_at_threshold",
    "regression_degenerate_checks",
    "regression_fairness_report",
    "representation_report",
    "threshold_analysis",
]


def __getattr__(name: str) -> Any:
    # Mitigation needs scikit-learn and Fairlearn (about 0.6 s to import); the dashboard, which only
    # reads results, should not pay for them on its first Fairness page.
    if name in ("ScoreAsFeature", "mitigation_report"):
        from audit.fairness import _mitigation

        return getattr(_mitigation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
