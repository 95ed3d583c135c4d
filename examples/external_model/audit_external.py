"""Audit a model that was trained outside rai-audit.

The model below is trained with a plain PyTorch loop (standing in for your own
training code). rai-audit only needs the trained ``nn.Module``, held-out rows
with the target and sensitive columns, and the preprocessing that turns rows
into the model's inputs.

Run:  python examples/external_model/audit_external.py [--out runs/external-demo]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch import nn

from audit import audit_model
from audit.config import ExplainSection, FairnessSection, GateSpec
from audit.data import TabularPreprocessor
from audit.data.datasets import load_adult

FEATURES = ["age", "workclass", "education-num", "marital-status", "occupation", "relationship",
            "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country"]


def train_elsewhere(X: np.ndarray, y: np.ndarray) -> nn.Module:
    """Your training code: here a small logistic-regression-like network."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(X.shape[1], 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    X_t, y_t = torch.tensor(X), torch.tensor(y, dtype=torch.float32)
    for _ in range(5):
        for idx in torch.randperm(len(X_t)).split(512):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(X_t[idx]).squeeze(1), y_t[idx])
            loss.backward()
            opt.step()
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="write a run directory (cards, predictions, audit.json) here")
    args = parser.parse_args()

    train, test = load_adult()
    pre = TabularPreprocessor().fit(train[FEATURES])
    y_train = (train["income"] == ">50K").to_numpy(dtype=np.int64)
    model = train_elsewhere(pre.transform(train[FEATURES]), y_train)

    result = audit_model(
        model, test=test, train=train, target="income", positive_label=">50K",
        sensitive_features=["sex", "race"], preprocessor=pre, name="external-adult-model",
        fairness=FairnessSection(n_boot=200), explain=ExplainSection(max_rows=2000),
        gates=(GateSpec(metric="demographic_parity_difference", model="reference", feature="sex", max=0.2),),
        out=args.out,
    )
    acc = result.models["reference"].test_accuracy
    dpd = result.fairness.models["reference"].by_feature["sex"].disparities["demographic_parity_difference"]
    print(f"accuracy {acc:.4f}; demographic parity difference (sex) {dpd.value:.3f} "
          f"[{dpd.ci[0]:.3f}, {dpd.ci[1]:.3f}]; verdict {result.verdict}")
    if args.out:
        print(f"run directory: {args.out}")


if __name__ == "__main__":
    main()
