"""actlab.fused.rational: PAU's compiled kernels (forward P/Q; backward g·f'(x) and every
coefficient's sum in one pass) agree with an independent float64 formula (NumPy, plain powers)
and with actlab's eager path, in every dtype, for the default and other degrees; they serve
only where they may (contiguous x, mode not "off", no double backward, not under torch.func),
and ``compile_kernels(model)`` builds them. One xdist group: the kernels compile once."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import actlab
from actlab import fused, pau
from actlab.fused import rational

pytestmark = pytest.mark.xdist_group("fused_pau")

F = actlab.functional
HALF = (torch.bfloat16, torch.float16)


def _coefficients(m: int, n: int, dtype: torch.dtype, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The gelu fit (degrees 5/4) perturbed, not the default values; other degrees random."""
    g = torch.Generator().manual_seed(seed)
    if (m, n) == (5, 4):
        a, b = (torch.tensor(c, dtype=torch.float64) for c in pau.coefficients("gelu"))
        a = a * (1 + 0.1 * torch.rand(6, generator=g, dtype=torch.float64))
        b = b * (1 + 0.1 * torch.rand(4, generator=g, dtype=torch.float64))
    else:
        a = torch.randn(m + 1, generator=g, dtype=torch.float64) / torch.arange(1, m + 2)
        b = torch.randn(n, generator=g, dtype=torch.float64) / torch.arange(1, n + 1)
    return a.to(dtype), b.to(dtype)


def _reference(x: np.ndarray, g: np.ndarray, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """f, g·f', Σ g·∂f/∂a_j, Σ g·∂f/∂b_k in float64 from plain powers (not Horner, not actlab),
    and the scale of each (the same sums of absolute values): a float result's error is a few
    of its dtype's epsilons times that scale (cancellation in P or in a sum makes the value
    small, not the error)."""
    m, n = len(a) - 1, len(b)
    pw = np.stack([x ** j for j in range(max(m, n) + 1)])  # (max + 1, N)
    j, k = np.arange(m + 1)[:, None], np.arange(1, n + 1)[:, None]
    p, p_abs = (a[:, None] * pw[: m + 1]).sum(0), (np.abs(a[:, None] * pw[: m + 1])).sum(0)
    dp_abs = np.abs(j[1:] * a[1:, None] * pw[:m]).sum(0)
    dp = (j[1:] * a[1:, None] * pw[:m]).sum(0)
    big_a = (b[:, None] * pw[1: n + 1]).sum(0)
    a_abs = np.abs(b[:, None] * pw[1: n + 1]).sum(0)
    da = (k * b[:, None] * pw[:n]).sum(0)
    da_abs = np.abs(k * b[:, None] * pw[:n]).sum(0)
    q, s = 1 + np.abs(big_a), np.sign(big_a)
    grow = 1 + a_abs / q  # Q's own rounding, relative
    num_terms = g * pw[: m + 1] / q
    den_terms = -g * p * s * pw[1: n + 1] / q ** 2
    return {
        "y": p / q, "y_scale": p_abs / q * grow,
        "gx": g * (dp / q - p * s * da / q ** 2),
        "gx_scale": np.abs(g) * (dp_abs / q + p_abs * da_abs / q ** 2) * grow,
        "gn": num_terms.sum(1), "gn_scale": (np.abs(g) * np.abs(pw[: m + 1]) / q * grow).sum(1),
        "gd": den_terms.sum(1),
        "gd_scale": (np.abs(g) * p_abs * np.abs(pw[1: n + 1]) / q ** 2 * grow ** 2).sum(1),
    }


def _run(x: torch.Tensor, g: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
    xr, ar, br = (t.detach().clone().requires_grad_() for t in (x, a, b))
    y = F.pau(xr, numerator=ar, denominator=br)
    y.backward(g)
    return [y.detach(), xr.grad, ar.grad, br.grad]


def _check(got: list[torch.Tensor], ref: dict[str, np.ndarray], x_dtype: torch.dtype,
           c_dtype: torch.dtype, terms: int) -> None:
    """Each result within ``c·eps·scale`` of the float64 truth, eps the compute dtype's (half
    types compute in float32), plus the final rounding to the result's own dtype (half x:
    0.5 ULP of the value, or half a subnormal step)."""
    eps = torch.finfo(torch.float32 if x_dtype in HALF else x_dtype).eps
    c = 4 * terms  # a Horner step or a sum's addend: about one rounding each
    for t, key in zip(got, ("y", "gx", "gn", "gd")):
        want, scale = ref[key], ref[key + "_scale"]
        out = torch.finfo(t.dtype)
        out_eps, out_tiny = (out.eps, out.smallest_normal * out.eps) if t.dtype in HALF else (0.0, 0.0)
        err = np.abs(t.double().numpy().reshape(want.shape) - want)
        bound = c * eps * scale + out_eps * np.abs(want) + out_tiny + 1e-300
        assert (err <= bound).all(), (key, float((err / bound).max()))
    assert got[2].dtype == got[3].dtype == c_dtype and got[0].dtype == got[1].dtype == x_dtype


@pytest.mark.parametrize("shape", [(4001,), (3, 5, 67), (7,)])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16, torch.float16])
def test_fused_forward_and_backward_match_the_reference_and_the_eager_path(dtype, shape):
    c_dtype = torch.float64 if dtype == torch.float64 else torch.float32  # as a module's coefficients
    a, b = _coefficients(5, 4, c_dtype)
    gen = torch.Generator().manual_seed(sum(shape))
    x = (torch.randn(shape, generator=gen, dtype=torch.float64) * 2.5).to(dtype)
    g = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
    fused.reset()
    with fused.forced():
        got = _run(x, g, a, b)
    assert fused.stats() == {("pau", "forward", "fused"): 1, ("pau", "backward", "fused"): 1}
    with fused.disabled():
        eager = _run(x, g, a, b)
    assert fused.stats() == {("pau", "forward", "fused"): 1, ("pau", "backward", "fused"): 1}
    ref = _reference(x.double().flatten().numpy(), g.double().flatten().numpy(), a.double().numpy(),
                     b.double().numpy())
    _check(got, ref, dtype, c_dtype, terms=10)
    _check(eager, ref, dtype, c_dtype, terms=10)  # the bound is one the eager path meets too
    if dtype == torch.float64:  # the same maths: equal to the eager path to ~1e-12 relative
        for f, e, key in zip(got, eager, ("y", "gx", "gn", "gd")):
            scale = torch.as_tensor(ref[key + "_scale"]).reshape(e.shape)
            assert ((f - e).abs() <= 1e-12 * scale).all(), key


