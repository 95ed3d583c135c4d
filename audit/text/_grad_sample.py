"""Per-example gradient norms of ``nn.Embedding`` for Opacus's ghost clipping, without ``torch.unique(dim=0)``.

Opacus's embedding norm sampler (Bu et al. 2023) groups the (example, token id)
pairs with ``torch.unique(..., dim=0)``, a row-wise sort that takes most of a
text model's DP step (9.7 of 13.7 s in issue 27). The same grouping as one
int64 key per pair, ``example × num_embeddings + id``, is a 1-D unique, an
order of magnitude cheaper, and it visits the pairs in the same sorted order, so
the norms are Opacus's (test). :func:`register_embedding_norm_sampler` puts it in
Opacus's registry in place of Opacus's own; a sampler someone else registered is
left alone.
"""

from __future__ import annotations

import sys

import torch
from torch import nn

__all__ = ["embedding_norm_sample", "register_embedding_norm_sampler"]


def embedding_norm_sample(layer: nn.Embedding, activations: list[torch.Tensor],
                          backprops: torch.Tensor) -> dict[torch.Tensor, torch.Tensor]:
    """Per-example L2 norms of the embedding weight's gradient (Opacus's norm-sampler signature).

    Each example's gradient has one row per distinct token id it contains: the sum of
    the output gradients at that id's positions; its norm is the root of the summed
    squares of those rows.

    Examples
    --------
    >>> layer = nn.Embedding(3, 1)
    >>> ids = torch.tensor([[1, 1], [2, 0]])
    >>> grads = torch.tensor([[[0.2], [0.2]], [[0.3], [0.1]]])
    >>> embedding_norm_sample(layer, [ids], grads)[layer.weight]
    tensor([0.4000, 0.3162])
    """
    ids = activations[0].reshape(activations[0].shape[0], -1).long()
    n, length = ids.shape
    grads = backprops.reshape(n * length, -1)
    rows = torch.arange(n, device=ids.device).repeat_interleave(length)
    # n × num_embeddings stays far below 2**63 (float32-exact vocabularies, any batch that fits in memory)
    keys = rows * int(layer.num_embeddings) + ids.reshape(-1)
    unique, inverse = torch.unique(keys, sorted=True, return_inverse=True)
    summed = torch.zeros(unique.numel(), grads.shape[1], dtype=grads.dtype, device=grads.device)
    summed.index_add_(0, inverse, grads)
    owner = torch.div(unique, int(layer.num_embeddings), rounding_mode="floor")
    squares = torch.zeros(n, dtype=grads.dtype, device=grads.device).index_add_(0, owner, (summed * summed).sum(dim=1))
    return {layer.weight: squares.sqrt()}


def register_embedding_norm_sampler() -> bool:
    """Use :func:`embedding_norm_sample` for ``nn.Embedding`` in Opacus's ghost clipping, if Opacus is loaded.

    Returns whether it is registered now. Opacus's own sampler is replaced; another one is kept.

    Examples
    --------
    >>> import opacus.grad_sample
    >>> register_embedding_norm_sampler()
    True
    """
    if "opacus.grad_sample" not in sys.modules:  # importing Opacus here would slow every non-private run
        return False
    from opacus.grad_sample import GradSampleHooksFastGradientClipping, register_norm_sampler
    from opacus.grad_sample import embedding as opacus_embedding

    current = GradSampleHooksFastGradientClipping.NORM_SAMPLERS.get(nn.Embedding)
    if current is embedding_norm_sample:
        return True
    if current not in (None, getattr(opacus_embedding, "compute_embedding_norm_sample", None)):
        return False
    register_norm_sampler(nn.Embedding)(embedding_norm_sample)
    return True
