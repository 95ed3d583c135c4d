"""The task of an audit: one class per kind of target, registered once, behind one base.

A :class:`TaskSpec` is fitted on the training targets (``TaskSpec.fit(name, y)``) and owns what
depends on the kind of target: its encoding and number of outputs, the training loss, scores and
decisions, test metrics, the degenerate-model checks, the group report, the rows of
``predictions.csv``, the split strata and the leakage target. What a kind *allows* (a positive
class, a threshold, mitigation, input canaries, ...) is declared once in
:data:`audit.choices.TASK_KINDS` and read here as ``spec.kind`` (and by the config checks and the
readers, which do not import this package). Adding a kind of target is one module with a class
decorated by :func:`register_task`, plus its entry in ``TASK_KINDS``.

Examples
--------
>>> import pandas as pd
>>> spec = TaskSpec.fit("multiclass", pd.Series(["b", "a", "c", "a"]))
>>> type(spec).__name__, spec.classes, spec.n_outputs
('MulticlassTask', ['a', 'b', 'c'], 3)
>>> TaskSpec("binary", positive_label=1).kind.has_threshold
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from audit.choices import CONFIG_TASKS, TaskKind
from audit.exceptions import ModelError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from audit.config import FairnessSection
    from audit.models._outputs import LossFn

__all__ = ["MAX_CLASSES", "TASKS", "TaskSpec", "register_task", "task_class"]

#: A multiclass target with more classes than this is refused: per-class, per-group metrics need rows in each cell.
MAX_CLASSES = 50

#: Config task name → its class (filled by :func:`register_task`).
TASKS: dict[str, type[TaskSpec]] = {}

_BAD_OUTPUT = ("The model's output has shape {shape} for a batch of {n} rows. Expected {expected}. "
               "Fix: end the model with nn.Linear(hidden, {k}).")


def register_task(cls: type[TaskSpec]) -> type[TaskSpec]:
    """Class decorator: register a task class under its ``kind.name`` (one of :data:`audit.choices.CONFIG_TASKS`)."""
    TASKS[cls.kind.name] = cls
    return cls


def task_class(name: str) -> type[TaskSpec]:
    """The class of config task ``name``.

    Examples
    --------
    >>> task_class("regression").__name__
    'RegressionTask'
    """
    if name not in TASKS:
        raise ValueError(f"task {name!r}: expected one of {CONFIG_TASKS}")
    return TASKS[name]


@dataclass(frozen=True)
class TaskSpec:
    """The task of one audit, fitted on its training targets (``TaskSpec(name, ...)`` builds the registered class).

    Attributes
    ----------
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    classes : list of str
        Class labels in output order (multiclass); empty otherwise.
    target_mean, target_scale : float
        The regression target's training mean and standard deviation: the model learns the
        standardised target and its outputs are mapped back to target units.
    positive_label : Any
        The binary target's positive value.
    """

    task: str
    classes: list[str] = field(default_factory=list)
    target_mean: float = 0.0
    target_scale: float = 1.0
    positive_label: Any = None

    kind: ClassVar[TaskKind]
    #: What an explanation explains: a binary logit, one class's log-odds, or the prediction in target units.
    explain_output: ClassVar[str] = "log_odds"

    def __new__(cls, task: str | None = None, *args: Any, **kwargs: Any) -> TaskSpec:
        if cls is TaskSpec:
            cls = task_class(str(task))
        return super().__new__(cls)

    # ---------------------------------------------------------------- fitting and targets
    @classmethod
    def fit(cls, task: str, y: pd.Series, *, positive_label: Any = None) -> TaskSpec:
        """The spec for training targets ``y`` (class labels read as text; regression numbers)."""
        return task_class(task)._fit(y, positive_label=positive_label)

    @classmethod
    def _fit(cls, y: pd.Series, *, positive_label: Any = None) -> TaskSpec:
        return cls(cls.kind.name)

    @classmethod
    def external(cls, task: str, y: pd.Series, *, positive_label: Any = None, classes: Any = None) -> TaskSpec:
        """The task of a model trained elsewhere (``audit_model``): as :meth:`fit`, with the caller's class order."""
        from audit.choices import one_of
        from audit.exceptions import ConfigError

        if task not in CONFIG_TASKS:
            raise ConfigError(f"task = {task!r}: expected {one_of(CONFIG_TASKS)}.")
        kind_cls = task_class(task)
        if kind_cls.kind.has_positive_class and positive_label is None:
            raise ConfigError(f"positive_label is required for task = \"{task}\": the label value that counts as positive.")
        return kind_cls._external(y, positive_label=positive_label, classes=classes)

    @classmethod
    def _external(cls, y: pd.Series, *, positive_label: Any = None, classes: Any = None) -> TaskSpec:
        return cls._fit(y, positive_label=positive_label)

    @property
    def n_outputs(self) -> int:
        """Outputs the model ends in: one logit (binary), one per class, or one number."""
        return 1

    def encode(self, y: pd.Series) -> np.ndarray:
        """The target as the model learns it."""
        raise NotImplementedError

    def to_target_units(self, standardised: np.ndarray) -> np.ndarray:
        """Outputs (or targets) back in the target's units (a regression's; others as given)."""
        return np.asarray(standardised, dtype=np.float64)

    @classmethod
    def strata(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:
        """What a split of these targets is stratified on."""
        raise NotImplementedError

    @classmethod
    def leakage_target(cls, y: pd.Series, *, positive_label: Any = None) -> np.ndarray:
        """The 0/1 target the single-feature leakage screen scores features against."""
        raise NotImplementedError

    @classmethod
    def target_problems(cls, y: pd.Series, *, target: str, label: str, positive_label: Any = None) -> list[str]:
        """What is wrong with a table's target for this task (empty when it can be audited)."""
        return []

    def split_problem(self, encoded: np.ndarray, *, split: str) -> str | None:
        """Why a split's targets cannot be audited (a binary split needs both classes), or None."""
        return None

    # ---------------------------------------------------------------- models
    def loss_fn(self, class_weights: np.ndarray | None = None) -> LossFn:
        """The training loss (weighted by class when ``class_weights`` are given and the task has classes)."""
        raise NotImplementedError

    def check_output(self, output: torch.Tensor, n: int) -> None:
        """Raise :class:`ModelError` unless ``output`` has this task's shape for ``n`` rows."""
        k = self.n_outputs
        allowed = {(n, k)} | ({(n,)} if k == 1 else set())
        if tuple(output.shape) not in allowed:
            expected = f"({n}, {k}): one logit per class" if k > 1 else f"({n},) or ({n}, 1): one number per row"
            raise ModelError(_BAD_OUTPUT.format(shape=tuple(output.shape), n=n, expected=expected, k=k))

    def scores(self, model: nn.Module, X: np.ndarray, *, batch_size: int = 8192) -> np.ndarray:
        """The model's scores on ``X``: its outputs mapped by :meth:`_from_outputs`, batch by batch."""
        import torch

        was_training = model.training
        model.eval()
        X_t = torch.as_tensor(X, dtype=torch.float32)
        out = []
        with torch.inference_mode():
            for start in range(0, len(X_t), batch_size):
                chunk = model(X_t[start : start + batch_size])
                self.check_output(chunk, len(X_t[start : start + batch_size]))
                out.append(self._from_outputs(chunk))
        model.train(was_training)
        if not out:
            return np.zeros((0, self.n_outputs) if self.n_outputs > 1 else 0)
        return self._finish_scores(torch.cat(out).numpy())

    def _from_outputs(self, chunk: torch.Tensor) -> torch.Tensor:
        return chunk.double().reshape(-1)

    def _finish_scores(self, values: np.ndarray) -> np.ndarray:
        return values

    def decide(self, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Decisions from scores."""
        raise NotImplementedError

    def summary(self, y_true: np.ndarray, scores: np.ndarray, *, truth: np.ndarray | None = None,
                threshold: float = 0.5) -> dict[str, Any]:
        """Test metrics of one model (keys of :class:`audit.result.ModelSummary`)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- audits
    def data_summary(self, y_train: np.ndarray, y_test: np.ndarray, train_targets: np.ndarray) -> dict[str, Any]:
        """What the data summary says about the target: base rates, classes, or the target's spread."""
        return {"task": self.task}

    def degenerate_checks(self, *, y_true: np.ndarray, scores: np.ndarray, pred: np.ndarray, truth: np.ndarray,
                          sensitive: pd.DataFrame | None, min_group_size: int, threshold: float) -> dict[str, Any]:
        """Whether the model's output carries signal (the degenerate-model checks of this task)."""
        raise NotImplementedError

    def group_report(self, *, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray, truth: np.ndarray,
                     common: dict[str, Any], fairness: FairnessSection) -> dict[str, Any]:
        """The group report of one model (stored under its name in the record's ``fairness`` section)."""
        raise NotImplementedError

    def prediction_values(self, y_true: np.ndarray, pred: np.ndarray, scores: np.ndarray,
                          truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``y_true, y_pred, y_score`` of ``predictions.csv``."""
        return y_true, pred, scores

    def explained(self, model: nn.Module, *, scores: np.ndarray, y_true: np.ndarray,
                  truth: np.ndarray) -> tuple[nn.Module, np.ndarray, str, int | None]:
        """What an explanation explains for this task: (module, labels, output kind, explained class or None).

        ``scores``, ``y_true`` and ``truth`` are those of the explained rows. A classifier's positive logit by default.
        """
        return model, y_true, "log_odds", None

    def progress_text(self, info: dict[str, Any]) -> str:
        """The one line a run prints about a model's test figures."""
        return f"accuracy {info['test_accuracy']:.4f}"


def num(x: float) -> float | None:
    """A finite float, or None."""
    x = float(x)
    return x if np.isfinite(x) else None