@pytest.mark.parametrize("m, n, dtype", [(3, 2, torch.float64), (3, 2, torch.float32), (7, 1, torch.float64),
                                         (0, 3, torch.float64)])
def test_other_degrees(m, n, dtype):
    a, b = _coefficients(m, n, dtype, seed=m + n)
    gen = torch.Generator().manual_seed(5)
    x = (torch.randn(2, 1001, generator=gen, dtype=torch.float64) * 2).to(dtype)
    g = torch.randn(2, 1001, generator=gen, dtype=torch.float64).to(dtype)
    fused.reset()
    with fused.forced():
        got = _run(x, g, a, b)
    assert fused.stats()[("pau", "backward", "fused")] == 1
    assert rational.compiled("backward", m, n, dtype, "cpu") is not None
    ref = _reference(x.double().flatten().numpy(), g.double().flatten().numpy(), a.double().numpy(),
                     b.double().numpy())
    _check(got, ref, dtype, dtype, terms=2 * (m + n) + 2)
    assert got[2].shape == (m + 1,) and got[3].shape == (n,)


def test_non_contiguous_input_and_the_off_mode_take_the_eager_path():
    a, b = _coefficients(5, 4, torch.float64)
    x = torch.randn(40, 30, dtype=torch.float64).t()  # not contiguous
    g = torch.randn(30, 40, dtype=torch.float64)
    ref = _reference(x.contiguous().flatten().numpy(), g.flatten().numpy(), a.numpy(), b.numpy())
    fused.reset()
    with fused.forced():
        got = _run(x, g, a, b)
    assert fused.stats() == {}
    _check(got, ref, torch.float64, torch.float64, terms=10)
    with fused.disabled():
        _run(x.contiguous(), g, a, b)
        with torch.no_grad():
            F.pau(x.contiguous(), numerator=a, denominator=b)
    assert fused.stats() == {}


