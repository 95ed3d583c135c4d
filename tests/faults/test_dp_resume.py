"""A private training killed with SIGKILL resumes from its checkpoint without losing or resetting ε.

The interrupted-and-resumed run must end exactly where an uninterrupted run ends:
same accountant steps, same ε history, same weights (the checkpoint carries the
sampling and noise generators, so the resumed epochs draw the same batches and noise).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from audit.models import MLP

REPO = Path(__file__).resolve().parents[2]
SETTINGS = dict(epsilon=2.0, epochs=4, batch_size=150, learning_rate=0.05, max_grad_norm=1.0, seed=3, accountant="rdp")

_CHILD = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import torch
    from audit.models import MLP
    from audit.privacy import train_private
    from tests.faults.test_dp_resume import SETTINGS, data

    mode, ckpt, kill_epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X, y = data()
    if mode == "during-save":
        # Die inside the atomic save of epoch `kill_epoch`: after the temp file, before the rename.
        real_replace, seen = os.replace, {"n": 0}
        def replace(src, dst):
            seen["n"] += 1
            if seen["n"] == kill_epoch:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_replace(src, dst)
        os.replace = replace
        progress = None
    else:
        def progress(epoch, total, info):  # called after the epoch's checkpoint is on disk
            if epoch == kill_epoch:
                os.kill(os.getpid(), signal.SIGKILL)
    torch.manual_seed(0)
    train_private(MLP(X.shape[1], hidden=(8,)), X, y, checkpoint_dir=ckpt, progress=progress, **SETTINGS)
    print("not killed")
""")


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=600) > 0).astype(np.float32)
    return X, y


def _train(checkpoint_dir=None, **overrides):
    from audit.privacy import train_private

    X, y = data()
    torch.manual_seed(0)
    return train_private(MLP(X.shape[1], hidden=(8,)), X, y, checkpoint_dir=checkpoint_dir, **{**SETTINGS, **overrides})


@pytest.fixture(scope="module")
def uninterrupted():
    return _train()


def _kill(mode: str, ckpt: Path, epoch: int) -> None:
    proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(ckpt), str(epoch)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, f"expected SIGKILL, got {proc.returncode}: {proc.stdout}{proc.stderr[-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "kill_epoch", "resumes_from"), [("after-epoch", 2, 2), ("during-save", 3, 2)])
def test_killed_private_training_resumes_with_its_accounting(mode, kill_epoch, resumes_from, tmp_path, uninterrupted):
    ckpt = tmp_path / "ckpt"
    _kill(mode, ckpt, kill_epoch)
    resumed = _train(checkpoint_dir=ckpt)
    assert resumed.resumed_from_epoch == resumes_from
    assert resumed.steps == uninterrupted.steps, "the accountant lost or repeated steps"
    assert len(resumed.epsilon_history) == SETTINGS["epochs"]
    np.testing.assert_allclose(resumed.epsilon_history, uninterrupted.epsilon_history, rtol=1e-12)
    assert resumed.epsilon_spent == pytest.approx(uninterrupted.epsilon_spent, rel=1e-12)
    assert resumed.epsilon_spent <= SETTINGS["epsilon"] + 1e-9
    # ε after the kill is larger than at the kill: accounting continued, it did not restart from zero.
    assert resumed.epsilon_spent > resumed.epsilon_history[resumes_from - 1]
    for (name, a), b in zip(resumed.model.state_dict().items(), uninterrupted.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6, msg=f"weights differ at {name}")
