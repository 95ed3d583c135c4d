"""Subprocess driver for the fault tests: SIGKILL a real run at chosen file operations.

Usage: ``python -m tests.faults._kill_driver CONFIG ROOT N_POINTS SEED``

Runs the real pipeline (``audit.pipeline.runner.run_audit``) once up to the point where the
run directory is written, then, for each kill point, forks a child that writes the
run directory with ``audit.pipeline.runner.write_run`` and ``SIGKILL``s itself just before its
k-th file operation (an open for writing, mkdir, rename, replace). Nothing is cleaned
up, as after a power cut or an OOM kill. Prints one JSON line per point:
``{"k": k, "total": total, "target": path, "killed": bool}``.
"""

from __future__ import annotations

import builtins
import copy
import io
import json
import os
import random
import signal
import sys
from pathlib import Path

_OPS = {"n": 0, "kill_at": None}


def _tick() -> None:
    _OPS["n"] += 1
    if _OPS["kill_at"] is not None and _OPS["n"] >= _OPS["kill_at"]:
        os.kill(os.getpid(), signal.SIGKILL)


def _install_hooks() -> None:
    real_open, real_rename, real_replace, real_mkdir = builtins.open, os.rename, os.replace, os.mkdir

    def open_(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            _tick()
        return real_open(file, mode, *args, **kwargs)

    def rename(*args, **kwargs):
        _tick()
        return real_rename(*args, **kwargs)

    def replace(*args, **kwargs):
        _tick()
        return real_replace(*args, **kwargs)

    def mkdir(*args, **kwargs):
        _tick()
        return real_mkdir(*args, **kwargs)

    builtins.open = io.open = open_
    os.rename, os.replace, os.mkdir = rename, replace, mkdir


def main(config: str, root: str, n_points: int, seed: int) -> None:
    import torch

    import audit.pipeline.runner as runner
    from audit.config import load_config

    torch.set_num_threads(1)  # a forked child must not inherit busy intra-op pools
    captured: dict = {}
    real_write_run = runner.write_run

    def capture(result, target, **kwargs):
        captured.update(result=result, kwargs=kwargs)
        return {}

    runner.write_run = capture
    runner.run_audit(load_config(config), out=Path(root) / "unused")
    root_p = Path(root)

    def attempt(k: int | None, target: Path) -> tuple[bool, int]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: write the run, dying at operation k
            os.close(read_fd)
            _OPS["kill_at"] = k
            _install_hooks()
            real_write_run(copy.deepcopy(captured["result"]), target, **captured["kwargs"])
            os.write(write_fd, str(_OPS["n"]).encode())
            os._exit(0)
        os.close(write_fd)
        _, status = os.waitpid(pid, 0)
        with os.fdopen(read_fd) as fh:
            count = fh.read()
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        if not killed and os.WEXITSTATUS(status) != 0:
            raise SystemExit(f"child failed with status {status}")
        return killed, int(count or 0)

    _, total = attempt(None, root_p / "complete")
    rng = random.Random(seed)
    points = sorted(set(rng.sample(range(1, total + 1), min(n_points, total)) + [1, total]))
    print(json.dumps({"k": None, "total": total, "target": str(root_p / "complete"), "killed": False}), flush=True)
    for k in points:
        target = root_p / f"killed-at-{k}"
        killed, _ = attempt(k, target)
        print(json.dumps({"k": k, "total": total, "target": str(target), "killed": killed}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
