"""``rai-audit fairness --task multiclass|regression``: the group reports of the run, from a predictions file.

The task is inferred from the labels where that is unambiguous (two values: binary; text labels:
multiclass; numbers with a fractional part: regression) and asked for otherwise (whole numbers with
three or more values may be classes or counts). A multiclass or regression report needs every row's
labels, so on Dask or Spark the engine reads and filters the Parquet data and the needed columns
(two labels and the groups) come to this machine; the report is then the run's own
(:func:`~audit.fairness.multiclass_fairness_report`, :func:`~audit.fairness.regression_fairness_report`),
with the same intervals and small-group policy.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

from audit.choices import TASK_KINDS
from audit.exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TASKS", "infer_task", "render_task_table", "task_report", "task_rows"]

TASKS = ("binary", "multiclass", "regression")
_AMBIGUOUS = ("{column!r} holds whole numbers with {k} distinct values ({shown}): classes, a count, or a binary label "
              "with a stray value? Fix: pass --task multiclass or --task regression, or map the labels to two classes "
              "for a binary audit.")
_TOO_MANY = ("{column!r} holds {k} distinct text labels; a multiclass audit supports at most {limit} classes. Fix: pass "
             "--task regression for a numeric target, or merge rare classes.")
_ONE_VALUE = "{column!r} holds a single value ({value!r}); there is nothing to audit. Fix: check --y-true."
_UNKNOWN_CLASSES = ("--classes {given} does not list the label(s) {missing} found in {columns}. Fix: list every class "
                    "(in the model's output order), or leave --classes out to use the labels sorted.")
_NOT_NUMBERS = ("--task regression needs numbers in {column!r}; found {examples}. Fix: pass the target and prediction "
                "columns, or --task multiclass for class labels.")


def infer_task(y_true: pd.Series, y_pred: pd.Series) -> str:
    """``binary``, ``multiclass`` or ``regression`` from the labels, or :class:`DataError` when ambiguous.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_task(pd.Series(["a", "b", "c"]), pd.Series(["a", "a", "c"]))
    'multiclass'
    >>> infer_task(pd.Series([0.5, 2.25, 3.1]), pd.Series([1.0, 2.0, 3.0]))
    'regression'
    """
    import pandas as pd

    from audit.tasks import MAX_CLASSES

    # the true labels decide: predictions outside them (scores passed as labels) are the binary report's to refuse
    values = pd.Series(y_true).dropna()
    distinct = values.unique()
    if len(distinct) < 2 and len(pd.concat([values, pd.Series(y_pred).dropna()]).unique()) < 2:
        raise DataError(_ONE_VALUE.format(column=y_true.name, value=distinct[0] if len(distinct) else None))
    if len(distinct) <= 2:
        return "binary"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if not np.all(np.mod(values.to_numpy(dtype=float), 1) == 0):
            return "regression"
        shown = sorted(distinct.tolist())[:6]
        raise DataError(_AMBIGUOUS.format(column=y_true.name, k=len(distinct), shown=shown))
    if len(distinct) > MAX_CLASSES:
        raise DataError(_TOO_MANY.format(column=y_true.name, k=len(distinct), limit=MAX_CLASSES))
    return "multiclass"


def task_rows(frame: Any, engine: str) -> pd.DataFrame:
    """A Dask or Spark frame of the needed columns, brought to this machine as pandas (pandas: as is)."""
    if engine == "dask":
        return frame.compute().reset_index(drop=True)
    if engine == "spark":
        return frame.toPandas()
    return frame


def _classes(df: pd.DataFrame, args: argparse.Namespace) -> tuple[list[str], np.ndarray, np.ndarray]:
    from audit.tasks import class_labels

    true, pred = class_labels(df[args.y_true]), class_labels(df[args.y_pred])
    found = sorted(set(true.dropna()) | set(pred.dropna()))
    classes = list(args.classes) if args.classes else found
    missing = sorted(set(found) - set(classes))
    if missing:
        raise DataError(_UNKNOWN_CLASSES.format(given=classes, missing=missing, columns=[args.y_true, args.y_pred]))
    index = {c: i for i, c in enumerate(classes)}
    return classes, true.map(index).to_numpy(dtype=np.int64), pred.map(index).to_numpy(dtype=np.int64)


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(df[column], errors="coerce")
    bad = df[column][values.isna() & df[column].notna()]
    if len(bad):
        raise DataError(_NOT_NUMBERS.format(column=column, examples=bad.astype(str).unique()[:5].tolist()))
    return values.to_numpy(dtype=np.float64)


def task_report(df: pd.DataFrame, args: argparse.Namespace, task: str, sensitive: pd.DataFrame) -> dict[str, Any]:
    """The run's multiclass or regression group report of the predictions in ``df``."""
    common = {"sensitive": sensitive, "n_boot": args.n_boot, "ci_level": args.ci_level,
              "min_group_size": args.min_group_size, "seed": args.seed}
    if TASK_KINDS[task].has_classes:
        from audit.fairness import multiclass_fairness_report

        classes, y_true, y_pred = _classes(df, args)
        report = multiclass_fairness_report(y_true=y_true, y_pred=y_pred, proba=None, classes=classes,
                                            min_group_positives=args.min_group_positives, **common)
    else:
        from audit.fairness import regression_fairness_report

        report = regression_fairness_report(y_true=_numbers(df, args.y_true), y_pred=_numbers(df, args.y_pred), **common)
    return report


def _cell(entry: Any) -> str:
    if not isinstance(entry, dict) or entry.get("value") is None:
        return "n/a"
    ci = entry.get("ci")
    return f"{entry['value']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def render_task_table(result: dict[str, Any]) -> str:
    """A readable summary of a multiclass or regression report: each group's figures, then the disparities."""
    lines = [f"task = {result['task']}, n = {result.get('n')}"]
    for key, block in result["by_feature"].items():
        lines += ["", f"== {key} =="]
        groups = block.get("groups", [])
        metrics = [m for m in (groups[0] if groups else {}) if isinstance(groups[0].get(m), dict)
                   and "value" in groups[0][m]][:5]
        for g in groups:
            figures = ", ".join(f"{m} {_cell(g[m])}" for m in metrics)
            lines.append(f"  {g.get('group')} ({g.get('n')} rows): {figures}")
        for name, entry in block.get("disparities", {}).items():
            reason = entry.get("reason") if isinstance(entry, dict) else None
            lines.append(f"  {name}: {_cell(entry)}" + (f" ({reason})" if reason and entry.get('value') is None else ""))
    return "\n".join(lines)
