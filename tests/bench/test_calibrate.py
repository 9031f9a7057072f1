"""The calibration's decision rule (bench/calibrate._decide) on synthetic rows: which forward and
backward a routes table records from measured times and accuracy flags."""

from __future__ import annotations

from actlab.bench.calibrate import FUNCTION_US, _decide, _function_s


def row(native_ok=True, native_autograd_ok=False, fused_f_ok=True, fused_df_ok=True):
    return {"native_ok": native_ok, "native_autograd_ok": native_autograd_ok,
            "fused_f_ok": fused_f_ok, "fused_df_ok": fused_df_ok}


def times(eager, native, fused, eager_bwd=10.0, fused_bwd=5.0, native_step=None):
    t = {"eager_fwd": eager, "native_fwd": native, "fused_fwd": fused, "eager_bwd": eager_bwd,
         "fused_bwd": fused_bwd}
    return t | ({"native_step": native_step} if native_step is not None else {})


def test_the_fastest_accurate_forward_per_size_class():
    r = _decide(row(), times(10, 8, 4), times(10, 8, 9))
    assert (r.small, r.forward, r.backward, r.native_autograd) == ("fused", "native", "fused", False)


def test_a_compiled_kernel_must_win_by_five_percent():
    r = _decide(row(), times(10, 12, 9.6), times(10, 12, 9.4))
    assert (r.small, r.forward) == ("eager", "fused")


def test_torch_op_wins_a_near_tie_with_the_eager_composite():
    # measured in float32, where both are one pass; in half precision eager upcasts
    r = _decide(row(), times(10, 10.4, 20), times(10, 9.9, 20))
    assert (r.small, r.forward) == ("native", "native")
    r = _decide(row(), times(10, 10.6, 20), times(10, 10.6, 20))
    assert (r.small, r.forward) == ("eager", "eager")


def test_a_forward_that_is_torchs_op_routes_native_whatever_the_timer_said():
    # relu's forward is torch.relu: timer noise once made it "eager" (12% slower here), which
    # in bfloat16 costs a float32 round trip; a compiled kernel must still win clearly
    r = _decide(row() | {"native_is_forward": True}, times(10, 11.2, 20), times(10, 11.2, 9))
    assert (r.small, r.forward) == ("native", "fused")
    r = _decide(row(native_ok=False) | {"native_is_forward": True}, times(10, 9, 20), times(10, 9, 20))
    assert (r.small, r.forward) == ("eager", "eager")
    from actlab import get_spec

    assert get_spec("relu").native is get_spec("relu").forward
    assert get_spec("tanh").native is get_spec("tanh").forward


def test_an_inaccurate_op_or_kernel_is_never_chosen():
    r = _decide(row(native_ok=False, fused_f_ok=False, fused_df_ok=False), times(10, 1, 1), times(10, 1, 1))
    assert (r.small, r.forward, r.backward) == ("eager", "eager", "eager")


def test_native_autograd_where_torch_meets_every_bound():
    small = times(4e-6, 3e-6, 2e-6, eager_bwd=4e-6, fused_bwd=2e-6, native_step=12e-6)
    r = _decide(row(native_autograd_ok=True), small, times(10, 8, 9, native_step=12))
    assert (r.small, r.forward, r.native_autograd) == ("native", "native", True)
    # actlab's kernels under 0.9x torch's forward+backward at the large size keep them there
    r = _decide(row(native_autograd_ok=True), small, times(10, 8, 3, fused_bwd=2, native_step=12))
    assert (r.small, r.forward, r.native_autograd) == ("native", "fused", True)


