"""What the model predicts, and everything that depends on it: targets, losses, outputs, scores, metrics.

One :class:`TaskSpec` per audit, fitted on the training targets. It encodes the target
(binary 0/1, class indices, or the standardised number), says how many outputs the model
ends in, gives the training loss (one object Opacus and the membership audit can ask for
per-example values), turns the model's outputs into scores and decisions, and summarises
a model's test performance.

Examples
--------
>>> import pandas as pd
>>> spec = TaskSpec.fit("multiclass", pd.Series(["b", "a", "c", "a"]))
>>> spec.classes, spec.n_outputs, spec.encode(pd.Series(["c", "a"])).tolist()
(['a', 'b', 'c'], 3, [2, 0])
>>> reg = TaskSpec.fit("regression", pd.Series([1.0, 3.0]))
>>> reg.encode(pd.Series([2.0])).tolist()
[0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.choices import CONFIG_TASKS
from audit.exceptions import DataError, ModelError

__all__ = ["MAX_CLASSES", "TaskSpec", "class_labels", "encode_target", "label_matches", "result_task"]

#: A multiclass target with more classes than this is refused: per-class, per-group metrics need rows in each cell.
MAX_CLASSES = 50

_BAD_OUTPUT = ("The model's output has shape {shape} for a batch of {n} rows. Expected {expected}. "
               "Fix: end the model with nn.Linear(hidden, {k}).")


@dataclass(frozen=True)
class TaskSpec:
    """The task of one audit, fitted on its training targets.

    Attributes
    ----------
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    classes : list of str
        Class labels in output order (multiclass); empty otherwise.
    target_mean, target_scale : float
        The regression target's training mean and standard deviation: the model learns the
        standardised target (DP clipping and one learning rate suit it) and its outputs are
        mapped back to target units.
    """

    task: str
    classes: list[str] = field(default_factory=list)
    target_mean: float = 0.0
    target_scale: float = 1.0
    positive_label: Any = None

    @classmethod
    def fit(cls, task: str, y: pd.Series, *, positive_label: Any = None) -> TaskSpec:
        """The spec for training targets ``y`` (class labels read as text; regression numbers)."""
        if task not in CONFIG_TASKS:
            raise ValueError(f"task {task!r}: expected one of {CONFIG_TASKS}")
        if task == "multiclass":
            return cls(task, classes=sorted(class_labels(y.dropna()).unique().tolist()))
        if task == "regression":
            values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64)
            scale = float(np.std(values))
            return cls(task, target_mean=float(np.mean(values)), target_scale=scale if scale > 0 else 1.0)
        return cls(task, positive_label=positive_label)

    # ---------------------------------------------------------------- targets
    @property
    def n_outputs(self) -> int:
        """Outputs the model ends in: one logit (binary), one per class, or one number."""
        return len(self.classes) if self.task == "multiclass" else 1

    def encode(self, y: pd.Series) -> np.ndarray:
        """The target as the model learns it: int64 0/1, int64 class index, or float32 standardised value."""
        if self.task == "multiclass":
            index = {c: i for i, c in enumerate(self.classes)}
            text = class_labels(y)
            unknown = sorted(set(text) - set(index))
            if unknown:
                raise DataError(f"target values {unknown[:5]} do not occur in the training rows, which have classes "
                                f"{self.classes[:20]}. A class the model never saw cannot be predicted; drop those rows "
                                "or add training rows of that class.")
            return text.map(index).to_numpy(dtype=np.int64)
        if self.task == "regression":
            values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64)
            return ((values - self.target_mean) / self.target_scale).astype(np.float32)
        return encode_target(y, self.positive_label)

    def to_target_units(self, standardised: np.ndarray) -> np.ndarray:
        """Regression outputs (or targets) back in the target's units."""
        return np.asarray(standardised, dtype=np.float64) * self.target_scale + self.target_mean

    # ---------------------------------------------------------------- models
    def loss_fn(self, class_weights: Any = None) -> Any:
        """The training loss: binary cross-entropy with logits, cross-entropy, or MSE on the standardised target.

        ``class_weights`` (one per class, from :func:`audit.models.class_weights`) weights each row's
        loss by its class; a regression ignores them.
        """
        from torch import nn

        from audit.models._outputs import RegressionLoss, WeightedClassLoss, binary_loss

        if class_weights is not None and self.task != "regression":
            import torch

            return WeightedClassLoss(torch.as_tensor(np.asarray(class_weights)), binary=self.task == "binary")
        if self.task == "multiclass":
            return nn.CrossEntropyLoss()
        return RegressionLoss() if self.task == "regression" else binary_loss

    def check_output(self, output: Any, n: int) -> None:
        """Raise :class:`ModelError` unless ``output`` has this task's shape for ``n`` rows."""
        if self.task == "binary":
            from audit.models._outputs import check_output_shape

            check_output_shape(output, n)
            return
        k = self.n_outputs
        allowed = {(n, k)} | ({(n,)} if k == 1 else set())
        if tuple(output.shape) not in allowed:
            expected = f"({n}, {k}): one logit per class" if k > 1 else f"({n},) or ({n}, 1): one number per row"
            raise ModelError(_BAD_OUTPUT.format(shape=tuple(output.shape), n=n, expected=expected, k=k))

    def scores(self, model: Any, X: np.ndarray, *, batch_size: int = 8192) -> np.ndarray:
        """Binary: P(positive), shape (n,); multiclass: class probabilities (n, K); regression: predictions in target units."""
        import torch

        if self.task == "binary":
            from audit.models._outputs import predict_proba

            return predict_proba(model, X, batch_size=batch_size)
        was_training = model.training
        model.eval()
        X_t = torch.as_tensor(X, dtype=torch.float32)
        out = []
        with torch.inference_mode():
            for start in range(0, len(X_t), batch_size):
                chunk = model(X_t[start : start + batch_size])
                self.check_output(chunk, len(X_t[start : start + batch_size]))
                out.append(torch.softmax(chunk.double(), dim=1) if self.task == "multiclass" else chunk.double().reshape(-1))
        model.train(was_training)
        if not out:
            return np.zeros((0, self.n_outputs) if self.task == "multiclass" else 0)
        values = torch.cat(out).numpy()
        return values if self.task == "multiclass" else self.to_target_units(values)

    def decide(self, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Decisions from scores: at or above the threshold (binary), the most probable class, or the prediction itself."""
        if self.task == "binary":
            return (np.asarray(scores) >= threshold).astype(np.int64)
        if self.task == "multiclass":
            return np.argmax(scores, axis=1).astype(np.int64)
        return np.asarray(scores, dtype=np.float64)

    def summary(self, y_true: np.ndarray, scores: np.ndarray, *, truth: np.ndarray | None = None,
                threshold: float = 0.5) -> dict[str, Any]:
        """Test metrics of one model (keys of :class:`audit.result.ModelSummary`).

        ``y_true`` is what :meth:`encode` gives; a regression's metrics use ``truth``, the target as the
        data holds it, when given (else ``y_true`` mapped back to target units). A binary model's
        decisions are taken at ``threshold``.
        """
        from sklearn import metrics

        pred = self.decide(scores, threshold)
        if self.task == "regression":
            truth = self.to_target_units(y_true) if truth is None else np.asarray(truth, dtype=np.float64)
            return {"test_accuracy": None, "test_mae": _num(metrics.mean_absolute_error(truth, pred)),
                    "test_rmse": _num(math.sqrt(metrics.mean_squared_error(truth, pred))),
                    "test_r2": _num(metrics.r2_score(truth, pred)) if len(truth) > 1 else None}
        out = {"test_accuracy": float((pred == y_true).mean())}
        if self.task == "binary":
            out["test_roc_auc"] = float(metrics.roc_auc_score(y_true, scores)) if len(np.unique(y_true)) == 2 else None
            out["test_balanced_accuracy"] = float(metrics.balanced_accuracy_score(y_true, pred))
            return out
        labels = list(range(len(self.classes)))
        out["test_macro_f1"] = float(metrics.f1_score(y_true, pred, labels=labels, average="macro", zero_division=0))
        out["test_balanced_accuracy"] = float(metrics.balanced_accuracy_score(y_true, pred))
        return out


def _as_bool(label: Any) -> bool | None:
    """A label as a boolean: true/false (any case), 1/0, or None when it is neither."""
    if isinstance(label, (bool, np.bool_)):
        return bool(label)
    if isinstance(label, (int, float)) and label in (0, 1):
        return bool(label)
    text = str(label).strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(text)


def label_matches(series: pd.Series, positive_label: Any) -> pd.Series:
    """Compare labels to the configured positive label, tolerating 1 vs '1', True vs 'true' and stray spaces.

    Examples
    --------
    >>> label_matches(pd.Series([True, False]), "true").tolist(), label_matches(pd.Series([0, 1]), "1").tolist()
    ([True, False], [False, True])
    """
    if pd.api.types.is_bool_dtype(series):
        want = _as_bool(positive_label)
        return pd.Series(False, index=series.index) if want is None else series.astype("boolean").eq(want).fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(series) and isinstance(positive_label, str):
        try:
            positive_label = float(positive_label)
        except ValueError:
            return pd.Series(False, index=series.index)
    if not pd.api.types.is_numeric_dtype(series):
        return series.astype("string").str.strip() == str(positive_label).strip()
    return series == positive_label


def encode_target(series: pd.Series, positive_label: Any) -> np.ndarray:
    """Binary labels as int64 0/1, 1 where the value equals ``positive_label``."""
    return label_matches(series, positive_label).to_numpy(dtype=np.int64)


def class_labels(y: pd.Series) -> pd.Series:
    """Class labels as text: whole numbers without a decimal point (a column with missing values is read as floats,
    so ``2`` arrives as ``2.0``), everything else as written, trimmed.

    Examples
    --------
    >>> class_labels(pd.Series([2.0, 10.0, 1.5])).tolist(), class_labels(pd.Series([" a", "b"])).tolist()
    (['2', '10', '1.5'], ['a', 'b'])
    """
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        return y.map(lambda v: v if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
    return y.astype(str).str.strip()


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def result_task(task: str, *, text: bool) -> str:
    """The ``AuditResult.task`` of a config task (:data:`audit.choices.TASKS`).

    Examples
    --------
    >>> result_task("multiclass", text=False), result_task("binary", text=True)
    ('multiclass-classification', 'text-classification')
    """
    if text:
        return "text-classification"
    return {"binary": "binary-classification", "multiclass": "multiclass-classification", "regression": "regression"}[task]
