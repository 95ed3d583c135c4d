"""A yes/no target: one logit, a positive score, decisions at a threshold, Fairlearn's binary metrics.

Examples
--------
>>> import pandas as pd
>>> spec = BinaryTask.fit("binary", pd.Series(["no", "yes", "yes"]), positive_label="yes")
>>> spec.encode(pd.Series(["yes", "no"])).tolist(), spec.decide(np.array([0.2, 0.7]), threshold=0.6).tolist()
([1, 0], [0, 1])
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.choices import TASK_KINDS
from audit.tasks._base import TaskSpec, register_task
from audit.tasks._labels import encode_target, label_matches

if TYPE_CHECKING:
    import torch
    from torch import nn

    from audit.config import FairnessSection
    from audit.models._outputs import LossFn

__all__ = ["BinaryTask"]

_LOOSE_LABEL = (
    "positive_label {label!r} matches target column {target!r} only loosely: the column holds {dtype} values {values}, "
    "and every report compares labels as the data has them. Fix: write it exactly so, positive_label = {exact}."
)


def _kind_of_values(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "true/false"
    return "numeric" if pd.api.types.is_numeric_dtype(series) else "text"


def _toml_literal(value: Any) -> str:
    """How a label value is written in the TOML config."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating)) and float(value).is_integer()):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return json.dumps(str(value), ensure_ascii=False)


@register_task
class BinaryTask(TaskSpec):
    """A binary classifier: int64 0/1 targets, binary cross-entropy, P(positive) scores, decisions at a threshold."""

    kind = TASK_KINDS["binary"]

    @classmethod
    def _fit(cls, y: pd.Series, *, positive_label: Any = None) -> TaskSpec:
        return cls("binary", positive_label=positive_label)

    def encode(self, y: pd.Series) -> np.ndarray:  # noqa: D102
        return encode_target(y, self.positive_label)

    @classmethod
    def strata(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:  # noqa: D102
        return encode_target(y, positive_label)

    @classmethod
    def leakage_target(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:  # noqa: D102
        return encode_target(y, positive_label)

    @classmethod
    def target_problems(cls, y: pd.Series, *, target: str, label: str, positive_label: Any = None) -> list[str]:
        """Exactly two classes, and the positive label among them (written as the data has it)."""
        problems = []
        values = sorted(map(str, y.dropna().unique()))
        if len(values) != 2:
            shown = values[:10] + (["..."] if len(values) > 10 else [])
            problems.append(
                f"target column {target!r} must have exactly 2 classes (binary classification); found {len(values)}: {shown}.")
        matches = label_matches(y.dropna(), positive_label)
        if not matches.any():
            problems.append(f"positive_label {positive_label!r} does not occur in target column {target!r}; values found: "
                            f"{values[:10]}.")
        elif not (y.dropna() == positive_label).any():
            problems.append(_LOOSE_LABEL.format(label=positive_label, target=target, dtype=_kind_of_values(y),
                                                values=values[:10], exact=_toml_literal(y.dropna()[matches].iloc[0])))
        return problems

    def split_problem(self, encoded: np.ndarray, *, split: str) -> str | None:  # noqa: D102
        if len(np.unique(encoded)) < 2:
            return f"The {split} split has a single class after splitting; it needs both classes. Use more rows."
        return None

    def loss_fn(self, class_weights: np.ndarray | None = None) -> LossFn:  # noqa: D102
        from audit.models._outputs import WeightedClassLoss, binary_loss

        if class_weights is not None:
            import torch

            return WeightedClassLoss(torch.as_tensor(np.asarray(class_weights)), binary=True)
        return binary_loss

    def check_output(self, output: torch.Tensor, n: int) -> None:  # noqa: D102
        from audit.models._outputs import check_output_shape

        check_output_shape(output, n)

    def scores(self, model: nn.Module, X: np.ndarray, *, batch_size: int = 8192) -> np.ndarray:  # noqa: D102
        from audit.models._outputs import predict_proba

        return predict_proba(model, X, batch_size=batch_size)

    def decide(self, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:  # noqa: D102
        return (np.asarray(scores) >= threshold).astype(np.int64)

    def summary(self, y_true: np.ndarray, scores: np.ndarray, *, truth: np.ndarray | None = None,
                threshold: float = 0.5) -> dict[str, Any]:  # noqa: D102
        from sklearn import metrics

        pred = self.decide(scores, threshold)
        return {"test_accuracy": float((pred == y_true).mean()),
                "test_roc_auc": float(metrics.roc_auc_score(y_true, scores)) if len(np.unique(y_true)) == 2 else None,
                "test_balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, pred))}

    def data_summary(self, y_train: np.ndarray, y_test: np.ndarray, train_targets: np.ndarray) -> dict[str, Any]:  # noqa: D102
        return {"task": self.task, "base_rate_train": float(y_train.mean()), "base_rate_test": float(y_test.mean())}

    def degenerate_checks(self, *, y_true: np.ndarray, scores: np.ndarray, pred: np.ndarray, truth: np.ndarray,
                          sensitive: pd.DataFrame | None, min_group_size: int, threshold: float) -> dict[str, Any]:
        """Constant output, scores ranking no better than chance; a threshold named when the decisions carry none."""
        from audit.fairness import degenerate_model_checks

        return degenerate_model_checks(y_true=y_true, y_pred=pred, y_score=scores, sensitive=sensitive, pos_label=1,
                                       min_group_size=min_group_size, threshold=threshold)

    def group_report(self, *, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray, truth: np.ndarray,
                     common: dict[str, Any], fairness: FairnessSection) -> dict[str, Any]:
        """Fairlearn's binary metrics and disparities with exact intervals and parity tests."""
        from audit.fairness import fairness_report

        return fairness_report(y_true=y_true, y_pred=pred, y_score=scores, pos_label=1, stratified=fairness.stratified,
                               min_group_positives=fairness.min_group_positives,
                               disparity_groups=fairness.disparity_groups, **common)
