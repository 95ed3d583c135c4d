"""The input contract of ``rai-audit score``: the checks :mod:`audit.scale._score` runs before and while it scores.

The same contract as ``rai-audit run``: the run's files verified against its manifest before its weights are
used, the column names the predictions reserve (:data:`audit.config.PREDICTION_COLUMNS`) never taken by an
input column, target labels the run knows, finite features. Each check raises the command's error with the
column, label or row at fault and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError, DataError, RunDirError

__all__ = ["check_features", "check_keep", "check_target_labels", "check_verified", "non_finite_scores"]

_UNVERIFIED = (
    "{run} no longer verifies against its manifest: {diffs} since the run was sealed, so its weights and record cannot "
    "be trusted; nothing was scored. Fix: score the run as rai-audit run wrote it (restore it from a trusted copy; "
    "'rai-audit verify {run}' lists every difference), or re-run the audit."
)
_KEEP_RESERVED = (
    "--keep {names}: score writes the column(s) {reserved} itself, so keeping an input column of that name would "
    "replace the model's {what}. Fix: leave {them} out of --keep (rename the column in the data to keep it, e.g. "
    "{example!r})."
)
_UNSEEN_LABELS = (
    "target column {target!r} holds the labels {labels} in {data}, but the run was trained on two labels: its positive "
    "label {positive!r} and one other. {why} A row with a label the run never saw would be scored y_true = 0. Fix: "
    "map the labels to the run's (positive label {positive!r}), or drop the target column from the data to score "
    "without y_true."
)
_MISSING_TARGET = (
    "target column {target!r} has {n} missing value(s) in {data}; a row without a label would be scored y_true = 0. "
    "Fix: drop or fill those rows, or drop the target column from the data to score without y_true."
)
_NON_FINITE = (
    "numeric column {column!r} holds {value} at {where} of {data} ({n} non-finite or overflowing cell(s) in that "
    "chunk): the model reads finite float32 numbers, so its score would be NaN. Expected finite numbers of the "
    "training scale; replace it with an empty cell (imputed as in training), clip it, or fix the row."
)
_BAD_SCORES = ("The {name} model produced {n} non-finite score(s) at {where} of {data}, from finite inputs; "
               "nothing was written. Check the run's weights (rai-audit verify) and the data's scale.")


def check_verified(run: Path) -> set[str]:
    """The sealed files of ``run`` (relative paths); refuses a run whose files differ from its manifest (the review
    record aside): weights are used only as the run sealed them.

    Raises
    ------
    RunDirError
        Naming each file added, removed or changed since the run was sealed (or the missing manifest).

    Examples
    --------
    >>> check_verified(Path("runs/adult"))  # doctest: +SKIP
    """
    from audit.records._manifest import compare_with_manifest, read_manifest

    report = compare_with_manifest(run)
    diffs = [f"{rel} {how}" for how in ("changed", "removed", "added") for rel in report[how]]
    if diffs:
        shown = ", ".join(diffs[:5]) + (f" and {len(diffs) - 5} more" if len(diffs) > 5 else "")
        raise RunDirError(_UNVERIFIED.format(run=run, diffs=shown))
    return set(read_manifest(run)["files"])


def check_keep(keep: list[str]) -> list[str]:
    """``keep`` without duplicates; :class:`ConfigError` when it names a column score writes itself.

    Examples
    --------
    >>> check_keep(["id", "id", "region"])
    ['id', 'region']
    """
    from audit.config import PREDICTION_COLUMNS  # the names run refuses for sensitive columns

    reserved = [k for k in dict.fromkeys(keep) if k in PREDICTION_COLUMNS]
    if reserved:
        what = "scores" if "y_score" in reserved else "decisions" if "y_pred" in reserved else "output"
        raise ConfigError(_KEEP_RESERVED.format(names=" ".join(reserved), reserved=list(PREDICTION_COLUMNS), what=what,
                                                them="it" if len(reserved) == 1 else "them", example=f"{reserved[0]}_input"))
    return list(dict.fromkeys(keep))


def check_target_labels(values: pd.Series, n_missing: int, *, target: str, positive_label: Any, data: str) -> None:
    """Refuse target labels a binary run never saw, and missing labels (each would become ``y_true = 0``).

    ``values`` are the distinct labels of the whole dataset (a few suffice: more than two is already wrong).
    The run records its positive label only, so one label that is not the positive one passes (data of one
    class); two labels of which none is positive, or three, cannot all be the run's.

    Examples
    --------
    >>> check_target_labels(pd.Series(["<=50K", ">50K"]), 0, target="income", positive_label=">50K", data="d")
    >>> check_target_labels(pd.Series(["no", "yes"]), 0, target="income", positive_label=">50K", data="d")
    Traceback (most recent call last):
    ...
    audit.exceptions.DataError: target column 'income' holds the labels ['no', 'yes'] in d, but ...
    """
    from audit.tasks._labels import label_matches

    if n_missing:
        raise DataError(_MISSING_TARGET.format(target=target, n=n_missing, data=data))
    values = values.dropna().reset_index(drop=True)
    positive = label_matches(values, positive_label).to_numpy(dtype=bool)
    others = values[~positive]
    if len(others) > 1 or len(values) > 2:
        why = (f"None of them is {positive_label!r}." if not positive.any() else
               f"{len(values)} labels cannot all be the run's.")
        raise DataError(_UNSEEN_LABELS.format(target=target, labels=sorted(map(str, values))[:10], data=data,
                                              positive=positive_label, why=why))


def check_features(X: np.ndarray, frame: pd.DataFrame, groups: dict[str, list[int]], *, where: Any, data: str) -> None:
    """Refuse a chunk whose encoded features are not finite, naming the raw column, the first bad row and its value.

    ``groups`` maps each raw column to its encoded columns (the preprocessor's ``feature_groups_``); ``where``
    turns a row position of the chunk into words (``where(3)`` -> ``"row 203"``).
    """
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    row, col = (int(i[0]) for i in np.nonzero(bad))
    column = next(c for c, idx in groups.items() if col in idx)
    value = frame[column].iloc[row]
    value = value.item() if isinstance(value, np.generic) else value  # inf, not np.float64(inf)
    raise DataError(_NON_FINITE.format(column=column, value=repr(value), where=where(row), data=data, n=int(bad.sum())))


def non_finite_scores(score: np.ndarray, *, name: str, where: Any, data: str) -> None:
    """:class:`DataError` when a model's scores on finite inputs are not finite (never written as y_pred = 0)."""
    bad = ~np.isfinite(score)
    if bad.any():
        raise DataError(_BAD_SCORES.format(name=name, n=int(bad.sum()), where=where(int(np.argmax(bad))), data=data))