def test_double_backward_and_torch_func_take_the_eager_path():
    a, b = (t.requires_grad_() for t in _coefficients(5, 4, torch.float64))
    x = torch.tensor([-2.5, -1.0, -0.3, 0.1, 0.2, 0.7, 1.9, 2.8], dtype=torch.float64, requires_grad=True)

    def f(t, p, q):
        return F.pau(t, numerator=p, denominator=q)

    fused.reset()
    with fused.forced():
        assert torch.autograd.gradcheck(f, (x, a, b))  # first-order backward: the kernel
        assert fused.stats()[("pau", "backward", "fused")] > 0
        fused.reset()
        (gx,) = torch.autograd.grad(f(x, a, b).sum(), x, create_graph=True)
        assert ("pau", "backward", "fused") not in fused.stats()  # a graph is built: eager
        assert torch.autograd.gradgradcheck(f, (x, a, b))
        fused.reset()
        xs = x.detach().reshape(4, 2)
        batched = torch.func.vmap(lambda t: f(t, a.detach(), b.detach()))(xs)
        assert fused.stats() == {}  # vmap: the eager Function's forward on batched tensors
        _, tangent = torch.func.jvp(lambda t: f(t, a.detach(), b.detach()), (x.detach(),),
                                    (torch.ones_like(x),))
        # jvp: the Function's own analytic jvp (its forward sees the unwrapped tensors, and may
        # take the kernel, as the generic Functions' forward does); never a fused backward
        assert ("pau", "backward", "fused") not in fused.stats()
    torch.testing.assert_close(batched.flatten(), f(x, a, b).detach(), rtol=1e-15, atol=0)
    torch.testing.assert_close(tangent, gx.detach(), rtol=1e-13, atol=1e-15)


def test_auto_mode_serves_only_kernels_compile_kernels_built():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16, dtype=torch.float64),
                                actlab.nn.PAU(target="tanh", dtype=torch.float64))
    model[1].numerator = torch.nn.Parameter(torch.tensor([0.1, 1.0, 0.05], dtype=torch.float64))  # m = 2
    model[1].denominator = torch.nn.Parameter(torch.tensor([0.2, 0.1, 0.3], dtype=torch.float64))  # n = 3
    x = torch.randn(33, 8, dtype=torch.float64)
    rational.clear()
    fused.reset()
    with fused.configured(mode="auto", min_numel=2):
        model(x).sum().backward()
        assert fused.stats() == {}  # nothing compiled, nothing compiles during a call
        expected = [p.grad.clone() for p in model.parameters()]
        model.zero_grad()
        assert fused.compile_kernels(model, dtypes=(torch.float64,)) == {
            "pau": ["forward float64 m=2 n=3", "backward float64 m=2 n=3"]}
        model(x).sum().backward()
    assert fused.stats() == {("pau", "forward", "fused"): 1, ("pau", "backward", "fused"): 1}
    for p, want in zip(model.parameters(), expected):
        torch.testing.assert_close(p.grad, want, rtol=1e-12, atol=1e-14)
    assert fused.compile_kernels(torch.nn.Sequential(torch.nn.ReLU())) == {}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_at_a_root_of_the_denominator_sum_the_derivative_of_its_absolute_value_is_zero(dtype):
    a, b = _coefficients(5, 4, dtype)
    x = torch.tensor([0.0, -0.0, 0.0, 1.5], dtype=dtype)  # A(0) = 0: torch.sign(0) = 0, as eagerly
    g = torch.tensor([1.0, -2.0, 0.5, 1.0], dtype=dtype)
    fused.reset()
    with fused.forced():
        got = _run(x, g, a, b)
    assert fused.stats()[("pau", "backward", "fused")] == 1
    ref = _reference(x.double().numpy(), g.double().numpy(), a.double().numpy(), b.double().numpy())
    _check(got, ref, dtype, dtype, terms=10)
    assert got[1][0].item() == pytest.approx(a[1].item(), rel=4 * torch.finfo(dtype).eps)  # g·P'(0)/1


def test_a_kernel_that_cannot_compile_is_remembered_and_the_eager_path_serves(monkeypatch, caplog):
    calls = []

    def broken(*args):
        calls.append(args)
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(rational, "_build", broken)
    a, b = _coefficients(6, 5, torch.float64)  # degrees no other test compiles
    x = torch.randn(3, 11, dtype=torch.float64)
    g = torch.randn(3, 11, dtype=torch.float64)
    ref = _reference(x.flatten().numpy(), g.flatten().numpy(), a.numpy(), b.numpy())
    fused.reset()
    with fused.forced(), caplog.at_level("WARNING", logger="actlab.fused"):
        for _ in range(2):
            _check(_run(x, g, a, b), ref, torch.float64, torch.float64, terms=24)
    assert fused.stats() == {} and len(calls) == 2  # forward and backward tried once each
    assert sum("could not be compiled" in r.getMessage() for r in caplog.records) == 2
    assert rational.compiled("forward", 6, 5, torch.float64, "cpu") is None
    for direction in rational.DIRECTIONS:  # let a later caller in this process try again
        rational._KERNELS.pop((direction, 6, 5, torch.float64, "cpu"))
