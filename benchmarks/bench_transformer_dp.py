"""DP-LoRA fine-tuning of a transformer classifier against the same non-private LoRA epoch (issue 28: ≤ 2×).

Run: .venv/bin/python benchmarks/bench_transformer_dp.py [--quick] [--repeats 3]
     .venv/bin/python benchmarks/bench_transformer_dp.py --checkpoint DIR --data CSV   (a built example checkpoint)

The model is built as the audit builds it (``load_transformer`` with LoRA adapters of rank 8 on
the attention projections; adapters and head train, the base is frozen); the data are the
example's private Farm Ads rows, tokenized by the checkpoint's tokenizer as the audit tokenizes
them (``TokenizerVocabulary.encode``, float32 ids). Without ``--checkpoint`` the example's
checkpoint is built in a temporary folder first (``examples/transformer/build_checkpoint.py``, ~25 s).

CPU seconds (``time.process_time``) on one torch thread, medians of interleaved rounds; each
round times, on freshly loaded models with the same adapters' initial values:

* non-private: ``audit.training.train_reference``, one epoch (Adam, the audit's loop);
* private: ``audit.privacy.train_private``, one epoch at the same batch size (Poisson
  sampling: the same number of rows per epoch on average), for ``grad_sample_mode`` "auto"
  (what the audit uses), "hooks" and "ghost"; the noise multiplier is calibrated before the
  rounds, as the audit's settings check does before training (its cost is shown apart);
* Opacus used directly: ``PrivacyEngine.make_private`` on the same peft model, one epoch of
  the plain loop (hooks, Opacus's default, and ghost clipping): the external anchor.

"epoch" is the epoch alone (``run_epoch`` / the loop's ``_epoch``, wrapped to read the CPU clock);
"call" is the whole call (copying the model, wrapping it, the epoch, the final ε). Ratios are
against the non-private figure measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

MODES = ("auto", "hooks", "ghost")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the platform's processor string elsewhere)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def build_example(folder: Path) -> tuple[Path, Path]:
    """The example's checkpoint and private rows, built in ``folder`` (offline)."""
    sys.path.insert(0, str(ROOT / "examples" / "transformer"))
    from build_checkpoint import build  # type: ignore[import-not-found]

    out = build(folder)
    return out / "checkpoint", out / "farm_ads_private.csv"


def load_data(checkpoint: Path, csv: Path, *, max_length: int, rows: int | None) -> tuple[np.ndarray, np.ndarray, Any]:
    """(ids as float32, labels 0/1 as float32, the tokenizer) as the audit encodes the example's texts."""
    import pandas as pd

    from audit.text._transformer import TokenizerVocabulary, load_tokenizer

    tokenizer = load_tokenizer(checkpoint)
    frame = pd.read_csv(csv)
    if rows is not None:
        frame = frame.iloc[:rows]
    texts = frame["text"].fillna("").astype(str).tolist()
    X = TokenizerVocabulary(tokenizer).encode(texts, max_len=max_length).astype(np.float32)
    y = (frame["label"] == "accepted").to_numpy(dtype=np.float32)
    return X, y, tokenizer


class _Clock:
    """CPU seconds spent inside the wrapped epoch functions, summed since the last ``take``."""

    def __init__(self) -> None:
        self.spent = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent += time.process_time() - t0

        return timed

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


@contextlib.contextmanager
def epoch_clock() -> Iterator[_Clock]:
    """Read the CPU clock around each epoch of the audit's loops (private trainers and the non-private loop)."""
    from audit.privacy import _trainers
    from audit.training import _loop

    clock = _Clock()
    with mock.patch.object(_trainers.OpacusTrainer, "run_epoch", clock.wrap(_trainers.OpacusTrainer.run_epoch)), \
            mock.patch.object(_trainers.BookkeepingTrainer, "run_epoch", clock.wrap(_trainers.BookkeepingTrainer.run_epoch)), \
            mock.patch.object(_loop, "_epoch", clock.wrap(_loop._epoch)):
        yield clock


