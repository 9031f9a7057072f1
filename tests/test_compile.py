"""actlab inside a user's torch.compile, torch.func and torch.export: compiled on the FIRST call
(no eager call before) with fullgraph=True for every module kind, compiled numbers within the
same ULP bounds as eager against the mpmath oracle, transforms equal to autograd."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest
import torch
from conftest import ELEMENTWISE, param_tensors, points

import actlab
from actlab import nn as anl
from actlab.functional import apply
from actlab.numerics import accuracy, reference


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _out_features(act: torch.nn.Module, width: int) -> int:
    kind, along_features = act.spec.kind, act.dim in (-1, 1)
    if not along_features:
        return width
    return width // 2 if kind == "gated" else width * 2 if kind == "concatenated" else width


MODULES = {
    "elementwise": lambda: anl.Activation("mish"),
    "parametric": lambda: anl.Activation("elu", alpha=0.7),
    "learnable scalar": lambda: anl.Activation("swish", learnable=True),
    "learnable per-channel": lambda: anl.Activation("prelu", num_channels=8),
    "several learnable": lambda: anl.Activation("xielu", learnable=True),
    "native-routed": lambda: anl.Activation("relu"),
    "gated": lambda: anl.Activation("swiglu"),
    "gated, other dim": lambda: anl.Activation("geglu", dim=0),
    "concatenated": lambda: anl.Activation("crelu"),
    "stochastic": lambda: anl.Activation("rrelu"),
}


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize("training", [False, True])
def test_compile_first_fullgraph_equals_eager(kind, training):
    from torch._inductor import config

    with config.patch(fallback_random=True):  # RReLU's slopes from eager's RNG, not inductor's
        _compare_compiled_with_eager(kind, training)


def _compare_compiled_with_eager(kind: str, training: bool) -> None:
    torch.manual_seed(0)
    act = MODULES[kind]()
    width = 8
    model = torch.nn.Sequential(torch.nn.Linear(8, width), act,
                                torch.nn.Linear(_out_features(act, width), 3)).train(training)
    x = torch.randn(6 if "other dim" in kind else 5, 8)
    compiled = torch.compile(model, fullgraph=True)  # first call: compiled, no eager call before
    torch.manual_seed(1)
    y = compiled(x)
    y.square().sum().backward()
    got = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    torch.manual_seed(1)
    y_eager = model(x)
    y_eager.square().sum().backward()
    torch.testing.assert_close(y, y_eager, rtol=1e-5, atol=1e-6)
    for g, p in zip(got, model.parameters()):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-6)


def _compiled_values(name: str, xs: np.ndarray, dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray]:
    f = torch.compile(getattr(actlab.functional, name), fullgraph=True)
    x = torch.tensor(xs, dtype=torch.float64).to(dtype).requires_grad_(True)
    y = f(x)
    (dy,) = torch.autograd.grad(y, x, torch.ones_like(y))
    return y.detach().double().numpy(), dy.double().numpy()


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_user_compile_keeps_the_ulp_bounds_in_float32(name):
    # What inductor makes of the activation in a user's compiled graph, f and f' on the float32
    # accuracy grid, against the oracle; those whose ops inductor lowers inexactly enter the
    # graph as actlab's opaque op (routes.json "opaque"), the others as fused torch ops.
    spec = actlab.get_spec(name)
    dtype, params = torch.float32, spec.defaults
    xs = accuracy.grid(dtype, spec.kinks(**params))
    f, df = _compiled_values(name, xs, dtype)
    kinks = np.array(spec.kinks(**params), dtype=np.float64)
    failures = []
    for q, values in (("f", f), ("df", df)):
        key, dkey = reference.quantities(spec)[q]
        keep = np.ones_like(xs, bool) if q == "f" else ~np.isin(xs, kinks)
        ref = reference.evaluate(name, key, xs, params)[keep]
        dref = reference.evaluate(name, dkey, xs, params)[keep]
        s = accuracy.score(xs[keep], values[keep], ref, dref, dtype)
        bound, _ = accuracy.bound_for(spec, q, "float32")
        if s.bad or (bound is not None and s.max_ulp > bound):
            failures.append(f"{q}: {s.max_ulp:.3g} ULP at x={s.at:.6g} (bound {bound}), "
                            f"non-finite at {s.bad_at}")
    assert not failures, f"compiled {name}: " + "; ".join(failures)


TRANSFORMS = ["grad", "vmap", "jacrev", "jacfwd", "jvp", "hessian", "forward_ad"]


def _transform(kind: str, f, x: torch.Tensor) -> torch.Tensor:
    func = torch.func
    if kind == "grad":
        return func.grad(lambda t: f(t).sum())(x)
    if kind == "vmap":
        return func.vmap(f)(x.reshape(5, -1)).reshape(-1)
    if kind == "jacrev":
        return func.jacrev(f)(x).diagonal()
    if kind == "jacfwd":
        return func.jacfwd(f)(x).diagonal()
    if kind == "jvp":
        return func.jvp(f, (x,), (torch.ones_like(x),))[1]
    if kind == "hessian":
        return func.hessian(lambda t: f(t).sum())(x).diagonal()
    import torch.autograd.forward_ad as fwad

    with fwad.dual_level():
        return fwad.unpack_dual(f(fwad.make_dual(x, torch.ones_like(x)))).tangent


def _by_autograd(kind: str, f, x: torch.Tensor) -> torch.Tensor:
    if kind == "vmap":
        return f(x)
    t = x.clone().requires_grad_(True)
    (d,) = torch.autograd.grad(f(t).sum(), t, create_graph=kind == "hessian")
    if kind == "hessian":
        (d,) = torch.autograd.grad(d.sum(), t)
    return d


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_torch_func_transforms_equal_autograd(name):
    spec = actlab.get_spec(name)
    x = points(spec, n=40)
    f = getattr(actlab.functional, name)
    for kind in TRANSFORMS:
        torch.testing.assert_close(_transform(kind, f, x), _by_autograd(kind, f, x),
                                   msg=lambda m, kind=kind: f"{name} {kind}: {m}")


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if actlab.get_spec(n).params])
def test_forward_mode_through_tensor_parameters(name):
    # jvp in θ: the tangent of f(x; θ) along θ' is θ' ∂f/∂θ, compared with reverse mode
    spec = actlab.get_spec(name)
    x = points(spec, n=20)
    thetas = param_tensors(spec, requires_grad=False)

    def f(*ps):
        return apply(spec, x, dict(zip(spec.param_names, ps)))

    tangents = tuple(torch.ones_like(t) for t in thetas)
    _, jvp_out = torch.func.jvp(f, tuple(thetas), tangents)
    ps = [t.clone().requires_grad_(True) for t in thetas]
    rows = torch.autograd.functional.jacobian(f, tuple(ps))
    expected = sum(r.reshape(x.shape) for r in rows)
    torch.testing.assert_close(jvp_out, expected)


def test_export_of_an_mlp_with_actlab_modules():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), anl.Activation("gelu"), torch.nn.Linear(8, 8),
                                anl.Activation("elu"), torch.nn.Linear(8, 2)).eval()
    x = torch.randn(3, 4)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_one_kernel_for_many_parameter_values():
    # Parameters are kernel inputs: 200 values of Swish's beta through one compiled forward
    # and one backward, whatever the values; neither the cache nor the process grows with them.
    from actlab import fused

    x = torch.randn(256, requires_grad=True)
    before = set(fused.kernels._KERNELS)
    rss = []
    with fused.forced():
        for i, beta in enumerate(np.linspace(0.1, 5.0, 200)):
            y = actlab.functional.swish(x, beta=float(beta))
            y.sum().backward()
            expected = x.detach() * torch.sigmoid(float(beta) * x.detach())
            torch.testing.assert_close(y.detach(), expected)
            if i in (10, 199):  # after the first compile settled, and at the end
                gc.collect()
                rss.append(_rss_bytes())
    assert rss[1] - rss[0] < 8 << 20, f"RSS grew {(rss[1] - rss[0]) / 2**20:.1f} MB over 190 values"
    new = set(fused.kernels._KERNELS) - before
    assert {k for k in new if k[0] == "swish"} <= {("swish", "forward", torch.float32, "cpu"),
                                                     ("swish", "backward", torch.float32, "cpu")}
    assert all(fused.kernels._KERNELS[k] is not None for k in new), "a kernel failed to compile"
    assert len(fused.kernels._PARAMS) <= 4 * fused.kernels.MAX_KERNELS


def test_kernel_cache_is_bounded(monkeypatch):
    from actlab import fused

    monkeypatch.setattr(fused.kernels, "MAX_KERNELS", 2)
    monkeypatch.setattr(fused.kernels, "_KERNELS", type(fused.kernels._KERNELS)())  # stand-ins stay here
    monkeypatch.setattr(fused.kernels, "_build", lambda spec, d, dt, dev: (lambda *a: a[0]))
    for name in ("mish", "silu", "gelu", "elu"):
        fused.kernels.get(actlab.get_spec(name), "forward", torch.float64, torch.device("cpu"))
        assert len(fused.kernels._KERNELS) <= 2
    assert ("elu", "forward", torch.float64, "cpu") in fused.kernels._KERNELS


def test_gated_kernel_serves_every_rank_and_dim():
    from actlab import fused

    with fused.forced():
        for shape, dim in (((4, 6), -1), ((3, 4, 6), 1), ((2, 4, 6, 2), 2), ((6, 5), 0)):
            x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
            y = actlab.functional.swiglu(x, dim=dim)
            a, b = x.detach().chunk(2, dim=dim)
            torch.testing.assert_close(y, a * torch.nn.functional.silu(b))
            y.sum().backward()
    keys = [k for k in fused.kernels._KERNELS if k[0] == "silu" and k[2] == torch.float64]
    assert sorted(k[1] for k in keys) == ["gated_backward", "gated_forward"]
