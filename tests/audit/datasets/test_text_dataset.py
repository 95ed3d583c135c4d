"""The Farm Ads text dataset, read from the dmba package that the ``text`` extra installs (dev installs it too)."""

from __future__ import annotations

import gzip
import socket
from importlib.machinery import ModuleSpec

import pandas as pd
import pytest

from audit.data.datasets import _text
from audit.data.datasets._text import FARM_ADS_ATTRIBUTION, FARM_ADS_ROWS, load_farm_ads
from audit.exceptions import DataError

INSTALL_LINE = "pip install 'rai-audit[text]'"


@pytest.fixture(scope="module")
def farm_ads() -> pd.DataFrame:
    frame, test = load_farm_ads()
    assert test is None
    return frame


def test_rows_columns_and_dtypes(farm_ads):
    assert len(farm_ads) == FARM_ADS_ROWS == 4143
    assert list(farm_ads.columns) == ["text", "label"]
    assert pd.api.types.is_string_dtype(farm_ads["text"])
    assert pd.api.types.is_string_dtype(farm_ads["label"])
    assert not farm_ads.isna().any().any()
    assert (farm_ads["text"].str.len() > 0).all()


def test_labels_are_strings_with_the_published_balance(farm_ads):
    assert farm_ads["label"].value_counts().to_dict() == {"accepted": 2210, "rejected": 1933}


def test_texts_keep_the_dataset_markup(farm_ads):
    # Words from the ad creative carry the 'ad-' prefix given by the dataset's authors.
    assert farm_ads["text"].str.startswith("ad-").all()


def test_loading_is_deterministic(farm_ads):
    again, _ = load_farm_ads()
    pd.testing.assert_frame_equal(farm_ads, again)


def test_loads_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the text dataset must not touch the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    frame, _ = load_farm_ads()
    assert len(frame) == FARM_ADS_ROWS


def test_missing_extra_names_the_install_line(monkeypatch):
    monkeypatch.setattr(_text, "find_spec", lambda name: None)
    with pytest.raises(DataError) as raised:
        load_farm_ads()
    assert INSTALL_LINE in str(raised.value)
    assert "dmba" in str(raised.value)


def _fake_dmba(monkeypatch, tmp_path):
    package = tmp_path / "dmba"
    (package / "csvFiles").mkdir(parents=True)
    spec = ModuleSpec("dmba", loader=None, is_package=True)
    spec.submodule_search_locations = [str(package)]
    monkeypatch.setattr(_text, "find_spec", lambda name: spec)
    return package / "csvFiles" / "farm-ads.csv.gz"


def test_installed_package_without_the_file_names_the_install_line(monkeypatch, tmp_path):
    _fake_dmba(monkeypatch, tmp_path)
    with pytest.raises(DataError, match=r"dmba>=0\.2\.4") as raised:
        load_farm_ads()
    assert INSTALL_LINE in str(raised.value)


def test_an_altered_file_is_refused(monkeypatch, tmp_path):
    path = _fake_dmba(monkeypatch, tmp_path)
    path.write_bytes(gzip.compress(b"1, ad-cattle ad-feed\r\n-1, ad-loan ad-fast\r\n"))
    with pytest.raises(DataError, match="sha256") as raised:
        load_farm_ads()
    assert INSTALL_LINE in str(raised.value)


def test_parser_reads_labels_and_rejects_malformed_lines():
    frame = _text._parse_farm_ads(b"1, ad-cattle ad-feed\r\n\r\n-1, ad-loan ad-fast\r\n")
    assert frame["label"].tolist() == ["accepted", "rejected"]
    assert frame["text"].tolist() == ["ad-cattle ad-feed", "ad-loan ad-fast"]
    with pytest.raises(DataError, match="line 1"):
        _text._parse_farm_ads(b"maybe, ad-cattle\r\n")


def test_attribution_names_source_authors_and_licence():
    for part in ("Farm Ads", "Mesterharm", "Pazzani", "UCI", "CC BY 4.0", "dmba", "MIT"):
        assert part in FARM_ADS_ATTRIBUTION
