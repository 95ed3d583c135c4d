"""A target of several classes: one logit per class, class probabilities, the most probable class decided.

Examples
--------
>>> import pandas as pd
>>> spec = MulticlassTask.fit("multiclass", pd.Series(["b", "a", "c", "a"]))
>>> spec.encode(pd.Series(["c", "a"])).tolist(), spec.decide(np.array([[0.1, 0.7, 0.2]])).tolist()
([2, 0], [1])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.choices import TASK_KINDS
from audit.exceptions import DataError
from audit.tasks._base import MAX_CLASSES, TaskSpec, register_task
from audit.tasks._labels import class_labels

if TYPE_CHECKING:
    import torch
    from torch import nn

    from audit.config import FairnessSection
    from audit.models._outputs import LossFn

__all__ = ["MulticlassTask"]


@register_task
class MulticlassTask(TaskSpec):
    """A K-class classifier: int64 class indices, cross-entropy, class probabilities, argmax decisions."""

    kind = TASK_KINDS["multiclass"]
    explain_output = "class_log_odds"

    @classmethod
    def _fit(cls, y: pd.Series, *, positive_label: Any = None) -> TaskSpec:
        return cls("multiclass", classes=sorted(class_labels(y.dropna()).unique().tolist()))

    @classmethod
    def _external(cls, y: pd.Series, *, positive_label: Any = None, classes: Any = None) -> TaskSpec:
        """The caller's class order (the model's outputs), or the labels sorted."""
        if classes is None:
            return cls._fit(y)
        return cls("multiclass", classes=class_labels(pd.Series(list(classes))).tolist())

    @property
    def n_outputs(self) -> int:  # noqa: D102
        return len(self.classes)

    def encode(self, y: pd.Series) -> np.ndarray:  # noqa: D102
        index = {c: i for i, c in enumerate(self.classes)}
        text = class_labels(y)
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise DataError(f"target values {unknown[:5]} do not occur in the training rows, which have classes "
                            f"{self.classes[:20]}. A class the model never saw cannot be predicted; drop those rows "
                            "or add training rows of that class.")
        codes: np.ndarray = text.map(index).to_numpy(dtype=np.int64)
        return codes

    @classmethod
    def strata(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:  # noqa: D102
        return np.asarray(class_labels(y))

    @classmethod
    def leakage_target(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:
        """Membership of the most frequent class (a column giving the class away scores near 1 against it)."""
        text = class_labels(y)
        most: np.ndarray = (text == text.value_counts().index[0]).to_numpy(dtype=np.int64)
        return most

    @classmethod
    def target_problems(cls, y: pd.Series, *, target: str, label: str, positive_label: Any = None) -> list[str]:
        """2 to :data:`MAX_CLASSES` classes."""
        values = sorted(map(str, class_labels(y.dropna()).unique()))
        if 2 <= len(values) <= MAX_CLASSES:
            return []
        shown = values[:10] + (["..."] if len(values) > 10 else [])
        return [f"target column {target!r} has {len(values)} classes in the {label} (found {shown}); a multiclass "
                f"audit takes 2 to {MAX_CLASSES}. Group rare classes, or use task = \"regression\" for a number."]

    def loss_fn(self, class_weights: np.ndarray | None = None) -> LossFn:  # noqa: D102
        from torch import nn

        if class_weights is not None:
            import torch

            from audit.models._outputs import WeightedClassLoss

            return WeightedClassLoss(torch.as_tensor(np.asarray(class_weights)), binary=False)
        return nn.CrossEntropyLoss()

    def _from_outputs(self, chunk: torch.Tensor) -> torch.Tensor:
        import torch

        return torch.softmax(chunk.double(), dim=1)

    def decide(self, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:  # noqa: D102
        decided: np.ndarray = np.argmax(scores, axis=1).astype(np.int64)
        return decided

    def summary(self, y_true: np.ndarray, scores: np.ndarray, *, truth: np.ndarray | None = None,
                threshold: float = 0.5) -> dict[str, Any]:  # noqa: D102
        from sklearn import metrics

        pred = self.decide(scores)
        labels = list(range(len(self.classes)))
        return {"test_accuracy": float((pred == y_true).mean()),
                "test_macro_f1": float(metrics.f1_score(y_true, pred, labels=labels, average="macro", zero_division=0)),
                "test_balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, pred))}

    def data_summary(self, y_train: np.ndarray, y_test: np.ndarray, train_targets: np.ndarray) -> dict[str, Any]:  # noqa: D102
        counts = np.bincount(y_train, minlength=len(self.classes))
        return {"task": self.task, "classes": list(self.classes),
                "class_counts_train": dict(zip(self.classes, map(int, counts), strict=True))}

    def degenerate_checks(self, *, y_true: np.ndarray, scores: np.ndarray, pred: np.ndarray, truth: np.ndarray,
                          sensitive: pd.DataFrame | None, min_group_size: int, threshold: float) -> dict[str, Any]:
        """(Near-)constant predictions, or predictions agreeing with the class only by chance."""
        from audit.fairness import multiclass_degenerate_checks

        return multiclass_degenerate_checks(y_true=y_true, y_pred=pred, classes=self.classes)

    def group_report(self, *, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray, truth: np.ndarray,
                     common: dict[str, Any], fairness: FairnessSection) -> dict[str, Any]:
        """Accuracy, macro recall and F1, and each class's rates, by group (one-vs-rest disparities)."""
        from audit.fairness import multiclass_fairness_report

        return multiclass_fairness_report(y_true=y_true, y_pred=pred, proba=scores, classes=self.classes,
                                          min_group_positives=fairness.min_group_positives, **common)

    def explained(self, model: nn.Module, *, scores: np.ndarray, y_true: np.ndarray,
                  truth: np.ndarray) -> tuple[nn.Module, np.ndarray, str, int | None]:
        """The log-odds of the class predicted most often on these rows (every class's importance is added after)."""
        from audit.explain._classes import ClassLogOdds

        k = int(np.bincount(self.decide(scores), minlength=len(self.classes)).argmax())
        return ClassLogOdds(model, k).eval(), (y_true == k).astype(np.int64), "log_odds", k

    def prediction_values(self, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray,
                          truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class labels; ``y_score`` is the probability of the predicted class."""
        labels = np.asarray(self.classes, dtype=object)
        return labels[y_true], labels[pred], scores[np.arange(len(pred)), pred]

    def progress_text(self, info: dict[str, Any]) -> str:  # noqa: D102
        return f"accuracy {info['test_accuracy']:.4f}, macro F1 {info['test_macro_f1']:.4f}"
