"""The normalising kind (softmax, log_softmax, sparsemax): values against an mpmath reference,
stability, analytic backward and jvp, transforms, dims and errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch

import actlab
from actlab.kinds import NormalizingSpec

NAMES = ["softmax", "log_softmax", "sparsemax"]
F = actlab.functional


def _reference(name: str, x: torch.Tensor, dim: int) -> np.ndarray:
    """The spec's mpmath reference at 50 digits, row by row along ``dim``, rounded once."""
    spec = actlab.get_spec(name)
    rows = x.detach().double().movedim(dim, -1).reshape(-1, x.shape[dim])
    out = np.empty(tuple(rows.shape))
    with mpmath.workdps(50):
        for i, row in enumerate(rows.tolist()):
            out[i] = [float(v) for v in spec.reference([mpmath.mpf(v) for v in row])]
    shape = x.movedim(dim, -1).shape
    return np.moveaxis(out.reshape(shape), -1, dim)


def _inputs() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn(5, 9, generator=g, dtype=torch.float64) * 3,
        torch.tensor([[1e4, 0.0, -1e4, 1e4 - 1], [-300.0, -301.0, -299.5, -1e3]], dtype=torch.float64),
        torch.tensor([[0.0, 0.0, 0.0], [1e-8, -1e-8, 0.5]], dtype=torch.float64),
        torch.tensor([[50.0, 49.0, -50.0, 0.25, 0.5]], dtype=torch.float64),
    ]


def test_entries_are_normalizing_specs():
    for name in NAMES:
        spec = actlab.get_spec(name)
        assert isinstance(spec, NormalizingSpec) and spec.kind == "normalizing" and spec.base_name is None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dim", [-1, 0])
def test_float64_values_match_the_mpmath_reference(name, dim):
    for x in _inputs():
        got = getattr(F, name)(x, dim=dim).numpy()
        want = _reference(name, x, dim)
        assert np.isfinite(got).all()
        # a few ULPs of the larger of the value and (log_softmax) its terms
        scale = np.maximum(np.abs(want), 1.0 if name == "log_softmax" else 0.0)
        err = np.abs(got - want) / np.maximum(scale * np.finfo(np.float64).eps, np.finfo(np.float64).tiny)
        assert err.max() <= 16, (name, x, got, want)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_lower_precision_is_rounded_from_float32(name, dtype):
    x = _inputs()[0]
    got = getattr(F, name)(x.to(dtype)).double().numpy()
    want = _reference(name, x.to(dtype), -1)
    eps = torch.finfo(dtype).eps
    assert getattr(F, name)(x.to(dtype)).dtype == dtype
    np.testing.assert_allclose(got, want, rtol=4 * eps, atol=4 * eps * (1 if name != "log_softmax" else 8))


def test_stability_where_the_textbook_forms_overflow():
    x = torch.tensor([1e4, 0.0, -1e4])
    assert F.softmax(x).tolist() == [1.0, 0.0, 0.0]
    assert F.log_softmax(x).tolist() == [0.0, -1e4, -2e4]  # log(softmax) would give -inf
    assert F.sparsemax(x).tolist() == [1.0, 0.0, 0.0]
    y = F.sparsemax(torch.tensor([0.5, 0.4, -3.0]))
    torch.testing.assert_close(y, torch.tensor([0.55, 0.45, 0.0]))  # exact zeros, sums to 1


def test_softmax_is_torch_own_op_where_it_is_accurate():
    x = torch.randn(4, 33)
    assert torch.equal(F.softmax(x, dim=0), torch.softmax(x, 0))
    assert torch.equal(F.log_softmax(x), torch.log_softmax(x, -1))
    assert torch.equal(actlab.nn.Softmax(dim=1)(x), torch.nn.Softmax(dim=1)(x))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gradcheck_and_gradgradcheck(name, dim):
    x = (torch.randn(3, 4, 5, dtype=torch.float64) * 2).requires_grad_()
    f = lambda t: getattr(F, name)(t, dim=dim)
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("name", NAMES)
def test_backward_saves_only_the_output(name):
    saved = []
    x = torch.randn(4, 7, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = getattr(F, name)(x)
    y.square().sum().backward()
    assert len(saved) == 1 and saved[0].data_ptr() == y.data_ptr()


@pytest.mark.parametrize("name", NAMES)
def test_analytic_jvp_and_torch_func(name):
    f = getattr(F, name)
    x = torch.randn(3, 6, dtype=torch.float64)
    t = torch.randn_like(x)
    jac = torch.autograd.functional.jacobian(f, x)  # reverse mode, the analytic vjp
    _, jt = torch.func.jvp(f, (x,), (t,))
    torch.testing.assert_close(jt, torch.einsum("abcd,cd->ab", jac, t))
    with torch.autograd.forward_ad.dual_level():
        out = torch.autograd.forward_ad.unpack_dual(f(torch.autograd.forward_ad.make_dual(x, t))).tangent
    torch.testing.assert_close(out, jt)
    torch.testing.assert_close(torch.func.jacfwd(f)(x), jac)
    torch.testing.assert_close(torch.func.vmap(f)(x), f(x))
    torch.testing.assert_close(torch.func.vmap(lambda r: f(r, dim=0))(x), f(x))


@pytest.mark.parametrize("name", NAMES)
def test_bad_dims_are_refused_with_the_range(name):
    with pytest.raises(ValueError, match=r"dim=2 is not a dimension of a 2-d tensor \(dims -2..1\)"):
        getattr(F, name)(torch.randn(3, 4), dim=2)
    with pytest.raises(ValueError, match="0-d tensor"):
        getattr(F, name)(torch.tensor(1.0))
    with pytest.raises(TypeError, match="dtype int64"):
        getattr(F, name)(torch.ones(3, dtype=torch.int64))


def test_numpy_in_numpy_out_and_modules():
    x = np.random.default_rng(0).normal(size=(2, 5))
    np.testing.assert_allclose(F.softmax(x).sum(-1), 1.0)
    m = actlab.nn.Sparsemax(dim=0)
    assert "dim=0" in repr(m) and list(m.parameters()) == []
    with pytest.raises(ValueError, match="inplace=True is impossible"):
        actlab.nn.Activation("softmax", inplace=True)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'inplace'"):
        actlab.nn.Softmax(inplace=True)
    with pytest.raises(TypeError, match="not a function of one variable"):
        actlab.get("softmax").derivative(np.zeros(3))
