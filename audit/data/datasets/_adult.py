"""The UCI Adult ("Census Income") data, shipped gzip-compressed inside the package."""

from __future__ import annotations

import gzip
import hashlib
import io
from importlib import resources

import pandas as pd

from audit.exceptions import DataError

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip

# sha256 of the *uncompressed* files as published with the data (see LICENSE-ADULT.md).
ADULT_SHA256 = {
    "adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    "adult.names": "c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a",
}

ADULT_ATTRIBUTION = (
    "UCI Adult (Census Income), Becker & Kohavi (1996), UCI Machine Learning Repository, "
    "DOI 10.24432/C5XW20. License: CC BY 4.0."
)

_CHECKSUM_MISMATCH = (
    "Bundled file {name} is corrupt: expected sha256 {expected}, found {found}. "
    "Reinstall rai-audit (pip install --force-reinstall rai-audit)."
)


def read_bundled_bytes(name: str) -> bytes:
    """Decompress a bundled Adult file and verify it against its published sha256."""
    blob = (resources.files("audit.data.datasets") / "_data" / f"{name}.gz").read_bytes()
    raw = gzip.decompress(blob)
    found = hashlib.sha256(raw).hexdigest()
    if found != ADULT_SHA256[name]:
        raise DataError(_CHECKSUM_MISMATCH.format(name=name, expected=ADULT_SHA256[name], found=found))
    return raw


def _parse(raw: bytes, *, skip_first_line: bool) -> pd.DataFrame:
    frame = pd.read_csv(
        io.BytesIO(raw),
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
        skiprows=1 if skip_first_line else 0,
        skip_blank_lines=True,
    )
    # The test file writes labels as '>50K.'; normalise both files to '>50K' / '<=50K'.
    frame["income"] = frame["income"].str.rstrip(".")
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype("string")
    return frame


def load_adult() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the bundled UCI Adult train (32,561 rows) and test (16,281 rows) tables.

    Checksums are verified on every load. ``?`` becomes a missing value and the
    test labels lose their trailing ``.`` so both splits use ``<=50K`` / ``>50K``.

    Returns
    -------
    train, test : pandas.DataFrame
        Named columns (see ``ADULT_COLUMNS``); target column ``income``.

    Examples
    --------
    >>> train, test = load_adult()
    >>> sorted(train["income"].unique())
    ['<=50K', '>50K']
    """
    train = _parse(read_bundled_bytes("adult.data"), skip_first_line=False)
    test = _parse(read_bundled_bytes("adult.test"), skip_first_line=True)
    return train, test