def test_where_torchs_whole_call_loses_the_size_class_takes_actlabs_own_forward():
    # maxsig in bfloat16 (measured, seconds): torch's forward is the fastest, its backward is
    # not; a "native" forward with native_autograd would be the whole call, 6x slower at 1M
    small = times(36e-6, 3.8e-6, 3.5e-6, eager_bwd=34e-6, fused_bwd=3.9e-6, native_step=47e-6)
    large = times(22.8e-3, 0.74e-3, 1.13e-3, eager_bwd=24e-3, fused_bwd=0.73e-3, native_step=11.9e-3)
    r = _decide(row(native_autograd_ok=True), small, large)
    assert (r.small, r.forward, r.backward, r.native_autograd) == ("fused", "fused", "fused", True)
    # below 64K a whole call within 1/0.9 of actlab's kernels plus its Function's ~15 µs wins
    small = times(36e-6, 3.8e-6, 3.5e-6, eager_bwd=34e-6, fused_bwd=3.9e-6, native_step=24e-6)
    assert _decide(row(native_autograd_ok=True), small, large).small == "native"
    # leaky-ReLU-like: actlab's kernels far faster at 1M, but at 64K the Function's ~25 µs
    # outweighs the gain: torch's whole call keeps the large class (it starts at 64K)
    large = times(5.6e-3, 73e-6, 93e-6, eager_bwd=5e-3, fused_bwd=109e-6, native_step=3.2e-3)
    mid = times(0.3e-3, 4e-6, 5e-6, eager_bwd=0.3e-3, fused_bwd=6e-6, native_step=30e-6)
    assert _decide(row(native_autograd_ok=True), small, large).forward == "fused"
    assert _decide(row(native_autograd_ok=True), small, large, [mid]).forward == "native"


def test_the_functions_cost_is_the_measured_one_where_calibration_timed_it():
    # relu at 4K on a 2.45 GHz AVX2 VM (seconds): 10 µs of kernels, 186 µs through actlab's
    # Function with them forced, 66 µs for torch's whole call. The 25 µs assumed where the
    # Function was not timed sent the call to the kernels; the measured 176 µs keeps torch's.
    small = times(8e-6, 3e-6, 4e-6, eager_bwd=8e-6, fused_bwd=6e-6, native_step=66e-6)
    assert _function_s(small) == FUNCTION_US * 1e-6
    assert _decide(row(native_autograd_ok=True), small, small).small == "fused"
    measured = small | {"fused_step": 186e-6}
    assert abs(_function_s(measured) - 176e-6) < 1e-12
    assert _decide(row(native_autograd_ok=True), measured, measured).small == "native"
    # a step timed faster than its kernels (timer noise) adds nothing, never a negative cost
    assert _function_s(small | {"fused_step": 5e-6}) == 0.0


def test_an_inference_forward_where_the_fastest_forward_alone_differs_from_the_size_class():
    small = times(4e-6, 3e-6, 2e-6, eager_bwd=4e-6, fused_bwd=2e-6, native_step=12e-6)
    # softshrink in bfloat16: torch's whole call keeps training, its forward is 2x the kernel's
    r = _decide(row(native_autograd_ok=True), small, times(10, 8, 4, fused_bwd=6, native_step=10))
    assert (r.forward, r.inference) == ("native", "fused")
    # square in float32: actlab's Function keeps the large class (torch's backward: two passes),
    # torch's op is the fastest forward
    r = _decide(row(native_autograd_ok=True), small, times(4, 3, 4, fused_bwd=2, native_step=12))
    assert (r.forward, r.inference) == ("eager", "native")
    # a kernel faster at 1M but not at 64K (softshrink in float32): torch's op serves both
    mid = times(1e-3, 4e-6, 5e-6, native_step=10e-6)
    assert _decide(row(native_autograd_ok=True), small, times(10, 8, 4, fused_bwd=6, native_step=10),
                   [mid]).inference == ""
    # where the size class's way is the fastest forward anyway: none
    assert _decide(row(native_autograd_ok=True), small, times(10, 3, 4, native_step=8)).inference == ""
    assert _decide(row(), small, times(10, 3, 2)).inference == ""


