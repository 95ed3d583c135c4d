"""DP-SGD across processes (and machines) with torchrun and Opacus's DPDDP.

Every process reads the same full training set and passes the *global* batch size; each samples
its own shard with Poisson sampling, DPDDP sums the clipped gradients and adds the noise once, so
the replicas stay in lockstep and ε is the single-process ε (tests/audit/privacy/test_distributed.py).

One machine, 2 processes (CPU, gloo):
    torchrun --standalone --nproc_per_node 2 examples/scale/train_dp_torchrun.py --out dp-out
Two machines, 4 processes each (run on both; HOST is the first machine):
    torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:29400 \\
        examples/scale/train_dp_torchrun.py --out /shared/dp-out --checkpoint-dir /shared/dp-ckpt
Rank 0 writes the private model's state dict and the privacy result (ε spent, steps, noise) to --out.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch
import torch.distributed as dist


def load_adult(max_rows: int) -> tuple:
    """Bundled Adult, encoded with the preprocessor rai-audit uses (fitted on these rows)."""
    from audit.data import TabularPreprocessor, encode_target
    from audit.data.datasets import load_adult as bundled

    train, _ = bundled()
    train = train.sample(min(max_rows, len(train)), random_state=0).reset_index(drop=True)
    features = train.drop(columns=["income", "fnlwgt", "education"])
    X = TabularPreprocessor().fit_transform(features)
    y = encode_target(train["income"], ">50K").astype("float32")
    return X, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epsilon", type=float, default=2.0)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256, help="global (logical) batch size")
    ap.add_argument("--max-rows", type=int, default=4000)
    ap.add_argument("--checkpoint-dir", help="resume after a kill (every process must see this folder)")
    args = ap.parse_args()
    # torchrun sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; gloo on CPU, nccl for GPUs
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    from audit.models import MLP
    from audit.privacy import train_private

    torch.manual_seed(0)
    X, y = load_adult(args.max_rows)
    result = train_private(MLP(X.shape[1], hidden=(32,)), X, y, epsilon=args.epsilon, epochs=args.epochs,
                           batch_size=args.batch_size, accountant="rdp", checkpoint_dir=args.checkpoint_dir)
    if dist.get_rank() == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        torch.save(result.model.state_dict(), args.out / "private.pt")
        summary = {**result.to_dict(), "world_size": dist.get_world_size()}
        (args.out / "privacy.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
        print(f"world size {dist.get_world_size()}: epsilon spent {result.epsilon_spent:.3f} "
              f"in {result.steps} steps (pid {os.getpid()})")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
