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
