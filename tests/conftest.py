"""Shared fixtures: one real, small audit run per test session.

``tiny_run`` runs the real pipeline (`rai-audit run`'s code path) on a
subsample of the bundled Adult data, so report, dashboard and CLI tests read a
genuine run directory instead of a hand-written one. Copy it before changing it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]

TINY_CONFIG = """
name = "tiny-adult"

[data]
bundled = "adult"
target = "income"
positive_label = ">50K"
sensitive_features = ["sex", "race"]
drop_columns = ["fnlwgt", "education"]
max_rows = 2000

[model]
hidden = [16]

[training]
epochs = 3
batch_size = 128
learning_rate = 0.005
seed = 0

[privacy]
enabled = true
target_epsilon = 2.0
epochs = 3
batch_size = 256
membership_inference = true

[fairness]
n_boot = 100
min_group_size = 30
mitigation = "demographic_parity"

[explain]
max_rows = 300
n_examples = 4

[card]
model_name = "Tiny <script>alert(1)</script> model"
intended_use = "Tests only."

[[gates]]
metric = "accuracy"
model = "private"
min = 0.5

[[gates]]
metric = "demographic_parity_difference"
feature = "sex"
max = 0.9

[[gates]]
metric = "epsilon_spent"
max = 2.0
"""


@pytest.fixture(scope="session")
def tiny_config_path(tmp_path_factory) -> Path:
    """A small but complete audit config (TOML file) on bundled Adult."""
    path = tmp_path_factory.mktemp("config") / "tiny.toml"
    path.write_text(TINY_CONFIG, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_run(tiny_config_path, tmp_path_factory) -> Path:
    """A real run directory from the full pipeline on 2,000 Adult rows (read-only: copy before editing)."""
    from audit.config import load_config
    from audit.pipeline.runner import run_audit

    out = tmp_path_factory.mktemp("runs") / "tiny-adult-run"
    outcome = run_audit(load_config(tiny_config_path), out=out)
    assert outcome.run_dir == out
    return out


@pytest.fixture
def tiny_run_copy(tiny_run, tmp_path) -> Path:
    """A private, writable copy of ``tiny_run`` under ``tmp_path/runs``."""
    target = tmp_path / "runs" / tiny_run.name
    shutil.copytree(tiny_run, target)
    return target
