"""A small, real, labelled text classification dataset read from an installed package (the ``text`` extra).

The UCI Farm Ads data (4,143 ads, accepted or rejected by the owners of farm-animal websites) ships inside
the wheel of ``dmba``, the MIT-licensed companion package of the textbook *Data Mining for Business
Analytics*. ``pip install 'rai-audit[text]'`` installs it; nothing is downloaded when the data is loaded.

The file is found through the installed package's location (``importlib.util.find_spec``) without
importing ``dmba`` itself, so its own imports (matplotlib, graphviz) are never run.
"""

from __future__ import annotations

import gzip
import hashlib
from importlib.util import find_spec
from pathlib import Path

import pandas as pd

from audit.exceptions import DataError

FARM_ADS_INSTALL = "pip install 'rai-audit[text]'"

# Where the file lies inside the installed dmba package (dmba 0.2.4).
_PACKAGE = "dmba"
_RELATIVE_PATH = ("csvFiles", "farm-ads.csv.gz")

# sha256 of the *uncompressed* farm-ads.csv as shipped in dmba 0.2.4 (the version the extra's lower bound names).
FARM_ADS_SHA256 = "4b0130d94c58e53c85d4b34400edd836b15b92ea49cf535872fea7276c2c7f2d"

FARM_ADS_ROWS = 4143
FARM_ADS_LABELS = {"1": "accepted", "-1": "rejected"}

FARM_ADS_ATTRIBUTION = (
    "Farm Ads, Chris Mesterharm and Michael J. Pazzani (2011), UCI Machine Learning Repository. "
    "License: CC BY 4.0. Read from the copy shipped in the dmba package "
    "(Shmueli, Bruce, Gedeck and Patel, Data Mining for Business Analytics; package license MIT)."
)

_NOT_INSTALLED = (
    "The Farm Ads text dataset comes from the optional 'dmba' package, which is not installed. "
    f"Install the text extra: {FARM_ADS_INSTALL}"
)
_FILE_MISSING = (
    "The installed 'dmba' package has no {path}; the Farm Ads text dataset needs dmba>=0.2.4. "
    f"Reinstall the text extra: {FARM_ADS_INSTALL}"
)
_CHECKSUM_MISMATCH = (
    "The Farm Ads file in the installed 'dmba' package ({path}) is not the one rai-audit was tested with: "
    "expected sha256 {expected} of the uncompressed file, found {found}. "
    f"Reinstall the text extra: {FARM_ADS_INSTALL}"
)


def _farm_ads_path() -> Path:
    """The gzip file inside the installed dmba package, located without importing dmba."""
    spec = find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(_NOT_INSTALLED)
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*_RELATIVE_PATH)
        if candidate.is_file():
            return candidate
    raise DataError(_FILE_MISSING.format(path="/".join(_RELATIVE_PATH)))


def _parse_farm_ads(raw: bytes) -> pd.DataFrame:
    """Each line is ``<label>, <words>``; label 1 = accepted by the site owner, -1 = rejected."""
    texts: list[str] = []
    labels: list[str] = []
    for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, text = line.partition(",")
        if not sep or label.strip() not in FARM_ADS_LABELS:
            raise DataError(f"Farm Ads line {number} is not '<1 or -1>, <text>': {line[:80]!r}")
        labels.append(FARM_ADS_LABELS[label.strip()])
        texts.append(text.strip())
    return pd.DataFrame({"text": pd.array(texts, dtype="string"), "label": pd.array(labels, dtype="string")})


def load_farm_ads() -> tuple[pd.DataFrame, None]:
    """Load the UCI Farm Ads text data (4,143 ads: 2,210 accepted, 1,933 rejected) from the ``text`` extra.

    Each text is the words of one ad and of its landing page, already stemmed and without stop words
    by the dataset's authors: words from the ad creative carry an ``ad-`` prefix, words from the landing
    page's title and headers ``title-`` and ``header-``. The file is verified against its sha256 on
    every load. There is no published train/test split, so the second element is ``None``.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``text`` and ``label`` (``"accepted"`` / ``"rejected"``), both of string dtype, in file order.
    None
        No separate test table.

    Raises
    ------
    DataError
        When the ``text`` extra (package ``dmba``) is not installed, or its file is missing or altered.
    """
    path = _farm_ads_path()
    raw = gzip.decompress(path.read_bytes())
    found = hashlib.sha256(raw).hexdigest()
    if found != FARM_ADS_SHA256:
        raise DataError(_CHECKSUM_MISMATCH.format(path=path, expected=FARM_ADS_SHA256, found=found))
    return _parse_farm_ads(raw), None
