"""DPDDP over gloo on localhost: 2 processes spend the same ε as one, and resume after a kill."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from audit.models import MLP
from audit.privacy import train_private

from . import _train_worker as worker

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REPO = Path(__file__).resolve().parents[3]


def _launch(out: Path, *extra: str, stderr=None) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    port = _free_port()
    out.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [sys.executable, "-m", "tests.audit.privacy._train_worker", "distributed", str(r), "2", str(port), str(out), *extra],
            cwd=REPO, env=env, stderr=stderr, text=True,
        )
        for r in range(2)
    ]


def _results(out: Path) -> list[dict]:
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


def test_two_process_dpddp_matches_single_process_epsilon(tmp_path):
    procs = _launch(tmp_path)
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    ranks = _results(tmp_path)
    assert ranks[0]["result"]["grad_sample_mode"] == "bookkeeping"  # auto, under DPDDP too

    X, y = worker.data()
    torch.manual_seed(0)
    single = train_private(MLP(6, hidden=(8,)), X, y, epsilon=2.0, epochs=2, batch_size=200, accountant="rdp", distributed=False)
    for r in ranks:
        assert r["result"]["epsilon_spent"] == single.epsilon_spent
        assert r["result"]["steps"] == single.steps
        assert r["result"]["noise_multiplier"] == single.noise_multiplier
    # DPDDP keeps the replicas in lockstep: the same noisy update reaches every process.
    assert ranks[0]["weights"] == pytest.approx(ranks[1]["weights"], abs=1e-6)


def test_killed_two_process_run_resumes_with_the_same_epsilon_and_weights(tmp_path):
    ckpt, epochs = tmp_path / "ckpt", "5"
    procs = _launch(tmp_path / "killed", str(ckpt), epochs)
    deadline = time.monotonic() + 180
    while worker.epoch_in(ckpt) < 2 and all(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.02)
    for p in procs:
        p.send_signal(signal.SIGKILL)
    assert [p.wait() for p in procs] == [-signal.SIGKILL] * 2
    killed_at = worker.epoch_in(ckpt)
    assert 2 <= killed_at < int(epochs)

    resumed = _launch(tmp_path / "resumed", str(ckpt), epochs)
    assert [p.wait(timeout=180) for p in resumed] == [0, 0]
    straight = _launch(tmp_path / "straight", str(tmp_path / "fresh-ckpt"), epochs)
    assert [p.wait(timeout=180) for p in straight] == [0, 0]
    for a, b in zip(_results(tmp_path / "resumed"), _results(tmp_path / "straight"), strict=True):
        assert a["result"]["resumed_from_epoch"] == killed_at and b["result"]["resumed_from_epoch"] is None
        assert a["result"]["epsilon_history"] == b["result"]["epsilon_history"]
        assert a["result"]["steps"] == b["result"]["steps"]
        assert a["weights"] == pytest.approx(b["weights"], abs=1e-6)


def test_ranks_that_see_different_checkpoints_all_stop_with_the_reason(tmp_path):
    # Without a shared filesystem each rank would find its own checkpoint (or none). Every rank
    # must refuse, none may wait forever on a peer.
    per_rank = str(tmp_path / "ckpt{rank}")
    first = _launch(tmp_path / "first", per_rank, "2")
    assert [p.wait(timeout=180) for p in first] == [0, 0]
    # Rank 0 wrote its folder; rank 1's (on its "own disk") holds nothing.
    assert (tmp_path / "ckpt0" / "dp_checkpoint.pt").exists() and not (tmp_path / "ckpt1" / "dp_checkpoint.pt").exists()
    second = _launch(tmp_path / "second", per_rank, "2", stderr=subprocess.PIPE)
    outputs = [p.communicate(timeout=180)[1] for p in second]
    assert all(p.returncode != 0 for p in second)
    for err in outputs:
        assert "see different checkpoints" in err and "[2, None]" in err and "shared filesystem" in err


def test_bookkeeping_under_dpddp_equals_opacus_ghost_clipping_step_for_step(tmp_path):
    # Same shards, same Poisson draws, noise once on rank 0, gradients summed: the same model.
    for mode in ("ghost", "bookkeeping"):
        procs = _launch(tmp_path / mode, "-", "2", mode)
        assert [p.wait(timeout=180) for p in procs] == [0, 0]
    ghost, book = _results(tmp_path / "ghost"), _results(tmp_path / "bookkeeping")
    for a, b in zip(ghost, book, strict=True):
        assert (a["result"]["grad_sample_mode"], b["result"]["grad_sample_mode"]) == ("ghost", "bookkeeping")
        assert a["result"]["epsilon_history"] == b["result"]["epsilon_history"]
        assert b["weights"] == pytest.approx(a["weights"], abs=1e-5)
