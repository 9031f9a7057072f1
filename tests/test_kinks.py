"""Derivatives at kinks are conventions: they follow PyTorch's autograd of its native op, so a
model behaves the same after swapping torch's activation for actlab's."""

from __future__ import annotations

import pytest
import torch

import actlab

# maxsig switches at the irrational x* = σ(x*) ≈ 0.659; at the float next to it torch.maximum
# sees a rounding tie and averages the two slopes (0.612), where the true slope is σ'(x) ≈ 0.225.
# actlab gives each float its own side's slope (see its kink_note).
DELIBERATE = {"maxsig"}
WITH_KINKS_AND_NATIVE = [s.name for s in actlab.specs()
                         if s.kind == "elementwise" and s.native is not None and s.kinks(**s.defaults)
                         and s.name not in DELIBERATE]


@pytest.mark.parametrize("name", WITH_KINKS_AND_NATIVE)
def test_derivative_at_kinks_follows_pytorch(name):
    spec = actlab.get_spec(name)
    k = torch.tensor(spec.kinks(**spec.defaults), dtype=torch.float64, requires_grad=True)
    (native,) = torch.autograd.grad(spec.native(k, **spec.defaults).sum(), k)
    (mine,) = torch.autograd.grad(actlab.functional.apply(spec, k).sum(), k)
    torch.testing.assert_close(mine, native, rtol=4e-16, atol=0)  # same branch, to rounding


def test_relu_derivative_at_zero_is_zero():
    x = torch.zeros(3, requires_grad=True)
    actlab.functional.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_every_spec_with_kinks_documents_its_convention():
    for spec in actlab.specs():
        if spec.kind == "elementwise" and spec.kinks(**spec.defaults):
            assert spec.kink_note, spec.name
