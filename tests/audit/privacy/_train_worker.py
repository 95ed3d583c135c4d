"""Subprocess body for the kill tests and the 2-process DPDDP tests, and their shared helper (not a test module)."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float32)
    return X, y


def epoch_in(ckpt: Path) -> int:
    """Epochs recorded in the checkpoint in ``ckpt`` (0 before the first is written or while one is replaced)."""
    try:
        return int(torch.load(Path(ckpt) / "dp_checkpoint.pt", weights_only=True)["epoch"])
    except Exception:  # not written yet, or being replaced
        return 0


SETTINGS = dict(epsilon=2.0, epochs=5, batch_size=100, accountant="rdp", seed=3)


def run_checkpointed(ckpt_dir: str) -> None:
    from audit.models import MLP
    from audit.privacy import train_private

    torch.manual_seed(0)
    X, y = data()
    train_private(MLP(6, hidden=(32, 32)), X, y, checkpoint_dir=ckpt_dir, **SETTINGS)


DIST_SETTINGS = dict(epsilon=2.0, epochs=2, batch_size=200, accountant="rdp")


def run_distributed(rank: int, world: int, port: int, out: str, ckpt: str | None = None, epochs: int = 2,
                    mode: str = "auto") -> None:
    import time

    import torch.distributed as dist

    from audit.models import MLP
    from audit.privacy import train_private

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    torch.manual_seed(0)
    X, y = data()
    # With a checkpoint folder, pause after each epoch so the kill test can land mid-training.
    pause = (lambda *_: time.sleep(0.3)) if ckpt else None
    ckpt = ckpt.format(rank=rank) if ckpt else None  # "{rank}" in the path: one folder per process
    res = train_private(MLP(6, hidden=(8,)), X, y, **{**DIST_SETTINGS, "epochs": epochs}, checkpoint_dir=ckpt, progress=pause,
                        grad_sample_mode=mode)
    weights = torch.cat([p.flatten() for p in res.model.parameters()]).tolist()
    with open(f"{out}/rank{rank}.json", "w") as fh:
        json.dump({"result": res.to_dict(), "weights": weights}, fh)
    # Both ranks reach here before either tears down: gloo aborts ("terminate called without an active
    # exception", exit -6) when a peer closes its connection while the other is still in destroy.
    dist.barrier()
    dist.destroy_process_group()
    # Leave without running C++ static destructors: gloo's threads can still be joinable then, and a rank aborted
    # ("terminate called without an active exception", exit -6) after its results were written, barrier or not.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "checkpointed":
        run_checkpointed(sys.argv[2])
    else:
        ckpt = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] != "-" else None
        epochs = int(sys.argv[7]) if len(sys.argv) > 7 else 2
        mode = sys.argv[8] if len(sys.argv) > 8 else "auto"
        run_distributed(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], ckpt, epochs, mode)
