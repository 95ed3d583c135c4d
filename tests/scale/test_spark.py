"""The fairness report counted on Spark (local mode) over a Parquet folder equals the in-memory report."""

from __future__ import annotations

import shutil

import pytest

from audit.fairness._frames import fairness_report_from_frame

from .conftest import OPTIONS, SENSITIVE, differences, in_memory, without_counting

pytestmark = [pytest.mark.spark, pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")]
pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark():
    from audit.fairness._frames import spark_session

    session = spark_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_on_a_parquet_folder_equals_the_in_memory_report(spark, predictions, parquet_folder):
    report = fairness_report_from_frame(parquet_folder, engine="spark", y_true="y_true", y_pred="y_pred",
                                        y_score="y_score", sensitive=SENSITIVE, **OPTIONS)
    assert differences(in_memory(predictions), without_counting(report)) == []


def test_a_spark_frame_is_counted_on_spark(spark, predictions):
    frame = spark.createDataFrame(predictions[["sex", "race", "y_true", "y_pred"]])
    report = fairness_report_from_frame(frame, y_true="y_true", y_pred="y_pred", sensitive=SENSITIVE, n_boot=0)
    assert report["n"] == len(predictions)
    assert [g["count"] for g in report["by_feature"]["sex"]["groups"]] == \
        [g["count"] for g in in_memory(predictions, n_boot=0)["by_feature"]["sex"]["groups"]]


def test_spark_scores_with_map_in_pandas_like_the_model_in_memory(spark, tmp_path):
    import numpy as np
    import pandas as pd

    from audit.scale import load_scorer, score_dataset

    from .test_score import _rows, _write_run

    model, pre = _write_run(tmp_path / "run")
    rows = _rows(seed=1)
    (tmp_path / "data").mkdir()
    for i in range(3):
        rows.iloc[i * 300:(i + 1) * 300].to_parquet(tmp_path / "data" / f"part-{i}.parquet", index=False)
    from audit.models import predict_proba

    summary = score_dataset(load_scorer(tmp_path / "run", keep=["id"]), tmp_path / "data", tmp_path / "preds",
                            engine="spark")
    assert summary["predictions"] == len(rows)
    got = pd.read_parquet(tmp_path / "preds").sort_values("id").reset_index(drop=True)
    from .._tolerances import FLOAT32_OUTPUT_ATOL

    np.testing.assert_allclose(got["y_score"], predict_proba(model, pre.transform(rows)), rtol=0,
                               atol=FLOAT32_OUTPUT_ATOL)  # float32 model, other batch shapes
    assert got["sex"].isna().sum() == rows["sex"].isna().sum()


def test_an_integer_sensitive_column_with_nulls_keeps_integer_group_names(spark, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"band": pd.array(rng.choice([1, 2, None], 400), dtype="Int64"),
                          "y": rng.integers(0, 2, 400), "p": rng.integers(0, 2, 400)})
    frame.to_parquet(tmp_path / "a.parquet", index=False)
    want = ["1", "2", "<missing>"]  # as pandas reads the file (nullable Int64)
    got = fairness_report_from_frame(str(tmp_path), engine="spark", y_true="y", y_pred="p", sensitive=["band"],
                                     n_boot=0)
    assert [g["group"] for g in got["by_feature"]["band"]["groups"]] == want


def test_a_multiclass_report_through_spark_equals_the_in_memory_one(spark, tmp_path, capsys):
    import json

    import numpy as np
    import pandas as pd

    from audit.cli import main

    rng = np.random.default_rng(3)
    n = 900
    frame = pd.DataFrame({"g": rng.choice(["x", "y"], n), "y_true": rng.choice(["a", "b", "c"], n),
                          "y_pred": rng.choice(["a", "b", "c"], n)})
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    args = ["--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "g", "--n-boot", "20", "--json"]
    assert main(["fairness", str(tmp_path / "p.parquet"), *args]) == 0
    want = json.loads(capsys.readouterr().out)
    assert main(["fairness", str(tmp_path / "p.parquet"), "--engine", "spark", *args]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["task"] == "multiclass" and got == want
