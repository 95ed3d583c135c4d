"""Where a run came from: the software environment it ran in.

Examples
--------
>>> env = environment()
>>> sorted(env)[:3]
['git_commit', 'libraries', 'machine']
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["LIBRARIES", "environment"]

LIBRARIES = ("torch", "captum", "fairlearn", "opacus", "pandas", "numpy", "scikit-learn", "streamlit", "rai-audit")
#: Libraries of an extra, listed when the run used them (imported by the time the record is written).
USED_LIBRARIES = ("transformers", "peft", "tokenizers", "safetensors")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path.cwd())
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def environment() -> dict[str, Any]:
    """Python, platform, thread count, library versions and the git commit of the working directory."""
    import sys

    import torch

    versions: dict[str, str | None] = {}
    for lib in (*LIBRARIES, *(name for name in USED_LIBRARIES if name in sys.modules)):
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "libraries": versions,
        "git_commit": _git_commit(),
    }
