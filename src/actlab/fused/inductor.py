"""Everything actlab does with inductor's internals, in one place: compiling a kernel, and the
code generation it changes while it does.

:func:`compile_kernel` turns a function of tensors into one compiled kernel for every input
size. On the torch versions in :data:`TESTED` (CPU) it traces the function with ``make_fx``
(symbolic sizes, inductor's decompositions) and compiles the graph with ``compile_fx_inner``:
the result is inductor's generated code called directly, ~3 µs a call, where a ``torch.compile``
function costs ~50-65 µs of dynamo guards and AOTAutograd wrappers (measured, 2-core VM, torch
2.13), which would lose to torch's native ops below ~256K elements. Elsewhere (another torch
version, CUDA) it falls back to ``torch.compile(dynamic=True, fullgraph=True)``: the same
kernel, a slower call.

While actlab compiles, and only then, inductor's vectorised CPU ``expm1``, ``erf``, ``sin`` and
``cos`` are made accurate, float ``tanh`` cheaper and ``isnan``/``isinf`` vectorised
(:func:`accurate_codegen`); the change is undone when the compilation returns, and applied only
on :data:`TESTED` versions, whose generated code the ULP tests check. User code compiled by
the user never sees it.
"""

from __future__ import annotations

import contextlib
import math
import types
from collections.abc import Callable, Iterator
from typing import Any

import torch

from .routes import torch_version

__all__ = ["TESTED", "accurate_codegen", "compile_fn", "compile_kernel", "compile_many"]

TESTED = ("2.13",)  # torch versions whose inductor internals this module was written against

Kernel = Callable[..., torch.Tensor]


def _direct_ok(example: tuple[torch.Tensor, ...]) -> bool:
    return torch_version() in TESTED and all(t.device.type == "cpu" for t in example)


def compile_kernel(fn: Callable[..., torch.Tensor], example: tuple[torch.Tensor, ...], name: str,
                   precise_trig: bool = True) -> Kernel:
    """``fn`` compiled once for every size of its inputs (same ranks, dtypes and device as
    ``example``, whose tensors need at least 2 elements per dimension). Compiles now.
    ``precise_trig``: float32 ``sin``/``cos`` by SLEEF's 1-ULP versions (:func:`accurate_codegen`)."""
    if not _direct_ok(example):
        compiled = compile_fn(fn, name, precise_trig=precise_trig)
        compiled(*example)
        return compiled

    def as_tuple(*args: torch.Tensor) -> tuple[torch.Tensor]:
        return (fn(*args),)  # inductor compiles graphs that return a tuple

    graph = _runner(_compile_graph(as_tuple, example, precise_trig))

    def call(*args: torch.Tensor) -> torch.Tensor:
        return graph(list(args))[0]

    call.__name__ = call.__qualname__ = name
    return call


