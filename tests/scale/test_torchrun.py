"""The documented torchrun command (docs/scale.md): 2 processes under DPDDP spend the single-process ε."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "scale" / "train_dp_torchrun.py"
pytestmark = pytest.mark.slow  # two processes import torch and Opacus: ~20 s


def test_two_process_torchrun_command_trains_with_the_single_process_epsilon(tmp_path):
    # `torchrun` is `python -m torch.distributed.run`; the module form needs no script on PATH
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(SCRIPT),
           "--out", str(tmp_path / "dp-out"), "--max-rows", "2000", "--epochs", "1"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "world size 2" in proc.stdout
    got = json.loads((tmp_path / "dp-out" / "privacy.json").read_text())

    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from train_dp_torchrun import load_adult
    finally:
        sys.path.remove(str(SCRIPT.parent))
    from audit.models import MLP
    from audit.privacy import train_private

    X, y = load_adult(2000)
    torch.manual_seed(0)
    single = train_private(MLP(X.shape[1], hidden=(32,)), X, y, epsilon=2.0, epochs=1, batch_size=256,
                           accountant="rdp", distributed=False)
    assert got["world_size"] == 2
    assert got["epsilon_spent"] == single.epsilon_spent
    assert got["steps"] == single.steps
    state = torch.load(tmp_path / "dp-out" / "private.pt", weights_only=True)
    assert set(state) == set(MLP(X.shape[1], hidden=(32,)).state_dict())  # no DPDDP "module." prefix
