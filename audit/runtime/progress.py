"""Progress lines for long work, on stderr so stdout stays machine-readable.

Examples
--------
>>> p = Progress(total=2, enabled=False)
>>> with p.stage("load data"):
...     pass
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    """Numbered stage lines with timings, plus per-epoch updates.

    Parameters
    ----------
    total : int
        Number of stages announced, for the ``[i/total]`` counter.
    enabled : bool
        False silences everything (library use, tests).
    stream : file, optional
        Where to write (stderr by default).
    """

    def __init__(self, *, total: int, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.index = 0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Announce a stage, time it, and report how long it took."""
        self.index += 1
        start = time.perf_counter()
        self._write(f"[{self.index}/{self.total}] {name} ...\n")
        yield
        self._write(f"[{self.index}/{self.total}] {name}: done in {time.perf_counter() - start:.1f}s\n")

    def note(self, text: str) -> None:
        """A one-line remark inside the current stage."""
        self._write(f"      {text}\n")

    def epochs(self, label: str) -> Callable[[int, int, dict[str, Any]], None]:
        """A callback for training loops: ``cb(epoch, total, info)`` prints loss and ε so far."""

        def callback(epoch: int, total: int, info: dict[str, Any]) -> None:
            parts = [f"{label}: epoch {epoch}/{total}"]
            if info.get("loss") is not None:
                parts.append(f"loss {info['loss']:.4f}")
            eps = info.get("epsilon", info.get("epsilon_spent"))
            if eps is not None:
                parts.append(f"ε {eps:.3f}")
            line = ", ".join(parts)
            # On a terminal, rewrite one line; in CI logs, print every few epochs and the last.
            if self._tty:
                self._write(f"\r      {line}" + ("\n" if epoch == total else ""))
            elif epoch == total or epoch % max(1, total // 5) == 0:
                self._write(f"      {line}\n")

        return callback
