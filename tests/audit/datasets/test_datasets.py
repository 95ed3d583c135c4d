"""The bundled Adult copy: checksums verified, tidy frames."""

from __future__ import annotations

import gzip

import pytest

from audit.data.datasets import ADULT_COLUMNS, _adult, load_adult, load_bundled
from audit.exceptions import DataError


def test_adult_shapes_labels_and_missing_values():
    train, test = load_adult()
    assert train.shape == (32561, 15) and test.shape == (16281, 15)
    assert list(train.columns) == ADULT_COLUMNS
    assert set(train["income"].unique()) == {"<=50K", ">50K"} == set(test["income"].unique())
    assert train["workclass"].isna().sum() == 1836  # '?' became missing
    assert not (train == "?").any().any()
    assert (train["income"] == ">50K").sum() == 7841


def test_checksum_mismatch_is_refused(monkeypatch):
    monkeypatch.setitem(_adult.ADULT_SHA256, "adult.data", "0" * 64)
    with pytest.raises(DataError, match="corrupt"):
        load_adult()


def test_unknown_bundled_name_lists_choices():
    with pytest.raises(DataError, match="adult"):
        load_bundled("mnist")


def test_attribution_shipped():
    from importlib import resources

    text = resources.files("audit.data.datasets").joinpath("LICENSE-ADULT.md").read_text()
    assert "CC BY 4.0" in text and "10.24432/C5XW20" in text
    assert gzip.decompress(resources.files("audit.data.datasets").joinpath("_data", "adult.names.gz").read_bytes())
