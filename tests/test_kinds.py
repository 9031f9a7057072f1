"""Maxout, FReLU, Dynamic ReLU (DY-ReLU-B) and PAU: values against independent float64 references,
gradcheck/gradgradcheck, modules holding their weights, the shipped PAU fit, torch.compile
(fullgraph, first call), pickling, and shape/dim errors. Plus how the rest of actlab treats kinds."""

from __future__ import annotations

import io
import json

import mpmath
import numpy as np
import pytest
import torch
from torch import nn

import actlab
from actlab import pau
from actlab.conditioned import DynamicSpec, FunnelSpec, RationalSpec
from actlab.kinds import KindSpec, MaxoutSpec

F = actlab.functional
N = actlab.nn
NEW = ["maxout", "frelu", "dy_relu_b", "pau", "softmax", "log_softmax", "sparsemax"]


def test_each_is_its_own_spec_type():
    assert isinstance(actlab.get_spec("maxout"), MaxoutSpec)
    assert isinstance(actlab.get_spec("funnel_relu"), FunnelSpec)
    assert isinstance(actlab.get_spec("dynamic_relu"), DynamicSpec)
    assert isinstance(actlab.get_spec("pade_activation_unit"), RationalSpec)
    kinds = {actlab.get_spec(n).kind for n in NEW}
    assert kinds == {"maxout", "funnel", "dynamic", "rational", "normalizing"}
    for n in NEW:
        spec = actlab.get_spec(n)
        assert spec.citation in getattr(F, n).__doc__ and spec.formula in getattr(F, n).__doc__


# ------------------------------------------------------------------------------------------ Maxout
def test_maxout_values_and_gradients():
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    want = x.numpy().reshape(2, 2, 3, 3).max(axis=2)  # channels (0,1,2) and (3,4,5)
    np.testing.assert_array_equal(F.maxout(x, pieces=3, dim=1).numpy(), want)
    np.testing.assert_array_equal(N.Maxout(pieces=3, dim=1)(x).numpy(), want)
    assert F.maxout(x, dim=1).shape == (2, 3, 3) and F.maxout(torch.randn(4, 6)).shape == (4, 3)
    x.requires_grad_()
    assert torch.autograd.gradcheck(lambda t: F.maxout(t, pieces=2, dim=1), (x,))
    assert torch.autograd.gradgradcheck(lambda t: F.maxout(t, pieces=2, dim=1), (x,))


def test_maxout_errors():
    with pytest.raises(ValueError, match="divisible by 4; got 6"):
        F.maxout(torch.randn(2, 6), pieces=4)
    with pytest.raises(ValueError, match=r"option 'pieces' must be an int >= 1, got 2\.5"):
        F.maxout(torch.randn(2, 6), pieces=2.5)
    with pytest.raises(ValueError, match="dim=3 is not a dimension"):
        F.maxout(torch.randn(2, 6), dim=3)


