"""rai-audit score's input contract: what it refuses (before or while scoring), and that a refusal writes nothing.

Each of these was once scored with exit 0 and wrong predictions, or built what the record asked for: an input
column replacing the model's scores (--keep y_score), labels the run never saw as y_true = 0, an inf feature as
a NaN score and y_pred = 0, weights changed after sealing, a record's widths sizing the network, predictions
half-written by a failure, or written inside a sealed run.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch

from audit.cli import main
from audit.exceptions import ConfigError, DataError, ModelError, RunDirError
from audit.records.rundir import enclosing_run, refuse_inside_run, verify_run
from audit.scale import load_scorer, score_dataset

from .test_score import _reseal, _rows, _write_run


@pytest.fixture
def run_and_data(tmp_path):
    _write_run(tmp_path / "run")
    rows = _rows(seed=1)
    (tmp_path / "data").mkdir()
    for i in range(3):
        rows.iloc[i * 300:(i + 1) * 300].to_parquet(tmp_path / "data" / f"part-{i}.parquet", index=False)
    return tmp_path, rows


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".preds", "preds")))


def test_keep_may_not_name_a_column_score_writes(run_and_data):
    tmp, _ = run_and_data
    for name in ("y_score", "y_pred", "y_true", "model"):
        with pytest.raises(ConfigError, match=f"--keep {name}: score writes"):
            load_scorer(tmp / "run", keep=["id", name])


def test_keep_twice_or_a_sensitive_column_is_kept_once(run_and_data):
    tmp, _ = run_and_data
    score_dataset(load_scorer(tmp / "run", keep=["id", "id", "sex"]), tmp / "data", tmp / "preds")
    assert list(pd.read_parquet(tmp / "preds").columns) == ["model", "y_true", "y_pred", "y_score", "sex", "race", "id"]


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_target_labels_the_run_never_saw_are_refused(run_and_data, engine):
    if engine == "dask":
        pytest.importorskip("dask.dataframe")
    tmp, rows = run_and_data
    rows.assign(income=rows["income"].map({">50K": "yes", "<=50K": "no"})).to_parquet(tmp / "yes.parquet", index=False)
    with pytest.raises(DataError, match=r"holds the labels \['no', 'yes'\].*None of them is '>50K'"):
        score_dataset(load_scorer(tmp / "run"), tmp / "yes.parquet", tmp / "preds", engine=engine)
    rows.assign(income=np.resize(np.array([">50K", "<=50K", "maybe"]), len(rows))).to_parquet(tmp / "three.parquet")
    with pytest.raises(DataError, match="3 labels cannot all be the run's"):
        score_dataset(load_scorer(tmp / "run"), tmp / "three.parquet", tmp / "preds", engine=engine)
    assert _leftovers(tmp) == []


def test_missing_target_labels_are_refused(run_and_data):
    tmp, rows = run_and_data
    rows.assign(income=rows["income"].where(rows.index != 5)).to_parquet(tmp / "gap.parquet", index=False)
    with pytest.raises(DataError, match="target column 'income' has 1 missing value"):
        score_dataset(load_scorer(tmp / "run"), tmp / "gap.parquet", tmp / "preds")


def test_data_of_one_class_is_scored(run_and_data):
    """The run records its positive label only: data holding one other label may be all negatives."""
    tmp, rows = run_and_data
    rows.assign(income="<=50K").to_parquet(tmp / "neg.parquet", index=False)
    score_dataset(load_scorer(tmp / "run"), tmp / "neg.parquet", tmp / "preds")
    assert (pd.read_parquet(tmp / "preds")["y_true"] == 0).all()


@pytest.mark.parametrize(("value", "shown"), [(np.inf, "inf"), (-np.inf, "-inf"), (1e100, "1e+100")])
def test_a_non_finite_feature_is_refused_naming_column_and_row(run_and_data, monkeypatch, value, shown):
    """Row numbers count the whole dataset in file order, across files and chunks; nothing is written."""
    import audit.scale._score as score_module

    monkeypatch.setattr(score_module, "PANDAS_CHUNK_ROWS", 200)
    tmp, _ = run_and_data
    part = pd.read_parquet(tmp / "data" / "part-1.parquet")
    part.loc[part.index[150], "hours"] = value  # row 300 + 150 of the data, in the third chunk
    part.to_parquet(tmp / "data" / "part-1.parquet", index=False)
    with pytest.raises(DataError, match=re.escape(f"numeric column 'hours' holds {shown} at row 450 (counted from 0")):
        score_dataset(load_scorer(tmp / "run"), tmp / "data", tmp / "preds")
    assert _leftovers(tmp) == []  # the first two chunks' files went with the temporary folder


def test_a_non_finite_feature_on_dask_names_its_partition(run_and_data):
    pytest.importorskip("dask.dataframe")
    tmp, _ = run_and_data
    part = pd.read_parquet(tmp / "data" / "part-2.parquet")
    part.loc[part.index[7], "age"] = np.inf
    part.to_parquet(tmp / "data" / "part-2.parquet", index=False)
    with pytest.raises(DataError, match=r"numeric column 'age' holds inf at row 7 of partition 2"):
        score_dataset(load_scorer(tmp / "run"), tmp / "data", tmp / "preds", engine="dask")
    assert _leftovers(tmp) == []


def test_weights_changed_after_sealing_are_refused(run_and_data):
    tmp, _ = run_and_data
    state = torch.load(tmp / "run/models/reference.pt", weights_only=True)
    state["net.0.weight"][0, 0] += 1.0
    torch.save(state, tmp / "run/models/reference.pt")
    with pytest.raises(RunDirError, match="no longer verifies against its manifest: models/reference.pt changed"):
        load_scorer(tmp / "run")


def test_a_run_without_manifest_is_refused(run_and_data):
    tmp, _ = run_and_data
    (tmp / "run" / "manifest.json").unlink()
    with pytest.raises(RunDirError, match="manifest.json is missing"):
        load_scorer(tmp / "run")


def test_the_record_never_sizes_the_network(run_and_data, monkeypatch):
    """audit.json edited to hidden = [200000, 200000] and resealed: the widths come from the weights, and the
    disagreement is refused before any network of the record's size exists."""
    from audit.models import _builtin

    built: list[tuple] = []
    real = _builtin.MLP.__init__

    def spy(self, n_features, hidden=(64, 32), *args, **kwargs):
        built.append(tuple(hidden))
        real(self, n_features, hidden, *args, **kwargs)

    monkeypatch.setattr(_builtin.MLP, "__init__", spy)
    tmp, _ = run_and_data
    record = json.loads((tmp / "run/audit.json").read_text(encoding="utf-8"))
    record["run"]["config"]["model"]["hidden"] = [200000, 200000]
    (tmp / "run/audit.json").write_text(json.dumps(record), encoding="utf-8")
    _reseal(tmp / "run")
    with pytest.raises(ModelError, match=r"hidden widths \[8\], but the run's audit.json records model.hidden = "
                                         r"\[200000, 200000\]; nothing was built"):
        load_scorer(tmp / "run")
    assert built == [(8,)]


