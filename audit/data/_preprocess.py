"""The tabular encoding: one-hot categoricals and standardised numerics, fitted on the training rows only.

The :class:`TabularPreprocessor` follows scikit-learn's conventions (``fit`` on
the training split only, then ``transform``), keeps the mapping from each
encoded column back to its original feature, and saves to plain JSON (never
pickle) so a run directory can be reloaded safely.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"age": [20, 30, 40], "sex": ["F", "M", "F"]})
>>> pre = TabularPreprocessor().fit(df)
>>> pre.feature_names_
['age', 'sex=F', 'sex=M']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.data._read import _is_numeric
from audit.data._sensitive import MISSING_CATEGORY
from audit.exceptions import DataError

__all__ = ["TabularPreprocessor"]


class TabularPreprocessor:
    """One-hot categoricals, standardised numerics; fitted on training rows only.

    Missing numerics are filled with the training median; missing categoricals
    become their own category ``<missing>``; categories unseen in training
    encode as all zeros.

    Parameters
    ----------
    categorical : list of str, optional
        Columns to treat as categorical even if numeric.
    """

    def __init__(self, *, categorical: list[str] | None = None) -> None:
        self.categorical = categorical

    def fit(self, frame: pd.DataFrame) -> TabularPreprocessor:
        """Learn column kinds, medians, means, standard deviations and categories."""
        forced = set(self.categorical or [])
        self.columns_: list[str] = list(frame.columns)
        self.numeric_: dict[str, dict[str, float]] = {}
        self.categories_: dict[str, list[str]] = {}
        for c in self.columns_:
            s = frame[c]
            if _is_numeric(s) and c not in forced:
                med = float(s.median()) if s.notna().any() else 0.0
                filled = s.astype("float64").fillna(med)
                std = float(filled.std(ddof=0))
                self.numeric_[c] = {"median": med, "mean": float(filled.mean()), "std": std if std > 0 else 1.0}
            else:
                cats = sorted(s.astype("string").fillna(MISSING_CATEGORY).unique().tolist())
                self.categories_[c] = [str(x) for x in cats]
        self._build_names()
        return self

    def _build_names(self) -> None:
        self.feature_names_: list[str] = []
        self.feature_groups_: dict[str, list[int]] = {}
        for c in self.columns_:
            start = len(self.feature_names_)
            if c in self.numeric_:
                self.feature_names_.append(c)
            else:
                self.feature_names_.extend(f"{c}={v}" for v in self.categories_[c])
            self.feature_groups_[c] = list(range(start, len(self.feature_names_)))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode rows into a float32 matrix with the fitted layout."""
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise DataError(f"Columns {missing} seen in training are missing here; the test data must have the training columns.")
        blocks = []
        for c in self.columns_:
            s = frame[c]
            if c in self.numeric_:
                stats = self.numeric_[c]
                try:
                    values = pd.to_numeric(s, errors="raise").astype("float64")
                except (ValueError, TypeError):
                    bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()].astype(str).unique()[:5].tolist()
                    raise DataError(
                        f"Column {c!r} is numeric in training but has non-numeric values here: {bad}. "
                        "Clean the column or make it categorical in both files."
                    ) from None
                blocks.append(((values.fillna(stats["median"]) - stats["mean"]) / stats["std"]).to_numpy()[:, None])
            else:
                cats = self.categories_[c]
                codes = pd.Index(cats).get_indexer(s.astype("string").fillna(MISSING_CATEGORY).astype(object))
                onehot = np.zeros((len(frame), len(cats)), dtype=np.float64)
                rows = np.nonzero(codes >= 0)[0]
                onehot[rows, codes[rows]] = 1.0
                blocks.append(onehot)
        if not blocks:
            return np.zeros((len(frame), 0), dtype=np.float32)
        return np.hstack(blocks).astype(np.float32)

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``fit`` then ``transform`` the same rows."""
        return self.fit(frame).transform(frame)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for ``preprocessor.json``."""
        return {"columns": self.columns_, "numeric": self.numeric_, "categories": self.categories_, "categorical": self.categorical}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TabularPreprocessor:
        """Rebuild a fitted preprocessor from :meth:`to_dict` output."""
        pre = cls(categorical=data.get("categorical"))
        pre.columns_ = list(data["columns"])
        pre.numeric_ = {k: dict(v) for k, v in data["numeric"].items()}
        pre.categories_ = {k: list(v) for k, v in data["categories"].items()}
        pre._build_names()
        return pre

    def save(self, path: str | Path) -> None:
        """Write the fitted state as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TabularPreprocessor:
        """Read a preprocessor saved by :meth:`save` (through the one reader: a run file is untrusted).

        Raises
        ------
        DataError
            Not a regular file, too large, not JSON, too deep, or not a saved preprocessor.
        """
        from audit.records.files import load_json

        fix = "The run is corrupt or was edited; re-run the audit."
        data = load_json(path, what="Preprocessor file", fix=fix, error=DataError, limit="AUDIT")
        shapes = {"columns": list, "numeric": dict, "categories": dict}
        if not isinstance(data, dict) or any(not isinstance(data.get(k), t) for k, t in shapes.items()):
            raise DataError(f"Preprocessor file {path} is not a saved preprocessor (expected 'columns', 'numeric' and "
                            f"'categories'). {fix}")
        return cls.from_dict(data)
