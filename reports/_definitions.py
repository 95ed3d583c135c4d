"""What every metric a card names means: one definition each, for the Metrics section and the dashboard.

``METRIC_DEFINITIONS`` defines the binary report's metrics and disparities (Fairlearn's definitions);
``TASK_METRIC_DEFINITIONS`` those of the multiclass and regression reports; ``COLUMN_LABELS`` how the
latter's group columns are headed.

Examples
--------
>>> METRIC_DEFINITIONS["tpr"]
'true positive rate (recall): positives predicted positive'
>>> COLUMN_LABELS["r2"]
'R²'
"""

from __future__ import annotations

__all__ = ["COLUMN_LABELS", "METRIC_DEFINITIONS", "TASK_METRIC_DEFINITIONS"]

METRIC_DEFINITIONS = {
    "accuracy": "share of test examples predicted correctly",
    "roc_auc": "area under the ROC curve of the positive-class score",
    "selection_rate": "share predicted positive",
    "tpr": "true positive rate (recall): positives predicted positive",
    "fpr": "false positive rate: negatives predicted positive",
    "tnr": "true negative rate",
    "fnr": "false negative rate",
    "precision": "positive predictive value: predicted positives that are positive",
    "base_rate": "share of actual positives",
    "balanced_accuracy": "mean of TPR and TNR",
    "ece": "expected calibration error of the score (10 equal-width bins)",
    "demographic_parity_difference": "largest gap in selection rate between groups (Fairlearn)",
    "demographic_parity_ratio": "smallest over largest group selection rate (Fairlearn)",
    "equalized_odds_difference": "larger of the TPR gap and the FPR gap between groups (Fairlearn)",
    "equalized_odds_ratio": "smaller of the TPR ratio and the FPR ratio between groups (Fairlearn)",
    "equalized_odds_difference_mean": "mean of the TPR gap and the FPR gap",
    "equal_opportunity_difference": "largest gap in TPR between groups",
    "equal_opportunity_ratio": "smallest over largest group TPR",
    "predictive_parity_difference": "largest gap in precision between groups",
    "predictive_parity_ratio": "smallest over largest group precision",
    "accuracy_difference": "largest gap in accuracy between groups",
    "roc_auc_difference": "largest gap in ROC AUC between groups (Fairlearn's MetricFrame(roc_auc_score).difference())",
    "roc_auc_ratio": "smallest over largest group ROC AUC",
}
TASK_METRIC_DEFINITIONS = {
    "accuracy": "share of test examples whose predicted class (the most probable) is the true class",
    "macro_recall": "mean over classes of the share of each class's examples predicted as that class",
    "macro_f1": "mean over classes of the harmonic mean of precision and recall (scikit-learn, zero_division=0)",
    "balanced_accuracy": "mean recall over the classes present in the true labels",
    "selection_rate": "per class: share of a group's examples predicted as that class (one-vs-rest)",
    "recall": "per class: share of a group's examples of that class predicted as it (one-vs-rest)",
    "accuracy_difference": "largest gap in accuracy between groups",
    "macro_recall_difference": "largest gap in macro recall between groups",
    "macro_f1_difference": "largest gap in macro F1 between groups",
    "selection_rate_difference_ovr": "worst class's largest gap in selection rate between groups (one-vs-rest demographic parity)",
    "selection_rate_ratio_ovr": "worst class's smallest over largest group selection rate",
    "recall_difference_ovr": "worst class's largest gap in recall between groups (one-vs-rest equal opportunity)",
    "mae": "mean absolute error |prediction − target|, in target units",
    "rmse": "root mean squared error, in target units",
    "r2": "coefficient of determination: 1 − squared error / the target's variance",
    "mean_prediction": "mean prediction, in target units",
    "mean_target": "mean true target, in target units",
    "mean_error": "mean of prediction − target: above 0 over-predicts the group, below 0 under-predicts it",
    "mae_difference": "largest gap in MAE between groups, in target units",
    "mae_ratio": "smallest over largest group MAE",
    "rmse_difference": "largest gap in RMSE between groups, in target units",
    "rmse_ratio": "smallest over largest group RMSE",
    "mean_prediction_difference": "largest gap in mean prediction between groups",
    "mean_error_difference": "largest gap in mean error between groups (one group over- or under-predicted more)",
    "worst_group_mae": "the largest group MAE, and the group it belongs to",
    "worst_group_rmse": "the largest group RMSE, and the group it belongs to",
}
#: Headings of the multiclass and regression group columns.
COLUMN_LABELS = {"accuracy": "accuracy", "macro_recall": "macro recall", "macro_f1": "macro F1", "mae": "MAE", "rmse": "RMSE",
                 "r2": "R²", "mean_prediction": "mean prediction", "mean_target": "mean target", "mean_error": "mean error"}
