"""Load, check, split and encode tabular data.

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

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.data._sensitive import SensitiveBins, fit_sensitive_bins, group_strata
from audit.config import DEFAULT_SENSITIVE_QUANTILES
from audit.exceptions import DataError
from audit.tasks import TaskSpec, encode_target, task_class

__all__ = [
    "MISSING_CATEGORY",
    "PreparedData",
    "SensitiveBins",
    "TabularPreprocessor",
    "check_table",
    "encode_target",
    "file_sha256",
    "fit_sensitive_bins",
    "prepare_data",
    "prepared_from_frames",
    "nested_columns",
    "nested_problems",
    "read_table",
    "sensitive_frame",
    "split_train_test",
]

MISSING_CATEGORY = "<missing>"
MAX_SENSITIVE_GROUPS = 100
#: Joins the values of an intersectional group's label ("Female & Black").
INTERSECTION_SEPARATOR = " & "
_AMBIGUOUS_GROUP = (
    "sensitive features {columns} have values containing {sep!r} that make different intersectional groups {groups} "
    "share the label {joined!r} in the {label} (labels join values with {sep!r}). Rename those values (e.g. 'and' for "
    "'&'), or set data.intersections = false."
)

_EMPTY_FILE = "{path} is empty. Expected a CSV with a header row and at least one data row."
_NO_ROWS = "{path} has a header but no data rows. Expected at least one data row."
_BAD_FORMAT = "{path}: expected a .csv, .parquet or .pq file, found '{suffix}'. Convert the data to CSV or Parquet."
_UNREADABLE = "Cannot read {path}: {error}. Check that it is a valid {kind} file."
_DATA_PATH_FIX = "Fix data.path (relative paths are resolved against the config file's folder)."
_TEST_PATH_FIX = "Fix data.test_path (relative paths are resolved against the config file's folder)."
_SPACE_TWINS = ("{path} has column names that differ only by surrounding spaces: {found}. They would be read as separate "
                "columns that look alike. Expected unique names; remove the spaces or rename one of them.")
_NESTED = ("column {column!r} holds nested values (lists or structs, e.g. {example}) in the {label}; rai-audit needs one "
           "plain value per cell. Flatten it into plain columns, or leave it out (data.drop_columns).")
# A code with a leading zero ("01", "007"): read as a number it would lose the zero and become a magnitude.
_LEADING_ZERO = r"^[+-]?0\d"
_ONE_COLUMN = (
    "{path} parsed into a single column {column!r}: the delimiter is probably not a comma "
    "(found {delim!r} in the header). Save the file as comma-separated CSV."
)
_DUPLICATE_COLUMNS = "{path} has duplicated column names {names}. Expected unique names; rename the duplicates."
_MOSTLY_NUMERIC = (
    "column {column!r} looks numeric ({n_num} of {n_all} values are numbers) but has non-numeric values {bad} "
    "in the {label}. Expected numbers only; clean those values (or leave the cells empty to mark them missing)."
)
_INFINITE = (
    "numeric column {column!r} has {n} infinite value(s) in the {label}. Expected finite numbers; "
    "replace them with empty cells (missing) or clip them to a finite value."
)
# Squaring a magnitude above this overflows float64 (about 1.8e308), so standardising turns the column to NaN or 0.
_MAX_MAGNITUDE = 1e150
_HUGE = (
    "numeric column {column!r} has {n} value(s) of magnitude above {limit:.0e} (largest {largest:.3g}) in the {label}: "
    "standardising them overflows float64 (their square is infinite) and would turn the features into NaN. "
    "Expected measurements of a sane scale; rescale the column (e.g. a log), clip it, or fix those cells."
)
_DECIMAL_COMMA = r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+"
_DECIMAL_COMMAS = (
    "column {column!r} holds numbers written with a decimal comma ({n} of {n_all} values, e.g. {shown}) in the {label}; "
    "read as text they would become one category per distinct number. Expected a decimal point: write {example}, or "
    "export the file with '.' as the decimal separator."
)
# A text column whose values are at least this share numbers is taken for a numeric column with typos:
# encoding it as categories would silently turn every distinct number into its own feature.
_NUMERIC_SHARE = 0.9


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _csv_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        return next(csv.reader(fh), [])


def read_table(path: str | Path, *, what: str = "Data file", fix: str = _DATA_PATH_FIX) -> pd.DataFrame:
    """Read a user's CSV or Parquet file with clear errors for the usual mistakes.

    The file goes through the tool's one reader first (:mod:`audit.records.files`): a directory, FIFO or
    device is named as such and never opened, and the size is limited. Columns of codes with
    leading zeros (``01``, ``02``) are read as text, never as numbers.

    Parameters
    ----------
    path : path
        The CSV (``.csv``) or Parquet (``.parquet``, ``.pq``) file.
    what, fix : str
        How messages name the file, and the sentence saying how to point at another one
        (``rai-audit fairness`` names its FILE argument, not ``data.path``).

    Raises
    ------
    DataError
        Missing, not a regular file, too large, empty or header-only file; unknown format;
        wrong delimiter; duplicated column names (also names differing only by surrounding spaces).
    """
    from audit.records.files import check_file

    p = check_file(path, what=what, fix=fix, error=DataError, limit="DATA")
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataError(_BAD_FORMAT.format(path=p, suffix=suffix or "(none)"))
    if p.stat().st_size == 0:
        raise DataError(_EMPTY_FILE.format(path=p))
    frame = _read_csv(p) if suffix == ".csv" else _read_parquet(p)
    if len(frame) == 0:
        raise DataError(_NO_ROWS.format(path=p))
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _check_header(p: Path, names: list[str]) -> None:
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise DataError(_DUPLICATE_COLUMNS.format(path=p, names=dupes))
    stripped = [c.strip() for c in names]
    twins = sorted({c for c in stripped if stripped.count(c) > 1})
    if twins:
        found = [repr(c) for c in names if c.strip() in twins]
        raise DataError(_SPACE_TWINS.format(path=p, found=", ".join(found)))


def _read_csv(p: Path) -> pd.DataFrame:
    _check_header(p, _csv_header(p))
    options = {"skipinitialspace": True, "na_values": ["?", ""], "keep_default_na": True}
    try:
        frame = pd.read_csv(p, **options)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(_UNREADABLE.format(path=p, error=str(exc).strip(), kind="CSV")) from None
    except pd.errors.EmptyDataError:
        raise DataError(_EMPTY_FILE.format(path=p)) from None
    if frame.shape[1] == 1:
        col = str(frame.columns[0])
        delim = next((d for d in (";", "\t", "|") if d in col), None)
        if delim is not None:
            raise DataError(_ONE_COLUMN.format(path=p, column=col[:60], delim=delim))
    _check_header(p, [str(c) for c in frame.columns])  # as pandas parsed them (initial spaces skipped)
    return _codes_as_text(p, frame, options)


def _codes_as_text(p: Path, frame: pd.DataFrame, options: dict[str, Any]) -> pd.DataFrame:
    """Numeric columns whose text has leading zeros (``01``, ``007``) are codes: keep them as text."""
    numeric = [c for c in frame.columns if _is_numeric(frame[c])]
    if not numeric:
        return frame
    positions = [list(frame.columns).index(c) for c in numeric]
    text = pd.read_csv(p, dtype=str, usecols=positions, **options)
    for c in text.columns:
        if text[c].dropna().str.strip().str.match(_LEADING_ZERO).any():
            frame[c] = text[c].str.strip()
    return frame


def _read_parquet(p: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises many types for a corrupt file
        raise DataError(_UNREADABLE.format(path=p, error=str(exc).strip()[:200], kind="Parquet")) from None
    _check_header(p, [str(c) for c in frame.columns])
    return frame


def nested_columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """Columns among ``columns`` holding nested values (lists, arrays, dicts: Parquet list/struct columns).

    Returns each one with an example value, shortened.

    Examples
    --------
    >>> nested_columns(pd.DataFrame({"a": [1, 2], "b": [[1], [2, 3]]}), ["a", "b"])
    {'b': '[1]'}
    """
    out = {}
    for c in columns:
        if c not in frame.columns or frame[c].dtype != object:
            continue
        for value in frame[c].head(1000):
            if isinstance(value, (list, tuple, dict, set, np.ndarray)):
                out[c] = repr(value.tolist() if isinstance(value, np.ndarray) else value)[:60]
                break
    return out


def nested_problems(frame: pd.DataFrame, columns: list[str], label: str) -> list[str]:
    """One message per nested column among ``columns`` (see :func:`nested_columns`)."""
    return [_NESTED.format(column=c, example=example, label=label) for c, example in nested_columns(frame, columns).items()]


def check_table(
    frame: pd.DataFrame,
    *,
    target: str,
    positive_label: Any,
    sensitive_features: list[str],
    drop_columns: list[str] = (),
    label: str = "data",
    min_group_rows: int = 2,
    intersections: bool = False,
    task: str = "binary",
    sensitive_quantiles: int = DEFAULT_SENSITIVE_QUANTILES,
    sensitive_bins: dict[str, list[float]] | None = None,
) -> None:
    """Check a table against the config before any work; report every problem at once.

    A numeric sensitive column that will be binned (``sensitive_quantiles`` > 0, or edges in
    ``sensitive_bins``; see :func:`fit_sensitive_bins`) is not refused for its many distinct values:
    the group count that matters is the binned one.

    Raises
    ------
    DataError
        Listing each problem (missing columns, labels that are not binary, an absent
        positive label, NaN targets, sensitive columns with one group or too many,
        all-missing columns, numeric columns with infinities or a few non-numeric values).
    """
    nested = nested_problems(frame, [c for c in frame.columns if c not in drop_columns], label)
    if nested:  # every other check would compare or hash these values
        body = "\n".join(f"  - {p}" for p in nested)
        raise DataError(f"The {label} cannot be audited as configured ({len(nested)} problem(s)):\n{body}", problems=nested)
    problems: list[str] = []
    cols = set(frame.columns)
    for name, what in [(target, "target"), *[(s, "sensitive feature") for s in sensitive_features]]:
        if name not in cols:
            close = [c for c in frame.columns if c.lower() == name.lower()]
            hint = f" (a column {close[0]!r} exists: names are case-sensitive)" if close else ""
            problems.append(f"{what} column {name!r} is missing from the {label}{hint}. Columns found: {list(frame.columns)[:30]}.")
    for name in drop_columns:
        if name not in cols:
            problems.append(f"data.drop_columns names {name!r}, which is not a column of the {label}.")
    n_nan = int(frame[target].isna().sum()) if target in cols else 0
    if n_nan:  # every task: a row without a target cannot be scored
        problems.append(f"target column {target!r} has {n_nan} missing value(s) in the {label}. Drop or fill those rows first.")
    if target in cols:
        problems += task_class(task).target_problems(frame[target], target=target, label=label,
                                                     positive_label=positive_label)
    for s in sensitive_features:
        if s in cols:
            problems += _sensitive_problems(frame[s], s, label=label, quantiles=sensitive_quantiles,
                                            edges=(sensitive_bins or {}).get(s))
    present = [s for s in sensitive_features if s in cols]
    if intersections and len(present) > 1:
        problems += _ambiguous_intersections(frame, present, label)
    for c in frame.columns:
        if c in (target,) or c in drop_columns:
            continue
        if frame[c].isna().all():
            problems.append(f"column {c!r} is entirely missing in the {label}; drop it (data.drop_columns).")
            continue
        if c in sensitive_features:
            continue  # sensitive values are group labels, never parsed as numbers
        problem = _numeric_problem(frame[c], c, label)
        if problem:
            problems.append(problem)
    if problems:
        body = "\n".join(f"  - {p}" for p in problems)
        raise DataError(f"The {label} cannot be audited as configured ({len(problems)} problem(s)):\n{body}", problems=problems)


def _sensitive_problems(values: pd.Series, column: str, *, label: str, quantiles: int, edges: list[float] | None) -> list[str]:
    """A sensitive column with one group, or with more than MAX_SENSITIVE_GROUPS groups once binned."""
    n_groups = values.astype("string").fillna(MISSING_CATEGORY).nunique()
    if n_groups < 2:
        return [f"sensitive feature {column!r} has a single group in the {label}; fairness needs at least 2 groups."]
    numeric = _is_numeric(values)
    if edges is not None and not numeric and pd.to_numeric(values.dropna(), errors="coerce").isna().any():
        bad = values.dropna()[pd.to_numeric(values.dropna(), errors="coerce").isna()].astype(str).unique()[:3].tolist()
        return [f"data.sensitive_bins gives edges for {column!r}, whose values in the {label} are not numbers (e.g. {bad}). "
                "Fix: remove it from data.sensitive_bins (its values are group labels already), or fix the column."]
    if n_groups <= MAX_SENSITIVE_GROUPS or edges is not None or (numeric and quantiles):
        return []  # a numeric column is cut into groups (fit_sensitive_bins) before they are counted
    fix = ("Fix: set data.sensitive_quantiles (e.g. 4) to cut it at the training rows' quantiles, or give its edges in "
           f"data.sensitive_bins (e.g. {{{column} = [25, 45, 65]}})." if numeric else
           "Is it an identifier or free text? Fix: map its values to at most "
           f"{MAX_SENSITIVE_GROUPS} groups in the data file, or leave it out of data.sensitive_features.")
    return [f"sensitive feature {column!r} has {n_groups} distinct values in the {label} (at most {MAX_SENSITIVE_GROUPS} "
            f"groups supported). {fix}"]


def _ambiguous_intersections(frame: pd.DataFrame, columns: list[str], label: str) -> list[str]:
    """Different intersectional groups whose labels (values joined by " & ") would be the same."""
    combos = frame[columns].astype("string").fillna(MISSING_CATEGORY).drop_duplicates()
    labels = combos.apply(lambda row: INTERSECTION_SEPARATOR.join(row), axis=1)
    clash = combos[labels.duplicated(keep=False)]
    if clash.empty:
        return []
    shown = [tuple(r) for r in clash.head(2).itertuples(index=False)]
    return [_AMBIGUOUS_GROUP.format(columns=columns, groups=shown, joined=labels[clash.index[0]], sep=INTERSECTION_SEPARATOR,
                                    label=label)]


def _numeric_problem(series: pd.Series, column: str, label: str) -> str | None:
    """A message when a numeric column has infinities or overflowing magnitudes, or a text column is
    numbers with a few typos or with decimal commas."""
    if _is_numeric(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        n_inf = int(np.isinf(values).sum())
        if n_inf:
            return _INFINITE.format(column=column, n=n_inf, label=label)
        huge = np.abs(values[np.isfinite(values)])
        huge = huge[huge > _MAX_MAGNITUDE]
        return _HUGE.format(column=column, n=len(huge), largest=float(huge.max()), limit=_MAX_MAGNITUDE, label=label) \
            if len(huge) else None
    if pd.api.types.is_bool_dtype(series):
        return None
    values = series.dropna()
    text = values.astype("string").str.strip()
    commas = text.str.fullmatch(_DECIMAL_COMMA)
    if len(values) and int(commas.sum()) >= _NUMERIC_SHARE * len(values):
        shown = text[commas].unique().tolist()[:3]
        return _DECIMAL_COMMAS.format(column=column, n=int(commas.sum()), n_all=len(values), shown=shown, label=label,
                                      example=shown[0].replace(".", "").replace(",", "."))
    parsed = pd.to_numeric(text, errors="coerce")
    n_num = int(parsed.notna().sum())
    if n_num == len(values) or n_num < _NUMERIC_SHARE * len(values):
        return None
    bad = text[parsed.isna()].unique().tolist()
    shown = [str(b) for b in bad[:5]] + (["..."] if len(bad) > 5 else [])
    return _MOSTLY_NUMERIC.format(column=column, n_num=n_num, n_all=len(values), bad=shown, label=label)


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


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


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


@dataclass
class PreparedData:
    """Everything downstream steps need, split and encoded."""

    raw_train: pd.DataFrame
    raw_test: pd.DataFrame
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    sensitive_train: pd.DataFrame
    sensitive_test: pd.DataFrame
    preprocessor: Any  # TabularPreprocessor, or audit.data._text.TextFeatures for a text audit
    summary: dict[str, Any]
    screening: Any = None  # audit.data.screening.Screening: the identifier scan and the columns left out
    task: TaskSpec = field(default_factory=lambda: TaskSpec("binary", positive_label=1))
    target: str | None = None  # the target column of raw_train and raw_test
    # rows held out of training (split.validation_size) to choose the decision threshold and stop early
    raw_validation: pd.DataFrame | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    # numeric sensitive columns cut into groups (fitted on the training rows), and what the data step has to say
    sensitive_bins: dict[str, SensitiveBins] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def validation(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(X, y) of the validation rows, or None when the config holds none out."""
        return None if self.X_val is None or not len(self.X_val) else (self.X_val, self.y_val)

    def target_values(self, split: str = "test") -> np.ndarray:
        """A regression's target as the data holds it (float64; the model learns it standardised in float32)."""
        frame = self.raw_test if split == "test" else self.raw_train
        return pd.to_numeric(frame[self.target], errors="coerce").to_numpy(dtype=np.float64)