def test_any_values_only_where_torch_passed_at_every_point_of_the_sweep():
    for swept in (False, True):
        r = _decide(row(native_autograd_ok=True) | {"native_any_values_ok": swept},
                    times(10, 8, 4, native_step=8), times(10, 8, 9, native_step=12))
        assert (r.native_autograd, r.any_values) == (True, swept)
    r = _decide(row() | {"native_any_values_ok": True}, times(10, 8, 4), times(10, 8, 9, native_step=12))
    assert not r.any_values  # never without native_autograd


def test_the_sweep_separates_torchs_exact_and_inexact_backwards():
    # torch's leaky ReLU backward is exact at every slope; its ELU backward loses digits at
    # α = ±1000 in float32 (4.5 ULP) and α = ±1e30 in float64 (measured: 1e13 ULP at x = -752)
    from actlab import get_spec
    from actlab.bench.calibrate import _native_everywhere

    assert _native_everywhere(get_spec("leaky_relu"), ("float32",))
    assert not _native_everywhere(get_spec("elu"), ("float64", "float32"))


def test_a_16_bit_dtype_gets_its_own_route_where_torch_passes_in_it_alone():
    # torch's op misses float32's bounds but meets bfloat16's: native in bfloat16 only
    from actlab import fused
    from actlab.bench.calibrate import _in_dtype, routes_table

    r = row(native_ok=False) | {"native_ok@bfloat16": True, "native_autograd_ok@bfloat16": True,
                                "native_ok@float16": False, "native_autograd_ok@float16": False}
    small, large = times(10, 8, 9, native_step=12), times(10, 8, 9, native_step=12)
    assert _decide(r, small, large) == fused.FUSED
    bf16 = _decide(_in_dtype(r, "bfloat16"), small, large)
    assert (bf16.small, bf16.forward, bf16.native_autograd) == ("native", "native", True)
    assert _decide(_in_dtype(r, "float16"), small, large) == _decide(r, small, large)
    table = routes_table([{"activation": "mish", "route": _decide(r, small, large), "route@bfloat16": bf16,
                           "route@float16": _decide(_in_dtype(r, "float16"), small, large)}], "test")
    assert table["routes"]["mish"] == ["fused", "fused", "fused"]
    assert table["by_dtype"] == {"bfloat16": {"mish": ["native", "native", "fused", "native_autograd"]}}


def test_float32_gets_its_own_route_where_torch_misses_only_float64s_bounds():
    # torch's softplus returns x above x = 20: 1e5 ULP in float64, within float32's bound; its
    # f'' misses float32's too. Forward by torch's op in float32, the compiled backward kept
    from actlab.bench.calibrate import _in_dtype, routes_table

    r = row(native_ok=False) | {"native_ok@float32": True, "native_autograd_ok@float32": False}
    small, large = times(10, 4, 6), times(10, 4, 6, native_step=12)
    every = _decide(r, small, large)
    f32 = _decide(_in_dtype(r, "float32"), small, large)
    assert (every.small, every.forward) == ("fused", "fused")
    assert (f32.small, f32.forward, f32.backward, f32.native_autograd) == ("native", "native", "fused", False)
    table = routes_table([{"activation": "softplus", "route": every, "route@float32": f32}], "test")
    assert table["by_dtype"] == {"float32": {"softplus": ["native", "native", "fused"]}}


def test_an_op_without_a_double_backward_never_gets_the_whole_call_in_any_dtype():
    # hardsigmoid: torch's f'' raises (not implemented); bfloat16 measures no f'', so its own
    # verdict alone would hand torch the whole call, and a double backward would fail there
    from actlab.bench.calibrate import _in_dtype

    r = row(native_ok=True) | {"native_ok@bfloat16": True, "native_autograd_ok@bfloat16": True,
                               "native_d2f_missing": True}
    small, large = times(10, 8, 9, native_step=12), times(10, 8, 9, native_step=12)
    assert not _decide(_in_dtype(r, "bfloat16"), small, large).native_autograd
    assert _decide(_in_dtype(r | {"native_d2f_missing": False}, "bfloat16"), small, large).native_autograd
