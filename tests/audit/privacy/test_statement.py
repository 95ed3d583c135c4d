"""The run-level privacy statement: which artefacts the DP guarantee covers, and what to publish."""

from __future__ import annotations

from audit.privacy import privacy_statement
from audit.result._privacy import PrivacyStatement

DP = {"epsilon_spent": 0.9943, "delta": 1e-6, "accountant": "prv", "n_train": 32561, "batch_size": 1024,
      "sample_rate": 1 / 32, "steps": 640}


def test_only_the_private_weights_are_covered_and_the_sampling_convention_is_stated():
    s = privacy_statement(dp=DP, models=["reference", "private"], explanations=["reference", "private"],
                          reference_models=2, canary={"private": True, "epsilon_accountant": 0.99}, utility_curve=[0.5, 1])
    assert [a["path"] for a in s["artefacts"] if a["private"]] == ["models/private.pt"]
    assert {"models/reference.pt", "models/preprocessor.json", "predictions.csv"} <= set(s["do_not_publish"])
    assert "q = 1/ceil(N/B) = 1/32" in s["sampling"] and "1,017.5" in s["sampling"]
    assert s["epsilon"] == 0.9943 and s["accountant"] == "prv" and "(0.9943, 1e-06)-DP" in s["guarantee"]
    assert s["dp_trainings_on_training_rows"] == 4 and "compose" in s["composition"]
    assert all(m["saved"] is False for m in s["not_saved"]) and len(s["not_saved"]) == 5  # refs, canary, 2 ε, non-private
    assert s["publish"][0] == "models/private.pt"


def test_without_dp_nothing_is_covered():
    s = privacy_statement(dp=None, models=["reference"])
    assert s["guarantee"] is None and not any(a["private"] for a in s["artefacts"]) and s["publish"] == []


def test_statement_round_trips_through_the_typed_record():
    s = privacy_statement(dp=DP, models=["reference", "private"])
    typed = PrivacyStatement.from_dict(s)
    assert typed.to_dict() == s and typed.artefacts[1].private is True
