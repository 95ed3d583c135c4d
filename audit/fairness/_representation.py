"""Data representation audit: who is in the data, with what outcomes and gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError, DataError
from audit.fairness._inputs import MISSING_GROUP, encode_feature

_MISSING_COLUMN = (
    "Column {col!r} is missing from the {split} table (columns: {cols}). Expected the target and every "
    "sensitive feature in both tables. Fix: check the names in the config."
)
_POS_ABSENT = (
    "The positive label {pos!r} does not occur in the train target {target!r} (values {values}). "
    "Fix: set positive_label to one of those values."
)
_BAD_SHARE = "min_share = {value!r} is invalid. Expected a number in [0, 1). Fix: use 0.01."
_TINY = "{split}: group {feature}={group!r} is {share:.2%} of rows ({count}), below min_share {min_share:.2%}."
_SHIFT = ("Group {feature}={group!r} is {train:.2%} of train but {test:.2%} of test (x{factor:.2f}); "
          "metrics on test may not reflect training conditions.")
_ABSENT = "Group {feature}={group!r} occurs in {present} but not in {absent}."

# A share that changes by more than this factor between train and test is flagged.
SHIFT_FACTOR = 1.5


def _split_summary(df: pd.DataFrame, feature: str, target: str, positive_label) -> dict:
    problems: list[str] = []
    feat = encode_feature(df[feature], feature, problems=problems, require_two=False)
    if feat is None:  # two values print as one group name: say so, as the other reports do
        raise DataError("\n".join(problems), problems=problems)
    n = len(df)
    y = (df[target] == positive_label).to_numpy(dtype=bool, na_value=False)
    target_na = df[target].isna().to_numpy()
    other = df.drop(columns=[feature])
    missing_cells = other.isna().to_numpy()
    out = {}
    for code, label in enumerate(feat.groups):
        idx = feat.codes == code
        count = int(idx.sum())
        known = idx & ~target_na
        miss_by_col = missing_cells[idx].sum(axis=0)
        out[label] = {
            "count": count,
            "share": count / n if n else None,
            "base_rate": float(y[known].mean()) if known.any() else None,
            "rows_with_missing": int(missing_cells[idx].any(axis=1).sum()),
            "missing_share": float(missing_cells[idx].any(axis=1).mean()) if count else None,
            "missing_by_column": {str(c): int(m) for c, m in zip(other.columns, miss_by_col, strict=True) if m},
        }
    return out


def representation_report(
    *, train: pd.DataFrame, test: pd.DataFrame, target: str, positive_label, sensitive_features: list[str],
    min_share: float = 0.01,
) -> dict:
    """Group sizes, shares, base rates and missing values by group, for train and test.

    Warnings flag a group whose share is below ``min_share`` in either split, a share that
    changes by more than x1.5 between train and test, and a group present in one split only.
    Missing sensitive values form the group ``"<missing>"``.

    Returns
    -------
    dict
        ``{"target", "positive_label", "min_share", "shift_factor", "features": {feature: {"groups":
        {group: {"train": {...}, "test": {...}}}}}, "warnings": [str]}`` where each split holds
        ``count, share, base_rate, rows_with_missing, missing_share, missing_by_column``
        (None for a group absent from that split).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 50, "y": [0, 1] * 50})
    >>> r = representation_report(train=df, test=df, target="y", positive_label=1, sensitive_features=["sex"])
    >>> r["features"]["sex"]["groups"]["M"]["train"]["base_rate"], r["warnings"]
    (1.0, [])
    """
    if not isinstance(min_share, (int, float)) or not 0 <= min_share < 1:
        raise ConfigError(_BAD_SHARE.format(value=min_share))
    problems = []
    for split, df in (("train", train), ("test", test)):
        for col in [target, *sensitive_features]:
            if col not in df.columns:
                problems.append(_MISSING_COLUMN.format(col=col, split=split, cols=[str(c) for c in df.columns][:20]))
    if not problems and not (train[target] == positive_label).to_numpy(dtype=bool, na_value=False).any():
        values = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(train[target].dropna())[:10]]
        problems.append(_POS_ABSENT.format(pos=positive_label, target=target, values=values))
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    features, warnings = {}, []
    for feature in sensitive_features:
        tr = _split_summary(train, feature, target, positive_label)
        te = _split_summary(test, feature, target, positive_label)
        groups = {}
        for label in list(tr) + [g for g in te if g not in tr]:
            a, b = tr.get(label), te.get(label)
            groups[label] = {"train": a, "test": b}
            for split, s in (("train", a), ("test", b)):
                if s is not None and s["share"] is not None and s["share"] < min_share:
                    warnings.append(_TINY.format(split=split, feature=feature, group=label, share=s["share"],
                                                 count=s["count"], min_share=min_share))
            if a is None or b is None:
                warnings.append(_ABSENT.format(feature=feature, group=label, present="train" if b is None else "test",
                                               absent="test" if b is None else "train"))
            elif a["share"] and b["share"]:
                factor = b["share"] / a["share"]
                if factor > SHIFT_FACTOR or factor < 1 / SHIFT_FACTOR:
                    warnings.append(_SHIFT.format(feature=feature, group=label, train=a["share"], test=b["share"],
                                                  factor=factor))
        features[feature] = {"groups": groups}
    return {
        "target": target,
        "positive_label": positive_label.item() if isinstance(positive_label, np.generic) else positive_label,
        "min_share": float(min_share),
        "shift_factor": SHIFT_FACTOR,
        "missing_group": MISSING_GROUP,
        "features": features,
        "warnings": warnings,
    }
