"""Compiled kernels: one per activation, direction, dtype and device, whatever the parameters.

    forward:   (x, *θ)     ->  spec.forward(x, **θ)          (one read, one write)
    backward:  (x, g, *θ)  ->  g * spec.derivative(x, **θ)   (two reads, one write)

(``(y, g, *θ)`` with ``spec.derivative_from_output``, ReLU); for learned parameters

    learn_backward:  (x, g, *θ)  ->  (g * f'(x), Σ g ∂f/∂θ₁(x), ...)   (one pass, sums in the
                                                                       compute dtype)

per-channel learned parameters (``x`` viewed as ``(outer, C, inner)``, each parameter 0-d or
``(1, C, 1)`` as ``mask`` says, "1" per channel):

    channel_forward:<mask>:   (x, *θ)     ->  f(x)
    channel_backward:<mask>:  (x, g, *θ)  ->  (g * f'(x), Σ g ∂f/∂θ₁ over all but C, ...)

and ``channel_rows_forward:<mask>``, ``channel_rows_backward:<mask>``, the same on x viewed as
``(outer, C)`` (θ ``(1, C)``) for inner = 1 (PReLU after a Linear): with a symbolic inner dim of
size 1 the 3-d kernels index every element by division and do not vectorise (~10x slower)

and for a gated activation with gate
g, on ``x`` viewed as ``(outer, 2, inner)`` (``[a, b]`` split along any dim of any rank):

    gated_forward:   x      ->  a ⊗ g(b)
    gated_backward:  (x, G) ->  [G ⊗ g(b), G ⊗ a ⊗ g'(b)]

Parameters θ are 0-d tensor inputs of the kernel, not constants compiled into it: 200 values of
Swish's β share one kernel. Sizes are symbolic: every shape and rank shares it (traced at
:data:`HINT`-element examples, which inductor takes as the sizes to tune for: a parallel loop on
torch's threads, full-width vectors). Half-precision
inputs are upcast to float32 inside the kernel. The cache holds at most :data:`MAX_KERNELS`
kernels (least recently used go first); a kernel that failed to compile is remembered as
``None`` and the eager path serves.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..spec import ActivationSpec, compute_dtype
from .inductor import compile_kernel, compile_many

__all__ = ["CHANNEL_DIRECTIONS", "HINT", "MAX_KERNELS", "PRECISE_TRIG", "batch", "cached", "clear",
           "compiled", "compiled_on", "get", "param_tensors"]

log = logging.getLogger("actlab.fused")

MAX_KERNELS = 256
# Example sizes to compile with. Inductor takes them as hints for every size to come: below 32 it
# halves the vector width of 16-bit loops, and below 512 elements per thread it emits no parallel
# loop, so 8-element examples (used before) left every kernel single-threaded (cos at 16M,
# 2 threads: 32 ms vs torch.compile's 20) and bfloat16 at half width (27 vs 20 ms on 1 thread).
HINT = 1 << 16
# Activations whose kernels need SLEEF's 1-ULP float32 sin/cos (:func:`~.inductor.accurate_codegen`);
# the others take inductor's own 3.5-ULP versions, about twice as fast. With those, CosId's and
# both Snakes' f' (sin and cos squared or summed) reached 4.52 ULP against a bound of 4; every other
# sin/cos user stayed within 3 ULP in f and f' (coslu f' 2.98, sinlu 2.90, snake_beta f 2.79),
# sin itself 1.8 ULP out to |x| = 3e38. tests/test_fused_accuracy.py holds every routed kernel
# to its bounds, compiled as served.
PRECISE_TRIG = frozenset({"cosid", "snake", "snake_beta"})
DIRECTIONS = ("forward", "backward", "learn_backward", "gated_forward", "gated_backward")
CHANNEL_DIRECTIONS = ("channel_forward:", "channel_backward:", "channel_rows_forward:",
                      "channel_rows_backward:")  # + mask
Kernel = Callable[..., torch.Tensor]
Key = tuple[str, str, torch.dtype, str]

_KERNELS: OrderedDict[Key, Kernel | None] = OrderedDict()
_PARAMS: OrderedDict[tuple[float, torch.dtype, torch.device], torch.Tensor] = OrderedDict()


def param_tensors(values: tuple[Any, ...], dtype: torch.dtype, device: torch.device) -> list[torch.Tensor]:
    """Plain-number parameters as 0-d tensors of the compute dtype (a small bounded cache: a new
    tensor per call costs as much as a small kernel)."""
    if not values:
        return []
    dtype = compute_dtype(dtype)
    out = []
    for v in values:
        key = (float(v), dtype, device)
        t = _PARAMS.get(key)
        if t is None:
            t = _PARAMS[key] = torch.tensor(float(v), dtype=dtype, device=device)
            if len(_PARAMS) > 4 * MAX_KERNELS:
                _PARAMS.popitem(last=False)
        out.append(t)
    return out


def compiled(spec: ActivationSpec, direction: str, dtype: torch.dtype, device: torch.device) -> Kernel | None:
    """The kernel if it is compiled already (``None`` otherwise, or if it cannot compile)."""
    return compiled_on(spec.name, direction, dtype, device.type)


def compiled_on(name: str, direction: str, dtype: torch.dtype, device_type: str) -> Kernel | None:
    """:func:`compiled` by names: what a call looks up (building a device object costs ~1 µs)."""
    key = (name, direction, dtype, device_type)
    k = _KERNELS.get(key)
    if k is not None:
        _KERNELS.move_to_end(key)
    return k


def get(spec: ActivationSpec, direction: str, dtype: torch.dtype, device: torch.device) -> Kernel | None:
    """The kernel, compiling it now if needed; ``None`` if it cannot be compiled here (no C++
    compiler, an op inductor cannot lower, ...: logged once, the eager path serves)."""
    if direction not in DIRECTIONS and not direction.startswith(CHANNEL_DIRECTIONS):
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    return cached(_KERNELS, (spec.name, direction, dtype, device.type), MAX_KERNELS,
                  lambda: _build(spec, direction, dtype, device), f"{spec.name} {direction} ({dtype})")


def cached(cache: OrderedDict[Any, Any], key: Any, limit: int, build: Callable[[], Any], what: str) -> Any:
    """``cache[key]``, built by ``build()`` on a miss; a build that raises is logged once and
    remembered as ``None`` (the eager path serves); the least recently used go past ``limit``."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    try:
        k = build()
    except Exception as e:
        log.warning("actlab.fused: %s could not be compiled, using the eager path (%s: %s)",
                    what, type(e).__name__, e)
        k = None
    cache[key] = k
    while len(cache) > limit:
        cache.popitem(last=False)
    return k


