"""A complete synthetic AuditResult shaped as docs/audit_result.md says (helper for the report tests).

The fairness section comes from the real fairness engine on random data, so the card reads
the shape the engine produces; the other sections follow the documented schema.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from audit.fairness import fairness_report
from audit.result import to_jsonable

SHA = "ab" * 32


def make_result(*, n: int = 600, seed: int = 0, group_name: str = "Other", column: str = "race") -> dict:
    """A full AuditResult dict: every section present, values plausible."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n, p=[0.35, 0.65])
    race = rng.choice(["White", "Black", group_name], size=n, p=[0.8, 0.17, 0.03])
    y = rng.binomial(1, 0.25 + 0.1 * (sex == "Male"))
    score = np.clip(0.3 * y + rng.uniform(0, 0.7, size=n), 0, 1)
    pred = (score >= 0.5).astype(int)
    sensitive = pd.DataFrame({"sex": sex, column: race})
    fair = fairness_report(y_true=y, y_pred=pred, y_score=score, sensitive=sensitive, n_boot=50, seed=seed,
                           min_group_size=30, intersections=True)
    fair_priv = copy.deepcopy(fair)
    fair["mitigation"] = {
        "constraint": "demographic_parity", "sensitive_feature": "sex",
        "rows": [
            {"method": "none", "description": "the model as trained",
             "metrics": {"accuracy": {"value": 0.84, "ci": [0.83, 0.85]},
                         "demographic_parity_difference": {"value": 0.18, "ci": [0.16, 0.2]}}},
            {"method": "ThresholdOptimizer", "description": "per-group thresholds",
             "metrics": {"accuracy": {"value": 0.82, "ci": [0.81, 0.83]},
                         "demographic_parity_difference": {"value": 0.02, "ci": [0.0, 0.04]}}},
        ],
        "notes": ["Post-processing needs the sensitive feature at prediction time."],
    }
    fpr = np.linspace(0, 1, 50)
    attack = {"auc": 0.52, "tpr_at_1pct_fpr": 0.012, "tpr_at_0.1pct_fpr": 0.001, "advantage": 0.03,
              "roc": {"fpr": fpr.tolist(), "tpr": np.sqrt(fpr).tolist()}}
    stage = {"wall_s": 2.0, "cpu_s": 3.5, "energy_j_measured": None, "energy_kwh": 3.6e-5, "energy_basis": "estimated (65 W × wall time)",
             "energy_measured": False, "co2_kg": 1.7e-5, "co2_basis": "estimated (475 gCO2e/kWh grid intensity)"}
    explanation = {
        "method": "integrated_gradients", "target": 1, "baseline": {"kind": "training_mean", "description": "mean of the training rows"},
        "n_rows": 300, "test_rows": "random sample of 300",
        "global_importance": [{"feature": f, "mean_abs": v, "ci": [v * 0.9, v * 1.1], "mean_signed": v / 3}
                              for f, v in [("relationship", 0.21), ("capital-gain", 0.15), ("age", 0.1), ("hours-per-week", 0.05)]],
        "examples": [{"row": 3, "kind": "confident_error", "y_true": 0, "y_score": 0.97,
                      "contributions": [{"feature": "capital-gain", "value": 15024, "attribution": 0.6},
                                        {"feature": "age", "value": 52, "attribution": 0.1}]}],
        "group_reliance": {"sex": {"sensitive_feature_share": 0.0, "profiles": {"Female": {"age": 0.1}, "Male": {"age": 0.12}},
                                   "proxies": [{"feature": "relationship", "proxy_auc": 0.83, "mutual_information": 0.2,
                                                "importance": 0.21}]}},
        "faithfulness": {"convergence_delta": {"mean_abs": 1e-4, "max_abs": 3e-4, "tolerance": 1e-2, "warning": False},
                         "infidelity": 0.002, "sensitivity_max": 0.04,
                         "deletion_curve": {"k": [0, 1, 2, 3], "top": [0.0, 0.2, 0.3, 0.35], "random": [0.0, 0.05, 0.1, 0.15]},
                         "randomization_test": {"spearman": 0.1, "threshold": 0.5, "flagged": False}},
        "warnings": [], "timing": {"attribute_s": 0.5}, "artifacts": {"attributions": "explanations/reference_attributions.npy"},
    }
    result = {
        "schema_version": "1.0",
        "task": "binary-classification",
        "run": {
            "name": "synthetic", "created_at": "2025-01-02T03:04:05+00:00", "seed": 0, "config": {"name": "synthetic"},
            "config_sha256": SHA, "config_file_sha256": SHA, "data_sha256": {"bundled:adult/adult.data": SHA},
            "weights_sha256": {"reference": SHA, "private": SHA},
            "environment": {"python": "3.11.9", "platform": "Linux", "machine": "x86_64", "torch_threads": 2,
                            "libraries": {"torch": "2.13.0", "opacus": "1.6.0"}, "git_commit": "0123456789abcdef"},
            "card": {"model_name": "Synthetic MLP", "description": "A test model.", "intended_use": "Tests only.",
                     "out_of_scope_uses": ["Real decisions"], "limitations": "Synthetic data.",
                     "ethical_considerations": "None beyond tests.", "authors": ["tester"], "license": "apache-2.0"},
        },
        "data": {"source": "bundled:adult", "test_source": "bundled test split", "n_train": 2000, "n_test": n,
                 "target": "income", "positive_label": ">50K", "base_rate_train": 0.24, "base_rate_test": float(y.mean()),
                 "sensitive_features": ["sex", column], "sensitive_used_as_features": False,
                 "features": ["age", "relationship", "capital-gain", "hours-per-week"], "dropped_columns": ["fnlwgt"],
                 "n_encoded_features": 12, "encoded_feature_names": [f"f{i}" for i in range(12)],
                 "missing_values_train": {"workclass": 12}, "attribution": "UCI Adult (CC BY 4.0)",
                 "identifier_scan": [{"column": "id", "kind": "unique per row", "reason": "every value is distinct",
                                      "recommendation": "drop it before training"}]},
        "models": {
            "reference": {"private": False, "test_accuracy": 0.85, "test_roc_auc": 0.9, "n_parameters": 1281,
                          "architecture": "MLP(...)", "epochs": 3, "batch_size": 128, "learning_rate": 0.005,
                          "optimizer": "adam", "loss_history": [0.5, 0.4, 0.35], "train_wall_s": 1.2},
            "private": {"private": True, "test_accuracy": 0.84, "test_roc_auc": 0.89, "n_parameters": 1281,
                        "architecture": "MLP(...)", "epochs": 3, "batch_size": 256, "learning_rate": 0.05,
                        "optimizer": "sgd", "loss_history": [0.6, 0.5, 0.45], "train_wall_s": 3.4},
        },
        "fairness": {"reference": fair, "private": fair_priv,
                     "representation": {"warnings": ["race=Other is 3% of the test rows"]}},
        "privacy": {
            "dp": {"epsilon_target": 2.0, "epsilon_spent": 1.98, "delta": 1e-5, "delta_rule": "1/(10 n)", "accountant": "prv",
                   "max_grad_norm": 1.0, "noise_multiplier": 1.1, "sample_rate": 0.128, "epochs": 3, "batch_size": 256,
                   "learning_rate": 0.05, "optimizer": "sgd", "poisson_sampling": True, "grad_sample_mode": "hooks",
                   "n_train": 2000, "steps": 24, "epsilon_history": [1.1, 1.6, 1.98], "loss_history": [0.6, 0.5, 0.45],
                   "module_fixes": [], "resumed_from_epoch": None},
            "membership_inference": {m: {"n_members": 500, "n_nonmembers": 500, "attacks": {"loss_threshold": attack, "score": attack}}
                                     for m in ("reference", "private")},
            "canary_audit": {"method": "steinke2023", "m": 1000, "k_plus": 50, "k_minus": 50, "n_guesses": 100, "n_correct": 55,
                             "epsilon_lower_bound": 0.0, "confidence": 0.95, "delta": 1e-5, "epsilon_accountant": 1.98, "private": True},
            "identifier_scan": [{"column": "id", "kind": "unique per row", "reason": "every value is distinct",
                                 "recommendation": "drop it before training"}],
            "utility_curve": [{"epsilon": e, "accuracy": a, "by_group_accuracy": {"sex": {"Female": a + 0.05, "Male": a - 0.02}},
                               "demographic_parity_difference": {"sex": 0.15}, "equalized_odds_difference": {"sex": 0.1}}
                              for e, a in [(0.5, 0.8), (1.0, 0.83), (2.0, 0.84), (None, 0.85)]],
        },
        "explainability": {"reference": explanation, "private": copy.deepcopy(explanation)},
        "compute": {"stages": {"prepare_data": stage, "train_reference": stage, "train_private": {**stage, "wall_s": 6.0}},
                    "models": {m: {"n_parameters": 1281, "flops_per_example": 2500, "training_flops_estimate": 45_000_000,
                                   "train_wall_s": w, "train_cpu_s": w * 1.7, "energy_kwh": w * 65 / 3.6e6,
                                   "co2_kg": w * 65 / 3.6e6 * 0.475,
                                   "energy_basis": "estimated (65 W × wall time)"} for m, w in (("reference", 2.0), ("private", 6.0))},
                    "total_wall_s": 10.0, "peak_memory_mb": 512.0,
                    "total": {k: stage[k] for k in ("energy_kwh", "energy_basis", "energy_measured", "co2_kg", "co2_basis")},
                    "assumptions": {"power_watts": 65.0, "carbon_intensity_g_per_kwh": 475.0}},
        "robustness": _robustness(seed),
        "gates": [
            {"name": "accuracy (private) >= 0.8", "metric": "accuracy", "model": "private", "feature": None, "severity": "error",
             "max": None, "min": 0.8, "use_ci_bound": False, "value": 0.84, "ci": None, "compared": 0.84, "passed": True,
             "message": "accuracy = 0.84; required >= 0.8: pass"},
            {"name": "DP difference sex", "metric": "demographic_parity_difference", "model": "private", "feature": "sex",
             "severity": "warning", "max": 0.01, "min": None, "use_ci_bound": False, "value": 0.18, "ci": [0.16, 0.2],
             "compared": 0.18, "passed": False, "message": "DP difference sex = 0.18; required <= 0.01: FAIL"},
        ],
        "verdict": "pass",
        "artifacts": {"predictions": "predictions.csv", "weights": {"reference": "models/reference.pt"},
                      "cards": {"markdown": "model_card.md", "html": "model_card.html", "json": "model_card.json"}},
    }
    return to_jsonable(result)


def _robustness(seed: int) -> dict:
    """The robustness section as the audit writes it, for two threshold models on 400 synthetic rows."""
    from audit.robustness import columns_for, robustness_audit, settings_for

    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"age": rng.normal(40, 12, 400), "job": rng.choice(["a", "b"], 400),
                         "sex": rng.choice(["Female", "Male"], 400)})
    y = (rows["age"] > 40).astype(int).to_numpy()
    decide = {m: (lambda f, t=t: (pd.to_numeric(f["age"]).fillna(40.0) > t).astype(int).to_numpy())
              for m, t in (("reference", 40.0), ("private", 42.0))}
    return robustness_audit(decide, rows, y, rows[["sex"]], columns=columns_for(rows, ["age", "job"], sensitive=["sex"]),
                            settings=settings_for("table", {"noise_scales": [0.1, 0.25], "missing_rate": 0.1,
                                                            "remap_rate": 0.1}), seed=seed)