# ----------------------------------------------------------------------------------------- FReLU
def _conv_reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Depthwise 3×3 cross-correlation with zero padding, by loops (float64)."""
    h, wd = x.shape[2:]
    pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            out += w[None, :, 0, i, j, None, None] * pad[:, :, i:i + h, j:j + wd]
    return out


def test_frelu_values_against_a_reference():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 4, generator=g, dtype=torch.float64)
    w = torch.randn(3, 1, 3, 3, generator=g, dtype=torch.float64)
    t = _conv_reference(x.numpy(), w.numpy())
    np.testing.assert_allclose(F.frelu(x, weight=w).numpy(), np.maximum(x.numpy(), t), rtol=1e-13, atol=1e-13)
    gamma, beta = torch.rand(3, dtype=torch.float64) + 0.5, torch.randn(3, dtype=torch.float64)
    mean, var = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    bn = (t - mean.numpy()[:, None, None]) / np.sqrt(var.numpy()[:, None, None] + 1e-5)
    bn = bn * gamma.numpy()[:, None, None] + beta.numpy()[:, None, None]
    got = F.frelu(x, weight=w, bn_weight=gamma, bn_bias=beta, running_mean=mean, running_var=var)
    np.testing.assert_allclose(got.numpy(), np.maximum(x.numpy(), bn), rtol=1e-12, atol=1e-12)


def test_frelu_module_holds_conv_and_batch_norm_like_torch():
    torch.manual_seed(0)
    m = N.FReLU(num_channels=4, dtype=torch.float64)
    assert {n for n, _ in m.named_parameters()} == {"weight", "bn_weight", "bn_bias"}
    assert {n for n, _ in m.named_buffers()} == {"running_mean", "running_var"}
    conv = nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False).double()
    bn = nn.BatchNorm2d(4).double()
    with torch.no_grad():
        conv.weight.copy_(m.weight)
    x = torch.randn(3, 4, 6, 6, dtype=torch.float64)
    for mode in (True, False):  # training: batch statistics, running ones updated; then eval
        m.train(mode), bn.train(mode)
        torch.testing.assert_close(m(x), torch.maximum(x, bn(conv(x))))
    torch.testing.assert_close(m.running_mean, bn.running_mean)
    torch.testing.assert_close(m.running_var, bn.running_var)


def test_frelu_kernel_size_is_a_module_option():
    torch.manual_seed(0)
    m = N.FReLU(num_channels=3, kernel_size=5, dtype=torch.float64)
    assert m.weight.shape == (3, 1, 5, 5)
    assert m.weight.abs().max() <= 1 / 5  # nn.Conv2d's bound 1/sqrt(fan_in), fan_in = 25
    conv = nn.Conv2d(3, 3, 5, padding=2, groups=3, bias=False).double()
    bn = nn.BatchNorm2d(3).double().eval()
    with torch.no_grad():
        conv.weight.copy_(m.weight)
    x = torch.randn(2, 3, 7, 7, dtype=torch.float64)
    torch.testing.assert_close(m.eval()(x), torch.maximum(x, bn(conv(x))))
    for bad in (4, 0, 2.0, True):
        with pytest.raises(ValueError, match="kernel_size' must be an odd int"):
            N.FReLU(num_channels=3, kernel_size=bad)


def test_frelu_gradcheck_and_errors():
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: F.frelu(a, weight=b), (x, w))
    assert torch.autograd.gradgradcheck(lambda a, b: F.frelu(a, weight=b), (x, w))
    with pytest.raises(TypeError, match=r"needs 'weight'.*actlab\.nn\.FReLU"):
        F.frelu(x)
    with pytest.raises(ValueError, match=r"takes images shaped \(N, C, H, W\), got a 3-d tensor"):
        F.frelu(x[0], weight=w)
    with pytest.raises(ValueError, match=r"needs \(2, 1, 3, 3\).*num_channels=2"):
        N.FReLU(num_channels=3, dtype=torch.float64)(x)
    with pytest.raises(TypeError, match="'weight' must be a float tensor"):
        F.frelu(x, weight=[1.0])
    with pytest.raises(TypeError, match=r"running statistics are float32 but a float64 input.*\.to\("):
        N.FReLU(num_channels=2)(x)
    for dtype in (torch.bfloat16, torch.float16):  # computed in float32, like the statistics
        assert N.FReLU(num_channels=2).train()(x.detach().to(dtype)).dtype == dtype


# ---------------------------------------------------------------------------------- Dynamic ReLU
def _dy_relu_reference(x, w1, b1, w2, b2, k, la=1.0, lb=0.5):
    """DY-ReLU-B from the paper's equations, in NumPy float64, channels along dim 1."""
    ctx = x.reshape(x.shape[0], x.shape[1], -1).mean(-1)
    hid = np.maximum(ctx @ w1.T + b1, 0)
    theta = 2 / (1 + np.exp(-(hid @ w2.T + b2))) - 1
    theta = theta.reshape(x.shape[0], x.shape[1], 2 * k)
    alpha = np.zeros(k)
    alpha[0] = 1
    a, b = alpha + la * theta[..., :k], lb * theta[..., k:]
    extra = (1,) * (x.ndim - 2)
    pieces = [x * a[..., i].reshape(*a.shape[:2], *extra) + b[..., i].reshape(*b.shape[:2], *extra)
              for i in range(k)]
    return np.max(pieces, axis=0)


