"""Splitting: the seeded stratified test and validation splits, and the rows dropped before them.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> train, test = split_train_test(pd.DataFrame({"x": range(10)}), y=np.array([0, 1] * 5), test_size=0.4, seed=0)
>>> len(train), len(test)
(6, 4)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.data._sensitive import fit_sensitive_bins, group_strata, sensitive_frame
from audit.exceptions import DataError
from audit.tasks import task_class

if TYPE_CHECKING:
    from audit.config import AuditConfig

__all__ = ["split_train_test"]


def split_train_test(frame: pd.DataFrame, *, y: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split; returns the row positions of train and test."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(frame))
    try:
        train_idx, test_idx = train_test_split(idx, test_size=test_size, random_state=seed, stratify=y)
    except ValueError as exc:
        counts = pd.Series(y).value_counts()
        rare = [str(v) for v in counts[counts < 2].index[:5]]
        fix = (f"Fix: drop or merge the class(es) with a single row ({', '.join(rare)}), or give a test file with "
               "data.test_path." if rare else "Fix: use more rows, another test_size, or give data.test_path.")
        raise DataError(f"Cannot make a stratified split of {len(frame)} rows with test_size={test_size}: expected at "
                        f"least 2 rows of every class, found {exc}. {fix}") from None
    return np.sort(train_idx), np.sort(test_idx)


def _split(config: AuditConfig, train_df: pd.DataFrame, test_df: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subsample to ``data.max_rows`` and split off a stratified test set when the data has none."""
    d, split = config.data, config.split
    if d.max_rows is not None and len(train_df) > d.max_rows:
        train_df = train_df.sample(n=d.max_rows, random_state=split.seed).sort_index()
    if test_df is None:
        tr, te = split_train_test(train_df, y=_split_strata(config, train_df, size=split.test_size),
                                  test_size=split.test_size, seed=split.seed)
        train_df, test_df = train_df.iloc[tr], train_df.iloc[te]
    elif d.max_rows is not None and len(test_df) > d.max_rows:
        test_df = test_df.sample(n=d.max_rows, random_state=split.seed).sort_index()
    return train_df.reset_index(drop=True), test_df.reset_index(drop=True)


def _validation_split(config: AuditConfig, train_df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Hold ``split.validation_size`` of the training rows out of training (stratified like the test split)."""
    size = float(getattr(config.split, "validation_size", 0.0) or 0.0)
    if size <= 0:
        return train_df, None
    try:
        fit, val = split_train_test(train_df, y=_split_strata(config, train_df, size=size), test_size=size,
                                    seed=config.split.seed + 1)
    except DataError as exc:
        raise DataError(f"{exc} (while holding out split.validation_size = {size:g} of the training rows; set "
                        "split.validation_size = 0 and a fixed training.threshold to train on every row)") from None
    return train_df.iloc[fit].reset_index(drop=True), train_df.iloc[val].reset_index(drop=True)


def _drop_missing_target(target: str, *frames: pd.DataFrame | None) -> tuple[list[pd.DataFrame | None], dict[str, int]]:
    """The frames without rows whose target is missing (``data.drop_missing_target``), and how many each lost."""
    out: list[pd.DataFrame | None] = []
    dropped: dict[str, int] = {}
    for name, frame in zip(("training", "test"), frames, strict=True):  # the training table and the test table (or None)
        if frame is None or target not in frame.columns:
            out.append(frame)
            continue
        keep = frame[target].notna()
        if (~keep).any():
            dropped[name] = int((~keep).sum())
        out.append(frame[keep].reset_index(drop=True))
    return out, dropped


def _strata(config: AuditConfig, y: pd.Series) -> np.ndarray:
    """What the split is stratified on: the task's strata (the binary label, the class, the target's quintile)."""
    return task_class(getattr(config, "task", "binary")).strata(y, positive_label=config.data.positive_label)


def _split_strata(config: AuditConfig, frame: pd.DataFrame, *, size: float) -> np.ndarray:
    """The strata of a split of ``size``: the target (``split.stratify = "target"``), or sensitive group × target.

    Grouping by sensitive group bins numeric sensitive columns as the audit will (fitted on the rows being
    split: the strata only decide which rows go where) and merges strata too small to split
    (:func:`audit.data._sensitive.group_strata`).
    """
    d = config.data
    target = _strata(config, frame[d.target])
    if getattr(config.split, "stratify", "target") != "groups" or not d.sensitive_features:
        return target
    bins = fit_sensitive_bins(frame, list(d.sensitive_features), quantiles=d.sensitive_quantiles, edges=d.sensitive_bins)
    groups = sensitive_frame(frame, list(d.sensitive_features), bins=bins)
    return group_strata(target, [groups[c].to_numpy() for c in d.sensitive_features], size=size)


def _drop_duplicate_records(train_df: pd.DataFrame,
                            test_df: pd.DataFrame | None) -> tuple[list[pd.DataFrame | None], dict[str, int]]:
    """The tables without rows repeating an earlier row in every column (``data.drop_duplicate_records``).

    Test-file rows repeating a training row are dropped too; the counts say how many each table lost.
    """
    keep = ~train_df.duplicated(keep="first")
    dropped = {"training": int((~keep).sum())}
    train_df = train_df[keep].reset_index(drop=True)
    if test_df is not None:
        both = pd.concat([train_df, test_df], ignore_index=True)
        fresh = ~both.duplicated(keep="first").to_numpy()[len(train_df):]
        dropped["test"] = int((~fresh).sum())
        test_df = test_df[fresh].reset_index(drop=True)
    return [train_df, test_df], {k: v for k, v in dropped.items() if v}
