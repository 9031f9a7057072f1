"""Every routed compiled kernel against the oracle, in every dtype, on the accuracy grids.

The routes (``routes.json``) send activations to compiled kernels at sizes above the accuracy
grids, so tests/test_accuracy.py never sees those kernels. Here they are forced: per direction
and dtype one compilation of every routed kernel (:func:`actlab.fused.kernels.batch`), f from
the forward kernels and f' from the backward kernels (incoming gradient 1), each held to the
same ULP bounds as the eager path.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import actlab
from actlab.fused import kernels, routes
from actlab.numerics import accuracy, reference

CPU = torch.device("cpu")


def _routed(direction: str) -> list[str]:
    """Every activation some table (any ISA, any dtype's routes) sends to a compiled ``direction``
    kernel."""
    names = set()
    for t in routes._data()["tables"]:
        entries = [*t["routes"].items(), *(e for own in t.get("by_dtype", {}).values() for e in own.items())]
        for name, way in entries:
            r = routes._route(way)
            if (direction == "forward" and "fused" in (r.small, r.forward, r.inference)) or (
                    direction == "backward" and r.backward == "fused"):
                names.add(name)
    return sorted(names)


def _cases(spec, dtype_name: str, quantity: str):
    for _, q, xs, key, dkey in accuracy.plan(spec, (dtype_name,), "full"):
        if q == quantity:
            if q != "f":  # a derivative exactly at a kink is a convention, tested on its own
                xs = xs[~np.isin(xs, np.array(spec.kinks(**spec.defaults), dtype=np.float64))]
            return xs, key, dkey
    return None


@pytest.mark.parametrize("dtype_name", list(accuracy.DTYPES))
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_every_routed_kernel_is_within_the_ulp_bounds(direction, dtype_name):
    dtype = accuracy.DTYPES[dtype_name]
    quantity = "f" if direction == "forward" else "df"
    specs, cases, inputs = [], [], []
    for name in _routed(direction):
        spec = actlab.get_spec(name)
        case = _cases(spec, dtype_name, quantity)
        if case is None:
            continue
        x = torch.tensor(case[0], dtype=torch.float64).to(dtype)
        if direction == "forward":
            inputs.append((x,))
        else:  # the Function saves y = f(x) for an f' written in terms of it (ReLU)
            saved = actlab.functional.apply(spec, x) if spec.derivative_from_output else x
            inputs.append((saved.detach(), torch.ones_like(x)))
        specs.append(spec)
        cases.append(case)
    assert specs, "no routed kernels"
    outputs = kernels.batch(specs, direction, dtype, CPU)(inputs)
    failures = []
    for spec, (xs, key, dkey), out in zip(specs, cases, outputs):
        ref = reference.evaluate(spec.name, key, xs, spec.defaults)
        dref = reference.evaluate(spec.name, dkey, xs, spec.defaults)
        s = accuracy.score(xs, out.to(torch.float64).numpy(), ref, dref, dtype)
        bound, _ = accuracy.bound_for(spec, quantity, dtype_name)
        if s.bad or (bound is not None and s.max_ulp > bound):
            failures.append(f"{spec.name}: {s.max_ulp:.3g} ULP at x={s.at:.6g} (bound {bound}), "
                            f"non-finite at {s.bad_at[:3]}")
    assert not failures, f"{direction} {dtype_name}:\n" + "\n".join(failures)


def test_a_batch_kernel_computes_what_the_single_kernel_does():
    specs = [actlab.get_spec(n) for n in ("mish", "elu")]
    x = torch.linspace(-30, 30, 5001)
    outs = kernels.batch(specs, "forward", torch.float32, CPU)([(x,), (x,)])
    for spec, out in zip(specs, outs):
        single = kernels.get(spec, "forward", torch.float32, CPU)
        params = kernels.param_tensors(tuple(spec.defaults.values()), x.dtype, CPU)
        assert torch.equal(out, single(x, *params))


@pytest.mark.parametrize("name", sorted(kernels.PRECISE_TRIG))
def test_the_precise_sin_cos_list_holds_only_activations_that_need_it(name, monkeypatch):
    # with inductor's own 3.5-ULP float32 sin/cos, these kernels' f' misses its bound; the
    # kernels served (compiled with SLEEF's 1-ULP versions) are held to the bounds above
    spec = actlab.get_spec(name)
    xs, key, dkey = _cases(spec, "float32", "df")
    x = torch.tensor(xs, dtype=torch.float32)
    params = kernels.param_tensors(tuple(spec.defaults.values()), torch.float32, CPU)
    bound, _ = accuracy.bound_for(spec, "df", "float32")
    ref = reference.evaluate(spec.name, key, xs, spec.defaults)
    dref = reference.evaluate(spec.name, dkey, xs, spec.defaults)
    ulps = {}
    for precise in (False, True):
        monkeypatch.setattr(kernels, "PRECISE_TRIG", frozenset({name} if precise else ()))
        out = kernels._build(spec, "backward", torch.float32, CPU)(x, torch.ones_like(x), *params)
        ulps[precise] = accuracy.score(xs, out.to(torch.float64).numpy(), ref, dref, torch.float32).max_ulp
    assert ulps[False] > bound >= ulps[True], ulps
