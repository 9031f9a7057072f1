"""The generic autograd Function: gradcheck/gradgradcheck in float64 for every activation and
every parameter, one saved tensor, analytic derivatives consistent with the forward."""

from __future__ import annotations

import pytest
import torch
from conftest import COMPOSITE, ELEMENTWISE, param_tensors, points

import actlab
from actlab.functional import apply


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gradcheck_and_gradgradcheck_float64(name):
    spec = actlab.get_spec(name)
    x = points(spec).requires_grad_()
    ps = param_tensors(spec)

    def f(x, *ps):
        return apply(spec, x, dict(zip(spec.param_names, ps)))

    assert torch.autograd.gradcheck(f, (x, *ps))
    assert torch.autograd.gradgradcheck(f, (x, *ps))


@pytest.mark.parametrize("name", COMPOSITE)
def test_composite_gradcheck(name):
    x = (torch.randn(3, 8, dtype=torch.float64) * 2 + 0.05).requires_grad_()
    f = getattr(actlab.functional, name)
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_saves_exactly_one_tensor_the_size_of_the_input(name):
    saved = []

    def pack(t):
        saved.append(t)
        return t

    x = torch.randn(4, 33, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = getattr(actlab.functional, name)(x)
    y.sum().backward()
    assert len(saved) == 1 and saved[0].shape == x.shape and saved[0].dtype == x.dtype


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_analytic_derivatives_agree_with_autograd_of_the_forward(name):
    # the spec's f' and df/dθ against autograd through its own torch forward (off kinks)
    spec = actlab.get_spec(name)
    x = points(spec, n=64, scale=1.5).requires_grad_()
    ps = param_tensors(spec)
    y = spec.forward(x, **dict(zip(spec.param_names, ps)))
    grads = torch.autograd.grad(y.sum(), [x, *ps], allow_unused=True)
    params = {p.name: p.default for p in spec.params}
    torch.testing.assert_close(grads[0], spec.derivative(x.detach(), **params), rtol=1e-9, atol=1e-12)
    for p, g in zip(spec.params, grads[1:]):
        mine = torch.as_tensor(spec.param_grads[p.name](x.detach(), **params), dtype=torch.float64)
        got = torch.zeros((), dtype=torch.float64) if g is None else g
        torch.testing.assert_close(got, mine.sum(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_double_backward_equals_second_derivative(name):
    spec = actlab.get_spec(name)
    x = points(spec, n=32).requires_grad_()
    (g,) = torch.autograd.grad(apply(spec, x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    torch.testing.assert_close(h, actlab.get(name).second_derivative(x.detach()), rtol=1e-8, atol=1e-12)


def test_per_channel_parameter_gradient_is_reduced_to_its_shape():
    m = actlab.nn.PReLU(num_channels=3)
    x = torch.randn(2, 3, 4, 4)
    m(x).sum().backward()
    manual = torch.where(x > 0, 0.0, x).sum(dim=(0, 2, 3))
    torch.testing.assert_close(m.slope.grad, manual)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_forward_and_backward(dtype):
    x = torch.linspace(-4, 4, 101, dtype=dtype, requires_grad=True)
    y = actlab.functional.mish(x)
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    ref = actlab.functional.mish(x.detach().float())
    torch.testing.assert_close(y.float(), ref.to(dtype).float(), rtol=0, atol=0)