def test_weights_named_outside_the_run_are_never_read(run_and_data):
    tmp, _ = run_and_data
    (tmp / "outside.pt").write_bytes((tmp / "run/models/reference.pt").read_bytes())
    record = json.loads((tmp / "run/audit.json").read_text(encoding="utf-8"))
    record["artifacts"]["weights"]["reference"] = "../outside.pt"
    (tmp / "run/audit.json").write_text(json.dumps(record), encoding="utf-8")
    _reseal(tmp / "run")
    with pytest.raises(RunDirError, match="'../outside.pt', which is not a file of the sealed run"):
        load_scorer(tmp / "run")


@pytest.mark.parametrize("where", ["run/preds", "run/models/deeper/preds", "run"])
def test_output_inside_a_run_is_refused_and_the_run_still_verifies(run_and_data, capsys, where):
    tmp, _ = run_and_data
    assert main(["score", str(tmp / "run"), str(tmp / "data"), "--out", str(tmp / where)]) == 2
    assert "inside the sealed run" in capsys.readouterr().err
    assert verify_run(tmp / "run")["ok"]


def test_output_inside_another_run_is_refused(run_and_data, capsys):
    tmp, _ = run_and_data
    _write_run(tmp / "other")
    assert main(["score", str(tmp / "run"), str(tmp / "data"), "--out", str(tmp / "other/x/preds")]) == 2
    assert "inside the sealed run" in capsys.readouterr().err
    assert verify_run(tmp / "other")["ok"]