@pytest.mark.parametrize("pieces", [2, 3])
def test_dy_relu_b_module_matches_the_paper_equations(pieces):
    torch.manual_seed(0)
    m = N.DyReLUB(num_channels=8, pieces=pieces, dtype=torch.float64)
    assert m.fc1_weight.shape == (2, 8) and m.fc2_weight.shape == (2 * pieces * 8, 2)
    x = torch.randn(3, 8, 4, 5, dtype=torch.float64)
    ws = [getattr(m, n).detach().numpy() for n in ("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias")]
    np.testing.assert_allclose(m(x).detach().numpy(), _dy_relu_reference(x.numpy(), *ws, pieces), rtol=1e-12)
    # channels last, as in a transformer's (N, L, C)
    xl = torch.randn(3, 7, 8, dtype=torch.float64)
    want = _dy_relu_reference(xl.movedim(-1, 1).numpy(), *ws, pieces)
    got = F.dy_relu_b(xl, **{n: getattr(m, n) for n in m.tensors}, pieces=pieces, dim=-1)
    np.testing.assert_allclose(got.detach().movedim(-1, 1).numpy(), want, rtol=1e-12)


def test_dy_relu_b_gradcheck_and_errors():
    torch.manual_seed(1)
    m = N.DyReLUB(num_channels=4, reduction=2, dtype=torch.float64)
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    weights = tuple(getattr(m, n) for n in m.tensors)

    def f(t, *ws):
        return F.dy_relu_b(t, **dict(zip(m.tensors, ws)))

    assert torch.autograd.gradcheck(f, (x, *weights))
    assert torch.autograd.gradgradcheck(f, (x, *weights))
    with pytest.raises(ValueError, match="needs a batch dim 0 and channels"):
        F.dy_relu_b(x, **dict(zip(m.tensors, weights)), dim=0)
    with pytest.raises(ValueError, match=r"'fc1_weight' has shape \(2, 4\).*needs \(2, 5\).*num_channels=5"):
        m(torch.randn(2, 5, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="option 'lambda_b' must be a finite number"):
        N.DyReLUB(num_channels=4, lambda_b=float("nan"))


# ------------------------------------------------------------------------------------------- PAU
def _pau_reference(x: float, num: list[float], den: list[float]) -> float:
    with mpmath.workdps(40):
        xm = mpmath.mpf(x)
        p = mpmath.fsum(mpmath.mpf(a) * xm ** j for j, a in enumerate(num))
        q = 1 + abs(mpmath.fsum(mpmath.mpf(b) * xm ** (k + 1) for k, b in enumerate(den)))
        return float(p / q)


@pytest.mark.parametrize("target", sorted(pau.TARGETS))
def test_pau_values_and_the_shipped_fit(target):
    num, den = pau.coefficients(target)
    assert len(num) == 6 and len(den) == 4
    x = torch.linspace(-3, 3, 241, dtype=torch.float64)
    got = F.pau(x, target=target)
    want = torch.tensor([_pau_reference(v, num, den) for v in x.tolist()], dtype=torch.float64)
    torch.testing.assert_close(got, want, rtol=1e-14, atol=1e-15)
    # the fit approximates its target on [-3, 3] as the data file says
    name, params = pau.TARGETS[target]
    recorded = json.loads(pau.DATA.read_text())["targets"][target]["max_abs_error"]
    err = (got - F.apply(name, x, params)).abs().max().item()
    assert err <= recorded * 1.01 + 1e-12 and recorded < {"relu": 0.05, "leaky_relu": 0.05, "gelu": 2e-3}.get(
        target, 1e-5)
    f32 = F.pau(x.float(), target=target)
    assert f32.dtype == torch.float32
    torch.testing.assert_close(f32.double(), want, rtol=4e-6, atol=4e-6)


def test_pau_fit_is_reproducible():
    fitted = pau.fit("sigmoid")
    num, den = pau.coefficients("sigmoid")
    np.testing.assert_allclose(fitted["numerator"], num, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fitted["denominator"], den, rtol=1e-6, atol=1e-9)


def test_pau_gradients_in_x_and_every_coefficient():
    num, den = (torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in pau.coefficients("gelu"))
    x = torch.tensor([-2.5, -1.0, -0.3, 0.2, 0.7, 1.9, 2.8], dtype=torch.float64, requires_grad=True)

    def f(t, a, b):
        return F.pau(t, numerator=a, denominator=b)

    assert torch.autograd.gradcheck(f, (x, num, den))
    assert torch.autograd.gradgradcheck(f, (x, num, den))
    tangents = (torch.randn_like(x), torch.randn_like(num), torch.randn_like(den))
    _, jt = torch.func.jvp(f, (x.detach(), num.detach(), den.detach()), tangents)
    jac = torch.autograd.functional.jacobian(f, (x.detach(), num.detach(), den.detach()))
    torch.testing.assert_close(jt, sum(j @ t for j, t in zip(jac, tangents)))


def test_pau_module_learns_its_coefficients():
    torch.manual_seed(0)
    m = N.PAU(target="leaky_relu", dtype=torch.float64)
    assert [n for n, _ in m.named_parameters()] == ["numerator", "denominator"]
    x = torch.linspace(-3, 3, 200, dtype=torch.float64)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    loss0 = None
    for _ in range(150):
        opt.zero_grad()
        loss = (m(x) - torch.tanh(x)).square().mean()
        loss0 = loss0 if loss0 is not None else loss.item()
        loss.backward()
        opt.step()
    assert loss.item() < loss0 / 10
    with pytest.raises(ValueError, match="option 'target' must be one of"):
        N.PAU(target="mish")
    with pytest.raises(ValueError, match="'numerator' has shape"):
        F.pau(x, numerator=torch.ones(2, 3, dtype=torch.float64))


# ----------------------------------------------------------------------------- all kinds together
def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 1), N.FReLU(num_channels=8), N.DyReLUB(num_channels=8), N.PAU(target="gelu"),
        N.Maxout(pieces=2, dim=1), nn.Flatten(), nn.Linear(4 * 16, 12), N.Sparsemax(), N.LogSoftmax(),
        N.Softmax(dim=-1),
    )


