"""Cryptographically secure randomness for DP-SGD's sampling and noise.

DP-SGD's guarantee assumes the adversary cannot predict the sampling or the noise.
Seeded PRNGs (PyTorch's Mersenne Twister) make audits reproducible but are
predictable from their output; for a model that is released, the randomness
should come from a cryptographically secure generator. Opacus's ``secure_mode``
needs the ``torchcsprng`` package, which has no build for current PyTorch, so
this module draws from a ChaCha20 keystream (the ``cryptography`` package,
already a dependency for signed reviews) keyed from ``os.urandom``:

* uniforms: 53 random bits per float64, ``[0, 1)``;
* normals: Box-Muller on those uniforms, in float64; and, like Opacus's
  ``secure_mode``, each noise value is the sum of four normals divided by two
  (same variance), which blurs the floating-point artefacts that let an attacker
  tell Gaussian samples apart (Mironov 2012).

Runs with secure randomness cannot be repeated bit for bit; that is the point.
"""

from __future__ import annotations

import os

import numpy as np
import torch

__all__ = ["SecureRandom"]

_MASK_53 = np.uint64((1 << 53) - 1)


class SecureRandom:
    """Uniform and Gaussian draws from a ChaCha20 keystream keyed by the OS's CSPRNG.

    Examples
    --------
    >>> rng = SecureRandom()
    >>> u = rng.uniform(10_000)
    >>> bool(((u >= 0) & (u < 1)).all()), abs(float(u.mean()) - 0.5) < 0.02
    (True, True)
    >>> tuple(rng.normal((3, 4), std=2.0).shape)
    (3, 4)
    """

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

        self._stream = Cipher(algorithms.ChaCha20(os.urandom(32), os.urandom(16)), mode=None).encryptor()

    def _bits(self, n: int) -> np.ndarray:
        return np.frombuffer(self._stream.update(bytes(8 * n)), dtype=np.uint64)

    def uniform(self, n: int) -> torch.Tensor:
        """``n`` float64 uniforms in [0, 1), 53 random bits each."""
        return torch.from_numpy((self._bits(n) & _MASK_53).astype(np.float64) * 2.0**-53)

    def _standard_normal(self, n: int) -> np.ndarray:
        # Box-Muller: two uniforms give two independent normals; 1 - u keeps the log finite.
        half = (n + 1) // 2
        u = (self._bits(2 * half) & _MASK_53).astype(np.float64) * 2.0**-53
        radius = np.sqrt(-2.0 * np.log1p(-u[:half]))
        angle = 2.0 * np.pi * u[half:]
        return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:n]

    def normal(self, shape: tuple[int, ...] | torch.Size, *, std: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Gaussian noise of standard deviation ``std``: (z1 + z2 + z3 + z4) / 2, as Opacus's secure mode."""
        n = int(np.prod(shape)) if len(shape) else 1
        z = self._standard_normal(4 * n).reshape(4, n).sum(axis=0) / 2.0
        return torch.from_numpy(z * std).to(dtype).reshape(shape)
