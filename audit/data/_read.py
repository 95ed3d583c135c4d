r"""Reading a user's table: CSV or Parquet through the one bounded reader, with clear errors for the usual mistakes.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("zip,n\n01,1\n02,2\n")
>>> read_table(path)["zip"].tolist()  # codes with leading zeros stay text
['01', '02']
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from audit.exceptions import DataError

__all__ = ["file_sha256", "read_table"]

_EMPTY_FILE = "{path} is empty. Expected a CSV with a header row and at least one data row."
_NO_ROWS = "{path} has a header but no data rows. Expected at least one data row."
_BAD_FORMAT = "{path}: expected a .csv, .parquet or .pq file, found '{suffix}'. Convert the data to CSV or Parquet."
_UNREADABLE = "Cannot read {path}: {error}. Check that it is a valid {kind} file."
_DATA_PATH_FIX = "Fix data.path (relative paths are resolved against the config file's folder)."
_TEST_PATH_FIX = "Fix data.test_path (relative paths are resolved against the config file's folder)."
_SPACE_TWINS = ("{path} has column names that differ only by surrounding spaces: {found}. They would be read as separate "
                "columns that look alike. Expected unique names; remove the spaces or rename one of them.")
# A code with a leading zero ("01", "007"): read as a number it would lose the zero and become a magnitude.
_LEADING_ZERO = r"^[+-]?0\d"
_ONE_COLUMN = (
    "{path} parsed into a single column {column!r}: the delimiter is probably not a comma "
    "(found {delim!r} in the header). Save the file as comma-separated CSV."
)
_DUPLICATE_COLUMNS = "{path} has duplicated column names {names}. Expected unique names; rename the duplicates."


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

def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