def test_a_folder_inside_any_run_is_found_at_any_depth(run_and_data):
    """The one check card, score and run share (card's corpus case card_out_inside_other_run drives card with it)."""
    tmp, _ = run_and_data
    run = (tmp / "run").resolve()
    assert enclosing_run(tmp / "run") == run
    assert enclosing_run(tmp / "run/models/a/b/c") == run
    assert enclosing_run(tmp / "run-cards") is None and enclosing_run(tmp / "data") is None
    (tmp / "link").symlink_to(tmp / "run")
    assert enclosing_run(tmp / "link/preds") == run  # links resolved
    with pytest.raises(RunDirError, match=r"--out .* is inside the sealed run .*Go elsewhere\.$"):
        refuse_inside_run(tmp / "link/preds", instead="Go elsewhere")


def test_predictions_appear_whole_or_not_at_all(run_and_data, monkeypatch):
    """A failure on the last chunk leaves neither the output folder nor its temporary sibling."""
    import audit.scale._score as score_module

    monkeypatch.setattr(score_module, "PANDAS_CHUNK_ROWS", 100)
    real = score_module.Scorer.__call__

    def fail_late(self, frame, partition_info=None, *, first_row=None):
        if first_row == 800:
            raise OSError("disk full")
        return real(self, frame, partition_info, first_row=first_row)

    monkeypatch.setattr(score_module.Scorer, "__call__", fail_late)
    tmp, _ = run_and_data
    with pytest.raises(OSError, match="disk full"):
        score_dataset(load_scorer(tmp / "run"), tmp / "data", tmp / "preds")
    assert _leftovers(tmp) == []


def test_a_failed_score_removes_the_folders_it_created(run_and_data):
    tmp, rows = run_and_data
    rows.assign(age=rows["age"].where(rows.index != 899, np.inf)).to_parquet(tmp / "bad.pq")  # the last row
    with pytest.raises(DataError, match="holds inf at row 899"):
        score_dataset(load_scorer(tmp / "run"), tmp / "bad.pq", tmp / "new" / "deeper" / "preds")
    assert not (tmp / "new").exists()


def test_an_empty_output_folder_is_replaced_by_the_predictions(run_and_data):
    tmp, rows = run_and_data
    (tmp / "preds").mkdir()
    summary = score_dataset(load_scorer(tmp / "run"), tmp / "data", tmp / "preds")
    assert summary["out"] == str(tmp / "preds") and len(pd.read_parquet(tmp / "preds")) == len(rows)
    assert _leftovers(tmp) == ["preds"]


@pytest.mark.spark
@pytest.mark.slow
def test_a_refusal_on_a_spark_worker_reaches_the_user_as_such(run_and_data):
    """Spark wraps a worker's exception in its own; the refusal's message comes back as a DataError."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    tmp, _ = run_and_data
    part = pd.read_parquet(tmp / "data" / "part-0.parquet")
    part.loc[part.index[4], "hours"] = np.inf
    part.to_parquet(tmp / "data" / "part-0.parquet", index=False)
    with pytest.raises(DataError, match=r"^numeric column 'hours' holds inf at row \d+ of a partition"):
        score_dataset(load_scorer(tmp / "run"), tmp / "data", tmp / "preds", engine="spark")
    assert _leftovers(tmp) == []
