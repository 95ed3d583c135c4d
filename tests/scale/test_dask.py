"""The fairness report counted on Dask over a Parquet folder equals the in-memory report (to 1e-9)."""

from __future__ import annotations

import builtins

import pytest

from audit.exceptions import ConfigError, DataError
from audit.fairness._frames import fairness_report_from_frame, read_parquet

from .conftest import OPTIONS, SENSITIVE, differences, in_memory, without_counting

dd = pytest.importorskip("dask.dataframe")


def _dask_report(source, **options):
    return fairness_report_from_frame(source, engine="dask", y_true="y_true", y_pred="y_pred", y_score="y_score",
                                      sensitive=SENSITIVE, **{**OPTIONS, **options})


def test_dask_on_a_parquet_folder_equals_the_in_memory_report(predictions, parquet_folder):
    frame = read_parquet(parquet_folder, engine="dask")
    assert frame.npartitions == 4
    assert differences(in_memory(predictions), without_counting(_dask_report(parquet_folder))) == []


def test_dask_reads_a_glob(predictions, parquet_folder):
    report = _dask_report(f"{parquet_folder}/part-*.parquet", n_boot=0)
    assert differences(in_memory(predictions, n_boot=0), without_counting(report)) == []


def test_a_dask_frame_is_counted_on_dask(predictions):
    frame = dd.from_pandas(predictions, npartitions=3)
    report = fairness_report_from_frame(frame, y_true="y_true", y_pred="y_pred", sensitive=SENSITIVE, **OPTIONS)
    want = in_memory(predictions)
    for key in want["by_feature"]:  # no scores here: the rate metrics alone
        got = report["by_feature"][key]["disparities"]["equalized_odds_difference"]
        assert got["value"] == pytest.approx(want["by_feature"][key]["disparities"]["equalized_odds_difference"]["value"],
                                             abs=1e-12)


def test_model_filter_keeps_one_models_rows(predictions, parquet_folder):
    assert _dask_report(parquet_folder, model="reference", n_boot=0)["n"] == len(predictions)
    with pytest.raises(DataError, match="matches no row"):
        _dask_report(parquet_folder, model="other", n_boot=0)


def test_missing_columns_are_named(parquet_folder):
    with pytest.raises(DataError, match=r"\['gender'\] not found"):
        fairness_report_from_frame(parquet_folder, engine="dask", y_true="y_true", y_pred="y_pred",
                                   sensitive=["gender"])


def test_a_missing_extra_names_its_install_line(monkeypatch, parquet_folder):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError("No module named 'dask'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    monkeypatch.delitem(__import__("sys").modules, "dask.dataframe")
    with pytest.raises(ConfigError, match=r'pip install "rai-audit\[dask\]"'):
        read_parquet(parquet_folder, engine="dask")


def test_unused_categories_form_no_group(predictions):
    import pandas as pd

    frame = predictions.copy()
    frame["race"] = pd.Categorical(frame["race"], categories=["a", "b", "c", "never-seen"])
    got = fairness_report_from_frame(dd.from_pandas(frame, npartitions=3), y_true="y_true", y_pred="y_pred",
                                     y_score="y_score", sensitive=SENSITIVE, **OPTIONS)
    assert "never-seen" not in [g["group"] for g in got["by_feature"]["race"]["groups"]]
    assert differences(in_memory(frame), without_counting(got)) == []
