"""What the model predicts, and everything that depends on it: targets, losses, outputs, scores, metrics, reports.

One :class:`TaskSpec` per audit, fitted on the training targets; ``TaskSpec.fit(name, y)`` (or
``TaskSpec(name, ...)``) builds the class registered for the config task ``name``:
:class:`BinaryTask`, :class:`MulticlassTask` or :class:`RegressionTask`. What each kind allows is in
:data:`audit.choices.TASK_KINDS` (``spec.kind``). The input kind (table, text, image) is a separate
axis: a text audit swaps the tabular preprocessor for a vocabulary, whatever the task.

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

from typing import cast

from audit.result import Task
from audit.tasks._base import MAX_CLASSES, TASKS, TaskSpec, register_task, task_class
from audit.tasks._binary import BinaryTask
from audit.tasks._labels import class_labels, encode_target, label_matches
from audit.tasks._multiclass import MulticlassTask
from audit.tasks._regression import RegressionTask

__all__ = [
    "MAX_CLASSES",
    "TASKS",
    "BinaryTask",
    "MulticlassTask",
    "RegressionTask",
    "TaskSpec",
    "class_labels",
    "encode_target",
    "label_matches",
    "register_task",
    "result_task",
    "task_class",
]


def result_task(task: str, *, text: bool) -> Task:
    """The ``AuditResult.task`` of a config task (:data:`audit.choices.TASKS`).

    Examples
    --------
    >>> result_task("multiclass", text=False), result_task("binary", text=True)
    ('multiclass-classification', 'text-classification')
    """
    # every TaskKind.result_task is one of audit.choices.TASKS, which tests/audit/result/test_result.py holds
    # equal to Task
    return "text-classification" if text else cast(Task, task_class(task).kind.result_task)