def clear() -> None:
    """Forget every compiled kernel."""
    _KERNELS.clear()
    _PARAMS.clear()


def _build(spec: ActivationSpec, direction: str, dtype: torch.dtype, device: torch.device) -> Kernel:
    names = spec.param_names
    cdt = compute_dtype(dtype)
    example_params = param_tensors(tuple(spec.defaults[n] for n in names), dtype, device)
    name = f"{spec.name}_{direction}"
    fn: Callable[..., torch.Tensor]
    if direction.startswith("gated"):
        outer, inner = 64, HINT // 64 + 1  # distinct sizes: equal ones would share one symbol
        x = torch.rand(outer, 2, inner, dtype=dtype, device=device)
        fn = _gated_forward if direction == "gated_forward" else _gated_backward
        grad = torch.rand(outer, inner, dtype=dtype, device=device)
        example = (x,) if direction == "gated_forward" else (x, grad)
    else:
        x = torch.rand(HINT, dtype=dtype, device=device)
        fn = _forward if direction == "forward" else _backward
        example = (x,) if direction == "forward" else (x, torch.rand_like(x))

    if direction.startswith("channel_"):
        return _build_channel(spec, direction, dtype, device)
    if direction == "learn_backward":
        example = (x, torch.rand_like(x))

        def sums_fn(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return _learn_backward(spec, cdt, dict(zip(names, tensors[2:])), tensors[0], tensors[1])

        many = compile_many(sums_fn, (*example, *example_params), name, spec.name in PRECISE_TRIG)
        return many  # type: ignore[return-value]  # a tuple: (grad_x, *sums)

    def kernel_fn(*tensors: torch.Tensor) -> torch.Tensor:
        *xs, = tensors[: len(example)]
        params = dict(zip(names, tensors[len(example):]))
        return fn(spec, cdt, params, *xs)

    return compile_kernel(kernel_fn, (*example, *example_params), name, spec.name in PRECISE_TRIG)


def _build_channel(spec: ActivationSpec, direction: str, dtype: torch.dtype, device: torch.device) -> Kernel:
    kind, mask = direction.split(":")
    names, cdt = spec.param_names, compute_dtype(dtype)
    rows = kind.startswith("channel_rows")  # (outer, C), else (outer, C, inner): each size a symbol
    channels = 24  # the sizes distinct (equal ones would share one symbol), their product HINT-like
    x = torch.rand(*((HINT // channels, channels) if rows else (16, channels, HINT // 16 // channels)),
                   dtype=dtype, device=device)
    wide = (1, channels) if rows else (1, channels, 1)
    example_params = [torch.full(wide, float(spec.defaults[n]), dtype=cdt, device=device) if m == "1"
                      else param_tensors((spec.defaults[n],), dtype, device)[0] for n, m in zip(names, mask)]
    if kind in ("channel_forward", "channel_rows_forward"):
        def forward_fn(x: torch.Tensor, *theta: torch.Tensor) -> torch.Tensor:
            return _forward(spec, cdt, dict(zip(names, theta)), x)

        return compile_kernel(forward_fn, (x, *example_params), f"{spec.name}_{kind}",
                              spec.name in PRECISE_TRIG)

    def backward_fn(x: torch.Tensor, g: torch.Tensor, *theta: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return _learn_backward(spec, cdt, dict(zip(names, theta)), x, g, mask)

    many = compile_many(backward_fn, (x, torch.rand_like(x), *example_params), f"{spec.name}_{kind}",
                        spec.name in PRECISE_TRIG)
    return many  # type: ignore[return-value]  # a tuple: (grad_x, *sums)


def batch(specs: Sequence[ActivationSpec], direction: str, dtype: torch.dtype,
          device: torch.device) -> Callable[..., list[torch.Tensor]]:
    """The ``direction`` kernels ("forward" or "backward") of many activations, compiled at
    once (:func:`~.inductor.compile_many`; one compilation per sin/cos variant,
    :data:`PRECISE_TRIG`): ``call(inputs)`` with one tuple per spec, ``(x,)`` or ``(x, g)``,
    returns one output per spec, computed at the spec's default parameters. For checking a
    whole catalog's kernels; calls are served by :func:`get`."""
    groups = {precise: [i for i, s in enumerate(specs) if (s.name in PRECISE_TRIG) == precise]
              for precise in (False, True)}
    calls = [(group, _batch([specs[i] for i in group], direction, dtype, device, precise))
             for precise, group in groups.items() if group]

    def call(inputs: Sequence[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        out: list[torch.Tensor] = [torch.empty(0)] * len(specs)
        for group, one in calls:
            for i, y in zip(group, one([inputs[i] for i in group])):
                out[i] = y
        return out

    return call


def _batch(specs: Sequence[ActivationSpec], direction: str, dtype: torch.dtype, device: torch.device,
           precise_trig: bool) -> Callable[..., list[torch.Tensor]]:
    one = _forward if direction == "forward" else _backward
    n_in = 1 if direction == "forward" else 2
    cdt = compute_dtype(dtype)
    params = [param_tensors(tuple(s.defaults.values()), dtype, device) for s in specs]

    def fn(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out, i = [], 0
        for s, ps in zip(specs, params):
            xs, i = tensors[i:i + n_in], i + n_in
            out.append(one(s, cdt, dict(zip(s.param_names, tensors[i:i + len(ps)])), *xs))
            i += len(ps)
        return tuple(out)

    example = []
    for i, ps in enumerate(params):  # distinct sizes: equal example sizes would share one symbol
        example += [torch.rand(HINT + i, dtype=dtype, device=device) for _ in range(n_in)] + ps
    compiled = compile_many(fn, tuple(example), f"batch_{direction}", precise_trig)

    def call(inputs: Sequence[tuple[torch.Tensor, ...]]) -> list[torch.Tensor]:
        return list(compiled(*(t for xs, ps in zip(inputs, params) for t in (*xs, *ps))))

    return call


def _forward(spec: ActivationSpec, cdt: torch.dtype, params: dict, x: torch.Tensor) -> torch.Tensor:
    return spec.forward(x.to(cdt), **params).to(x.dtype)


def _backward(spec: ActivationSpec, cdt: torch.dtype, params: dict, x: torch.Tensor,
              g: torch.Tensor) -> torch.Tensor:
    derivative = spec.derivative_from_output or spec.derivative
    return (g.to(cdt) * derivative(x.to(cdt), **params)).to(x.dtype)


def _learn_backward(spec: ActivationSpec, cdt: torch.dtype, params: dict, x: torch.Tensor,
                    g: torch.Tensor, mask: str = "") -> tuple[torch.Tensor, ...]:
    """``mask[i] == "1"``: parameter i is per channel of ``x`` viewed ``(outer, C[, inner])``."""
    xc, gc = x.to(cdt), g.to(cdt)
    not_channels = (0, 2) if x.dim() == 3 else (0,)
    sums = []
    for i, n in enumerate(spec.param_names):
        terms = gc * spec.param_grads[n](xc, **params)
        sums.append(terms.sum(dim=not_channels) if mask[i:i + 1] == "1" else terms.sum())
    return ((gc * spec.derivative(xc, **params)).to(x.dtype), *sums)


def _gated_forward(gate: ActivationSpec, cdt: torch.dtype, params: dict, x: torch.Tensor) -> torch.Tensor:
    xc = x.to(cdt)
    return (xc.select(1, 0) * gate.forward(xc.select(1, 1), **params)).to(x.dtype)


def _gated_backward(gate: ActivationSpec, cdt: torch.dtype, params: dict, x: torch.Tensor,
                    g: torch.Tensor) -> torch.Tensor:
    xc, gc = x.to(cdt), g.to(cdt)
    a, b = xc.select(1, 0), xc.select(1, 1)
    grads = [gc * gate.forward(b, **params), gc * a * gate.derivative(b, **params)]
    return torch.stack(grads, dim=1).to(x.dtype)
