"""actlab.fused: the compiled forward/backward kernels agree with the eager path and with
independent float64 formulas, they save one tensor, double backward still works, the switches
work, and small tensors never compile. Compiles exactly two kernels (Mish forward and backward,
float32), all in one xdist group so that they are compiled once."""

from __future__ import annotations

import math
import platform

import numpy as np
import pytest
import torch
from conftest import ELEMENTWISE

import actlab
from actlab import fused, get_spec
from actlab.bench import kernels as kb

pytestmark = pytest.mark.xdist_group("fused")

EPS32 = torch.finfo(torch.float32).eps


def _x(n: int = 4001, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g, dtype=torch.float64) * 4


def _mish64(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # independent of actlab's stable forms: the paper's formula in float64 (accurate to ~1e-15
    # relative for |x| < 30, far below float32's 6e-8), f' = tanh(sp) + x sech²(sp) σ(x)
    sp = np.log1p(np.exp(x))
    t = np.tanh(sp)
    return x * t, t + x * (1 - t * t) / (1 + np.exp(-x))


def set_route(monkeypatch, name: str, way) -> None:
    """Route ``name`` ``way`` on CPU in every dtype: a call looks its dtype's table up (float32's
    and the 16-bit dtypes' own routes, where the table has them), not only the all-dtypes one."""
    for dtype in (None, *fused.routes.OWN.values()):
        monkeypatch.setitem(fused.routes.table("cpu", dtype), name, way)


@pytest.fixture
def mish_fused(monkeypatch):
    """Mish routed to compiled kernels at any size (>= 2 elements), compiled up front."""
    set_route(monkeypatch, "mish", fused.FUSED)
    fused.reset()
    with fused.configured(mode="auto", min_numel=2):
        assert fused.compile_kernels("mish") == {"mish": ["forward float32", "backward float32"]}
        yield


def test_fused_forward_and_backward_match_float64_formula_and_eager_path(mish_fused):
    x64 = _x()
    x = x64.float().requires_grad_()
    y = actlab.functional.mish(x)
    (gx,) = torch.autograd.grad(y, x, torch.ones_like(y))
    calls = fused.stats()
    assert calls[("mish", "forward", "fused")] == 1 and calls[("mish", "backward", "fused")] == 1

    f_ref, df_ref = _mish64(x.detach().double().numpy())
    # float32 results within 4 ULP-sized relative steps (actlab's float32 bound) of float64 truth
    scale_f = np.maximum(np.abs(f_ref), 1e-30)
    assert np.max(np.abs(y.detach().double().numpy() - f_ref) / scale_f) < 4 * EPS32 + 1e-30
    err_df = np.abs(gx.double().numpy() - df_ref) / np.maximum(np.abs(df_ref), 0.05)
    assert err_df.max() < 8 * EPS32  # near f'=0 (x = -1.19) relative to 0.05: absolute error

    with fused.disabled():
        xe = x.detach().clone().requires_grad_()
        ye = actlab.functional.mish(xe)
        (gxe,) = torch.autograd.grad(ye, xe, torch.ones_like(ye))
    assert fused.stats() == calls  # disabled: no fused call
    # same formula, different code (inductor's vectorised exp vs ATen's): a few ULPs apart
    torch.testing.assert_close(y, ye, rtol=4 * EPS32, atol=1e-30)
    torch.testing.assert_close(gx, gxe, rtol=8 * EPS32, atol=4 * EPS32)


def test_fused_path_saves_exactly_the_input(mish_fused):
    saved = []
    x = _x(300).float().reshape(3, 100).requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = actlab.functional.mish(x)
    y.sum().backward()  # grad is an expanded (non-contiguous) tensor of ones
    assert fused.stats()[("mish", "backward", "fused")] == 1
    assert len(saved) == 1 and saved[0].data_ptr() == x.data_ptr() and saved[0].shape == x.shape
    _, df_ref = _mish64(x.detach().double().numpy())
    np.testing.assert_allclose(x.grad.double().numpy(), df_ref, rtol=0, atol=8 * EPS32)


def test_double_backward_falls_back_to_the_differentiable_eager_path(mish_fused):
    x = _x(64).float().requires_grad_()
    (g,) = torch.autograd.grad(actlab.functional.mish(x).sum(), x, create_graph=True)
    assert ("mish", "backward", "fused") not in fused.stats()  # create_graph: eager
    (h,) = torch.autograd.grad(g.sum(), x)
    # f'' by autograd of the float64 paper formula, independent of actlab's analytic f''
    x64 = x.detach().double().requires_grad_()
    (d1,) = torch.autograd.grad((x64 * torch.tanh(torch.log1p(torch.exp(x64)))).sum(), x64,
                                create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x64)
    torch.testing.assert_close(h.double(), d2, rtol=0, atol=2e-5)


def test_shapes_and_batch_sizes_share_one_compiled_kernel(mish_fused):
    for shape in [(7,), (5, 9), (2, 3, 11)]:
        x = _x(math.prod(shape), seed=len(shape)).float().reshape(shape).requires_grad_()
        y = actlab.functional.mish(x)
        assert y.shape == shape
        y.backward(torch.ones_like(y))
    kernels = [k for k in fused.kernels._KERNELS if k[0] == "mish" and k[2] == torch.float32]
    assert sorted(k[1] for k in kernels) == ["backward", "forward"]
    assert fused.stats()[("mish", "forward", "fused")] == 3


def test_auto_mode_never_compiles_during_a_call(monkeypatch):
    # routed to compiled kernels but not compiled: the call runs eagerly, nothing compiles;
    # after the explicit warm-up the same call takes the kernel
    set_route(monkeypatch, "squareplus", fused.FUSED)
    monkeypatch.setattr(fused.kernels, "_KERNELS", type(fused.kernels._KERNELS)())
    fused.reset()
    x = _x(1000).float().requires_grad_()
    with fused.configured(mode="auto"):
        actlab.functional.squareplus(x).sum().backward()
        assert fused.stats() == {} and len(fused.kernels._KERNELS) == 0
        fused.compile_kernels(torch.nn.Sequential(torch.nn.Linear(2, 2), actlab.nn.Squareplus()))
        actlab.functional.squareplus(x).sum().backward()
    assert fused.stats() == {("squareplus", "forward", "fused"): 1, ("squareplus", "backward", "fused"): 1}


def test_compile_kernels_refuses_bad_input():
    with pytest.raises(ValueError, match=r"unknown activation 'mihs'.*mish"):
        fused.compile_kernels("mihs")
    with pytest.raises(ValueError, match=r"dtypes \[torch.int32\] are not computed.*float32"):
        fused.compile_kernels("mish", dtypes=(torch.int32,))
    assert fused.compile_kernels([]) == {}


def test_defaults_never_compile():
    s = fused.settings()
    assert s.min_numel == fused.MIN_NUMEL and s.mode == "auto"
    before = set(fused.kernels._KERNELS)
    for name in ("mish", "gelu", "squareplus"):
        getattr(actlab.functional, name)(torch.randn(4096, requires_grad=True)).sum().backward()
    assert set(fused.kernels._KERNELS) == before


def test_env_switch_and_context_managers(monkeypatch):
    monkeypatch.setenv("ACTLAB_FUSED", "0")
    assert fused.settings().mode == "off" and fused.route("mish") == fused.EAGER
    monkeypatch.setenv("ACTLAB_FUSED", "force")
    assert fused.settings().mode == "force" and fused.route("anything") == fused.FUSED
    with fused.disabled():
        assert fused.settings().mode == "off"
        with fused.forced():
            assert fused.settings() == fused.Settings("force", 2)
        assert fused.settings().mode == "off"
    monkeypatch.delenv("ACTLAB_FUSED")
    assert fused.settings().mode == "auto"
    monkeypatch.setenv("ACTLAB_FUSED", "of")
    with pytest.raises(ValueError, match="ACTLAB_FUSED='of' is not understood; use 0"):
        fused.settings()
    monkeypatch.setenv("ACTLAB_FUSED", "1")
    for bad in ("lots", "inf", "nan"):
        monkeypatch.setenv("ACTLAB_FUSED_MIN_NUMEL", bad)
        with pytest.raises(ValueError, match=rf"ACTLAB_FUSED_MIN_NUMEL='{bad}'.*e\.g\. 2"):
            fused.settings()
    with pytest.raises(ValueError, match="mode must be one of"):
        with fused.configured(mode="fast"):
            pass


def test_disabled_switches_off_native_routing_too(monkeypatch):
    set_route(monkeypatch, "relu", fused.NATIVE)
    fused.reset()
    x = torch.randn(50)
    torch.testing.assert_close(actlab.functional.relu(x), x.clamp(min=0), rtol=0, atol=0)
    assert fused.stats() == {("relu", "forward", "native"): 1}
    with fused.disabled():
        actlab.functional.relu(x)
    assert fused.stats() == {("relu", "forward", "native"): 1}


def test_per_element_tensor_parameters_take_the_eager_path_even_when_forced():
    fused.reset()
    beta = torch.full((10, 10), 1.3, requires_grad=True)  # varies along two dims: not per channel
    x = torch.randn(10, 10, requires_grad=True)
    with fused.forced():
        y = actlab.functional.swish(x, beta=beta)
        y.sum().backward()
    assert fused.stats() == {}
    xd = x.detach().double()
    expect = xd.pow(2) * torch.sigmoid(1.3 * xd) * torch.sigmoid(-1.3 * xd)  # ∂/∂β per element
    torch.testing.assert_close(beta.grad.double(), expect, rtol=1e-5, atol=1e-6)


def _all_tables() -> list[dict]:
    return fused.routes._data()["tables"]


def _entries(t: dict):
    """A table's routes: every dtype's, then each dtype's own (``by_dtype``)."""
    yield from t["routes"].items()
    for own in t.get("by_dtype", {}).values():
        yield from own.items()


def test_routes_data_is_consistent_with_the_catalog():
    assert _all_tables(), "routes.json has no table"
    for t in _all_tables():
        assert {"torch", "device", "isa", "measured", "routes"} <= set(t)
        assert set(t.get("by_dtype", {})) <= set(fused.routes.OWN.values())
        for name, (small, forward, backward, *flags) in _entries(t):
            spec = actlab.get_spec(name)
            inference = [f for f in flags if f.startswith(fused.routes.INFERENCE)]
            assert [f for f in flags if f not in inference] in (
                [], ["native_autograd"], ["native_autograd", "any_values"]), (name, flags)
            assert inference in ([], ["inference:fused"], ["inference:native"]), (name, flags)
            assert spec.name == name and name in ELEMENTWISE
            assert small in ("native", "eager", "fused") and forward in ("native", "fused", "eager")
            assert backward in ("fused", "eager")
            if "native" in (small, forward) or inference == ["inference:native"]:
                assert spec.native is not None, name
    assert set(fused.routes.opaque()) <= set(ELEMENTWISE)


def test_a_table_applies_only_to_its_torch_version_device_and_isa(monkeypatch):
    table = {"torch": fused.routes.torch_version(), "device": "cpu", "isa": "NOT-THIS-ONE",
             "measured": "", "routes": {"mish": ["eager"] * 3}}
    data = {"opaque": [], "tables": [table]}
    monkeypatch.setattr(fused.routes, "_data", lambda: data)
    fused.routes.table.cache_clear()
    try:
        assert fused.routes.table("cpu") == {}
        data["tables"][0]["isa"] = fused.routes.isa()
        fused.routes.table.cache_clear()
        assert fused.routes.table("cpu") == {"mish": fused.EAGER}
        assert fused.routes.table("cuda") == {}
    finally:
        fused.routes.table.cache_clear()


def test_natives_routed_above_the_small_size_pass_the_ulp_bounds():
    # below min_numel tests/test_accuracy.py already sees the routed native; above it, only here
    from actlab.numerics import accuracy

    def native(way):
        return "native" in way[:2] or "inference:native" in way[3:]

    routed = {(n, ("float32", "bfloat16")): way[3:] for t in _all_tables()
              for n, way in t["routes"].items() if native(way)}
    routed |= {(n, (dtype,)): way[3:] for t in _all_tables() for dtype, own in t.get("by_dtype", {}).items()
               for n, way in own.items() if native(way)}
    for (name, dtypes), flags in sorted(routed.items()):
        # the same grids as test_accuracy.py, so the two share the oracle's on-disk cache;
        # a native_autograd route also hands f' and f'' to torch's autograd of its op, and an
        # any_values one does so at every parameter value: the sweep's points, small grids. A
        # 16-bit dtype's own route is held to that dtype's bounds.
        checked = ("f", "df", "d2f") if "native_autograd" in flags else ("f",)
        points = accuracy.param_points(get_spec(name)) if "any_values" in flags else [None]
        for point in points:
            size = "full" if point is None else "small"
            for m in accuracy.measure(name, dtypes, size, point):
                if m.quantity in checked:
                    assert m.native is not None and m.native.bad == 0, (name, point, m.dtype, m.quantity)
                    assert m.bound is None or m.native.max_ulp <= m.bound, (name, point, m.dtype, m.quantity)


def _route_mish(monkeypatch, route: fused.Route) -> None:
    monkeypatch.setattr(fused.routes, "table", lambda device="cpu", dtype=None: {"mish": route})


def test_a_native_autograd_route_hands_the_whole_call_to_torch(monkeypatch):
    _route_mish(monkeypatch, fused.Route("native", "eager", "eager", native_autograd=True))
    x = _x(1000).requires_grad_(True)
    y = actlab.functional.mish(x)
    assert _node(y) == "MishBackward0" == _node(torch.nn.functional.mish(x))
    torch.testing.assert_close(y, torch.nn.functional.mish(x), rtol=0, atol=0)
    # above the small size class the route's forward is eager: actlab's Function serves it
    big = _x(fused.routes.SMALL).requires_grad_(True)
    assert _node(actlab.functional.mish(big)) == "FnBackward"
    with fused.disabled():  # off means actlab's own path everywhere
        assert _node(actlab.functional.mish(x)) == "FnBackward"


def _node(y: torch.Tensor) -> str:
    return type(y.grad_fn).__name__


@pytest.mark.parametrize("any_values", [False, True])
def test_other_parameter_values_go_to_torch_whole_only_where_the_sweep_passed(monkeypatch, any_values):
    route = fused.Route("native", "native", "eager", native_autograd=True, any_values=any_values)
    monkeypatch.setattr(fused.routes, "table", lambda device="cpu", dtype=None: {"leaky_relu": route})
    x = _x(1000).requires_grad_(True)
    assert _node(actlab.functional.leaky_relu(x)) == "LeakyReluBackward0"  # the defaults
    y = actlab.functional.leaky_relu(x, negative_slope=0.2)
    assert _node(y) == ("LeakyReluBackward0" if any_values else "FnBackward")
    torch.testing.assert_close(y, torch.nn.functional.leaky_relu(x, 0.2), rtol=0, atol=0)
    slope = torch.tensor(0.2)  # a tensor value is never a plain value: actlab's Function
    assert _node(actlab.functional.leaky_relu(x, negative_slope=slope)) == "FnBackward"


def test_a_16_bit_dtype_takes_its_own_route_where_the_table_has_one(monkeypatch):
    # torch's op may meet bfloat16's 8-bit bounds where it misses float32's: mish whole by torch
    # in bfloat16 only; float32 (and float16, without a route of its own) keep actlab's Function
    table = {"torch": fused.routes.torch_version(), "device": "cpu", "isa": fused.routes.isa(),
             "measured": "", "routes": {"mish": ["eager", "eager", "eager"]},
             "by_dtype": {"bfloat16": {"mish": ["native", "native", "eager", "native_autograd"]}}}
    monkeypatch.setattr(fused.routes, "_data", lambda: {"opaque": [], "tables": [table]})
    fused.routes.table.cache_clear()
    try:
        assert fused.route("mish", dtype=torch.bfloat16).native_autograd
        assert fused.route("mish", dtype=torch.float32) == fused.route("mish") == fused.EAGER
        x = _x(1000)
        assert _node(actlab.functional.mish(x.bfloat16().requires_grad_(True))) == "MishBackward0"
        for dtype in (torch.float32, torch.float16):
            assert _node(actlab.functional.mish(x.to(dtype).requires_grad_(True))) == "FnBackward"
        assert fused.dispatch.serves_whole(get_spec("mish"), 1000, dtype=torch.bfloat16)
        assert not fused.dispatch.serves_whole(get_spec("mish"), 1000, dtype=torch.float32)
    finally:
        fused.routes.table.cache_clear()


def test_without_native_autograd_the_function_keeps_the_backward(monkeypatch):
    _route_mish(monkeypatch, fused.Route("native", "native", "eager"))
    x = _x(1000).requires_grad_(True)
    assert _node(actlab.functional.mish(x)) == "FnBackward"


def test_a_forward_routed_to_torch_alone_serves_inference_without_the_function(monkeypatch):
    # torch's forward, actlab's backward (softplus, hardsigmoid): a call no derivative can be asked
    # of is torch's op and nothing else; the large class's eager forward still takes actlab's path
    _route_mish(monkeypatch, fused.Route("native", "eager", "eager"))

    def no_function(*args):
        raise AssertionError("went through actlab's Function path")

    small, big = _x(1000), _x(fused.routes.SMALL)
    monkeypatch.setattr(actlab.autograd, "forward_value", no_function)
    fused.reset()
    with fused.configured(mode="auto"):
        assert torch.equal(actlab.functional.mish(small), torch.nn.functional.mish(small))
        with torch.no_grad():
            assert torch.equal(actlab.functional.mish(small.requires_grad_(True)),
                               torch.nn.functional.mish(small))
    assert fused.stats() == {("mish", "forward", "native"): 2}
    monkeypatch.undo()
    _route_mish(monkeypatch, fused.Route("native", "eager", "eager"))
    with fused.configured(mode="auto"):
        assert _node(actlab.functional.mish(small)) == "FnBackward"  # requires grad: the Function
        torch.testing.assert_close(actlab.functional.mish(big), get_spec("mish").forward(big), rtol=0, atol=0)


@pytest.mark.parametrize("kernel_ready", [True, False])
def test_an_inference_route_serves_calls_no_derivative_can_be_asked_of(monkeypatch, kernel_ready):
    # torch's whole call for training, a compiled kernel's forward for inference (softshrink in
    # bfloat16); below the small size, and without a compiled kernel, torch's op still serves
    _route_mish(monkeypatch, fused.Route("native", "native", "eager", native_autograd=True,
                                         inference="fused"))
    spec = get_spec("mish")
    if kernel_ready:
        assert fused.kernels.get(spec, "forward", torch.float32, torch.device("cpu")) is not None
    else:
        monkeypatch.setattr(fused.kernels, "_KERNELS", type(fused.kernels._KERNELS)())
    big, small = _x(fused.routes.SMALL).float(), _x(1000).float()
    fused.reset()
    with fused.configured(mode="auto"):
        y = actlab.functional.mish(big)
        assert y.grad_fn is None
        torch.testing.assert_close(y, spec.forward(big), rtol=4 * EPS32, atol=0)
        assert _node(actlab.functional.mish(big.requires_grad_(True))) == "MishBackward0"
        with torch.no_grad():
            actlab.functional.mish(big)
        actlab.functional.mish(small)
    assert fused.stats() == ({("mish", "forward", "fused"): 2, ("mish", "forward", "native"): 2}
                             if kernel_ready else {("mish", "forward", "native"): 4})
    assert fused.dispatch._kernels_for(spec, "cpu") == [(spec, "forward")]


def test_inference_calls_skip_the_function_and_forward_mode_still_works():
    spec = get_spec("mish")
    x = _x(1000, seed=3)
    with fused.disabled():
        y = actlab.functional.mish(x)  # no grad asked: the value, with no graph
        assert y.grad_fn is None and not y.requires_grad
        torch.testing.assert_close(y, spec.forward(x), rtol=0, atol=0)
        with torch.autograd.forward_ad.dual_level():  # a tangent is a derivative asked for
            dual = torch.autograd.forward_ad.make_dual(x, torch.ones_like(x))
            tangent = torch.autograd.forward_ad.unpack_dual(actlab.functional.mish(dual)).tangent
        torch.testing.assert_close(tangent, spec.derivative(x), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------------- bench
def test_parse_sizes_and_dtypes():
    assert kb.parse_sizes("4K, 64K,1M,16M,64M") == [4096, 65536, 1 << 20, 1 << 24, 1 << 26]
    assert kb.parse_size("1000") == 1000 and kb.size_label(1 << 24) == "16M"
    with pytest.raises(ValueError, match=r"write e\.g\. 4096, 4K"):
        kb.parse_size("lots")
    with pytest.raises(ValueError, match="choose from float32"):
        kb.parse_dtypes("float32,int8")


def test_compile_kernels_warns_when_the_bounded_cache_cannot_keep_them_all(monkeypatch, caplog):
    monkeypatch.setattr(fused.kernels, "MAX_KERNELS", 3)
    monkeypatch.setattr(fused.kernels, "_KERNELS", type(fused.kernels._KERNELS)())
    with caplog.at_level("WARNING", logger="actlab.fused"):
        ready = fused.compile_kernels(["mish", "silu"], dtypes=(torch.float32,))
    if sum(len(v) for v in ready.values()) > 3:  # both routed to kernels here
        assert "the cache keeps the 3 most recently used" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="actlab.fused"):
        fused.compile_kernels(["mish"], dtypes=(torch.float32,))
    assert "most recently used" not in caplog.text


def test_bench_path_names_the_kernels_each_direction_took():
    native = {("relu", "forward", "native"): 1}
    assert kb._path("relu", {}, native) == "native/eager"  # actlab's Function ran the backward
    assert kb._path("relu", {}, native, whole=True) == "native/torch"  # torch's autograd did
    both = {("mish", "forward", "fused"): 2, ("mish", "backward", "fused"): 1}
    assert kb._path("mish", {("mish", "forward", "fused"): 1}, both) == "fused/fused"
    assert kb._path("mish", both, both, whole=True) == "eager/eager"  # nothing new ran


def test_bench_scores_each_alternative_against_the_oracle():
    # ELU's naive composite computes e^x - 1, which cancels near 0 (1.7e7 ULP in float32, exact
    # expm1 there is x); torch's ELU uses expm1 and meets the bound; ReLU's are all exact
    spec = get_spec("elu")
    misses = kb.accuracy_of(spec, torch.float32, kb.contenders(spec, compiled=False))
    assert misses["native"] == {"fwd": "", "fwd+bwd": ""}
    assert "ULP at x = -" in misses["naive"]["fwd"] and "(bound 4)" in misses["naive"]["fwd"]
    relu = get_spec("relu")
    assert all(m == {"fwd": "", "fwd+bwd": ""}
               for m in kb.accuracy_of(relu, torch.float32, kb.contenders(relu, compiled=False)).values())


def test_summary_compares_with_the_fastest_alternative_within_the_bounds():
    def row(impl, t, miss=None):
        r = {"activation": "a", "dtype": "float32", "size": 4096, "direction": "fwd", "impl": impl,
             "time_s": t, "gb_per_s": 1.0, "peak_x": None, "peak_bytes": None}
        return r | ({"miss": miss} if miss is not None else {})

    rows = [row("actlab", 2.0), row("native", 1.0, "f 9 ULP at x = 1 (bound 4)"), row("naive", 4.0, ""),
            row("compiled", 1.5, "")]
    (r,) = kb.summarize(rows)
    assert (r["best_alt"], r["vs_best"]) == ("native", 2.0)
    assert (r["best_accurate"], r["vs_best_accurate"]) == ("compiled", 2.0 / 1.5)
    assert r["faster_but_inaccurate"] == "native: f 9 ULP at x = 1 (bound 4)"  # compiled is faster, but fine
    (r,) = kb.summarize([row("actlab", 2.0), row("native", 1.0)])  # accuracy not measured
    assert r["best_accurate"] is None and r["faster_but_inaccurate"] is None


def test_peak_bytes_counts_a_known_allocation():
    def fn():
        a = torch.empty(1 << 18)  # 1 MiB
        b = torch.empty(1 << 17)  # 0.5 MiB, while a is alive
        del a, b
        torch.empty(1 << 16)

    assert kb.peak_bytes(fn, torch.device("cpu")) == (1 << 20) + (1 << 19)


def test_outputs_of_32_mib_meet_fresh_memory_in_every_sample(monkeypatch):
    # glibc maps blocks of 32 MiB and more freshly on each allocation, but a block can also be
    # served warm from the heap, depending on what ran before: the bench hands free memory back
    # before every sample at those sizes, so that no contender is timed on another's warm pages
    released, real = [], kb.release_free_memory
    monkeypatch.setattr(kb, "release_free_memory", lambda: released.append(1))
    kb.time_round_robin({"a": lambda: None, "b": lambda: None}, 3, torch.device("cpu"), fresh=True)
    assert len(released) == 6
    kb.time_round_robin({"a": lambda: None}, 3, torch.device("cpu"))
    assert len(released) == 6
    # run(): 8M float32 is 32 MiB: fresh; 4K is not
    kb.run(["relu"], sizes=[4096], repeats=1, compiled=False, memory=False)
    assert len(released) == 6
    kb.run(["relu"], sizes=[kb.FRESH_BYTES // 4], repeats=1, compiled=False, memory=False)
    assert len(released) > 6
    real()  # safe to call anywhere (a no-op off glibc)


def test_run_summarize_and_targets_on_a_small_size():
    rows = kb.run(["relu", "squareplus"], sizes=[4096], repeats=1, compiled=False)
    impls = {(r["activation"], r["direction"], r["impl"]) for r in rows}
    assert ("relu", "fwd+bwd", "native") in impls and ("squareplus", "fwd", "naive") in impls
    assert ("relu", "fwd", "copy") in impls and ("squareplus", "fwd+bwd", "alloc") in impls
    assert all(r["time_s"] > 0 and r["peak_bytes"] >= 0 for r in rows)
    # a forward+backward returns x.grad and drops y: at least one output of 4096 float32 held
    step = {r["impl"]: r for r in rows if r["activation"] == "relu" and r["direction"] == "fwd+bwd"}
    assert step["native"]["peak_bytes"] >= 4096 * 4
    summary = kb.summarize(rows)
    relu = next(s for s in summary if s["activation"] == "relu" and s["direction"] == "fwd+bwd")
    assert relu["vs_native"] == pytest.approx(step["actlab"]["time_s"] / step["native"]["time_s"])
    # actlab at 0.9x native's time and 1.05x compiled's: 1.05x the faster of the two
    synthetic = {**relu, "size": 1 << 24, "vs_native": 0.9, "vs_compiled": 1.05,
                 "peak_bytes": 2 << 26, "ref_peak_bytes": 2 << 26}
    t = kb.targets([synthetic])[0]
    assert t["vs_best_native_compiled"] == 1.05 and t["meets_1_1x"] and t["meets_all"]
    t = kb.targets([{**synthetic, "vs_compiled": 1.15, "peak_bytes": 3 << 26}])[0]
    assert not t["meets_1_1x"] and not t["meets_memory"] and t["meets_2x_naive"]  # has a native
    # no native op: memory is held to the compiled composite's, speed to 2x the naive one's
    squareplus = next(s for s in summary if s["activation"] == "squareplus" and s["direction"] == "fwd+bwd")
    assert squareplus["mem_ref"] == "naive"  # compiled=False above
    t = kb.targets([{**squareplus, "size": 1 << 24, "vs_native": None, "vs_compiled": 1.0,
                     "naive_speedup": 2.5, "peak_bytes": 5 << 26, "ref_peak_bytes": 2 << 26}])[0]
    assert t["meets_1_1x"] and t["meets_2x_naive"] and not t["meets_memory"]


def test_cli_json_and_table(tmp_path):
    import json

    from typer.testing import CliRunner

    from actlab.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["bench", "kernels", "relu", "--sizes", "4K", "--no-compile", "--no-memory",
                              "--repeats", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {r["impl"] for r in out["results"]} == {"native", "naive", "actlab", "copy", "alloc"}
    png = tmp_path / "k.png"
    res = runner.invoke(app, ["bench", "kernels", "relu", "--sizes", "4K,8K", "--no-compile", "--no-memory",
                              "--repeats", "1", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert "actlab vs alternatives" in res.stdout and png.stat().st_size > 10_000
    # bad input: exit code 2 and one line on stderr saying what to write
    for args, message in ((["relu", "--sizes", "4Q"], "4Q"),
                          (["swiglu"], "--models-only"),  # a gated activation: the model check only
                          (["crelu", "--models-only"], "'relu' for 'crelu'")):  # concatenated: neither
        res = runner.invoke(app, ["bench", "kernels", *args])
        assert res.exit_code == 2 and res.stderr.startswith("error:"), res.output
        assert message in res.stderr.replace("\n", " ")
    res = runner.invoke(app, ["bench", "kernels", "relu", "crelu", "--sizes", "4K", "--no-compile",
                              "--no-memory", "--repeats", "1", "--json"])
    assert res.exit_code == 0 and "skipped crelu" in res.stderr.replace("\n", " ")
    assert {r["activation"] for r in json.loads(res.stdout)["results"]} == {"relu"}


def test_accurate_codegen_is_scoped_to_actlabs_compilations():
    # inductor's vectorised expm1 is exp(x) - 1 (1.6e7 ULP at x = 1e-8 in float32) and its
    # float erf has absolute, not relative, accuracy; actlab's kernels are generated with
    # an accurate expm1 and a series for erf near 0 instead, and nobody else's are touched
    from torch._inductor.codegen.cpp import CppVecOverrides

    plain = CppVecOverrides.expm1("v"), CppVecOverrides.erf("v"), CppVecOverrides.erfc("v")
    assert "exp()" in plain[0] and plain[1:] == ("v.erf()", "v.erfc()")
    plain_tanh = CppVecOverrides.tanh("v")
    had_isnan = "isnan" in vars(CppVecOverrides)  # inductor 2.13 has no vectorised isnan
    had_isinf = "isinf" in vars(CppVecOverrides)  # nor isinf
    with fused.accurate_codegen():
        poly = f"{fused.inductor.EXPM1_POLY[-1]!r}f"  # float lanes: actlab's reduction; double: SLEEF
        assert poly in CppVecOverrides.expm1("v") and "x_.expm1()" in CppVecOverrides.expm1("v")
        assert poly in CppVecOverrides.tanh("v") and "x_.tanh()" in CppVecOverrides.tanh("v")
        erfcx = f"{fused.inductor.ERFCX_POLY[0]!r}f"  # both use actlab's erfc (its polynomial)
        assert erfcx in CppVecOverrides.erf("v") and erfcx in CppVecOverrides.erfc("v")
        assert CppVecOverrides.isnan.__name__ == "isnan"  # its scalar fallback is found by name
        assert CppVecOverrides.isinf.__name__ == "isinf"
        assert "Sleef_sinf16_u10" in CppVecOverrides.sin("v")
        assert "Sleef_cosf8_u10" in CppVecOverrides.cos("v")
    assert (CppVecOverrides.sin("v"), CppVecOverrides.cos("v")) == ("v.sin()", "v.cos()")
    assert (CppVecOverrides.expm1("v"), CppVecOverrides.erf("v"), CppVecOverrides.erfc("v")) == plain
    assert CppVecOverrides.tanh("v") == plain_tanh
    assert ("isnan" in vars(CppVecOverrides)) == had_isnan
    assert ("isinf" in vars(CppVecOverrides)) == had_isinf
    # the series' coefficients: erf(x) = 2/√π Σ (-1)^k x^(2k+1) / (k!(2k+1)) (A&S 7.1.5)
    x = 0.3
    coefficients = fused.inductor._ERF_TAYLOR
    series = 2 / math.sqrt(math.pi) * x * sum(c * x ** (2 * k) for k, c in enumerate(coefficients))
    assert series == pytest.approx(math.erf(x), rel=1e-9)


def test_fused_erfc_is_accurate_and_its_polynomial_is_what_it_says():
    # actlab's kernels compute float32 erfc as erfcx(|x|)·e^{-x²} (fused.inductor): within
    # 2.5 ULP of SciPy's double erfc rounded, from -5 to the underflow at 10.05, through
    # 0, ±inf and NaN; and 2.4x faster than SLEEF's erfcf in inductor (not asserted: no clocks)
    from scipy import special

    k = fused.inductor.compile_kernel(torch.special.erfc, (torch.randn(64),), "erfc_test")
    x = torch.cat([torch.linspace(-5, 10.5, 40001), torch.tensor([0.0, -0.0, 1e-30, 10.0541, 10.0543])])
    ref = special.erfc(x.double().numpy())
    ulp = np.abs(k(x).double().numpy() - ref) / np.spacing(np.abs(ref).astype(np.float32))
    assert ulp.max() <= 2.5, f"{ulp.max():.2f} ULP at x = {x[int(ulp.argmax())].item()}"
    special_x = torch.tensor([float("inf"), -float("inf"), float("nan"), 1e30, -1e30])
    assert torch.equal(k(special_x)[:2], torch.tensor([0.0, 2.0])) and k(special_x)[2].isnan()
    assert torch.equal(k(special_x)[3:], torch.tensor([0.0, 2.0]))
    # the polynomial is (1 + 2a)e^{a²}erfc(a) - 1 in q = (a - 2)/(a + 2), to 1e-8 (its fit: 4.9e-9)
    q = np.linspace(-1, 0.999, 201)
    a = 2 * (1 + q) / (1 - q)
    target = (1 + 2 * a) * special.erfcx(a) - 1
    poly = np.polynomial.polynomial.polyval(q, fused.inductor.ERFCX_POLY)
    assert np.abs(poly - target).max() < 1e-8


def _ulps(y: torch.Tensor, ref: np.ndarray) -> np.ndarray:
    """|y - ref| in float32 ULPs of ref (ref rounded to float32 where it is finite there)."""
    return np.abs(y.double().numpy() - ref) / np.spacing(np.abs(ref).astype(np.float32))


def test_fused_expm1_and_tanh_are_accurate_and_their_polynomial_is_what_it_says():
    # actlab's kernels compute float32 expm1 as 2^k(e^r - 1) + (2^k - 1) and tanh as
    # (1 - e)/(1 + e) from the same reduction (fused.inductor): within 1.5 and 2 ULP of
    # float64 numpy from -40 to overflow, through tiny, zero, ±inf and NaN (SLEEF's expm1 and
    # tanh, which they replace, are 2.6x and 3.7x slower: not asserted, no clocks)
    expm1 = fused.inductor.compile_kernel(torch.expm1, (torch.randn(64),), "expm1_test")
    tanh = fused.inductor.compile_kernel(torch.tanh, (torch.randn(64),), "tanh_test")
    tiny = torch.logspace(-44, 1.9, 20001)
    x = torch.cat([torch.linspace(-40, 88.72, 200001), tiny, -tiny, torch.linspace(88.3, 88.7228, 1001)])
    with np.errstate(over="ignore"):
        assert _ulps(expm1(x), np.expm1(x.double().numpy())).max() <= 1.5
        assert _ulps(tanh(x), np.tanh(x.double().numpy())).max() <= 2.0
    special = torch.tensor([float("inf"), -float("inf"), 88.7229, -1e30, 0.0, -0.0, float("nan")])
    assert torch.equal(expm1(special)[:6], torch.tensor([float("inf"), -1.0, float("inf"), -1.0, 0.0, -0.0]))
    assert torch.equal(tanh(special)[:6], torch.tensor([1.0, -1.0, 1.0, -1.0, 0.0, -0.0]))
    assert expm1(special).signbit()[5] and tanh(special).signbit()[5]  # -0 stays -0
    assert expm1(special)[6].isnan() and tanh(special)[6].isnan()
    # float64 keeps SLEEF's expm1: 1 ULP near 0, where exp - 1 would cancel
    x64 = torch.logspace(-300, 0, 1001, dtype=torch.float64)
    k64 = fused.inductor.compile_kernel(torch.expm1, (torch.randn(64, dtype=torch.float64),), "expm1_test64")
    ref = np.expm1(x64.numpy())
    assert (np.abs(k64(x64).numpy() - ref) / np.spacing(ref)).max() <= 1.0
    # the polynomial is (e^r - 1 - r)/r² on |r| <= ln2/2, to 0.1 ULP of e^r - 1 (its fit: 0.05)
    r = np.linspace(-math.log(2) / 2, math.log(2) / 2, 2001)
    r = r[r != 0]
    q = (np.expm1(r) - r) / r ** 2
    poly = np.polynomial.polynomial.polyval(r, fused.inductor.EXPM1_POLY)
    assert (np.abs(poly - q) * r ** 2 / np.abs(np.expm1(r))).max() < 0.1 * 2.0 ** -24


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_kernels_load_every_element_whatever_the_size_and_offset(dtype):
    # 16-bit loads are one 16-byte load per 8 elements on AVX2 (fused.inductor._half_width_load):
    # every size around the vector width and an odd offset (unaligned), against the eager f'
    spec = get_spec("silu")
    k = fused.kernels.get(spec, "backward", dtype, torch.device("cpu"))
    base = torch.linspace(-6, 6, 80).to(dtype)
    grad = torch.linspace(0.5, 2, 80).to(dtype)
    for n in (2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 79):
        for start in (0, 1):
            x, g = base[start:start + n], grad[start:start + n]
            want = (g.float() * spec.derivative(x.float())).to(dtype)
            assert torch.equal(k(x, g), want), (n, start)


def test_kernels_are_compiled_from_examples_of_serving_size(monkeypatch):
    # inductor takes the example's sizes as hints: 8-element examples gave serial loops and
    # half-width 16-bit vectors. Every kind of kernel: each symbolic size distinct, the x HINT-like
    seen: list[tuple[int, ...]] = []

    def record(fn, example, name, precise_trig=True):
        seen.append(tuple(example[0].shape))
        return lambda *a: None

    monkeypatch.setattr(fused.kernels, "compile_kernel", record)
    monkeypatch.setattr(fused.kernels, "compile_many", record)
    cpu = torch.device("cpu")
    for spec, direction in [(get_spec("silu"), "forward"), (get_spec("silu"), "backward"),
                            (get_spec("swish"), "learn_backward"), (get_spec("swiglu"), "gated_forward"),
                            (get_spec("swiglu"), "gated_backward"), (get_spec("prelu"), "channel_forward:1"),
                            (get_spec("prelu"), "channel_rows_backward:1")]:
        fused.kernels._build(spec, direction, torch.float32, cpu)
    for shape in seen:
        assert math.prod(shape) >= fused.kernels.HINT // 2 and len(set(shape)) == len(shape), shape


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="AVX's vector widths")
def test_a_kernel_compiled_at_serving_size_runs_in_parallel_at_full_width():
    # what the examples buy (the generated C++): an OpenMP region when torch has 2 threads, and
    # 16-bit loads as wide as float32's two vectors (32 lanes on AVX-512, 16 on AVX2)
    spec = get_spec("softsign")
    x = torch.rand(fused.kernels.HINT, dtype=torch.bfloat16)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        graph = fused.inductor._compile_graph(lambda x: (fused.kernels._forward(spec, torch.float32, {}, x),),
                                              (x,), False)
    finally:
        torch.set_num_threads(threads)
    assert "#pragma omp parallel" in graph.source_code
    assert "convert<float,2,at::BFloat16,1>" in graph.source_code


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="SLEEF's AVX variants")
def test_fused_sin_is_inductors_own_unless_an_activation_needs_the_1_ulp_one():
    # sin's kernel keeps inductor's Vectorized<float>::sin, SLEEF's 3.5-ULP variant (1.9 ULP
    # here, twice as fast); a precise_trig kernel (kernels.PRECISE_TRIG: Snake, CosId) uses the
    # 1-ULP one, like eager torch.sin: within 1 ULP of float64 sin rounded
    x = torch.linspace(-4, 4, 1 << 16)
    ref = np.sin(x.double().numpy())

    def ulp(y: torch.Tensor) -> float:
        return float((np.abs(y.double().numpy() - ref) / np.spacing(np.abs(ref).astype(np.float32))).max())

    fast = fused.kernels.get(get_spec("sin"), "forward", torch.float32, torch.device("cpu"))(x)
    precise = fused.inductor.compile_kernel(torch.sin, (x[:8],), "test_sin_precise", precise_trig=True)(x)
    assert 1.0 < ulp(fast) <= 3.5 and ulp(precise) <= 1.0
    assert "sin" not in fused.kernels.PRECISE_TRIG


GATED = ["glu", "reglu", "geglu", "swiglu", "bilinear"]


def test_gated_kernels_match_float64_swiglu_and_save_only_the_input():
    # SwiGLU a·silu(b): forward and both halves of the gradient from one fused kernel each,
    # against the formula in float64 numpy (independent of actlab's stable forms)
    fused.reset()
    x64 = _x(2 * 3000).reshape(3, 2000)
    x = x64.float().requires_grad_()
    g = torch.randn(3, 1000, generator=torch.Generator().manual_seed(1))
    saved = []
    with fused.forced(), torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t,
                                                                  lambda t: t):
        y = actlab.functional.swiglu(x)
        (gx,) = torch.autograd.grad(y, x, g)
    assert fused.stats() == {("swiglu", "forward", "fused"): 1, ("swiglu", "backward", "fused"): 1}
    assert len(saved) == 1 and saved[0].data_ptr() == x.data_ptr()
    a, b = np.split(x.detach().double().numpy(), 2, axis=-1)
    sig = 1 / (1 + np.exp(-b))
    gn = g.double().numpy()
    np.testing.assert_allclose(y.detach().double().numpy(), a * b * sig, rtol=8 * EPS32, atol=1e-30)
    want = np.concatenate([gn * b * sig, gn * a * sig * (1 + b * (1 - sig))], axis=-1)
    np.testing.assert_allclose(gx.double().numpy(), want, rtol=16 * EPS32,
                               atol=16 * EPS32 * np.abs(want).max())


@pytest.mark.parametrize("name", GATED)
def test_gated_kernels_equal_the_eager_path(name):
    cases = [(-1, (6, 40), torch.float32)]
    if name == "swiglu":  # the split along another dim, and a half-precision input
        cases += [(0, (8, 5, 3), torch.float32), (-1, (6, 40), torch.bfloat16)]
    fn = getattr(actlab.functional, name)
    for dim, shape, dtype in cases:
        x = (torch.randn(shape, generator=torch.Generator().manual_seed(2)) * 3).to(dtype).requires_grad_()
        g = torch.randn_like(fn(x.detach(), dim=dim))
        results = []
        for mode in (fused.disabled, fused.forced):
            fused.reset()
            with mode():
                y = fn(x, dim=dim)
                results.append((y, *torch.autograd.grad(y, x, g)))
        assert fused.stats()[(name, "backward", "fused")] == 1  # the forced round
        exact = dtype == torch.float32 and name in ("reglu", "bilinear")  # no rounding to differ in
        tol = {"rtol": 0, "atol": 0} if exact else {}
        for eager, compiled in zip(*results):
            torch.testing.assert_close(compiled, eager, **tol)


def test_model_check_takes_gated_activations_in_the_ffn_block():
    spec = get_spec("swiglu")
    base, kind = kb.baseline_module(spec)
    x = torch.randn(4, 3, 16)
    a, b = x.chunk(2, dim=-1)
    assert kind == "native"  # torch's silu as the gate
    torch.testing.assert_close(base(x), a * torch.nn.functional.silu(b))
    block = kb.FFN(actlab.nn.Activation("swiglu"), d_model=16, hidden=32, gated=True)
    assert block(x).shape == x.shape and block.down.in_features == 16
    assert [s.name for s in kb.benchable(["swiglu", "relu"], ("elementwise", "gated"))] == ["swiglu", "relu"]
    with pytest.raises(ValueError, match="--models-only"):
        kb.benchable(["swiglu"])


def test_fused_isinf_and_isnan_are_exact_and_vectorised():
    # inductor (2.13) computes isnan/isinf lane by lane after spilling the vector; actlab's
    # kernels use x != x and |x| == inf: the same masks, for every special value and dtype
    def fn(x):
        return torch.where(torch.isinf(x), 1.0, 0.0) + torch.where(torch.isnan(x), 2.0, 0.0)

    k = fused.compile_fn(fn, "test_isinf_isnan")
    special = [0.0, -0.0, 1.0, float("inf"), float("-inf"), float("nan"), 3.4e38, -1e-45]
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        x = torch.tensor(special * 9, dtype=dtype)  # 72 elements: vector body and scalar tail
        torch.testing.assert_close(k(x), fn(x))


def test_a_kernel_that_cannot_compile_falls_back_to_the_eager_path(monkeypatch, caplog):
    # no C++ compiler, an op inductor cannot lower, ...: the call warns once and runs eagerly
    def broken(*_args):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(fused.kernels, "_build", lambda *a: broken())  # compiling fails
    monkeypatch.setattr(fused.kernels, "_KERNELS", type(fused.kernels._KERNELS)())
    x = _x(64).float().reshape(8, 8)
    with fused.forced():
        for name in ("isru", "swiglu"):  # an elementwise and a gated kernel
            with fused.disabled():
                want = getattr(actlab.functional, name)(x)
            torch.testing.assert_close(getattr(actlab.functional, name)(x), want, rtol=0, atol=0)
    assert caplog.text.count("could not be compiled") == 2 and "no compiler here" in caplog.text
    assert set(fused.kernels._KERNELS.values()) == {None}


# ------------------------------------------------------------------------- learned parameters
@pytest.mark.parametrize("name", ["swish", "prelu", "elu", "snake"])
def test_learned_scalars_take_the_kernels_and_match_the_eager_path(name):
    m = actlab.nn.Activation(name, learnable=True, dtype=torch.float64)
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1.3)  # not the default: the value is a kernel input, not a constant
    x = (torch.randn(5001, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 3)
    g = torch.randn_like(x)

    def grads():
        xr = x.clone().requires_grad_(True)
        m.zero_grad()
        m(xr).backward(g)
        return [xr.grad] + [p.grad.clone() for p in m.parameters()]

    with fused.disabled():
        expected = grads()
    fused.reset()
    with fused.forced():
        got = grads()
    assert fused.stats()[(name, "backward", "fused")] == 1
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, shape", [("prelu", (4, 3, 5, 6)), ("snake", (2, 8, 7)), ("prelu", (16, 3)),
                                         ("snake", (32, 8))])
def test_per_channel_learned_parameters_take_channel_kernels(name, shape):
    m = actlab.nn.Activation(name, learnable=True, num_channels=shape[1], dtype=torch.float64)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.rand(p.shape, generator=torch.Generator().manual_seed(1), dtype=p.dtype) + 0.3)
    x = torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 3
    g = torch.randn_like(x)

    def run():
        xr = x.clone().requires_grad_(True)
        m.zero_grad()
        y = m(xr)
        y.backward(g)
        return [y.detach(), xr.grad] + [p.grad.clone() for p in m.parameters()]

    with fused.disabled():
        expected = run()
    fused.reset()
    with fused.forced():
        got = run()
    assert fused.stats()[(name, "backward", "fused")] == 1
    rows = "rows_" if len(shape) == 2 else ""  # (N, C): the rows kernels, which inductor vectorises
    from actlab.fused import kernels
    for direction in ("forward", "backward"):
        assert kernels.compiled(get_spec(name), f"channel_{rows}{direction}:1", torch.float64,
                                torch.device("cpu")) is not None
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_double_backward_and_per_element_parameters_take_the_eager_path():
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    fused.reset()
    with fused.forced():
        slope = torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
        actlab.functional.prelu(x, slope=slope).sum().backward()
    assert not any(k[2] == "fused" for k in fused.stats())  # per element: eager
    scalar = actlab.nn.Activation("swish", learnable=True, dtype=torch.float64)
    with fused.forced():
        (gx,) = torch.autograd.grad(scalar(x).sum(), x, create_graph=True)
        gx.sum().backward()  # double backward through the differentiable eager f'
    assert scalar.beta.grad is not None


def test_compile_kernels_builds_the_learned_backward_for_a_model_that_learns():
    from actlab.fused import dispatch

    spec = get_spec("swish")
    learning = torch.nn.Sequential(actlab.nn.Activation("swish", learnable=True))
    fixed = torch.nn.Sequential(actlab.nn.Activation("swish"))
    channels = torch.nn.Sequential(actlab.nn.PReLU(num_parameters=8))
    assert dispatch._learned_in(learning) == {"swish": {""}} and dispatch._learned_in(fixed) == {}
    assert dispatch._learned_in(channels) == {"prelu": {"1"}}
    wanted = [d for _, d in dispatch._kernels_for(spec, "cpu", learned={""})]
    if fused.route("swish").backward == "fused":
        assert "learn_backward" in wanted
    if fused.route("prelu").backward == "fused":
        assert "channel_backward:1" in [d for _, d in dispatch._kernels_for(get_spec("prelu"), "cpu", {"1"})]
    assert "learn_backward" not in [d for _, d in dispatch._kernels_for(spec, "cpu")]
