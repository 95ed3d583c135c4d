"""DPDDP over gloo on localhost: 2 processes spend the same ε as one."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from audit.modeling import MLP
from audit.privacy import train_private

from . import _train_worker as worker

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_dpddp_matches_single_process_epsilon(tmp_path):
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"}
    port = _free_port()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.audit.privacy._train_worker", "distributed", str(r), "2", str(port), str(tmp_path)],
            cwd=repo, env=env,
        )
        for r in range(2)
    ]
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]

    X, y = worker.data()
    torch.manual_seed(0)
    single = train_private(MLP(6, hidden=(8,)), X, y, epsilon=2.0, epochs=2, batch_size=200, accountant="rdp", distributed=False)
    for r in ranks:
        assert r["result"]["epsilon_spent"] == single.epsilon_spent
        assert r["result"]["steps"] == single.steps
        assert r["result"]["noise_multiplier"] == single.noise_multiplier
    # DPDDP keeps the replicas in lockstep: the same noisy update reaches every process.
    assert ranks[0]["weights"] == pytest.approx(ranks[1]["weights"], abs=1e-6)
