"""rai-audit score: a saved run's models applied partition by partition (pandas, Dask) equal the model in memory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from audit.cli import main
from audit.data import TabularPreprocessor
from audit.exceptions import ModelError
from audit.fairness import fairness_report
from audit.models import MLP, predict_proba
from audit.records.rundir import RunDirWriter
from audit.scale import load_scorer, score_dataset

from .._tolerances import FLOAT32_OUTPUT_ATOL

FACTORY = '''
import torch.nn as nn


def make_model(n_features):
    return nn.Sequential(nn.Linear(n_features, 4), nn.ReLU(), nn.Linear(4, 1))
'''


def _rows(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 80, n).astype(float), "hours": rng.normal(40, 8, n),
                         "sex": rng.choice(np.array(["F", "M", None], dtype=object), n),
                         "race": rng.choice(["a", "b"], n), "income": rng.choice([">50K", "<=50K"], n),
                         "id": np.arange(n)})


def _write_run(final, *, factory: str | None = None):
    """A sealed run directory as rai-audit run writes it: audit.json (config, artifacts), weights, preprocessor,
    manifest."""
    rows = _rows()
    pre = TabularPreprocessor().fit(rows[["age", "hours", "sex", "race"]])
    torch.manual_seed(0)
    model = MLP(len(pre.feature_names_), hidden=(8,)) if factory is None else \
        torch.nn.Sequential(torch.nn.Linear(len(pre.feature_names_), 4), torch.nn.ReLU(),
                                          torch.nn.Linear(4, 1))
    with RunDirWriter(final) as writer:
        root = writer.path
        (root / "models").mkdir(parents=True)
        torch.save(model.state_dict(), root / "models/reference.pt")
        pre.save(root / "models/preprocessor.json")
        section = {"kind": "factory", "factory": factory} if factory else {"kind": "mlp", "hidden": [8], "dropout": 0.0}
        record = {"schema_version": "1.1",
                  "run": {"config": {"model": section, "data": {"target": "income", "positive_label": ">50K",
                                                                "sensitive_features": ["sex", "race"]}}},
                  "artifacts": {"weights": {"reference": "models/reference.pt"},
                                "preprocessor": "models/preprocessor.json"}}
        (root / "audit.json").write_text(json.dumps(record), encoding="utf-8")
    return model.eval(), pre


def _reseal(run) -> None:
    """Rewrite the manifest after changing a file: the run verifies again (as a forger would make it)."""
    from audit.records._manifest import MANIFEST_FILE, _build_manifest

    (run / MANIFEST_FILE).unlink()
    (run / MANIFEST_FILE).write_text(json.dumps(_build_manifest(run)), encoding="utf-8")


@pytest.fixture
def run_and_data(tmp_path):
    model, pre = _write_run(tmp_path / "run")
    rows = _rows(seed=1)
    (tmp_path / "data").mkdir()
    for i in range(3):
        rows.iloc[i * 300:(i + 1) * 300].to_parquet(tmp_path / "data" / f"part-{i}.parquet", index=False)
    want = predict_proba(model, pre.transform(rows))
    return tmp_path, rows, want


def _read(folder) -> pd.DataFrame:
    return pd.read_parquet(folder).sort_values("id").reset_index(drop=True)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_scoring_by_partition_equals_the_model_in_memory(run_and_data, engine):
    if engine == "dask":
        pytest.importorskip("dask.dataframe")
    tmp, rows, want = run_and_data
    summary = score_dataset(load_scorer(tmp / "run", keep=["id"]), tmp / "data", tmp / "preds", engine=engine)
    assert summary["rows"] == summary["predictions"] == len(rows)
    got = _read(tmp / "preds")
    # float32 model, different batch shapes: equal to float32 rounding, not bit for bit (docs/scale.md)
    np.testing.assert_allclose(got["y_score"], want, rtol=0, atol=FLOAT32_OUTPUT_ATOL)
    assert (got["y_true"] == (rows["income"] == ">50K").astype(int)).all()
    assert got["sex"].isna().sum() == rows["sex"].isna().sum()  # the missing group survives
    assert list(got.columns[:4]) == ["model", "y_true", "y_pred", "y_score"]


def test_partitioned_decisions_give_the_in_memory_fairness_report(run_and_data):
    """A score a few ulps off can flip a decision only at the threshold: the report is the same."""
    tmp, rows, want = run_and_data
    score_dataset(load_scorer(tmp / "run", keep=["id"]), tmp / "data", tmp / "preds", engine="pandas")
    got = _read(tmp / "preds")
    assert not (np.abs(want - 0.5) <= FLOAT32_OUTPUT_ATOL).any()  # no score within rounding of the threshold
    sensitive = rows[["sex", "race"]]
    y_true = (rows["income"] == ">50K").astype(int)
    in_memory = fairness_report(y_true=y_true, y_pred=(want >= 0.5).astype(int), sensitive=sensitive, n_boot=50)
    partitioned = fairness_report(y_true=got["y_true"], y_pred=got["y_pred"], sensitive=got[["sex", "race"]],
                                  n_boot=50)
    assert partitioned == in_memory


def test_the_partitioned_comparison_still_catches_a_changed_weight(run_and_data):
    """The float32 tolerance is far below what one changed weight does to the scores."""
    tmp, _, want = run_and_data
    state = torch.load(tmp / "run/models/reference.pt", weights_only=True)
    first = next(k for k in state if k.endswith("weight"))
    state[first][0, 0] += 1e-3
    torch.save(state, tmp / "run/models/reference.pt")
    _reseal(tmp / "run")  # changed and sealed again: the comparison, not the manifest, must catch it
    score_dataset(load_scorer(tmp / "run", keep=["id"]), tmp / "data", tmp / "preds", engine="pandas")
    with pytest.raises(AssertionError, match="Mismatched elements"):
        np.testing.assert_allclose(_read(tmp / "preds")["y_score"], want, rtol=0, atol=FLOAT32_OUTPUT_ATOL)


def test_the_partitioned_comparison_catches_a_different_model(run_and_data):
    tmp, _, want = run_and_data
    torch.manual_seed(1)
    other = torch.load(tmp / "run/models/reference.pt", weights_only=True)
    other = {k: torch.randn_like(v) * 0.1 for k, v in other.items()}
    torch.save(other, tmp / "run/models/reference.pt")
    _reseal(tmp / "run")
    score_dataset(load_scorer(tmp / "run", keep=["id"]), tmp / "data", tmp / "preds", engine="pandas")
    assert np.abs(_read(tmp / "preds")["y_score"].to_numpy() - want).max() > 100 * FLOAT32_OUTPUT_ATOL


def test_score_then_fairness_on_dask_through_the_cli(run_and_data, capsys):
    pytest.importorskip("dask.dataframe")
    tmp, rows, _ = run_and_data
    assert main(["score", str(tmp / "run"), str(tmp / "data"), "--out", str(tmp / "preds"), "--engine", "dask"]) == 0
    assert "Next: rai-audit fairness" in capsys.readouterr().out
    assert main(["fairness", str(tmp / "preds"), "--engine", "dask", "--y-true", "y_true", "--y-pred", "y_pred",
                 "--y-score", "y_score", "--sensitive", "sex", "race", "--n-boot", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == len(rows)


def test_a_factory_model_is_refused_without_explicit_factory(tmp_path):
    _write_run(tmp_path / "run", factory="mymodels:make_model")
    with pytest.raises(ModelError, match="would import and run that code"):
        load_scorer(tmp_path / "run")
    with pytest.raises(ModelError, match="differs from the factory the run recorded"):
        load_scorer(tmp_path / "run", factory="other:make")


def test_a_confirmed_factory_model_scores(tmp_path, monkeypatch):
    model, pre = _write_run(tmp_path / "run", factory="mymodels:make_model")
    (tmp_path / "mymodels.py").write_text(FACTORY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rows = _rows(seed=2)
    rows.to_parquet(tmp_path / "data.parquet", index=False)
    score_dataset(load_scorer(tmp_path / "run", factory="mymodels:make_model"), tmp_path / "data.parquet",
                  tmp_path / "preds")
    got = pd.read_parquet(tmp_path / "preds")
    np.testing.assert_allclose(got["y_score"], predict_proba(model, pre.transform(rows)), rtol=0,
                               atol=FLOAT32_OUTPUT_ATOL)


def test_an_existing_output_folder_is_never_overwritten(run_and_data, capsys):
    tmp, _, _ = run_and_data
    (tmp / "preds").mkdir()
    (tmp / "preds" / "keep.txt").write_text("x")
    assert main(["score", str(tmp / "run"), str(tmp / "data"), "--out", str(tmp / "preds")]) == 2
    assert "exists and is not empty" in capsys.readouterr().err


def test_missing_training_columns_are_named(run_and_data, capsys):
    tmp, rows, _ = run_and_data
    rows.drop(columns=["hours"]).to_parquet(tmp / "short.parquet", index=False)
    assert main(["score", str(tmp / "run"), str(tmp / "short.parquet"), "--out", str(tmp / "p2")]) == 2
    assert "['hours']" in capsys.readouterr().err
