"""Book-keeping clipping against Opacus: same per-example norms, same clipped sums, same trained model."""

import numpy as np
import pytest
import torch
from opacus import GradSampleModule
from torch import nn

from audit.exceptions import PrivacyError
from audit.models import MLP, binary_loss
from audit.privacy import resolve_grad_sample_mode, train_private
from audit.privacy._bookkeeping import BookkeepingClipper, bookkeeping_problems

C = 0.5


def _opacus_clipped(model, x, loss_of_output, clip=C):
    """Per-example norms and clipped sums the way Opacus's DPOptimizer forms them from grad_sample."""
    gsm = GradSampleModule(model, loss_reduction="sum")
    loss_of_output(gsm(x)).backward()
    params = [p for p in gsm._module.parameters() if p.requires_grad]
    flat = [p.grad_sample.reshape(len(x), -1) for p in params]
    norms = torch.stack([f.norm(2, dim=1) for f in flat], dim=1).norm(2, dim=1)
    factor = (clip / (norms + 1e-6)).clamp(max=1.0)
    sums = [torch.einsum("i,i...", factor, p.grad_sample) for p in params]
    gsm._close()
    return norms, sums


def _ours(model, x, loss_for_rows, slices=1, clip=C):
    clipper = BookkeepingClipper(model, max_grad_norm=clip)
    norms = []
    for rows in torch.tensor_split(torch.arange(len(x)), slices):
        with clipper.capture():
            loss_for_rows(rows)(model(x[rows])).backward()
        norms.append(clipper.accumulate())
    clipper.write_grads()
    clipper.close()
    return torch.cat(norms), [p.grad for p in model.parameters() if p.requires_grad]


def _bce_sum(y):
    return lambda out: nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), y, reduction="sum")


def _bce_rows(y):
    return lambda rows: _bce_sum(y[rows])


def _models(reference=False):
    """Fresh models with fixed weights; ``reference=True`` gives the ones Opacus's hooks can run."""
    torch.manual_seed(0)
    frozen_bias = MLP(6, hidden=(8, 4))
    frozen_bias.net[0].bias.requires_grad_(False)
    frozen_layer = MLP(6, hidden=(8, 4))
    frozen_layer.net[2].requires_grad_(False)
    return {
        "mlp": MLP(6, hidden=(16, 8)),
        "no_bias": nn.Sequential(nn.Linear(6, 8, bias=False), nn.Tanh(), nn.Linear(8, 1)),
        # Opacus's hooks refuse in-place ops after a hooked layer; the same function without
        # in-place is the reference.
        "inplace_relu": nn.Sequential(nn.Linear(6, 8), nn.ReLU(inplace=not reference), nn.Linear(8, 1)),
        "frozen_bias": frozen_bias,
        "frozen_middle_layer": frozen_layer,
    }