def test_torch_compile_fullgraph_on_the_first_call():
    torch._dynamo.reset()
    model = _model().train()
    x = torch.randn(2, 3, 4, 4)
    eager = _model().train()
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(x)  # no eager call before
    want = eager(x)
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-6)
    out.square().sum().backward()
    want.square().sum().backward()
    for (name, p), q in zip(model.named_parameters(), eager.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=name)
    torch.testing.assert_close(model[1].running_mean, eager[1].running_mean)


def test_models_with_kinds_pickle():
    model = _model().eval()
    with torch.no_grad():
        model[3].numerator.add_(0.1)  # a trained-looking value, so a load that drops it shows
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(loaded(x), model(x))
    state = model.state_dict()
    assert {"1.weight", "1.running_var", "2.fc2_bias", "3.numerator", "3.denominator"} <= set(state)
    fresh = _model().eval()
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh(x), model(x))


def test_the_rest_of_actlab_leaves_kinds_out_where_it_must():
    from actlab.fused import compile_kernels
    from actlab.numerics import accuracy

    assert not set(NEW) & set(accuracy.checked_names())
    built = compile_kernels(_model())  # the kinds run eager, without a crash; PAU has kernels
    assert all(not k for n, k in built.items() if n != "pau")
    assert built["pau"] == ["forward float32 m=5 n=4", "backward float32 m=5 n=4"]
    for n in NEW:
        spec = actlab.get_spec(n)
        assert isinstance(spec, KindSpec) and spec.kinks() == ()
        act = actlab.get(n)
        assert repr(act).startswith(f"Activation('{n}'")
        with pytest.raises(TypeError, match="not a function of one variable"):
            act.derivative(np.zeros(3))
