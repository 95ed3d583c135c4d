"""A numeric target: one output, learned standardised, predictions in the target's units.

Examples
--------
>>> import pandas as pd
>>> spec = RegressionTask.fit("regression", pd.Series([1.0, 3.0]))
>>> spec.encode(pd.Series([2.0])).tolist(), spec.to_target_units(np.array([1.0])).tolist()
([0.0], [3.0])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.choices import TASK_KINDS
from audit.tasks._base import TaskSpec, num, register_task

if TYPE_CHECKING:
    from torch import nn

    from audit.config import FairnessSection
    from audit.models._outputs import LossFn

__all__ = ["RegressionTask"]

_MAX_TARGET = 1e150
_HUGE_TARGET = ("target column {target!r} has {n} value(s) of magnitude above {limit:.0e} (largest {largest:.3g}) in the "
                "{label}: their squared errors overflow float64, so no error, variance or R² could be computed. Expected "
                "a target of a sane scale; rescale it (other units, or a log), or fix those rows.")


@register_task
class RegressionTask(TaskSpec):
    """A regression: the standardised target (DP clipping and one learning rate suit it), MSE, target-unit outputs."""

    kind = TASK_KINDS["regression"]
    explain_output = "value"

    @classmethod
    def _fit(cls, y: pd.Series, *, positive_label: Any = None) -> TaskSpec:
        values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64)
        scale = float(np.std(values))
        return cls("regression", target_mean=float(np.mean(values)), target_scale=scale if scale > 0 else 1.0)

    @classmethod
    def _external(cls, y: pd.Series, *, positive_label: Any = None, classes: Any = None) -> TaskSpec:
        """A model trained elsewhere predicts in target units: no standardising."""
        return cls("regression")

    def encode(self, y: pd.Series) -> np.ndarray:  # noqa: D102
        values: np.ndarray = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64)
        return ((values - self.target_mean) / self.target_scale).astype(np.float32)

    def to_target_units(self, standardised: np.ndarray) -> np.ndarray:  # noqa: D102
        return np.asarray(standardised, dtype=np.float64) * self.target_scale + self.target_mean

    @classmethod
    def strata(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:
        """The target's quintile."""
        values = pd.to_numeric(y, errors="coerce")
        return np.asarray(pd.qcut(values.rank(method="first"), q=min(5, max(len(values) // 10, 1)), labels=False))

    @classmethod
    def leakage_target(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:
        """Above the median (a column giving the target away scores near 1 against it)."""
        values = pd.to_numeric(y, errors="coerce")
        above: np.ndarray = (values > values.median()).to_numpy(dtype=np.int64)
        return above

    @classmethod
    def target_problems(cls, y: pd.Series, *, target: str, label: str, positive_label: Any = None) -> list[str]:
        """Finite numbers that vary."""
        numbers = pd.to_numeric(y.dropna(), errors="coerce") if not pd.api.types.is_bool_dtype(y) else pd.Series(dtype=float)
        bad = y.dropna()[numbers.isna()] if len(numbers) else y.dropna()
        if len(bad):
            return [f"target column {target!r} must hold numbers for a regression; {len(bad)} value(s) in the {label} are "
                    f"not, e.g. {bad.astype(str).unique().tolist()[:3]}. Fix: clean the column, or set task = "
                    "\"multiclass\" for class labels."]
        if len(numbers) and not np.isfinite(numbers.to_numpy(dtype=np.float64)).all():
            return [f"target column {target!r} holds infinite values in the {label}. Drop or fix those rows."]
        huge = numbers[numbers.abs() > _MAX_TARGET]
        if len(huge):  # squared errors, variances and R² overflow float64 beyond it (the features' limit too)
            return [_HUGE_TARGET.format(target=target, n=len(huge), limit=_MAX_TARGET, largest=float(huge.abs().max()),
                                        label=label)]
        if len(numbers) and numbers.nunique() < 2:
            return [f"target column {target!r} is constant in the {label} (every value is {numbers.iloc[0]!r}); a "
                    "regression needs a target that varies. Fix: check the column is the one you mean, or choose another "
                    "target."]
        return []

    def loss_fn(self, class_weights: np.ndarray | None = None) -> LossFn:
        """MSE on the standardised target (class weights do not apply)."""
        from audit.models._outputs import RegressionLoss

        return RegressionLoss()

    def _finish_scores(self, values: np.ndarray) -> np.ndarray:
        return self.to_target_units(values)

    def decide(self, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """The prediction itself."""
        return np.asarray(scores, dtype=np.float64)

    def summary(self, y_true: np.ndarray, scores: np.ndarray, *, truth: np.ndarray | None = None,
                threshold: float = 0.5) -> dict[str, Any]:
        """MAE, RMSE and R² in target units (on ``truth``, the target as the data holds it, when given)."""
        from sklearn import metrics

        pred = self.decide(scores)
        truth = self.to_target_units(y_true) if truth is None else np.asarray(truth, dtype=np.float64)
        return {"test_accuracy": None, "test_mae": num(metrics.mean_absolute_error(truth, pred)),
                "test_rmse": num(math.sqrt(metrics.mean_squared_error(truth, pred))),
                "test_r2": num(metrics.r2_score(truth, pred)) if len(truth) > 1 else None}

    def data_summary(self, y_train: np.ndarray, y_test: np.ndarray, train_targets: np.ndarray) -> dict[str, Any]:  # noqa: D102
        return {"task": self.task, "target_summary": {
            "mean": self.target_mean, "std": self.target_scale, "min": float(train_targets.min()),
            "max": float(train_targets.max()), "units": "the target column's units"}}

    def degenerate_checks(self, *, y_true: np.ndarray, scores: np.ndarray, pred: np.ndarray, truth: np.ndarray,
                          sensitive: pd.DataFrame | None, min_group_size: int, threshold: float) -> dict[str, Any]:
        """Flat predictions, or an MAE not shown below that of predicting the training mean."""
        from audit.fairness import regression_degenerate_checks

        return regression_degenerate_checks(y_true=truth, y_pred=pred, train_mean=self.target_mean)

    def group_report(self, *, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray, truth: np.ndarray,
                     common: dict[str, Any], fairness: FairnessSection) -> dict[str, Any]:
        """MAE, RMSE, mean prediction and mean error by group, with the worst group's error."""
        from audit.fairness import regression_fairness_report

        return regression_fairness_report(y_true=truth, y_pred=pred, **common)

    def explained(self, model: nn.Module, *, scores: np.ndarray, y_true: np.ndarray,
                  truth: np.ndarray) -> tuple[nn.Module, np.ndarray, str, int | None]:
        """The prediction in target units."""
        from audit.explain._classes import TargetUnits

        return TargetUnits(model, mean=self.target_mean, scale=self.target_scale).eval(), truth, "value", None

    def prediction_values(self, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray,
                          truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The target in its units; ``y_score`` is the prediction."""
        return truth, pred, scores

    def progress_text(self, info: dict[str, Any]) -> str:  # noqa: D102
        return f"MAE {info['test_mae']:.4g}, RMSE {info['test_rmse']:.4g}, R² {info['test_r2']:.3f}"