class _BinaryLoss(torch.nn.Module):
    """Binary cross-entropy on the positive class's logit with a ``reduction`` (as Opacus's ghost clipping needs)."""

    def __init__(self) -> None:
        super().__init__()
        self.reduction = "mean"

    def forward(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logit = logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits.reshape(-1)
        return torch.nn.functional.binary_cross_entropy_with_logits(logit, y.reshape(-1), reduction=self.reduction)


def opacus_epoch(model: torch.nn.Module, X: np.ndarray, y: np.ndarray, *, mode: str, sigma: float, batch_size: int,
                 learning_rate: float, max_grad_norm: float, seed: int) -> tuple[float, float, float]:
    """Opacus used directly on ``model``: (CPU s of make_private, CPU s of one epoch, mean loss)."""
    from opacus import PrivacyEngine
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=batch_size,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    criterion = _BinaryLoss()
    t0 = time.process_time()
    made = PrivacyEngine().make_private(module=model, optimizer=optimizer, data_loader=loader, criterion=criterion,
                                        noise_multiplier=sigma, max_grad_norm=max_grad_norm, poisson_sampling=True,
                                        grad_sample_mode=mode)
    if mode == "ghost":
        module, optimizer, criterion, loader = made
    else:
        module, optimizer, loader = made
    setup = time.process_time() - t0
    total, count = 0.0, 0
    t0 = time.process_time()
    module.train()
    for xb, yb in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(module(xb), yb)
        loss.backward()
        optimizer.step()
        total, count = total + float(loss.detach()) * len(yb), count + len(yb)
    return setup, time.process_time() - t0, total / max(count, 1)


def _forget_accounting() -> None:
    """Cold: no noise calibration or ε remembered from an earlier call."""
    from audit.privacy._accounting import _rdp_curve
    from audit.privacy._settings import epsilon_after, noise_multiplier_for

    noise_multiplier_for.cache_clear()
    epsilon_after.cache_clear()
    _rdp_curve.cache_clear()


def accounting_costs(n: int, *, epsilon: float, batch_size: int, repeats: int) -> tuple[float, float, float]:
    """(σ, CPU s of the cold noise search, CPU s of one cold ε evaluation) for one epoch at ``batch_size``."""
    from audit.privacy._settings import default_delta, epsilon_after, noise_multiplier_for, steps_per_epoch

    q, steps = steps_per_epoch(n, batch_size)
    delta = default_delta(n)
    search, one = [], []
    sigma = 0.0
    for _ in range(repeats):
        _forget_accounting()
        t0 = time.process_time()
        found = noise_multiplier_for(epsilon=epsilon, delta=delta, sample_rate=q, steps=steps, accountant="prv")
        search.append(time.process_time() - t0)
        assert found is not None
        sigma = float(found)
        _forget_accounting()
        t0 = time.process_time()
        epsilon_after("prv", ((sigma, q, steps),), delta)
        one.append(time.process_time() - t0)
    # Leave the search's answer remembered: the timed trainings find it, as a run's training does.
    noise_multiplier_for(epsilon=epsilon, delta=delta, sample_rate=q, steps=steps, accountant="prv")
    return sigma, statistics.median(search), statistics.median(one)


def run_round(make_model: Callable[[], torch.nn.Module], X: np.ndarray, y: np.ndarray, *, args: argparse.Namespace,
              sigma: float, clock: _Clock) -> dict[str, tuple[float, float, float]]:
    """One interleaved round: {name: (call CPU s, epoch CPU s, mean loss of the epoch)}."""
    from audit.privacy import train_private
    from audit.training import train_reference

    out: dict[str, tuple[float, float, float]] = {}
    common = {"epochs": 1, "batch_size": args.batch_size, "learning_rate": args.learning_rate, "seed": 0}
    model = make_model()
    gc.collect()
    clock.take()
    t0 = time.process_time()
    _, info = train_reference(model, X, y, patience=None, **common)
    out["non-private (train_reference)"] = (time.process_time() - t0, clock.take(), info["loss_history"][-1])
    for mode in args.modes:
        model = make_model()
        gc.collect()
        t0 = time.process_time()
        res = train_private(model, X, y, epsilon=args.epsilon, grad_sample_mode=mode, **common)
        assert res.noise_multiplier == sigma, (res.noise_multiplier, sigma)
        out[f"train_private, {mode} ({res.grad_sample_mode})"] = (time.process_time() - t0, clock.take(),
                                                                  float(res.loss_history[-1] or 0.0))
    for mode in args.opacus_modes:
        model = make_model()
        gc.collect()
        t0 = time.process_time()
        setup, epoch, loss = opacus_epoch(model, X, y, mode=mode, sigma=sigma, batch_size=args.batch_size,
                                          learning_rate=args.learning_rate, max_grad_norm=1.0, seed=0)
        out[f"Opacus make_private, {mode}"] = (time.process_time() - t0, epoch, loss)
    return out


def report(rounds: list[dict[str, tuple[float, float, float]]]) -> None:
    """The table: medians over rounds, each ratio against the non-private figure of the same column."""
    names = list(rounds[0])
    med = {name: (statistics.median(r[name][0] for r in rounds), statistics.median(r[name][1] for r in rounds),
                  statistics.median(r[name][2] for r in rounds)) for name in names}
    base_call, base_epoch, _ = med[names[0]]
    print(f"\n{'':38s} {'call CPU s':>10s} {'ratio':>6s} {'epoch CPU s':>11s} {'ratio':>6s} {'loss':>6s}  epoch runs")
    for name in names:
        call, epoch, loss = med[name]
        runs = ", ".join(f"{r[name][1]:.2f}" for r in rounds)
        print(f"{name:38s} {call:10.2f} {call / base_call:5.2f}x {epoch:11.2f} {epoch / base_epoch:5.2f}x {loss:6.3f}  {runs}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one round on the first 600 rows (a smoke run)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default: %(default)s)")
    ap.add_argument("--checkpoint", type=Path, help="a checkpoint folder (default: build the example's in a temp folder)")
    ap.add_argument("--data", type=Path, help="the private rows' CSV (text, label); default: the built example's")
    ap.add_argument("--rows", type=int, help="use the first ROWS rows only")
    ap.add_argument("--batch-size", type=int, default=32, help="logical batch, both trainings (default: %(default)s)")
    ap.add_argument("--learning-rate", type=float, default=0.003)
    ap.add_argument("--epsilon", type=float, default=8.0, help="target ε of the one-epoch private training")
    ap.add_argument("--max-length", type=int, default=64, help="tokens per text, as [text] max_length")
    ap.add_argument("--lora-rank", type=int, default=8)
    ap.add_argument("--lora-targets", nargs="+", default=["query", "value"])
    ap.add_argument("--modes", nargs="+", default=list(MODES), help="train_private grad_sample_modes")
    ap.add_argument("--opacus-modes", nargs="+", default=["hooks", "ghost"], help="Opacus's own modes (anchor)")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.rows = 1, args.rows or 600
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint, data = args.checkpoint, args.data
        if checkpoint is None:
            t0 = time.perf_counter()
            checkpoint, built = build_example(Path(tmp))
            data = data or built
            print(f"built the example checkpoint in {time.perf_counter() - t0:.0f} s")
        if data is None:
            ap.error("--data is needed with --checkpoint (the CSV of the private rows: text, label)")
        bench(args, checkpoint, data)
    return 0


def bench(args: argparse.Namespace, checkpoint: Path, data: Path) -> None:
    from audit.text._transformer import load_transformer

    X, y, tokenizer = load_data(checkpoint, data, max_length=args.max_length, rows=args.rows)

    def make_model() -> torch.nn.Module:
        torch.manual_seed(0)  # the same adapters' initial values for every training
        return load_transformer(checkpoint, pad_token_id=int(tokenizer.pad_token_id), lora_rank=args.lora_rank,
                                lora_targets=args.lora_targets)

    probe = make_model()
    trainable = sum(p.numel() for p in probe.parameters() if p.requires_grad)
    total = sum(p.numel() for p in probe.parameters())
    print(f"machine: {cpu_model()}; torch {torch.__version__}, {torch.get_num_threads()} thread; "
          f"CPU seconds, medians of {args.repeats} interleaved round(s)")
    print(f"model: {checkpoint}, LoRA rank {args.lora_rank} on {args.lora_targets}: {trainable:,} of {total:,} "
          f"parameters trained; data: {len(X):,} texts x {X.shape[1]} tokens; batch {args.batch_size}, one epoch, "
          f"ε={args.epsilon:g}")
    sigma, search, one = accounting_costs(len(X), epsilon=args.epsilon, batch_size=args.batch_size,
                                          repeats=max(1, args.repeats))
    print(f"accounting (PRV, cold, outside the table): noise search {search:.3f} s (σ={sigma:.4f}), one ε {one:.3f} s")
    rounds = []
    with epoch_clock() as clock:
        for _ in range(args.repeats):
            rounds.append(run_round(make_model, X, y, args=args, sigma=sigma, clock=clock))
    report(rounds)


if __name__ == "__main__":
    sys.exit(main())