def compile_many(fn: Callable[..., tuple[torch.Tensor, ...]], example: tuple[torch.Tensor, ...],
                 name: str, precise_trig: bool = True) -> Callable[..., tuple[torch.Tensor, ...]]:
    """Like :func:`compile_kernel` for an ``fn`` that returns a tuple: one compilation of many
    independent kernels (each input its own symbolic size, so each output its own loop, the
    code its own kernel would have). Checking a whole catalog costs one C++ compile, not 60."""
    if not _direct_ok(example):
        return compile_fn(fn, name, precise_trig=precise_trig)
    graph = _runner(_compile_graph(fn, example, precise_trig))

    def call(*args: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(graph(list(args)))

    call.__name__ = call.__qualname__ = name
    return call


def _runner(graph: Any) -> Callable[[list[torch.Tensor]], Any]:
    """The compiled graph's own callable (the generated ``call(args)``). ``CompiledFxGraph``'s
    ``__call__`` wraps it in autotune-cache and runtime-metrics bookkeeping, which a CPU kernel
    never uses and which costs ~1.5 µs a call, a third of a 4K-element kernel."""
    run = getattr(graph, "current_callable", None)
    return graph if run is None else run


def _compile_graph(fn: Callable[..., tuple[torch.Tensor, ...]], example: tuple[torch.Tensor, ...],
                   precise_trig: bool) -> Any:
    from torch._guards import TracingContext, tracing
    from torch._inductor.compile_fx import compile_fx_inner
    from torch._inductor.decomposition import select_decomp_table
    from torch.fx.experimental.proxy_tensor import make_fx

    with accurate_codegen(precise_trig):
        gm = make_fx(fn, tracing_mode="symbolic", decomposition_table=select_decomp_table())(*example)
        fakes = [n.meta["val"] for n in gm.graph.nodes if n.op == "placeholder"]
        fake_mode = fakes[0].fake_mode
        with tracing(TracingContext(fake_mode)), fake_mode, _salted(precise_trig):
            return compile_fx_inner(gm, fakes)


def compile_fn(fn: Callable[..., Any], name: str, fullgraph: bool = True,
               accurate: bool = True, precise_trig: bool = True) -> Callable[..., Any]:
    """``torch.compile(fn, dynamic=True)`` of a private copy of ``fn`` called ``name``.

    Dynamo keeps the compiled graphs of a function on its code object and falls back to eager
    after 8 of them per code object. Closures made by one ``def`` share that code object across
    activations, so each gets its own copy of it: then only dtypes and devices recompile.
    ``accurate``: compile (and call) with :func:`accurate_codegen`; ``False`` is plain
    ``torch.compile`` (what a user gets).
    """
    code = fn.__code__.replace(co_name=name)
    if hasattr(code, "co_qualname"):  # Python >= 3.11
        code = code.replace(co_qualname=name)
    copy = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    if not accurate:
        return torch.compile(copy, dynamic=True, fullgraph=fullgraph)
    compiled = torch.compile(copy, dynamic=True, fullgraph=fullgraph,
                             options={"post_grad_custom_post_pass": _cache_salt(precise_trig)})

    def call(*args: Any) -> Any:
        with accurate_codegen(precise_trig):  # compilation happens on a call: first, or for a new dtype
            return compiled(*args)

    call.__name__ = name
    return call


@contextlib.contextmanager
def _salted(precise_trig: bool) -> Iterator[None]:
    from torch._inductor import config

    with config.patch(post_grad_custom_post_pass=_cache_salt(precise_trig)):
        yield


def _cache_salt(precise_trig: bool) -> Any:
    """An identity post-grad pass whose only job is its ``uuid``: inductor's on-disk cache keys
    include it, so actlab's kernels never reuse a kernel compiled with the inexact ``expm1``/``erf``
    (same graph, same config otherwise) and nobody else reuses actlab's."""
    from torch._inductor.custom_graph_pass import CustomGraphPass

    class ActlabSalt(CustomGraphPass):
        def __call__(self, graph: torch.fx.graph.Graph) -> None:
            return None

        def uuid(self) -> str:  # changes whenever the generated code below changes
            generated = (_vec_expm1("x"), _vec_erf("x"), _vec_erfc("x"), _vec_tanh("x"),
                         *((_vec_sin("x"),) if precise_trig else ()))
            return "actlab.fused: " + _CODEGEN + "".join(generated)

    return ActlabSalt()


@contextlib.contextmanager
def accurate_codegen(precise_trig: bool = True) -> Iterator[None]:
    """Inductor's vectorised CPU ``expm1`` and float32 ``erf`` (and, with ``precise_trig``,
    ``sin``/``cos``) made accurate, float32 ``tanh`` made cheaper, and ``isnan`` vectorised,
    while actlab compiles.

    Inductor (torch 2.13) generates, for vectorised CPU loops:

    * ``expm1(x)`` as ``x.exp() - 1`` "for a better performance": near 0 that cancels, 1.6e7
      ULP in float32 and 9e15 in float64, so every ELU-like activation's careful ``expm1`` tail
      goes wrong once compiled. Here float32 gets fdlibm's reduction (:func:`_expm1_float`,
      1.4 ULP, the cost of an exp and a polynomial) and float64 ATen's
      ``Vectorized<double>::expm1`` (SLEEF, 1 ULP). SLEEF's float expm1 is as accurate but 2.4x
      slower (ELU's kernel at 1M elements: 928 vs 390 µs, 1 thread, Zen 5).
    * float32 ``tanh`` as SLEEF's tanhf, ~3 exps' time: here ``(1 - e)/(1 + e)``, ``e =
      e^{-2|x|}``, from the same reduction (:func:`_vec_tanh`, 1.8 ULP; 3.7x faster).
    * ``isnan`` and ``isinf`` in a scalar loop (no vectorised versions): ``x != x`` and
      ``|x| == inf`` instead, exact.
    * float32 ``sin``/``cos`` as ``Vectorized<float>::sin/cos``, SLEEF's 3.5-ULP variants
      (measured: 1.9 ULP on [-2, 2], where eager ``torch.sin`` has 0.6); Snake's and CosId's
      f' = (sin + cos)² doubles that to 4.5 ULP, past the 4-ULP bound. With ``precise_trig``
      (those activations' kernels: :data:`actlab.fused.kernels.PRECISE_TRIG`) SLEEF's 1-ULP
      variants (``Sleef_sinf16_u10``, ``Sleef_sinf8_u10``) are used on AVX-512 and AVX2
      instead, at about twice the cost; the other kernels keep inductor's.
    * ``erf(x)`` as ``Vectorized<float>::erf``, Abramowitz & Stegun 7.1.26: absolute error
      1.5e-7, so relative error unbounded near 0 (erf(2e-9) returns 0; SERF's forward is 8e5 ULP
      off). Here: ``2x/√π · Σ (-x²)^k / (k!(2k+1))`` (k <= 6, truncation < 0.5 ULP) for
      |x| < 1/2, ``sign(x)(1 - erfc|x|)`` beyond (actlab's erfc, :func:`_erfc_positive`, 2 ULP;
      no cancellation as erf >= 0.52).
      Double precision keeps SLEEF's erf, which is accurate.

    Inside this block inductor is pointed at these; outside it (torch.compile called by anyone
    else) inductor is left as it is. ``actlab bench kernels --calibrate`` measures actlab's
    kernels against the mpmath oracle and routes none that miss the ULP bounds.
    """
    if torch_version() not in TESTED:  # untested internals: leave inductor as it is
        yield
        return
    try:
        from torch._inductor.codegen.cpp import CppVecOverrides
    except ImportError:  # pragma: no cover - a torch without inductor's C++ backend
        yield
        return
    from torch._inductor.codegen.cpp import CppVecKernel

    mine = {"expm1": _vec_expm1, "erf": _vec_erf, "erfc": _vec_erfc, "isnan": _vec_isnan, "isinf": _vec_isinf,
            "tanh": _vec_tanh, **({"sin": _vec_sin, "cos": _vec_cos} if precise_trig else {})}
    originals = {k: CppVecOverrides.__dict__.get(k) for k in mine}
    load_line = CppVecKernel._get_vec_load_line
    for k, fn in mine.items():
        setattr(CppVecOverrides, k, staticmethod(fn))
    CppVecKernel._get_vec_load_line = _half_width_load(load_line)  # type: ignore[method-assign]
    try:
        yield
    finally:
        CppVecKernel._get_vec_load_line = load_line  # type: ignore[method-assign]
        for k, v in originals.items():
            if v is None:
                delattr(CppVecOverrides, k)
            else:
                setattr(CppVecOverrides, k, v)


def _half_width_load(original: Callable[..., str]) -> Callable[..., str]:
    """Inductor's load of 8 bfloat16/float16 values on AVX2, one 16-byte load.

    A loop over 16-bit floats on AVX2 loads ``tiling_factor`` = 8 elements, half a
    ``Vectorized<BFloat16>``, by ``loadu(ptr, 8)``: a memcpy into a zeroed 32-byte stack buffer,
    read back with one 32-byte load, which cannot be forwarded from the two smaller stores and
    stalls. A backward kernel (two such loads) took 7x its float32 time (relu's at 1M elements:
    2.06 vs 0.30 ms). ``_mm_loadu_si128`` reads exactly those 8 values; the upper lanes are
    zero, as the memcpy left them. AVX-512 loads with a mask and is left as it is.
    """
    def load(self: Any, var: str, index: Any, dtype: torch.dtype, load_mask: Any = None) -> str:
        line = original(self, var, index, dtype, load_mask)
        if (load_mask is not None or dtype not in (torch.bfloat16, torch.float16)
                or self.vec_isa.bit_width() != 256 or self.tiling_factor != 8):
            return line
        from torch._inductor.codegen.cpp import DTYPE_TO_CPP, cexpr_index

        ptr = f"{var} + {cexpr_index(index)}" if index != 0 else var
        return (f"at::vec::Vectorized<{DTYPE_TO_CPP[dtype]}>(_mm256_inserti128_si256(_mm256_setzero_si256(), "
                f"_mm_loadu_si128(reinterpret_cast<const __m128i*>({ptr})), 0))")

    return load


# The generated code changes with this; it is part of the inductor cache key of actlab's kernels.
_CODEGEN = ("expm1: 2^k(e^r - 1) + (2^k - 1) for float, SLEEF for double; tanh: (1 - e)/(1 + e) by FMAs; "
            "erf: series below 1/2, 1 - erfc above; isnan: x != x; isinf: |x| == inf; "
            "sin/cos: SLEEF u10 with precise_trig; erfc: erfcx polynomial; "
            "16-bit loads on AVX2: _mm_loadu_si128; examples of 64K elements; v11")


# e^r - 1 = r + r²·Q(r) on |r| <= ln2/2: Q fitted (weighted least squares on 3000 Chebyshev nodes
# against mpmath) to 0.05 ULP of float32 in e^r - 1; tests/test_fused.py checks the fit.
EXPM1_POLY = (0.5, 0.1666666716337204, 0.04166635498404503, 0.008333288133144379, 0.001394109334796667,
              0.00019905209774151444)
LN2_HI, LN2_LO = 0.693145751953125, 1.428606765330187e-06  # ln 2 = HI + LO, HI with 15 bits: k·HI exact


def _exp_reduction() -> str:
    # C++ statements: for W lanes x in [-30, 88.8] (or NaN), e^x = 2^k (1 + p) with k = round(x/ln2),
    # r = x - k ln2 (two FMAs, exact HI part), p = e^r - 1 = r + r²·Q(r), and two_k = 2^min(k, 127)
    # made from k's bits. Neither expm1 nor tanh below needs more than this and a few FMAs.
    horner = f"W({EXPM1_POLY[-1]!r}f)"
    for c in reversed(EXPM1_POLY[:-1]):
        horner = f"at::vec::fmadd({horner}, r, W({c!r}f))"
    return (
        f"auto k = (x * W({1 / math.log(2)!r}f)).round(); "
        f"auto r = at::vec::fmadd(k, W({-LN2_HI!r}f), x); r = at::vec::fmadd(k, W({-LN2_LO!r}f), r); "
        f"auto p = at::vec::fmadd(r * r, {horner}, r); "
        "auto ki = at::vec::convert_to_int_of_same_size(at::vec::minimum(k, W(127.f))); "
        "auto two_k = at::vec::cast<float>((ki + decltype(ki)(127)) << decltype(ki)(23)); "
    )


def _expm1_float() -> str:
    # C++ lambda: expm1 of float lanes within 1.4 ULP, at the cost of an exp. expm1(x) =
    # 2^k p + (2^k - 1): 2^k - 1 is exact for |k| <= 24 and no term cancels (fdlibm's expm1,
    # without its table). SLEEF's expm1f computes in double-float arithmetic, 2.4x slower in ELU's kernel.
    # k = 128 (x in [88.4, 88.7], e^x still finite) is 2·2^127; x is clamped to [-30, 88.8]
    # (expm1 is -1 and inf beyond; NaN kept) and -0 is given back as -0.
    return (
        "[](auto v) { using W = decltype(v); "
        "auto x = at::vec::minimum(at::vec::maximum(v, W(-30.f)), W(88.8f)); "
        f"{_exp_reduction()}"
        "auto y = at::vec::fmadd(two_k, p, two_k - W(1)); "
        "y = W::blendv(y, y + y, k > W(127.f)); "
        "return W::blendv(y, v, v == W(0)); }"
    )


_EXPM1_FLOAT = _expm1_float()


def _vec_expm1(x: Any) -> str:
    return _per_float_vector(_EXPM1_FLOAT, "x_.expm1()", x)


def _vec_tanh(x: Any) -> str:
    # tanh|x| = (1 - e)/(1 + e), e = e^{-2|x|} = 2^k (1 + p): numerator 1 - 2^k - 2^k p and
    # denominator 1 + 2^k + 2^k p are one FMA each (1 ∓ 2^k exact while k >= -23), so neither
    # cancels, near 0 nor far out; then x's sign (also on -0). 1.8 ULP (eager: 0.5) at the cost
    # of an exp and a division; SLEEF's tanhf (inductor's choice) costs ~3 exps.
    one = (
        "[](auto v) { using W = decltype(v); auto x = at::vec::maximum(v.abs() * W(-2), W(-30.f)); "
        f"{_exp_reduction()}"
        "auto num = at::vec::fmadd(W(0) - two_k, p, W(1) - two_k); "
        "auto den = at::vec::fmadd(two_k, p, W(1) + two_k); return (num / den).copysign(v); }"
    )
    return _per_float_vector(one, "x_.tanh()", x)


def _vec_isnan(x: Any) -> str:
    # Inductor has no vectorised isnan: it spills each vector to memory and loops over std::isnan
    # (a third of the time of ReLU's backward, whose f' keeps NaN as NaN). x != x is true exactly
    # for NaN (compiled with -fno-finite-math-only; the vector compare is unordered-or-unequal).
    from torch._inductor.virtualized import V

    return f"{V.kernel._get_mask_type(x.dtype)}({x} != {x})"


def _vec_isinf(x: Any) -> str:
    # Inductor has no vectorised isinf either (the same spill-and-loop as isnan, which made
    # sinc's forward 3x slower than sin's): |x| == inf is exact.
    from torch._inductor.virtualized import V

    return f"{V.kernel._get_mask_type(x.dtype)}({x}.abs() == decltype({x})(INFINITY))"


# (1 + 2a)·e^{a²}·erfc(a) - 1 as a polynomial in q = (a - 2)/(a + 2), which maps a in [0, inf) to
# q in [-1, 1) and is smooth there (Shepherd & Laframboise 1981, Math. Comp. 36(153), 249-253).
# Degree 12, Chebyshev least squares on 3000 nodes against mpmath: max error 4.9e-9, 0.07 ULP of
# float32 in erfcx; tests/test_fused.py refits it. Coefficients from q^0 up.
ERFCX_POLY = (2.76978381e-01, -9.27637628e-02, -1.66030384e-01, 1.64049454e-01, -5.42202666e-02,
              -8.01896308e-03, 8.72460764e-03, 1.21741059e-03, -1.46407091e-03, -3.57920448e-04,
              2.21571550e-04, 6.33694584e-05, -2.02559896e-05)
ERFC_ZERO = 10.0542  # erfc(a) < 2^-150 beyond: 0 in float32 (and a = inf would make q NaN)


def _estrin(coefficients: list[str], x: str) -> str:
    # Σ c_i x^i (c_0 first) by Estrin's scheme: pairs c_i + c_{i+1} x, then pairs of those with
    # x², x⁴, ...: a chain of ~log2(n) FMAs where Horner's is n long. The loop is latency-bound
    # (each vector's ~130-cycle dependency chain, only ~2 in flight), so depth is what costs.
    terms, power = coefficients, x
    while len(terms) > 1:
        terms = [f"at::vec::fmadd({hi}, {power}, {lo})" for lo, hi in zip(terms[::2], terms[1::2])] + (
            [terms[-1]] if len(terms) % 2 else [])
        power = f"({power} * {power})"
    return terms[0]


def _erfc_positive() -> str:
    # C++ lambda: erfc(a) for float lanes a >= 0 (NaN stays NaN); about 2 ULP. erfc = erfcx·e^{-a²},
    # a² = s + t exact (t by FMA), e^{-a²} = e^{-s}(1 - t) with e^{-s} = 2^k (1 + p) from the
    # reduction above: a² rounded would cost a²·2^-24 relative, 6 ULP at a = 10. 2^k (k down to
    # -146, subnormal results) is applied last, as 2^{k1}·2^{k2} with both halves normal.
    poly = _estrin([f"W({c!r}f)" for c in ERFCX_POLY], "q")
    # One division gives both 1/(a + 2) and 1/(1 + 2a) (divisions cost the most here on AVX2); q
    # and erfcx each get one Newton step on their exact FMA residual: rounded plainly they cost
    # ~2 ULP together (3.5 ULP max in all, against 2 with the steps).
    return (
        "[](auto a) { using W = decltype(a); auto u = a + W(2); auto w = a + W(0.5); "
        "auto d = W(1) / (u * w); auto rk = d * w; auto q = (a - W(2)) * rk; "
        "q = at::vec::fmadd(rk, at::vec::fmadd(W(0) - q, a, at::vec::fmadd(q + W(1), W(-2), a)), q); "
        f"auto poly = {poly}; auto h = W(0.5) * (d * u); auto erfcx = at::vec::fmadd(poly, h, h); "
        "erfcx = at::vec::fmadd((poly - erfcx) + at::vec::fmadd(erfcx + erfcx, W(0) - a, W(1)), h, erfcx); "
        "auto s = a * a; auto t = at::vec::fmsub(a, a, s); "
        f"auto x = at::vec::maximum(W(0) - s, W(-110.f)); {_exp_reduction()}"
        "auto m = at::vec::fmadd(erfcx, p, erfcx); m = at::vec::fmadd(W(0) - m, t, m); "
        "auto k1 = ki >> decltype(ki)(1); auto k2 = ki - k1; "
        "m = m * at::vec::cast<float>((k1 + decltype(ki)(127)) << decltype(ki)(23)); "
        "auto y = m * at::vec::cast<float>((k2 + decltype(ki)(127)) << decltype(ki)(23)); "
        f"return W::blendv(y, W(0), a > W({ERFC_ZERO}f)); }}"
    )


_ERFC_POSITIVE = _erfc_positive()


def _vec_erfc(x: Any) -> str:
    one = (f"[](auto v) {{ using W = decltype(v); auto r = ({_ERFC_POSITIVE})(v.abs()); "
           "return W::blendv(r, W(2) - r, v < W(0)); }")
    return _per_float_vector(one, "x_.erfc()", x)


_ERF_TAYLOR = [(-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(7)]


def _vec_erf(x: Any) -> str:
    # One Vectorized<float> at a time: inductor also hands over VectorizedN<float, N> (e.g. for
    # bfloat16 loads), whose .erf() is the same approximation lane-group by lane-group.
    horner = "W(0)"
    for c in reversed(_ERF_TAYLOR):
        horner = f"(W({c!r}) + z * {horner})"
    one = (
        "[](auto v) { using W = decltype(v); auto a = v.abs(); auto z = v * v; "
        f"auto small = W({2 / math.sqrt(math.pi)!r}) * v * {horner}; "
        f"auto big = W(1) - ({_ERFC_POSITIVE})(a); big = W::blendv(big, W(0) - big, v < W(0)); "
        "return W::blendv(big, small, a < W(0.5)); }"
    )
    return _per_float_vector(one, "x_.erf()", x)


def _vec_trig(op: str) -> Callable[[Any], str]:
    # Float lanes only: Vectorized<double>::sin/cos already use SLEEF's 1-ULP versions. Any
    # other vector width (NEON, the scalar fallback) keeps inductor's choice.
    def gen(x: Any) -> str:
        one = (
            "[](auto v) { using W = decltype(v); "
            f"if constexpr (W::size() == 16) {{ return W(Sleef_{op}f16_u10(v)); }} "
            f"else if constexpr (W::size() == 8) {{ return W(Sleef_{op}f8_u10(v)); }} "
            f"else {{ return v.{op}(); }} }}"
        )
        return _per_float_vector(one, f"x_.{op}()", x)

    gen.__name__ = op
    return gen


def _per_float_vector(one: str, otherwise: str, x: Any) -> str:
    """C++ applying the generic lambda ``one`` to each ``Vectorized<float>`` of ``x`` (a
    ``Vectorized<float>`` or ``VectorizedN<float, N>``); ``otherwise`` for other types."""
    return (
        # a generic lambda, so that `if constexpr` discards the branches for the other types
        f"[&](auto x_) {{ using V = decltype(x_); auto one = {one}; "
        "if constexpr (std::is_same_v<V, at::vec::Vectorized<float>>) { return one(x_); } "
        "else if constexpr (std::is_same_v<typename V::value_type, float>) { V r; "
        "for (int i = 0; i < int(V::size() / at::vec::Vectorized<float>::size()); ++i) "
        "{ r[i] = one(x_[i]); } return r; } "
        f"else {{ return {otherwise}; }} }}({x})"
    )


_vec_sin, _vec_cos = _vec_trig("sin"), _vec_trig("cos")

for _fn, _op in ((_vec_expm1, "expm1"), (_vec_tanh, "tanh"), (_vec_erf, "erf"), (_vec_erfc, "erfc"),
                 (_vec_isnan, "isnan"), (_vec_isinf, "isinf")):
    _fn.__name__ = _op  # inductor falls back to the scalar op of this name for scalar operands
