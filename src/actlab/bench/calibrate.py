"""Calibration: measure a routes table (:mod:`actlab.fused.routes`) for this torch, CPU and ISA.

Per activation: the ULP accuracy of its compiled kernels (forced) and of torch's native op
(f, and f' and f'' through torch's own autograd) in every dtype, and the speed of the eager
composite, the native op and the compiled kernels at a small and a large size, side by side.
:func:`_decide` turns one row into a route; ``actlab bench kernels --calibrate`` prints the
table as JSON for ``routes.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from .. import functional, fused
from ..spec import ActivationSpec
from .kernels import Progress, _autograd_step, benchable, size_label, time_round_robin

__all__ = ["ACCURACY_DTYPES", "calibrate", "routes_table"]

ACCURACY_DTYPES = ("float64", "float32", "bfloat16", "float16")
OWN_DTYPES = ("float32", "bfloat16", "float16")  # dtypes that get routes of their own where theirs differ


def calibrate(names: Sequence[str] | None = None, sizes: Sequence[int] = (1 << 12, 1 << 16, 1 << 20),
              repeats: int = 5, accuracy_dtypes: Sequence[str] = ACCURACY_DTYPES,
              progress: Progress | None = None) -> list[dict[str, Any]]:
    """Measure what a routes table (:mod:`actlab.fused.routes`) is made of, per activation.

    Accuracy: :func:`actlab.numerics.accuracy.measure` under :func:`fused.forced` (so f and f'
    come from the compiled kernels) and the native column, in every dtype. Speed (float32, at
    ``sizes[0]`` for the route below :data:`actlab.fused.routes.SMALL` elements, ``sizes[-1]``
    at or above it, and whether torch's whole call keeps that class also at the sizes between,
    64K by default): the eager
    spec forward, the native op and the compiled forward; eager ``g * f'(x)`` and the compiled
    backward (``repeats`` interleaved rounds, minimum). The rule is :func:`_decide`; for
    float32, bfloat16 and float16 too, with torch's op judged by its accuracy in that dtype
    alone (``route@float32``: a route of its own where it differs from the all-dtypes one,
    ``by_dtype`` in the table); where torch's op passes in a 16-bit dtype, that dtype's route
    is decided on speeds measured in it (torch's 16-bit CPU ops are kernels of their own).
    """
    gen = torch.Generator().manual_seed(0)
    out = []
    for spec in benchable(names):
        xs = {n: torch.randn(n, generator=gen) * 3 for n in sizes}
        gs = {n: torch.randn(n, generator=gen) for n in xs}
        out.append(_calibrate_one(spec, xs, gs, repeats, accuracy_dtypes))
        if progress:
            progress(f"{spec.name}: {out[-1]['route']}")
    return out


def _calibrate_one(spec: ActivationSpec, xs: dict[int, torch.Tensor], gs: dict[int, torch.Tensor],
                   repeats: int, accuracy_dtypes: Sequence[str]) -> dict[str, Any]:
    from ..numerics import accuracy

    row: dict[str, Any] = {"activation": spec.name}
    before = fused.stats()
    with fused.forced():
        ms = accuracy.measure(spec.name, accuracy_dtypes)
    after = fused.stats()
    # a kernel that failed to compile falls back to eager, which would pass for it: count calls
    ran = {d: after.get((spec.name, d, "fused"), 0) - before.get((spec.name, d, "fused"), 0)
           for d in ("forward", "backward")}
    row["fused_f_ok"] = ran["forward"] >= len(accuracy_dtypes) and all(
        m.passed for m in ms if m.quantity == "f")
    row["fused_df_ok"] = ran["backward"] >= 1 and all(m.passed for m in ms if m.quantity == "df")
    row["fused_worst"] = _failures(ms)
    def native_ok(quantities: tuple[str, ...], among: Sequence[Any] = ms) -> bool:
        return spec.native is not None and all(
            m.native is not None and m.native.bad == 0 and (m.bound is None or m.native.max_ulp <= m.bound)
            for m in among if m.quantity in quantities)

    row["native_ok"] = native_ok(("f",))
    row["native_is_forward"] = spec.native is spec.forward
    row["native_autograd_ok"] = native_ok(("f", "df", "d2f"))  # torch's own backward and double backward
    # no double backward at all (hardsigmoid's is not implemented; identity returns x itself): never
    # the whole call, whatever a 16-bit dtype, where f'' is not measured, says
    row["native_d2f_missing"] = any(m.native is None for m in ms if m.quantity == "d2f")
    for dtype in OWN_DTYPES:  # a dtype's own route needs torch's op to pass in it alone
        if dtype in accuracy_dtypes:
            alone = [m for m in ms if m.dtype == dtype]
            row[f"native_ok@{dtype}"] = native_ok(("f",), alone)
            row[f"native_autograd_ok@{dtype}"] = native_ok(("f", "df", "d2f"), alone)
    row["native_any_values_ok"] = row["native_autograd_ok"] and _native_everywhere(spec, accuracy_dtypes)
    for n, x in xs.items():
        t = _times(spec, x, gs[n], repeats)
        row.update({f"{k}_us@{size_label(n)}": v * 1e6 for k, v in t.items()})
        row[f"times@{size_label(n)}"] = t
    times = [row[f"times@{size_label(n)}"] for n in sorted(xs)]
    row["route"] = _decide(row, times[0], times[-1], times[1:-1])
    for dtype in OWN_DTYPES:
        if f"native_ok@{dtype}" not in row:
            continue
        own = times
        if dtype != "float32" and row[f"native_ok@{dtype}"]:
            # torch's op in a 16-bit dtype is its own CPU kernel, not always float32's speed
            # (maxsig's forward+backward in bfloat16: 6.8x float32's at 1M): timed in that dtype
            cast = getattr(torch, dtype)
            own = [_times(spec, xs[n].to(cast), gs[n].to(cast), repeats) for n in sorted(xs)]
            row[f"times@{dtype}"] = {size_label(n): t for n, t in zip(sorted(xs), own)}
        row[f"route@{dtype}"] = _decide(_in_dtype(row, dtype), own[0], own[-1], own[1:-1])
    return row


def _times(spec: ActivationSpec, x: torch.Tensor, g: torch.Tensor, repeats: int) -> dict[str, float]:
    """Seconds per call at ``x`` (its dtype): the eager forward and ``g·f'`` as actlab computes
    them (16-bit inputs in float32), the compiled kernels, torch's op and its autograd step."""
    from ..fused import kernels
    from ..spec import compute_dtype

    params, dtype, cpu = spec.defaults, x.dtype, torch.device("cpu")
    cdt = compute_dtype(dtype)
    fwd_k = kernels.get(spec, "forward", dtype, cpu)
    bwd_k = kernels.get(spec, "backward", dtype, cpu)
    theta = kernels.param_tensors(tuple(params[n] for n in spec.param_names), dtype, cpu)
    fns: dict[str, Callable[[], Any]] = {
        "eager_fwd": lambda: spec.forward(x.to(cdt), **params).to(dtype),
        "eager_bwd": lambda: (g.to(cdt) * spec.derivative(x.to(cdt), **params)).to(dtype),
    }
    if fwd_k is not None:
        fns["fused_fwd"] = lambda: fwd_k(x, *theta)
    if bwd_k is not None:
        fns["fused_bwd"] = lambda: bwd_k(x, g, *theta)
    if spec.native is not None:
        fns["native_fwd"] = lambda native=spec.native: native(x, **params)
    with torch.no_grad():
        t = {k: min(v) for k, v in time_round_robin(fns, repeats, x.device).items()}
    if spec.native is not None:  # torch's forward and backward, as a plain call meets them
        step = _autograd_step(lambda x, native=spec.native: native(x, **params))
        timed = {"native_step": lambda: step(x, g)}
        if fwd_k is not None and bwd_k is not None:  # and actlab's, through its Function
            ours = _autograd_step(lambda x: functional.apply(spec, x, params))
            timed["fused_step"] = lambda: ours(x, g)
        # forced once around the rounds, not per call: entering the context costs ~5 µs, which
        # is the timer's, not the Function's (torch's op ignores the mode)
        with fused.forced():
            t |= {k: min(v) for k, v in time_round_robin(timed, repeats, x.device).items()}
    return t


def _in_dtype(row: dict[str, Any], dtype: str) -> dict[str, Any]:
    """The row as ``dtype``'s own route sees it: torch's op judged by its accuracy in that dtype
    alone, and the any-values sweep the all-dtypes one (conservative)."""
    whole = row[f"native_autograd_ok@{dtype}"] and not row.get("native_d2f_missing", False)
    return row | {"native_ok": row[f"native_ok@{dtype}"], "native_autograd_ok": whole,
                  "native_any_values_ok": row.get("native_any_values_ok", False) and whole}


def _native_everywhere(spec: ActivationSpec, dtypes: Sequence[str]) -> bool:
    """Whether torch's f, f' and f'' meet the bounds at every parameter set of the accuracy
    sweep (small grids); True at once for an activation without parameters."""
    from ..numerics import accuracy

    for point in accuracy.param_points(spec)[1:]:  # [0] is the defaults, measured already
        for m in accuracy.measure(spec.name, dtypes, "small", point):
            if m.quantity in ("f", "df", "d2f") and (
                    m.native is None or m.native.bad or (m.bound is not None and m.native.max_ulp > m.bound)):
                return False
    return True


def _fastest_forward(row: dict[str, Any], t: dict[str, float]) -> str:
    ok = {"eager": t["eager_fwd"]}
    if row["native_ok"] and "native_fwd" in t:
        ok["native"] = t["native_fwd"]
    best = min(ok, key=ok.__getitem__)
    # the forward IS torch's op (relu, tanh): the same work in float32, whatever the timer said,
    # and in bfloat16/float16 the eager path's float32 round trip is two more passes
    if "native" in ok and row.get("native_is_forward"):
        best = "native"
    # torch's op wins a near tie with the eager composite: the speed is measured in float32, and
    # in bfloat16/float16 the eager path upcasts to float32 (three passes) where torch's op is one
    if "native" in ok and ok["native"] <= 1.05 * ok["eager"]:
        best = "native"
    # a compiled kernel must win clearly: it needs actlab.compile_kernels, native and eager do not
    if row["fused_f_ok"] and "fused_fwd" in t and t["fused_fwd"] < 0.95 * ok[best]:
        best = "fused"
    return best


def _backward_way(row: dict[str, Any], t: dict[str, float]) -> str:
    if row["fused_df_ok"] and "fused_bwd" in t and t["fused_bwd"] < 0.95 * t["eager_bwd"]:
        return "fused"
    return "eager"


# What actlab's Python autograd Function adds to a forward+backward, beyond its kernels, where it
# was not measured: ELU at 4K elements took 55 µs through the routed Function against 17 µs for
# torch's whole call (2-core Zen 5 VM under load); idle, ~25 µs. Measured (fused_step), it is
# the machine's own: ~175 µs on a 2.45 GHz AVX2 EPYC (relu at 4K: 186 µs through the Function
# with its kernels forced, 10 µs of it the kernels; torch's whole call 66 µs), where 25 µs sent
# relu's and absolute's 4K calls to kernels at 2.4x torch's whole call.
FUNCTION_US = 25.0


def _function_s(t: dict[str, float]) -> float:
    if "fused_step" in t:
        return max(t["fused_step"] - t["fused_fwd"] - t["fused_bwd"], 0.0)
    return FUNCTION_US * 1e-6


def _decide(row: dict[str, Any], small: dict[str, float], large: dict[str, float],
            between: Sequence[dict[str, float]] = ()) -> fused.Route:
    """The route from one calibration row (see :func:`calibrate`): per size class, the fastest
    forward among those that pass the ULP bounds (eager, native, compiled; compiled only if
    more than 5% faster); backward compiled where it passes and is faster at the large size.

    Where torch's op passes the bounds for f, f' and f'' in every dtype, the call is torch's op
    with its autograd (``native_autograd``; at any parameter values where it passes at every
    point of the accuracy sweep, ``any_values``) in each size class where torch's forward+backward
    takes at most 1/0.9 of actlab's: below :data:`~actlab.fused.routes.SMALL` elements counting
    what actlab's Function adds (measured, else :data:`FUNCTION_US`), more than any kernel there;
    at or above it, at the large size or at any size measured ``between`` (64K: the Function is not
    yet small there), counting the Function too. Where it loses everywhere, that size class
    takes actlab's fastest forward other than torch's op, since a "native" forward there would
    be the whole call (maxsig in bfloat16: torch's backward 11 ms at 1M elements, actlab's 0.7).
    Where one forward alone is the fastest at every size of the large class and is not that
    class's way, a call no derivative can be asked of takes it (``inference``)."""
    backward = _backward_way(row, large)
    ways = [_fastest_forward(row, small), _fastest_forward(row, large)]
    if not row["native_autograd_ok"]:
        return fused.Route(*ways, backward)
    def ours(t: dict[str, float]) -> str:  # actlab's fastest forward other than torch's op
        return _fastest_forward(row | {"native_ok": False}, t)

    def wins(t: dict[str, float]) -> bool:  # torch's whole call against actlab's Function
        return t["native_step"] <= (t[f"{ours(t)}_fwd"] + t[f"{backward}_bwd"] + _function_s(t)) / 0.9

    # the large class starts at 64K elements, where the Function's cost is not yet small: torch's
    # whole call keeps it unless actlab wins at every size measured there
    large_way = "native" if any(map(wins, (*between, large))) else ours(large)
    # a call no derivative can be asked of needs only the fastest forward, where one is the fastest
    # at every size measured in the large class (softshrink in float32: a kernel at 1M, torch's
    # op at 64K); below 64K a compiled kernel's call costs more than torch's whole one
    fastest = {_fastest_forward(row, t) for t in (*between, large)}
    inference = fastest.pop() if len(fastest) == 1 and large_way not in fastest else ""
    return fused.Route("native" if wins(small) else ours(small), large_way, backward,
                       native_autograd=True, any_values=row.get("native_any_values_ok", False),
                       inference=inference)


def routes_table(rows: Sequence[dict[str, Any]], measured: str) -> dict[str, Any]:
    """A ``routes.json`` table for this torch version, CPU and ISA from calibration rows."""
    from ..fused import routes

    by_dtype = {dtype: {r["activation"]: _route_entry(r[f"route@{dtype}"]) for r in rows
                        if r.get(f"route@{dtype}", r["route"]) != r["route"]} for dtype in OWN_DTYPES}
    return {"torch": routes.torch_version(), "device": "cpu", "isa": routes.isa(), "measured": measured,
            "routes": {r["activation"]: _route_entry(r["route"]) for r in rows},
            "by_dtype": {dtype: own for dtype, own in by_dtype.items() if own}}


def _route_entry(r: fused.Route) -> list[str]:
    return [r.small, r.forward, r.backward] + [flag for flag, on in (
        ("native_autograd", r.native_autograd), ("any_values", r.any_values),
        (fused.routes.INFERENCE + r.inference, r.inference)) if on]


def _failures(ms: Sequence[Any]) -> str:
    bad = [m for m in ms if m.quantity in ("f", "df") and not m.passed]
    return "; ".join(f"{m.dtype} {m.quantity} {m.actlab.max_ulp:.3g} ULP (bound {m.bound}), "
                     f"non-finite {m.actlab.bad}" for m in bad)