def sensitive_frame(frame: pd.DataFrame, columns: list[str], *, bins: dict[str, SensitiveBins] | None = None,
                    label: str = "data") -> pd.DataFrame:
    """The sensitive columns as string group labels; a missing value is its own group (``<missing>``).

    A column with fitted ``bins`` (:func:`fit_sensitive_bins`) gets its interval labels (``[30, 40)``).

    Examples
    --------
    >>> sensitive_frame(pd.DataFrame({"sex": ["F", None]}), ["sex"])["sex"].tolist()
    ['F', '<missing>']
    >>> frame = pd.DataFrame({"age": [20, 50, None]})
    >>> bins = fit_sensitive_bins(frame, ["age"], edges={"age": [40]})
    >>> sensitive_frame(frame, ["age"], bins=bins)["age"].tolist()
    ['< 40', '≥ 40', '<missing>']
    """
    bins = bins or {}
    return pd.DataFrame({c: bins[c].apply(frame[c], label=label) if c in bins else
                         frame[c].astype("string").fillna(MISSING_CATEGORY).astype(object) for c in columns}, index=frame.index)


def _read_sources(config: Any) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str]]:
    """The training table, the test table if the config names one, and sha256 of each file read."""
    d = config.data
    if d.bundled is not None:
        from audit.data.datasets import load_bundled
        from audit.data.datasets._adult import ADULT_SHA256

        train_df, test_df = load_bundled(d.bundled)
        hashes = {f"bundled:adult/{k}": v for k, v in ADULT_SHA256.items() if k != "adult.names"} if d.bundled == "adult" else {}
        if d.bundled == "farm_ads":
            from audit.data.datasets._text import FARM_ADS_SHA256

            hashes = {"bundled:farm_ads/dmba/csvFiles/farm-ads.csv.gz": FARM_ADS_SHA256}
        return train_df, test_df, hashes
    path = config.resolve(d.path or "")
    train_df, hashes, test_df = read_table(path), {str(d.path): file_sha256(path)}, None
    if d.test_path:
        tpath = config.resolve(d.test_path)
        test_df = read_table(tpath, fix=_TEST_PATH_FIX)
        hashes[str(d.test_path)] = file_sha256(tpath)
    return train_df, test_df, hashes


