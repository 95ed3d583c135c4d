"""Each kind's metric specifications: what its group report measures per group and compares across groups.

The group-report engine (:mod:`audit.fairness._group_report`) runs every kind's report through the same
layers; what differs is declared here, one dict per kind (as Fairlearn's ``MetricFrame`` takes a dict of
metrics): :data:`BINARY_METRICS` (Fairlearn's rates from confusion counts, with the rows each divides by),
:data:`MULTICLASS_METRICS` and :data:`MULTICLASS_DISPARITIES`, :data:`REGRESSION_METRICS` and
:data:`REGRESSION_DISPARITIES`. A binary report derives its many disparities from its rates by Fairlearn's
naming (``audit.fairness._metrics.disparities``); :data:`GROUP_REPORTS` lists each kind's metrics and the
disparities a gate may read (``audit.choices``' lists are the same names, and a test holds them equal).

Examples
--------
>>> BINARY_METRICS["tpr"].denominators, MULTICLASS_METRICS["recall"].denominators
(('positives',), ('class_rows',))
>>> d = REGRESSION_DISPARITIES["worst_group_rmse"]
>>> d.metric, d.statistic, d.band
('rmse', 'max', 'mse')
"""

from __future__ import annotations

from typing import NamedTuple

from audit.choices import FAIRNESS_DISPARITIES
from audit.fairness._exact import GROUP_CI_METHOD
from audit.fairness._group_report import DisparitySpec, MetricSpec
from audit.fairness._regression_ci import BAND_MIN_ROWS, MIN_ROWS, MIN_ROWS_RMSE
from audit.fairness._scores import AUC_CI_METHOD, ECE_CI_METHOD

__all__ = [
    "BINARY_METRICS",
    "GROUP_REPORTS",
    "MULTICLASS_CI_METHOD",
    "MULTICLASS_DISPARITIES",
    "MULTICLASS_DISPARITY_METHOD",
    "MULTICLASS_METRICS",
    "REGRESSION_DISPARITIES",
    "REGRESSION_DISPARITY_METHOD",
    "REGRESSION_METRICS",
    "GroupReportSpec",
]

# ---------------------------------------------------------------- binary
_BINARY = (  # name, what a group's value is, the rows it divides by (beside the group's)
    ("selection_rate", "share of the group's rows predicted positive", ()),
    ("accuracy", "share of the group's rows predicted right", ()),
    ("balanced_accuracy", "mean of the group's TPR and TNR (of the classes present)", ("positives", "negatives")),
    ("tpr", "share of the group's actual positives predicted positive", ("positives",)),
    ("fpr", "share of the group's actual negatives predicted positive", ("negatives",)),
    ("tnr", "share of the group's actual negatives predicted negative", ("negatives",)),
    ("fnr", "share of the group's actual positives predicted negative", ("positives",)),
    ("precision", "share of the group's predicted positives that are positive", ("predicted_positives",)),
    ("base_rate", "share of the group's rows that are positive", ()),
)
#: A binary classifier's group metrics: the rates of its confusion counts, then those of its scores.
BINARY_METRICS: dict[str, MetricSpec] = {
    **{name: MetricSpec(name, value, GROUP_CI_METHOD, denominators) for name, value, denominators in _BINARY},
    "roc_auc": MetricSpec("roc_auc", "ROC AUC of the positive score within the group", AUC_CI_METHOD,
                          ("positives", "negatives")),
    "ece": MetricSpec("ece", "expected calibration error of the positive score within the group", ECE_CI_METHOD),
}

# ---------------------------------------------------------------- multiclass
MULTICLASS_CI_METHOD = (
    "exact: Clopper-Pearson intervals of every rate (accuracy, each class's selection rate and recall); macro "
    "averages combine their classes' exact intervals (MOVER; the F1s with their estimated correlations, a class "
    "with no rows adding its whole range); no resampling"
)
MULTICLASS_DISPARITY_METHOD = (
    "box of simultaneous group bands: Clopper-Pearson (or MOVER) bands at the Sidak level level^(1/G) over the G "
    "groups compared (Bonferroni over one group's K selection rates), so every group's true value lies in its band "
    "with probability >= level; a difference lies in [max(0, max low - min high), max high - min low], a ratio in "
    "[min low / max high, min high / max low], a worst class takes the largest per-class bounds; this covers the "
    "selected largest and smallest groups, at parity and at rates of 0 or 1"
)
#: A K-class classifier's group metrics (macro averages as scikit-learn's defaults within the group).
MULTICLASS_METRICS: dict[str, MetricSpec] = {
    "accuracy": MetricSpec("accuracy", "share of the group's rows predicted as their class", MULTICLASS_CI_METHOD),
    "macro_recall": MetricSpec("macro_recall", "mean recall over the classes in the group's true or predicted labels",
                               MULTICLASS_CI_METHOD),
    "macro_f1": MetricSpec("macro_f1", "mean F1 over the classes in the group's true or predicted labels",
                           MULTICLASS_CI_METHOD),
    "selection_rate": MetricSpec("selection_rate", "share of the group's rows predicted as the class",
                                 MULTICLASS_CI_METHOD, per_class=True),
    "recall": MetricSpec("recall", "share of the group's rows of the class predicted as it", MULTICLASS_CI_METHOD,
                         ("class_rows",), per_class=True),
}
#: Its disparities: over the groups with enough rows; a per-class metric's is its worst class (one-vs-rest).
MULTICLASS_DISPARITIES: dict[str, DisparitySpec] = {d.name: d for d in (
    DisparitySpec("accuracy_difference", "accuracy", "difference", test="accuracy"),
    DisparitySpec("macro_recall_difference", "macro_recall", "difference"),
    DisparitySpec("macro_f1_difference", "macro_f1", "difference"),
    DisparitySpec("selection_rate_difference_ovr", "selection_rate", "difference", test="selection_rate"),
    DisparitySpec("selection_rate_ratio_ovr", "selection_rate", "ratio", test="selection_rate"),
    DisparitySpec("recall_difference_ovr", "recall", "difference", test="recall"),
)}

