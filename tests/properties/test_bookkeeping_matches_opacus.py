"""Property: on any small Linear/Conv network and batch, book-keeping clipping gives Opacus's clipped sums.

Architectures vary in depth, widths, bias on or off, a frozen layer, an optional
convolution front (kernel, stride, padding); batches vary in size (down to one
example), input scale and clipping norm (so anywhere from none to all examples
are clipped). The reference is Opacus's ``GradSampleModule`` per-sample gradients
clipped with Opacus's factor.
"""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opacus import GradSampleModule
from torch import nn

from audit.privacy._bookkeeping import BookkeepingClipper


@st.composite
def cases(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    torch.manual_seed(seed)
    conv = draw(st.booleans())
    layers: list[nn.Module] = []
    if conv:
        k = draw(st.integers(1, 3))
        stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
        channels = draw(st.integers(1, 3))
        layers += [nn.Conv2d(1, channels, k, stride=stride, padding=pad, bias=draw(st.booleans())), nn.ReLU(), nn.Flatten()]
        side = (6 + 2 * pad - k) // stride + 1
        width = channels * side * side
        x_shape = (1, 6, 6)
    else:
        width = draw(st.integers(1, 6))
        x_shape = (width,)
    for _ in range(draw(st.integers(1, 3))):
        out = draw(st.integers(1, 6))
        layers += [nn.Linear(width, out, bias=draw(st.booleans())), nn.Tanh()]
        width = out
    layers.append(nn.Linear(width, 1))
    model = nn.Sequential(*layers)
    if draw(st.booleans()):
        trainable = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
        trainable[draw(st.integers(0, len(trainable) - 1))].requires_grad_(False)
    batch = draw(st.integers(1, 12))
    scale = draw(st.sampled_from([0.01, 1.0, 10.0]))
    x = torch.randn(batch, *x_shape) * scale
    y = (torch.rand(batch) > 0.5).float()
    clip = draw(st.sampled_from([1e-3, 0.1, 1.0, 100.0]))
    return model, x, y, clip


def _loss(out, y):
    return nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), y, reduction="sum")


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # Opacus's hooks on an input without grad
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_clipped_sums_equal_opacus(case):
    model, x, y, clip = case
    if not any(p.requires_grad for p in model.parameters()):
        return
    theirs = GradSampleModule(copy.deepcopy(model), loss_reduction="sum")
    _loss(theirs(x), y).backward()
    params = [p for p in theirs._module.parameters() if p.requires_grad]
    norms = torch.stack([p.grad_sample.reshape(len(x), -1).norm(2, dim=1) for p in params], dim=1).norm(2, dim=1)
    factor = (clip / (norms + 1e-6)).clamp(max=1.0)
    expected = [torch.einsum("i,i...", factor, p.grad_sample) for p in params]

    clipper = BookkeepingClipper(model, max_grad_norm=clip)
    with clipper.capture():
        _loss(model(x), y).backward()
    ours_norms = clipper.accumulate()
    clipper.write_grads()
    clipper.close()
    torch.testing.assert_close(ours_norms, norms, rtol=1e-4, atol=1e-6)
    for ours, ref in zip([p.grad for p in model.parameters() if p.requires_grad], expected, strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-6)