def _check_sources(d: Any, train_df: pd.DataFrame, test_df: pd.DataFrame | None, task: str = "binary") -> None:
    binning = {"sensitive_quantiles": d.sensitive_quantiles, "sensitive_bins": d.sensitive_bins}
    check_table(train_df, target=d.target, positive_label=d.positive_label, sensitive_features=d.sensitive_features,
                drop_columns=d.drop_columns, label="training data" if test_df is not None else "data",
                intersections=d.intersections and len(d.sensitive_features) > 1, task=task, **binning)
    if test_df is None:
        return
    extra = sorted(set(train_df.columns) ^ set(test_df.columns))
    if extra:
        raise DataError(
            f"The training and test files have different columns: {extra} appear in only one of them. "
            "Expected the same columns in both; rename or drop the extra ones."
        )
    check_table(test_df, target=d.target, positive_label=d.positive_label, sensitive_features=d.sensitive_features,
                drop_columns=d.drop_columns, label="test data",
                intersections=d.intersections and len(d.sensitive_features) > 1, task=task, **binning)


def _split(config: Any, train_df: pd.DataFrame, test_df: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def _validation_split(config: Any, train_df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
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


def _drop_missing_target(target: str, *frames: pd.DataFrame | None) -> tuple[list, dict[str, int]]:
    """The frames without rows whose target is missing (``data.drop_missing_target``), and how many each lost."""
    out, dropped = [], {}
    for name, frame in zip(("training", "test"), frames):
        if frame is None or target not in frame.columns:
            out.append(frame)
            continue
        keep = frame[target].notna()
        if (~keep).any():
            dropped[name] = int((~keep).sum())
        out.append(frame[keep].reset_index(drop=True))
    return out, dropped


def _strata(config: Any, y: pd.Series) -> np.ndarray:
    """What the split is stratified on: the task's strata (the binary label, the class, the target's quintile)."""
    return task_class(getattr(config, "task", "binary")).strata(y, positive_label=config.data.positive_label)


def _split_strata(config: Any, frame: pd.DataFrame, *, size: float) -> np.ndarray:
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


def _drop_duplicate_records(train_df: pd.DataFrame, test_df: pd.DataFrame | None) -> tuple[list, dict[str, int]]:
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


def _task_summary(config: Any, prepared: PreparedData) -> dict[str, Any]:
    """What the summary says about the target (the task's: base rates, classes, or the target's spread)."""
    return prepared.task.data_summary(prepared.y_train, prepared.y_test, prepared.target_values("train"))


def _data_summary(config: Any, prepared: PreparedData) -> dict[str, Any]:
    from audit.result import to_jsonable

    d, split = config.data, config.split
    train_df = prepared.raw_train
    summary = {
        "source": f"bundled:{d.bundled}" if d.bundled else str(d.path),
        "test_source": "bundled test split" if d.bundled else (str(d.test_path) if d.test_path else
                       f"stratified split ({_STRATA_TEXT[split.stratify]}), test_size={split.test_size}, seed={split.seed}"),
        "stratify": None if d.bundled or d.test_path else split.stratify,
        "n_train": int(len(train_df)),
        "n_test": int(len(prepared.raw_test)),
        "n_validation": int(len(prepared.raw_validation)) if prepared.raw_validation is not None else 0,
        "target": d.target,
        "positive_label": to_jsonable(d.positive_label),
        **_task_summary(config, prepared),
        "sensitive_features": list(d.sensitive_features),
        "sensitive_bins": {c: b.to_dict() for c, b in prepared.sensitive_bins.items()},
        # a text model reads only its text column, whatever use_sensitive_as_features says
        "sensitive_used_as_features": d.use_sensitive_as_features and d.text_column is None,
        "features": list(prepared.preprocessor.columns_),
        "dropped_columns": list(d.drop_columns),
        "n_encoded_features": int(prepared.X_train.shape[1]),
        "encoded_feature_names": prepared.preprocessor.feature_names_,
        "missing_values_train": {c: int(v) for c, v in train_df.isna().sum().items() if v},
    }
    if prepared.screening is not None:
        from audit.data.screening import train_test_duplicates

        summary["screening"] = prepared.screening.to_dict()
        summary["train_test_duplicates"] = train_test_duplicates(prepared.X_train, prepared.X_test,
                                                                 raw_train=prepared.raw_train, raw_test=prepared.raw_test)
    if d.bundled:
        from audit.data.datasets import BUNDLED_DATASETS

        summary["attribution"] = BUNDLED_DATASETS[d.bundled][1]
    return summary


_STRATA_TEXT = {"target": "by target", "groups": "by sensitive group × target, strata too small to split merged"}


def _screen(config: Any, train_df: pd.DataFrame) -> Any:
    """The feature columns after the data screening (identifiers excluded, leakage refused)."""
    from audit.data.screening import ScreeningPolicy, screen_features

    d = config.data
    excluded = {d.target, *d.drop_columns} | (set() if d.use_sensitive_as_features else set(d.sensitive_features))
    candidates = [c for c in train_df.columns if c not in excluded]
    if not candidates:
        raise DataError("No feature columns are left after dropping the target, drop_columns and sensitive features.")
    screening = screen_features(train_df, y=_leakage_target(config, train_df[d.target]), target=d.target,
                                features=candidates, dropped=list(d.drop_columns), sensitive=list(d.sensitive_features),
                                policy=ScreeningPolicy.from_config(d), seed=config.split.seed)
    if not screening.features:
        left_out = [e["column"] for e in screening.excluded]
        raise DataError(f"No feature columns are left: every candidate looks like an identifier {left_out}. "
                        "List real features in data.keep_columns, or set data.identifier_columns = \"keep\".")
    return screening


def _leakage_target(config: Any, y: pd.Series) -> np.ndarray:
    """The 0/1 target the single-feature leakage screen scores features against (the task's)."""
    return task_class(getattr(config, "task", "binary")).leakage_target(y, positive_label=config.data.positive_label)


def _check_width(pre: TabularPreprocessor, limit: int) -> None:
    from audit.data.screening import width_problem

    categories = {c: len(idx) for c, idx in pre.feature_groups_.items() if c in pre.categories_}
    problem = width_problem(categories, len(pre.numeric_), limit=limit)
    if problem:
        raise DataError(f"The data cannot be used as features as given (1 problem); nothing was trained:\n  - {problem}",
                        problems=[problem])


def prepared_from_frames(
    train: pd.DataFrame, test: pd.DataFrame, *, target: str, positive_label: Any, sensitive_features: list[str],
    preprocessor: Any, summary: dict[str, Any] | None = None, task: TaskSpec | None = None,
    sensitive_quantiles: int = DEFAULT_SENSITIVE_QUANTILES, sensitive_bins: dict[str, list[float]] | None = None,
) -> PreparedData:
    """Encode a train and a test table with a fitted preprocessor into :class:`PreparedData`.

    Both tables must hold the preprocessor's columns, the target and the sensitive features.
    ``task`` encodes the target (default: binary, 1 where it equals ``positive_label``). Numeric
    sensitive columns are cut into groups fitted on ``train`` (:func:`fit_sensitive_bins` with
    ``sensitive_quantiles`` and the edges of ``sensitive_bins``), applied to both tables alike; the
    features keep the raw values.
    """
    features = list(preprocessor.columns_)
    task = task or TaskSpec("binary", positive_label=positive_label)
    y_train, y_test = task.encode(train[target]), task.encode(test[target])
    bins = fit_sensitive_bins(train, list(sensitive_features), quantiles=sensitive_quantiles, edges=sensitive_bins)
    return PreparedData(
        raw_train=train, raw_test=test,
        X_train=preprocessor.transform(train[features]), X_test=preprocessor.transform(test[features]),
        y_train=y_train, y_test=y_test,
        sensitive_train=sensitive_frame(train, sensitive_features, bins=bins, label="training data"),
        sensitive_test=sensitive_frame(test, sensitive_features, bins=bins, label="test data"),
        preprocessor=preprocessor, summary=dict(summary or {}), task=task, target=target, sensitive_bins=bins,
        notes=[f"sensitive feature {b.text}" for b in bins.values()],
    )


def prepare_data(config: Any) -> tuple[PreparedData, dict[str, str]]:
    """Load, check, split and encode the data an :class:`~audit.config.AuditConfig` names.

    The preprocessor is fitted on the training split only.

    Returns
    -------
    prepared, data_hashes
        The split and encoded data, and sha256 of each data file read.

    Examples
    --------
    >>> from audit.config import load_config
    >>> prepared, hashes = prepare_data(load_config("examples/adult/audit.toml"))  # doctest: +SKIP
    >>> prepared.summary["n_train"]  # doctest: +SKIP
    32561
    """
    d = config.data
    train_df, test_df, hashes = _read_sources(config)
    dropped, repeated = {}, {}
    if d.drop_missing_target:
        (train_df, test_df), dropped = _drop_missing_target(d.target, train_df, test_df)
    if d.drop_duplicate_records:
        (train_df, test_df), repeated = _drop_duplicate_records(train_df, test_df)
    _check_sources(d, train_df, test_df, task=config.task)
    train_df, test_df = _split(config, train_df, test_df)
    train_df, val_df = _validation_split(config, train_df)
    task = TaskSpec.fit(config.task, train_df[d.target], positive_label=d.positive_label)
    for name, frame in (("training", train_df), ("test", test_df)):
        problem = task.split_problem(task.encode(frame[d.target]), split=name)
        if problem:
            raise DataError(problem)
    text_summary = None
    if d.text_column is not None:
        from audit.data._text import text_features

        screening = None  # the model reads the texts only; the identifier scan runs on the raw table
        pre, text_summary = text_features(config.text, column=d.text_column, train=train_df, test=test_df)
    else:
        screening = _screen(config, train_df)
        pre = TabularPreprocessor().fit(train_df[screening.features])
        _check_width(pre, d.max_encoded_features)
    prepared = prepared_from_frames(train_df, test_df, target=d.target, positive_label=d.positive_label,
                                    sensitive_features=list(d.sensitive_features), preprocessor=pre, task=task,
                                    sensitive_quantiles=d.sensitive_quantiles, sensitive_bins=d.sensitive_bins)
    prepared.screening = screening
    if val_df is not None:
        features = list(pre.columns_)
        prepared.raw_validation, prepared.X_val = val_df, pre.transform(val_df[features])
        prepared.y_val = task.encode(val_df[d.target])
    prepared.summary = _data_summary(config, prepared)
    if dropped:
        prepared.summary["rows_dropped_missing_target"] = dropped
    if d.drop_duplicate_records:
        prepared.summary["rows_dropped_duplicate_records"] = repeated
        prepared.notes.append("data.drop_duplicate_records: dropped " + (", ".join(
            f"{n} {name} row(s)" for name, n in repeated.items()) or "no rows") + " repeating an earlier row in every column")
    if text_summary is not None:
        prepared.summary.update(text_column=d.text_column, text=text_summary, encoded_feature_names=[])
    return prepared, hashes
