"""Budget safety across a real SIGKILL: resume ends where an uninterrupted run ends."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from audit.exceptions import PrivacyError
from audit.models import MLP
from audit.privacy import train_private

from . import _train_worker as worker

pytestmark = pytest.mark.slow


def test_killed_run_resumes_with_the_same_epsilon_and_model(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.audit.privacy._train_worker", "checkpointed", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[3], env=env,
    )
    deadline = time.monotonic() + 120
    while worker.epoch_in(tmp_path) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = worker.epoch_in(tmp_path)
    assert proc.returncode == -signal.SIGKILL and 2 <= killed_at < worker.SETTINGS["epochs"]

    X, y = worker.data()
    torch.manual_seed(0)
    resumed = train_private(MLP(6, hidden=(32, 32)), X, y, checkpoint_dir=tmp_path, **worker.SETTINGS)
    torch.manual_seed(0)
    straight = train_private(MLP(6, hidden=(32, 32)), X, y, **worker.SETTINGS)

    assert resumed.resumed_from_epoch == killed_at
    assert resumed.epsilon_spent == straight.epsilon_spent
    assert resumed.epsilon_history == straight.epsilon_history
    assert resumed.steps == straight.steps
    for a, b in zip(resumed.model.parameters(), straight.model.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


def test_checkpoint_from_another_config_is_refused(tmp_path, synthetic):
    X, y = synthetic
    train_private(MLP(6, hidden=(4,)), X, y, epsilon=2.0, epochs=1, batch_size=64, accountant="rdp", checkpoint_dir=tmp_path)
    with pytest.raises(PrivacyError, match="another training configuration"):
        train_private(MLP(6, hidden=(4,)), X, y, epsilon=3.0, epochs=1, batch_size=64, accountant="rdp", checkpoint_dir=tmp_path)
    with pytest.raises(PrivacyError, match="another training configuration"):
        train_private(
            MLP(6, hidden=(4,)), X, y, epsilon=2.0, epochs=1, batch_size=64, accountant="rdp",
            checkpoint_dir=tmp_path, config_fingerprint="other-config",
        )


def test_finished_checkpoint_spends_nothing_more(tmp_path, synthetic):
    X, y = synthetic
    kw = dict(epsilon=2.0, epochs=2, batch_size=64, accountant="rdp", checkpoint_dir=tmp_path)
    first = train_private(MLP(6, hidden=(4,)), X, y, **kw)
    again = train_private(MLP(6, hidden=(4,)), X, y, **kw)
    assert again.resumed_from_epoch == 2 and again.epsilon_spent == first.epsilon_spent


def test_tampered_accountant_history_is_refused(tmp_path, synthetic):
    X, y = synthetic
    kw = dict(epsilon=2.0, epochs=2, batch_size=64, accountant="rdp", checkpoint_dir=tmp_path)
    train_private(MLP(6, hidden=(4,)), X, y, **kw)
    path = tmp_path / "dp_checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["accountant"]["history"] = []  # a "reset" accountant
    torch.save(state, path)
    with pytest.raises(PrivacyError, match="understate"):
        train_private(MLP(6, hidden=(4,)), X, y, **kw)


def test_corrupt_checkpoint_is_refused(tmp_path, synthetic):
    X, y = synthetic
    (tmp_path / "dp_checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(PrivacyError, match="cannot be read"):
        train_private(MLP(6, hidden=(4,)), X, y, epsilon=2.0, epochs=1, batch_size=64, accountant="rdp", checkpoint_dir=tmp_path)


def test_a_checkpoint_directory_in_use_by_another_process_is_refused_until_it_exits(tmp_path, synthetic):
    from audit.privacy._checkpoint import checkpoint_in_use

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from audit.privacy._checkpoint import checkpoint_lock\n"
         "with checkpoint_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[3], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert checkpoint_in_use(tmp_path)
        X, y = synthetic
        kw = dict(epsilon=2.0, epochs=1, batch_size=64, accountant="rdp", checkpoint_dir=tmp_path)
        with pytest.raises(PrivacyError, match=rf"in use by another training process \(pid {holder.pid}\)"):
            train_private(MLP(6, hidden=(4,)), X, y, **kw)
    finally:
        holder.kill()  # the OS drops a dead process's lock: no stale lock file can block a resume
        holder.wait()
    assert not checkpoint_in_use(tmp_path)
    res = train_private(MLP(6, hidden=(4,)), X, y, **kw)
    assert res.epsilon_spent > 0 and not checkpoint_in_use(tmp_path)  # released after training too
