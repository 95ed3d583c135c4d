"""The pipeline end to end on a real (small) Adult run: contents, cross-checks, determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from fairlearn.metrics import MetricFrame, demographic_parity_difference, equalized_odds_difference, selection_rate
from sklearn.metrics import accuracy_score

from audit.config import load_config
from audit.data import TabularPreprocessor
from audit.models import MLP, predict_proba
from audit.records.rundir import verify_run
from audit.result import SCHEMA_VERSION, AuditResult

pytestmark = pytest.mark.slow


def test_run_directory_has_every_artifact(tiny_run):
    names = {p.relative_to(tiny_run).as_posix() for p in tiny_run.rglob("*") if p.is_file()}
    for required in ("audit.json", "manifest.json", "predictions.csv", "model_card.md", "model_card.html",
                     "models/reference.pt", "models/private.pt", "models/preprocessor.json"):
        assert required in names, required
    assert verify_run(tiny_run)["ok"]
    assert not [p for p in tiny_run.parent.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_audit_json_is_complete_and_round_trips(tiny_run):
    data = json.loads((tiny_run / "audit.json").read_text())
    result = AuditResult.from_dict(data)
    assert result.schema_version == SCHEMA_VERSION and result.verdict in ("pass", "fail")
    assert set(result.models) == {"reference", "private"}
    assert len(result.run.config_sha256) == 64 and set(result.run.weights_sha256) == {"reference", "private"}
    assert result.run.environment.libraries["torch"]
    dp = result.privacy.dp
    assert 0 < dp.epsilon_spent <= dp.epsilon_target + 1e-9
    assert {"sex", "race", "sex & race"} <= set(result.fairness.models["private"].by_feature)
    assert result.explainability["private"].global_importance
    assert all(g.passed is not None for g in result.gates) and len(result.gates) == 3
    assert AuditResult.from_json(result.to_json()).to_dict() == result.to_dict()


def test_fairness_numbers_match_fairlearn_from_predictions_csv(tiny_run):
    result = json.loads((tiny_run / "audit.json").read_text())
    preds = pd.read_csv(tiny_run / "predictions.csv", keep_default_na=False)
    assert list(preds.columns[:4]) == ["model", "y_true", "y_pred", "y_score"]
    for model in ("reference", "private"):
        p = preds[preds["model"] == model]
        ours = result["fairness"][model]["by_feature"]["sex"]
        mf = MetricFrame(metrics={"selection_rate": selection_rate, "accuracy": accuracy_score},
                         y_true=p["y_true"], y_pred=p["y_pred"], sensitive_features=p["sex"])
        for g in ours["groups"]:
            assert abs(g["metrics"]["selection_rate"]["value"] - mf.by_group.loc[g["group"], "selection_rate"]) <= 1e-12
            assert abs(g["metrics"]["accuracy"]["value"] - mf.by_group.loc[g["group"], "accuracy"]) <= 1e-12
        dpd = demographic_parity_difference(p["y_true"], p["y_pred"], sensitive_features=p["sex"])
        eod = equalized_odds_difference(p["y_true"], p["y_pred"], sensitive_features=p["sex"])
        assert abs(ours["disparities"]["demographic_parity_difference"]["value"] - dpd) <= 1e-12
        assert abs(ours["disparities"]["equalized_odds_difference"]["value"] - eod) <= 1e-12
        assert abs(result["models"][model]["test_accuracy"] - accuracy_score(p["y_true"], p["y_pred"])) <= 1e-12


def test_saved_weights_reload_safely_and_reproduce_scores(tiny_run):
    result = json.loads((tiny_run / "audit.json").read_text())
    pre = TabularPreprocessor.load(tiny_run / "models/preprocessor.json")
    state = torch.load(tiny_run / "models/reference.pt", weights_only=True)
    model = MLP(len(pre.feature_names_), hidden=result["run"]["config"]["model"]["hidden"])
    model.load_state_dict(state)
    preds = pd.read_csv(tiny_run / "predictions.csv", keep_default_na=False)
    ref_scores = preds.loc[preds["model"] == "reference", "y_score"].to_numpy()
    assert len(ref_scores) == result["data"]["n_test"]
    # The predictions file was written from the same weights: scores agree to float precision.
    from audit.data.datasets import load_adult

    _, test = load_adult()
    sample = test.sample(n=2000, random_state=0).sort_index().reset_index(drop=True)
    scores = predict_proba(model, pre.transform(sample[pre.columns_]))
    np.testing.assert_allclose(scores, ref_scores, atol=1e-6)


def test_same_config_and_seed_give_same_numbers(tiny_config_path, tiny_run, tmp_path):
    from audit.pipeline.runner import run_audit

    again = run_audit(load_config(tiny_config_path), write=False).result.to_dict()
    first = json.loads((tiny_run / "audit.json").read_text())
    for model in ("reference", "private"):
        assert again["models"][model]["test_accuracy"] == first["models"][model]["test_accuracy"]
        assert again["fairness"][model] == first["fairness"][model]
    assert again["privacy"]["dp"]["epsilon_spent"] == first["privacy"]["dp"]["epsilon_spent"]
    assert again["gates"] == first["gates"]


def test_a_second_run_of_a_config_being_trained_goes_on_without_checkpoints(tiny_config_path, tiny_run, tmp_path):
    # Two runs of one config share a checkpoint folder; the second must neither fail nor touch
    # the first's checkpoint, and its numbers are those of an ordinary run.
    import io

    from audit.pipeline.runner import run_audit
    from audit.privacy._checkpoint import checkpoint_lock
    from audit.runtime.progress import Progress

    config = load_config(tiny_config_path)
    busy = tmp_path / ".checkpoints" / config.fingerprint()[:16]
    stream = io.StringIO()
    with checkpoint_lock(busy):  # what the first run holds while it trains
        outcome = run_audit(config, out=tmp_path / "second", progress=Progress(total=0, stream=stream))
        assert busy.is_dir()  # left for its owner
    assert "another run of this config is training" in stream.getvalue()
    first = json.loads((tiny_run / "audit.json").read_text())
    assert outcome.result.privacy.dp.epsilon_spent == first["privacy"]["dp"]["epsilon_spent"]
    assert outcome.result.models["private"].test_accuracy == first["models"]["private"]["test_accuracy"]
    assert verify_run(outcome.run_dir)["ok"]


@pytest.mark.parametrize("kind", ["auto", "input"])
def test_canary_audits_and_secure_randomness_through_the_cli(tmp_path, kind):
    # The privacy options a release audit turns on, end to end: config -> run -> audit.json -> card -> gates.
    from audit.cli import main
    from tests.conftest import TINY_CONFIG

    extra = f'canary_audit = true\ncanaries = 200\ncanary_kind = "{kind}"\nsecure_rng = {str(kind == "auto").lower()}\n'
    text = TINY_CONFIG.replace("membership_inference = true\n", "membership_inference = true\n" + extra)
    text += '\n[[gates]]\nmetric = "canary_epsilon_lower_bound"\nmax = 2.0\n'
    if kind == "auto":
        text += '\n[[gates]]\nmetric = "canary_noise_ratio"\nmin = 0.85\n'
    cfg = tmp_path / "audit.toml"
    cfg.write_text(text, encoding="utf-8")
    out = tmp_path / "runs" / "release"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    canary, dp = result["privacy"]["canary_audit"], result["privacy"]["dp"]
    assert canary["m"] == 200 and 0 <= canary["epsilon_lower_bound"] <= canary["epsilon_accountant"] <= 2.0 + 1e-9
    md = (out / "model_card.md").read_text(encoding="utf-8")
    if kind == "auto":
        assert "gradient canaries" in canary["method"] and dp["secure_rng"] is True
        assert canary["score_noise_ratio"] == pytest.approx(1.0, abs=0.15)
        assert "CSPRNG (ChaCha20)" in md and "noise released on the canary coordinates" in md
    else:
        assert "label-flipped" in canary["method"] and dp["secure_rng"] is False and "score_noise_ratio" not in canary
        assert "seeded PRNG" in md
    from reports import schema_problems

    assert schema_problems(result) == [] and verify_run(out)["ok"]