# ---------------------------------------------------------------- regression
_T_METHOD = (
    "studentized bootstrap (bootstrap-t) of a mean of per-row terms: rows resampled within each sensitive cell; "
    "q = the level quantile of |T*| = |m* - m| / se* over the resamples, interval m ± q·se; withheld below "
    f"{MIN_ROWS} rows"
)
_LOG_T_METHOD = (
    "studentized bootstrap on the log scale (the mean is positive and skewed): T* = (log m* - log m) / (se* / m*), "
    f"interval m·exp(∓ q·se / m); withheld below {MIN_ROWS} rows"
)
_RMSE_METHOD = (
    "the square root of the log-scale studentized bootstrap interval of the mean squared error; withheld below "
    f"{MIN_ROWS_RMSE} rows (squared errors are skewed and heavy-tailed: below that no interval kept 95% over the "
    "validity suite's error distributions)"
)
REGRESSION_DISPARITY_METHOD = (
    "box of a simultaneous band: the level quantile c of max over the compared groups of |T*| (studentized, "
    "resampled together) gives every group a band m ± c·se that holds for all groups at once with probability "
    ">= level; a difference lies in [max(0, max low - min high), max high - min low], a ratio in "
    "[min low / max high, min high / max low], the worst group in [max low, max high], whatever groups the sample "
    f"makes look best and worst. Null (with ci_reason) when a compared group has no band or fewer than "
    f"{BAND_MIN_ROWS} rows"
)
#: A regression's group metrics (errors are y_pred - y_true); R² is reported overall only.
REGRESSION_METRICS: dict[str, MetricSpec] = {
    "mae": MetricSpec("mae", "mean absolute error of the group's rows", _LOG_T_METHOD),
    "rmse": MetricSpec("rmse", "root mean squared error of the group's rows", _RMSE_METHOD),
    "mean_prediction": MetricSpec("mean_prediction", "mean prediction over the group's rows", _T_METHOD),
    "mean_target": MetricSpec("mean_target", "mean target over the group's rows", _T_METHOD),
    "mean_error": MetricSpec("mean_error", "mean signed error (over-prediction above 0)", _T_METHOD),
}
#: Its disparities over the groups with enough rows; ``band`` names the mean whose simultaneous band bounds it.
REGRESSION_DISPARITIES: dict[str, DisparitySpec] = {d.name: d for d in (
    DisparitySpec("mae_difference", "mae", "difference", band="mae"),
    DisparitySpec("mae_ratio", "mae", "ratio", band="mae"),
    DisparitySpec("rmse_difference", "rmse", "difference", band="mse"),
    DisparitySpec("rmse_ratio", "rmse", "ratio", band="mse"),
    DisparitySpec("mean_prediction_difference", "mean_prediction", "difference", band="mean_prediction"),
    DisparitySpec("mean_error_difference", "mean_error", "difference", band="mean_error"),
    DisparitySpec("worst_group_mae", "mae", "max", band="mae"),
    DisparitySpec("worst_group_rmse", "rmse", "max", band="mse"),
)}


class GroupReportSpec(NamedTuple):
    """A kind's group report: its group metrics and the disparities a gate may read."""

    metrics: dict[str, MetricSpec]
    disparities: tuple[str, ...]


#: Every kind's group report, by config task.
GROUP_REPORTS: dict[str, GroupReportSpec] = {
    "binary": GroupReportSpec(BINARY_METRICS, FAIRNESS_DISPARITIES),
    "multiclass": GroupReportSpec(MULTICLASS_METRICS, tuple(MULTICLASS_DISPARITIES)),
    "regression": GroupReportSpec(REGRESSION_METRICS, tuple(REGRESSION_DISPARITIES)),
}