@pytest.mark.parametrize("name", list(_models()))
@pytest.mark.parametrize("slices", [1, 3])
def test_norms_and_clipped_sums_equal_opacus(name, slices):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(40, 6, generator=gen) * torch.linspace(0.01, 4, 40)[:, None]
    y = (torch.rand(40, generator=gen) > 0.5).float()
    # The median norm as the clip: half the examples are clipped, half pass unchanged.
    unclipped, _ = _opacus_clipped(_models(reference=True)[name], x, _bce_sum(y))
    clip = float(unclipped.median())
    ref_norms, ref_sums = _opacus_clipped(_models(reference=True)[name], x, _bce_sum(y), clip=clip)
    norms, sums = _ours(_models()[name], x, _bce_rows(y), slices=slices, clip=clip)
    assert 0 < int((norms > clip).sum()) < len(x)
    torch.testing.assert_close(norms, ref_norms, rtol=1e-5, atol=1e-6)
    assert len(sums) == len(ref_sums)
    for ours, ref in zip(sums, ref_sums, strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_sequence_inputs_equal_opacus():
    # A Linear over (batch, tokens, features): per-example gradients sum over tokens.
    torch.manual_seed(0)

    class TokenModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj, self.head = nn.Linear(5, 7), nn.Linear(7, 1)

        def forward(self, x):
            return self.head(torch.relu(self.proj(x)).mean(1))

    theirs, ours = TokenModel(), TokenModel()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(12, 4, 5) * 2
    y = (torch.rand(12) > 0.5).float()
    ref_norms, ref_sums = _opacus_clipped(theirs, x, _bce_sum(y))
    norms, sums = _ours(ours, x, _bce_rows(y))
    torch.testing.assert_close(norms, ref_norms, rtol=1e-5, atol=1e-6)
    for a, b in zip(sums, ref_sums, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


class _CNN(nn.Module):
    """The digits example's shape: Conv-ReLU-MaxPool-Linear, plus a strided, dilated, rectangular conv."""

    def __init__(self, bias=True):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1, bias=bias)
        self.odd = nn.Conv2d(4, 3, kernel_size=(2, 3), stride=2, dilation=(1, 2), padding=(1, 2))
        self.head = nn.Linear(3 * 3 * 2, 1)

    def forward(self, x):
        h = nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.head(torch.relu(self.odd(h)).flatten(1))


@pytest.mark.parametrize("bias", [True, False])
def test_convolutions_equal_opacus(bias):
    torch.manual_seed(0)
    theirs = _CNN(bias)
    ours = _CNN(bias)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(16, 1, 8, 8) * torch.linspace(0.05, 3, 16)[:, None, None, None]
    y = (torch.rand(16) > 0.5).float()
    assert theirs(x).shape == (16, 1)
    unclipped, _ = _opacus_clipped(_CNN(bias), x, _bce_sum(y))
    ref_norms, ref_sums = _opacus_clipped(theirs, x, _bce_sum(y), clip=float(unclipped.median()))
    norms, sums = _ours(ours, x, _bce_rows(y), slices=2, clip=float(unclipped.median()))
    torch.testing.assert_close(norms, ref_norms, rtol=1e-5, atol=1e-6)
    for a, b in zip(sums, ref_sums, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_convolutions_it_cannot_clip_exactly_are_named():
    model = nn.Sequential(nn.Conv2d(2, 2, 3, groups=2), nn.Conv2d(2, 2, 3, padding="same"), nn.Conv2d(2, 2, 3, padding_mode="reflect"))
    problems = bookkeeping_problems(model)
    assert ["groups=2" in problems[0], "padding='same'" in problems[1], "padding_mode='reflect'" in problems[2]] == [True] * 3
    assert resolve_grad_sample_mode("auto", binary_loss, module=model) == "ghost"


def test_parameters_and_hooks_are_restored():
    model = MLP(6, hidden=(8,))
    model.net[0].bias.requires_grad_(False)
    flags = [p.requires_grad for p in model.parameters()]
    clipper = BookkeepingClipper(model, max_grad_norm=C)
    with pytest.raises(RuntimeError), clipper.capture():
        raise RuntimeError("a failing forward pass")
    assert [p.requires_grad for p in model.parameters()] == flags
    clipper.close()
    assert all(not m._forward_hooks for m in model.modules())


def test_training_equals_opacus_ghost_clipping_step_for_step(synthetic):
    # Same sampler, same noise generator, same clipping: the trained weights agree to float error.
    X, y = synthetic
    runs = {}
    for mode in ("ghost", "bookkeeping"):
        torch.manual_seed(0)  # same initial weights
        res = train_private(MLP(6, hidden=(8, 4)), X, y, epsilon=2.0, epochs=3, batch_size=64, max_grad_norm=0.1,
                            grad_sample_mode=mode, seed=3)
        runs[mode] = res
    a, b = runs["ghost"], runs["bookkeeping"]
    assert b.grad_sample_mode == "bookkeeping" and a.grad_sample_mode == "ghost"
    assert a.epsilon_history == b.epsilon_history and a.noise_multiplier == b.noise_multiplier
    np.testing.assert_allclose(b.loss_history, a.loss_history, rtol=1e-4)
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        torch.testing.assert_close(pb, pa, rtol=1e-4, atol=1e-5)
    assert all(not m._forward_hooks for m in b.model.modules())  # the returned model is clean


def test_physical_batches_do_not_change_the_result(synthetic):
    X, y = synthetic
    kw = dict(epsilon=2.0, epochs=2, batch_size=128, grad_sample_mode="bookkeeping", seed=1, accountant="rdp")
    torch.manual_seed(0)
    whole = train_private(MLP(6, hidden=(8,)), X, y, **kw)
    torch.manual_seed(0)
    sliced = train_private(MLP(6, hidden=(8,)), X, y, max_physical_batch_size=30, **kw)
    for pa, pb in zip(whole.model.parameters(), sliced.model.parameters(), strict=True):
        torch.testing.assert_close(pb, pa, rtol=1e-4, atol=1e-5)


def test_noise_is_added_even_when_every_gradient_is_zero():
    # All-zero inputs and a zero-initialised model: every clipped gradient but the last bias
    # is zero, so any movement of the first layer is the Gaussian noise.
    X = np.zeros((256, 4), np.float32)
    y = np.ones(256, np.float32)
    model = MLP(4, hidden=(3,))
    nn.init.zeros_(model.net[0].weight)
    res = train_private(model, X, y, epsilon=1.0, epochs=1, batch_size=64, grad_sample_mode="bookkeeping",
                        accountant="rdp")
    assert float(res.model.net[0].weight.abs().sum()) > 0


class _Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Linear(6, 6)
        self.head = nn.Linear(6, 1)

    def forward(self, x):
        return self.head(torch.relu(self.block(torch.relu(self.block(x)))))


def test_auto_picks_bookkeeping_only_where_it_is_exact():
    x = torch.zeros(2, 6)
    assert resolve_grad_sample_mode("auto", binary_loss, module=MLP(6), sample=x) == "bookkeeping"
    assert resolve_grad_sample_mode("auto", binary_loss, module=MLP(6), sample=x, distributed=True) == "bookkeeping"
    assert resolve_grad_sample_mode("auto", binary_loss, module=_Shared(), sample=x) == "ghost"
    norm = nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    assert resolve_grad_sample_mode("auto", binary_loss, module=norm, sample=x) == "ghost"
    assert resolve_grad_sample_mode("auto", binary_loss, module=_CNN(), sample=torch.zeros(2, 1, 8, 8)) == "bookkeeping"
    custom = lambda out, y: binary_loss(out, y)  # noqa: E731
    assert resolve_grad_sample_mode("auto", custom, module=MLP(6), sample=x) == "hooks"
    # A frozen LayerNorm holds no trainable parameters, so book-keeping still applies.
    norm[1].requires_grad_(False)
    assert bookkeeping_problems(norm, x) == []


def test_explicit_bookkeeping_refuses_what_it_cannot_clip_exactly(synthetic):
    X, y = synthetic
    kw = dict(epsilon=1.0, epochs=1, batch_size=64, grad_sample_mode="bookkeeping")
    model = nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    with pytest.raises(PrivacyError) as err:
        train_private(model, X, y, **kw)
    assert "1: LayerNorm" in str(err.value) and "'auto'" in str(err.value)
    with pytest.raises(PrivacyError, match="called 2 times"):
        train_private(_Shared(), X, y, **kw)


def test_a_layer_reused_at_training_time_is_refused_not_misclipped():
    # The up-front check is a single forward pass; data-dependent reuse is caught at the step.
    class Sometimes(nn.Module):
        def __init__(self):
            super().__init__()
            self.block, self.head = nn.Linear(6, 6), nn.Linear(6, 1)

        def forward(self, x):
            h = self.block(x)
            if len(x) > 2:
                h = self.block(torch.relu(h))
            return self.head(h)

    model = Sometimes()
    clipper = BookkeepingClipper(model, max_grad_norm=C)
    with clipper.capture():
        model(torch.randn(5, 6)).sum().backward()
    with pytest.raises(PrivacyError, match="'block' called 2 times"):
        clipper.accumulate()
