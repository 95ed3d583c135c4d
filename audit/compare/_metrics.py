"""Which figures a comparison holds for each kind of target, and which way each is worse: declared once.

:data:`TASK_METRICS` is the one source of truth for what a comparison of a task compares and what
``--max-drop`` may gate on it (each kind in :mod:`audit.compare._tasks` reads its table from here;
a gate naming a metric the task lacks is refused with this list). The names are those of the record's
group reports and the card (``audit.fairness`` specs): a multiclass run's ``recall`` is one class's
recall in a group, a regression run's ``worst_group_mae`` the largest group MAE.

A direction is +1 when higher is better, -1 when lower is better, 0 when neither is (a change either
way counts: a selection rate, a mean prediction, a mean signed error).

Examples
--------
>>> TASK_METRICS["regression"]["mae"], TASK_METRICS["multiclass"]["selection_rate_ratio_ovr"]
(-1, 1)
>>> "roc_auc" in gate_metrics("regression")
False
"""

from __future__ import annotations

__all__ = ["DIRECTION", "RECORD_METRICS", "TASK_METRICS", "gate_metrics"]

_BINARY = {"accuracy": 1, "roc_auc": 1, "selection_rate": 0, "tpr": 1, "fpr": -1,
           "demographic_parity_difference": -1, "equal_opportunity_difference": -1, "equalized_odds_difference": -1}
_MULTICLASS = {"accuracy": 1, "macro_precision": 1, "macro_recall": 1, "macro_f1": 1, "balanced_accuracy": 1,
               "selection_rate": 0, "recall": 1,  # one class's, in a group (the card's per-class figures)
               "accuracy_difference": -1, "macro_recall_difference": -1, "macro_f1_difference": -1,
               "selection_rate_difference_ovr": -1, "selection_rate_ratio_ovr": 1, "recall_difference_ovr": -1}
_REGRESSION = {"mae": -1, "rmse": -1, "r2": 1, "mean_prediction": 0, "mean_error": 0,
               "mae_difference": -1, "mae_ratio": 1, "rmse_difference": -1, "rmse_ratio": 1,
               "mean_prediction_difference": -1, "mean_error_difference": -1, "worst_group_mae": -1,
               "worst_group_rmse": -1}

#: Figures read from the records rather than the prediction rows (every kind, where both records hold them).
RECORD_METRICS = {"epsilon_spent": -1, "membership_inference_auc": -1, "flip_rate": -1}
#: Config task → the row figures its comparison computes, with their directions.
TASK_METRICS: dict[str, dict[str, int]] = {"binary": _BINARY, "multiclass": _MULTICLASS, "regression": _REGRESSION}

#: Every metric's direction (a metric name means the same in every task that has it).
DIRECTION: dict[str, int] = {**RECORD_METRICS}
for _table in TASK_METRICS.values():
    for _name, _sign in _table.items():
        assert DIRECTION.setdefault(_name, _sign) == _sign, f"{_name}: one direction in every task"


def gate_metrics(task: str) -> list[str]:
    """The metrics ``--max-drop`` may gate in a comparison of config task ``task``.

    Examples
    --------
    >>> gate_metrics("binary")[:3]
    ['accuracy', 'roc_auc', 'selection_rate']
    """
    return [*TASK_METRICS[task], *RECORD_METRICS]
