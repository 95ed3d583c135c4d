"""rai-audit fairness --engine dask: the same JSON as the in-memory command; a missing extra names its install line."""

from __future__ import annotations

import builtins
import json
import sys

import pytest

from audit.cli import main

from .conftest import differences, without_counting

pytest.importorskip("dask.dataframe")
ARGS = ["--y-true", "y_true", "--y-pred", "y_pred", "--y-score", "y_score", "--sensitive", "sex", "race",
        "--n-boot", "100", "--seed", "4", "--json"]


def _json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_engine_dask_prints_the_in_memory_json(capsys, predictions, parquet_folder, tmp_path):
    one_file = tmp_path / "preds.parquet"
    predictions.to_parquet(one_file, index=False)
    want = _json(capsys, ["fairness", str(one_file), *ARGS])
    got = _json(capsys, ["fairness", parquet_folder, "--engine", "dask", *ARGS])
    assert differences(want, without_counting(got)) == []


def test_engine_dask_table_output(capsys, parquet_folder):
    assert main(["fairness", parquet_folder, "--engine", "dask", *ARGS[:-1]]) == 0
    assert "== sex & race ==" in capsys.readouterr().out


def test_engine_dask_refuses_a_csv_file(capsys, tmp_path):
    (tmp_path / "p.csv").write_text("y_true,y_pred\n1,1\n")
    assert main(["fairness", str(tmp_path / "p.csv"), "--engine", "dask", *ARGS]) == 2
    assert "reads Parquet" in capsys.readouterr().err


def test_missing_extra_exits_2_with_the_install_line(capsys, monkeypatch, parquet_folder):
    real_import = builtins.__import__

    def no_spark(name, *args, **kwargs):
        if name.startswith("pyspark"):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_spark)
    for name in [m for m in sys.modules if m.startswith("pyspark")]:
        monkeypatch.delitem(sys.modules, name)
    assert main(["fairness", parquet_folder, "--engine", "spark", *ARGS]) == 2
    assert 'pip install "rai-audit[spark]"' in capsys.readouterr().err


def test_auc_bins_sets_the_histogram_and_is_checked(capsys, parquet_folder):
    got = _json(capsys, ["fairness", parquet_folder, "--engine", "dask", "--auc-bins", "100", *ARGS])
    assert "bin width 0.01" in got["ci"]["score_metrics"]["roc_auc_counting"]  # scores on a 1e-3 grid: now approximate
    assert main(["fairness", parquet_folder, "--engine", "dask", "--auc-bins", "0", *ARGS]) == 2
    assert "auc_bins = 0 is invalid" in capsys.readouterr().err


def test_an_empty_folder_says_it_holds_no_parquet_files(capsys, tmp_path):
    (tmp_path / "preds").mkdir()
    assert main(["fairness", str(tmp_path / "preds"), *ARGS]) == 2
    err = capsys.readouterr().err
    assert "no Parquet files" in err and "preds" in err


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_multiclass_and_regression_reports_on_dask_equal_the_in_memory_ones(capsys, tmp_path, task):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 1500
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n)})
    if task == "multiclass":
        frame["y_true"], frame["y_pred"] = rng.choice(["low", "mid", "high"], n), rng.choice(["low", "mid", "high"], n)
    else:
        frame["y_true"] = rng.normal(50, 10, n)
        frame["y_pred"] = frame["y_true"] + rng.normal(0, 5, n)
    folder = tmp_path / "preds"
    folder.mkdir()
    for i in range(3):
        frame.iloc[i * 500:(i + 1) * 500].to_parquet(folder / f"part-{i}.parquet", index=False)
    args = ["--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex", "race", "--n-boot", "50", "--json"]
    want = _json(capsys, ["fairness", str(folder / "part-0.parquet").replace("part-0", "part-*"), *args])
    got = _json(capsys, ["fairness", str(folder), "--engine", "dask", *args])
    assert got["task"] == task and got == want
