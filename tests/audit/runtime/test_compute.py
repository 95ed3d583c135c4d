"""Compute footprint: FLOPs match hand counts, energy/CO2 arithmetic and labels, stage timing."""

from __future__ import annotations

import time

from torch import nn

from audit.models import MLP
from audit.runtime.compute import (
    StageTimer,
    dp_step_flops_per_example,
    flops_per_example,
    peak_memory_mb,
    training_flops_per_example,
)


def _linear_flops(sizes):
    return sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def test_forward_flops_match_hand_count():
    assert flops_per_example(MLP(86, hidden=(64, 32)), 86) == _linear_flops([86, 64, 32, 1])


def test_training_flops_are_forward_plus_backward():
    sizes = [20, 16, 1]
    fwd = _linear_flops(sizes)
    # backward: weight grads for every layer (2ab each) + input grads for all but the first layer
    bwd = fwd + _linear_flops(sizes[1:])
    assert training_flops_per_example(MLP(20, hidden=(16,)), 20) == fwd + bwd


def test_dp_step_flops_are_counted_on_the_book_keeping_step():
    # The clipped sums B^T diag(c) A replace the weight gradients: the same matrix products.
    sizes = [20, 16, 1]
    m = MLP(20, hidden=(16,))
    assert dp_step_flops_per_example(m, 20) == 2 * _linear_flops(sizes) + _linear_flops(sizes[1:])
    assert all(p.grad is None for p in m.parameters()) and not any(mod._forward_hooks for mod in m.modules())
    assert dp_step_flops_per_example(nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 1)), 4) is None


def test_training_flops_leave_the_model_untouched():
    m = MLP(5, hidden=(4,))
    before = [p.detach().clone() for p in m.parameters()]
    training_flops_per_example(m, 5)
    assert all(p.grad is None for p in m.parameters())
    assert all((a == b).all() for a, b in zip(before, m.parameters(), strict=True))


def test_untraceable_model_reports_none():
    class Bad(nn.Module):
        def forward(self, x):
            raise RuntimeError("no")

    assert flops_per_example(Bad(), 3) is None and training_flops_per_example(Bad(), 3) is None


def test_stage_timer_accumulates_wall_and_cpu():
    t = StageTimer(energy=False)
    for _ in range(2):
        with t.stage("s"):
            time.sleep(0.02)
            sum(range(20000))
    d = t.to_dict()["s"]
    assert d["wall_s"] >= 0.04 and d["cpu_s"] >= 0.0
    assert d["energy_kwh"] is None and d["co2_kg"] is None


def test_peak_memory_is_plausible():
    assert 10 < peak_memory_mb() < 1e6
