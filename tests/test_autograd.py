"""The generic autograd Function: gradcheck/gradgradcheck in float64 for every activation and
every parameter, one saved tensor, analytic derivatives consistent with the forward."""

from __future__ import annotations

import pytest
import torch
from conftest import COMPOSITE, ELEMENTWISE, param_tensors, points

import actlab
from actlab.functional import apply
from actlab.fused import dispatch


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
    # torch's PReLU, where the route hands it the whole call, also saves its one-element weight
    big = [t for t in saved if t.numel() > 1]
    assert len(big) == 1 and big[0].shape == x.shape and big[0].dtype == x.dtype
    assert len(saved) == 1 or dispatch.serves_whole(actlab.get_spec(name), x.numel())
    # the input, or the output where f' is a function of it (ReLU); torch's own op, where the
    # route hands it the whole call, saves what it saves (exp: its output)
    kept = y if actlab.get_spec(name).derivative_from_output else x
    if actlab.fused.route(name).native_autograd:
        assert saved[0].data_ptr() in (x.data_ptr(), y.data_ptr())
    else:
        assert saved[0].data_ptr() == kept.data_ptr()


FROM_OUTPUT = [n for n in ELEMENTWISE if actlab.get_spec(n).derivative_from_output]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("name", FROM_OUTPUT)
def test_derivative_from_output_equals_the_derivative_everywhere(name, dtype):
    spec = actlab.get_spec(name)
    special = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-30, -1e-30]
    kinks = [k + d for k in spec.kinks(**spec.defaults) for d in (-1e-3, 0.0, 1e-3)]
    x = torch.cat([points(spec, n=200), torch.tensor(special + kinks, dtype=torch.float64)]).to(dtype)
    y = getattr(actlab.functional, name)(x)
    torch.testing.assert_close(spec.derivative_from_output(y), spec.derivative(x), rtol=0, atol=0,
                               equal_nan=True)
    xr = x.clone().requires_grad_()
    getattr(actlab.functional, name)(xr).backward(torch.ones_like(x))
    torch.testing.assert_close(xr.grad, _expected_grad(spec, x), rtol=0, atol=0, equal_nan=True)


def _expected_grad(spec, x: torch.Tensor) -> torch.Tensor:
    """f'(x) as a plain call's backward gives it: actlab's, except at NaN inputs where the call is
    torch's op with its own autograd (a measured route), whose convention applies there."""
    expected = spec.derivative(x, **spec.defaults)
    if not dispatch.serves_whole(spec, x.numel()):
        return expected
    xt = x.clone().requires_grad_()
    spec.native(xt, **spec.defaults).backward(torch.ones_like(x))
    return torch.where(x.isnan(), xt.grad, expected)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_at_a_nan_input_actlabs_own_path_gives_nan_and_a_native_call_torchs_gradient(name):
    # f' at NaN is a convention: actlab's own paths give NaN (the accuracy sweeps check f'' too);
    # where a measured route hands the whole call to torch's op, torch's gradient is the answer
    spec = actlab.get_spec(name)
    x = torch.tensor([float("nan"), 1.0], requires_grad=True)
    with actlab.fused.disabled():
        y = getattr(actlab.functional, name)(x)
        (own,) = torch.autograd.grad(y.sum(), x)
    assert y[0].isnan() and own[0].isnan(), (y, own)
    (routed,) = torch.autograd.grad(getattr(actlab.functional, name)(x).sum(), x)
    torch.testing.assert_close(routed[0], _expected_grad(spec, x.detach())[0], rtol=0, atol=0,
                               equal_nan=True)


def test_a_relu_mlp_keeps_as_many_tensors_for_backward_as_torch():
    # torch's ReLU saves its output, which the next Linear saves as its input: one tensor for
    # the pair. actlab's ReLU does the same (derivative_from_output), not input + output.
    def distinct_saved(act):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(16, 32), act, torch.nn.Linear(32, 32), act,
                                    torch.nn.Linear(32, 4))
        ptrs = set()
        with torch.autograd.graph.saved_tensors_hooks(lambda t: ptrs.add(t.data_ptr()) or t, lambda t: t):
            out = model(torch.randn(8, 16))
        out.sum().backward()
        return len(ptrs - {p.data_ptr() for p in model.parameters()})

    # the input and the two ReLU outputs (saving the input would add the two pre-activations)
    assert distinct_saved(actlab.nn.ReLU()) == distinct_saved(torch.nn.ReLU()) == 3


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


LEARNED = [s.name for s in actlab.specs() if s.kind == "elementwise" and any(p.learnable for p in s.params)]
FAR = [-1e4, -800.0, -50.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 3.0, 50.0, 800.0, 1e4]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", LEARNED)
def test_second_order_gradients_with_learned_parameters_are_finite_far_out(name, dtype):
    # the double backward differentiates both sides of every torch.where: an unused branch with
    # an inf (e^800) or an infinite slope (√0) there gave 0·inf = NaN (erfact at 1e4, acon_c at -1e4)
    spec = actlab.get_spec(name)
    x = torch.tensor(FAR, dtype=dtype, requires_grad=True)
    ps = [torch.tensor(float(p.default), dtype=dtype, requires_grad=True) for p in spec.params]
    y = getattr(actlab.functional, name)(x, **dict(zip(spec.param_names, ps)))
    grads = torch.autograd.grad(y.sum(), [x, *ps], create_graph=True, allow_unused=True)
    assert all(g is None or torch.isfinite(g).all() for g in grads)
    total = sum(g.sum() for g in grads if g is not None and g.requires_grad)
    second = torch.autograd.grad(total, [x, *ps], allow_unused=True)
    assert all(h is None or torch.isfinite(h).all() for h in second), second


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_double_backward_is_finite_far_out_where_the_second_derivative_is(name, dtype):
    # squareplus: b/(r - x) in the unused branch, r - x = 0 at x = 1e4 in float32: NaN
    spec = actlab.get_spec(name)
    x = torch.tensor(FAR, dtype=dtype, requires_grad=True)
    (g,) = torch.autograd.grad(apply(spec, x).sum(), x, create_graph=True)
    if not g.requires_grad:  # piecewise constant f': no second derivative recorded
        return
    (h,) = torch.autograd.grad(g.sum(), x)
    finite = torch.isfinite(actlab.get(name).second_derivative(x.detach().double()))
    assert torch.isfinite(h[finite]).all(), h


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
