"""Which kernel serves a call: torch's native op, a compiled kernel, or (``None``) the eager path.

The generic Function (:mod:`actlab.autograd`) asks :func:`forward` and :func:`backward` first and
takes its eager, differentiable path when they return ``None``. They return ``None`` whenever

* the mode is ``off``, or we are being traced (``torch.compile``: an outer compile lowers the
  eager path itself) or transformed (``torch.func``: the eager ops have batching and
  forward-mode rules, a kernel has not);
* a parameter is a tensor (learnable: the eager path also reduces its gradient), ``x`` is not
  contiguous, or not on CPU/CUDA; the backward is building a graph (double backward);
* the measured route (:mod:`.routes`) does not send this activation there, or its kernel is not
  compiled yet. In the default ``auto`` mode nothing compiles during a call: kernels are compiled
  up front by :func:`compile_kernels` (or ``actlab.compile_kernels(model)``), never in the middle
  of a training step the user did not ask to compile in. ``force`` compiles on first use.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.autograd import forward_ad

from ..spec import ACCEPTED_DTYPES, ActivationSpec, Spec
from . import kernels, routes
from .routes import EAGER, FUSED, Route
from .settings import Settings, settings

__all__ = ["backward", "compile_kernels", "differentiated", "forward", "gated_backward", "gated_forward",
           "native_call", "reset", "route", "serves_whole", "stats"]

log = logging.getLogger("actlab.fused")
_STATS: Counter[tuple[str, str, str]] = Counter()


def route(name: str, mode: str | None = None, device: str = "cpu", dtype: torch.dtype | None = None) -> Route:
    """The route of activation ``name`` under ``mode`` (default: the current one) on ``device``
    for ``dtype`` (float32, bfloat16 and float16 may have routes of their own; default: the
    all-dtypes route, float64's)."""
    mode = mode or settings().mode
    if mode == "off":
        return EAGER
    if mode == "force":
        return FUSED
    return routes.table(device, routes.own(dtype)).get(name, EAGER)


def stats() -> dict[tuple[str, str, str], int]:
    """Calls so far per (activation, "forward" | "backward", "native" | "fused")."""
    return dict(_STATS)


def reset() -> None:
    """Forget the statistics (compiled kernels are kept; :func:`kernels.clear` drops them)."""
    _STATS.clear()


def _plain(values: tuple[Any, ...]) -> bool:
    return not values or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _device(x: torch.Tensor) -> str:
    """"cpu", "cuda" or "" (elsewhere: no kernels). x.device builds a device object (~1 µs a
    call); the flags are attribute reads."""
    return "cpu" if x.is_cpu else "cuda" if x.is_cuda else ""


def _active(x: torch.Tensor, values: tuple[Any, ...]) -> Settings | None:
    """The settings if a kernel may serve this call at all, else ``None``."""
    if torch.compiler.is_compiling():  # first: dynamo cannot trace what follows (a ContextVar)
        return None
    s = settings()
    if s.mode == "off" or not _device(x) or not _plain(values):
        return None
    if torch._C._are_functorch_transforms_active():
        return None
    return s


def _kernel(spec: ActivationSpec, direction: str, x: torch.Tensor, s: Settings) -> kernels.Kernel | None:
    if s.mode == "force":
        return kernels.get(spec, direction, x.dtype, x.device)
    return kernels.compiled_on(spec.name, direction, x.dtype, _device(x))


def _fusable(x: torch.Tensor, s: Settings) -> bool:
    return x.is_contiguous() and x.numel() >= max(s.min_numel, 2)  # sizes 0, 1 are not symbolic


def _native(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor | None:
    try:
        # positionally: a native takes the parameters in the spec's order (tests/test_catalog.py)
        y = spec.native(x, *values)  # type: ignore[misc]
    except (RuntimeError, NotImplementedError):  # e.g. a dtype torch has no kernel for here
        return None
    _STATS[spec.name, "forward", "native"] += 1
    return y


def native_call(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor | None:
    """The whole call, autograd included, by torch's native op where the route measured that
    torch's f, f' and f'' meet actlab's bounds (``Route.native_autograd``), at the parameters it
    measured them at: the defaults, or any values where the sweep passed (``Route.any_values``;
    torch's ELU backward loses digits at α = 1000 in float32, its leaky ReLU at no slope); else
    ``None``. A call no derivative can be asked of takes the route's own forward for it where it
    has one (``Route.inference``: torch's op may be the fastest forward+backward, a compiled
    kernel the fastest forward), and torch's forward where the route sends the forward there
    without the backward (softplus, hardsigmoid: the Function's own forward would call it too)."""
    # _active's checks, in the order that costs least on this path: a 4K-element ReLU costs 1 µs,
    # and so does every five attribute reads or calls here; the route before the settings
    if torch.compiler.is_compiling() or spec.native is None:
        return None
    numel = x.numel()
    r = routes.table(_device(x), routes.own(x.dtype)).get(spec.name)
    if r is None:
        return None
    if not _is_whole(r, spec, numel, values):
        return _native_forward(r, spec, x, values, numel)
    s = settings()
    if s.mode != "auto" or torch._C._are_functorch_transforms_active():
        return None
    if r.inference and numel >= routes.SMALL and not differentiated(x, values):
        y = _forward_by(r.inference, spec, x, values, s)
        if y is not None:
            return y
    return _native(spec, x, values)


def _native_forward(r: Route, spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...],
                    numel: int) -> torch.Tensor | None:
    """torch's op for a call no derivative can be asked of, where the route's forward for its
    size is torch's (what :func:`forward` would choose, without the Function's path to it)."""
    if not _plain(values) or (r.small if numel < routes.SMALL else r.inference or r.forward) != "native":
        return None
    if differentiated(x, values) or settings().mode != "auto" or torch._C._are_functorch_transforms_active():
        return None
    return _native(spec, x, values)


def differentiated(x: torch.Tensor, values: tuple[Any, ...]) -> bool:
    """Whether a derivative may be asked of this call: a graph is recorded, or forward mode is on."""
    if forward_ad._current_level >= 0:  # a dual level is open: x may carry a tangent
        return True
    return torch.is_grad_enabled() and (x.requires_grad or any(
        isinstance(v, torch.Tensor) and v.requires_grad for v in values))


def _is_whole(r: Route, spec: ActivationSpec, numel: int, values: tuple[Any, ...] | None) -> bool:
    """Whether route ``r`` makes this call torch's whole one (only a measured table's routes have
    ``native_autograd``: "off" and "force" have not)."""
    if not r.native_autograd:
        return False
    # the defaults by identity; other values as plain numbers first (a tensor equal to the default,
    # a learnable β at 1.0, is not the default)
    if values is not None and values is not spec.default_values and not (
            _plain(values) and (r.any_values or values == spec.default_values)):
        return False
    return (r.small if numel < routes.SMALL else r.forward) == "native"


def serves_whole(spec: ActivationSpec, numel: int, device: str = "cpu",
                 values: tuple[Any, ...] | None = None, dtype: torch.dtype | None = None) -> bool:
    """Whether a plain call of ``numel`` elements of ``dtype`` on ``device`` with parameter
    ``values`` (default: the defaults) is torch's op with its own autograd (:func:`native_call`), so that
    f' there follows torch's conventions: at a NaN input torch's ReLU passes the incoming
    gradient and its hardtanh zeroes it, where actlab's own paths give NaN."""
    if settings().mode != "auto" or spec.native is None:
        return False
    r = routes.table(device, routes.own(dtype)).get(spec.name)
    return r is not None and _is_whole(r, spec, numel, values)


def forward(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...],
            inference: bool = False) -> torch.Tensor | None:
    """``spec``'s forward at ``x`` by the routed kernel, or ``None``: take the eager path.
    ``inference``: no derivative can be asked of this call, so the route's ``inference`` forward
    serves where it has one (and its kernel is ready; else the route's ``forward``)."""
    s = _active(x, values)
    if s is None:
        return None
    r = route(spec.name, s.mode, _device(x), x.dtype)
    if x.numel() < routes.SMALL:
        return _forward_by(r.small, spec, x, values, s)
    if inference and r.inference:
        y = _forward_by(r.inference, spec, x, values, s)
        if y is not None:
            return y
    return _forward_by(r.forward, spec, x, values, s)


def _forward_by(way: str, spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...],
                s: Settings) -> torch.Tensor | None:
    if way == "native" and spec.native is not None:
        return _native(spec, x, values)
    if way != "fused" or not _fusable(x, s):
        return None
    k = _kernel(spec, "forward", x, s)
    if k is None:
        return None
    # a view costs microseconds (as much as a 1K-element kernel): none for a flat x, which the
    # kernel reads as it is (its output records no autograd history whatever x requires)
    flat = x.dim() == 1
    y = k(x if flat else x.detach().view(-1), *kernels.param_tensors(values, x.dtype, x.device))
    _STATS[spec.name, "forward", "fused"] += 1
    return y if flat else y.view(x.shape)


def backward(spec: ActivationSpec, x: torch.Tensor, grad: torch.Tensor,
             values: tuple[Any, ...]) -> torch.Tensor | None:
    """``grad * spec.derivative(x)`` by the fused kernel, or ``None``: take the eager path.
    For a spec with ``derivative_from_output``, ``x`` is the saved output ``y`` (the Function
    saves ``y`` only with plain-number parameters, the only ones fused)."""
    s = _active(x, values)
    if s is None or torch.is_grad_enabled() or not _fusable(x, s):
        return None
    if route(spec.name, s.mode, _device(x), x.dtype).backward != "fused":
        return None
    if grad.shape != x.shape or grad.dtype != x.dtype or grad.get_device() != x.get_device():
        return None
    k = _kernel(spec, "backward", x, s)
    if k is None:
        return None
    params = kernels.param_tensors(values, x.dtype, x.device)
    # grad mode is off here (checked above): no detach needed. An expanded gradient (the backward
    # of .sum()) has stride 0: the kernel reads dense memory.
    flat = x.dim() == 1
    g = grad if grad.is_contiguous() else grad.contiguous()
    gx = k(x if flat else x.view(-1), g if flat else g.view(-1), *params)
    _STATS[spec.name, "backward", "fused"] += 1
    return gx if flat else gx.view(x.shape)


def _gate_routed(gate: ActivationSpec, s: Settings, device: str, dtype: torch.dtype | None = None) -> bool:
    # The gated kernels are the gate's forward and f' and a product: fused where the gate's own
    # kernels are (its fused f' passed the ULP calibration, its forward is not routed eager).
    r = route(gate.name, s.mode, device, dtype)
    return r.backward == "fused" and r.forward != "eager"


def _as_halves(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``x`` viewed as ``(outer, 2, inner)``: ``[a, b]`` along ``dim`` for any rank and dim."""
    d = dim % x.dim()
    outer = math.prod(x.shape[:d])
    return x.detach().view(outer, 2, x.numel() // (2 * outer))


def _half_shape(x: torch.Tensor, dim: int) -> list[int]:
    half = list(x.shape)
    half[dim] //= 2
    return half


def gated_forward(spec: ActivationSpec, gate: ActivationSpec, x: torch.Tensor, dim: int,
                  values: tuple[Any, ...]) -> torch.Tensor | None:
    """``a ⊗ g(b)``, ``[a, b] = x`` along ``dim``, by one compiled kernel, or ``None``."""
    s = _active(x, values)
    if s is None or not _fusable(x, s) or not _gate_routed(gate, s, _device(x), x.dtype):
        return None
    k = _kernel(gate, "gated_forward", x, s)
    if k is None:
        return None
    y = k(_as_halves(x, dim), *kernels.param_tensors(values, x.dtype, x.device))
    _STATS[spec.name, "forward", "fused"] += 1
    return y.view(_half_shape(x, dim))


def gated_backward(spec: ActivationSpec, gate: ActivationSpec, x: torch.Tensor, grad: torch.Tensor,
                   dim: int, values: tuple[Any, ...]) -> torch.Tensor | None:
    """``[grad ⊗ g(b), grad ⊗ a ⊗ g'(b)]`` by one compiled kernel, or ``None`` (also when a
    graph is being built)."""
    s = _active(x, values)
    if (s is None or torch.is_grad_enabled() or not _fusable(x, s)
            or not _gate_routed(gate, s, _device(x), x.dtype)):
        return None
    if list(grad.shape) != _half_shape(x, dim) or grad.dtype != x.dtype:
        return None
    k = _kernel(gate, "gated_backward", x, s)
    if k is None:
        return None
    xh = _as_halves(x, dim)
    g = grad.detach().contiguous().view(xh.shape[0], xh.shape[2])
    gx = k(xh, g, *kernels.param_tensors(values, x.dtype, x.device))
    _STATS[spec.name, "backward", "fused"] += 1
    return gx.view(x.shape)


# ------------------------------------------------------------------------------------- warm-up
def _learned_in(what: Any) -> dict[str, set[str]]:
    """Activations of the model ``what`` that hold learned parameters, with the kernel layouts
    they need: "" for single values, else a mask with "1" for each per-channel parameter."""
    found: dict[str, set[str]] = {}
    if not isinstance(what, torch.nn.Module):
        return found
    for m in what.modules():
        spec, learned = getattr(m, "spec", None), getattr(m, "learned", ())
        if isinstance(spec, Spec) and len(learned):
            wide = {n for n in learned if getattr(m, n).numel() > 1}
            found.setdefault(spec.name, set()).add(
                "".join("1" if n in wide else "0" for n in spec.param_names) if wide else "")
    return found


def _specs_in(what: Any) -> list[Spec]:
    from .. import registry

    if what is None:
        return [s for s in registry.specs() if s.kind in ("elementwise", "gated")]
    if isinstance(what, torch.nn.Module):
        found = [s for m in what.modules() if isinstance(s := getattr(m, "spec", None), Spec)]
        return list({s.name: s for s in found}.values())
    if isinstance(what, (str, Spec)):
        what = [what]
    return [registry.get_spec(w) for w in what]


def _kernels_for(spec: Spec, device: str, learned: set[str] | None = None,
                 dtype: torch.dtype | None = None) -> list[tuple[ActivationSpec, str]]:
    from ..composite import ConcatenatedSpec, GatedSpec

    if isinstance(spec, GatedSpec):
        if _gate_routed(spec.base, settings(), device, dtype):
            return [(spec.base, "gated_forward"), (spec.base, "gated_backward")]
        return []
    if isinstance(spec, ConcatenatedSpec):
        return _kernels_for(spec.base, device, dtype=dtype)
    if type(spec) is not ActivationSpec:
        return []  # RReLU: torch's leaky_relu (eval) or a random per-element slope (train)
    r = route(spec.name, None, device, dtype)
    forward, backward = "fused" in (r.small, r.forward, r.inference), r.backward == "fused"
    wanted = {"forward": forward, "backward": backward}
    for mask in learned or ():  # "": single learned values; else per-channel ones
        wanted |= ({"learn_backward": backward} if not mask else
                   {f"channel_forward:{mask}": forward, f"channel_backward:{mask}": backward,
                    f"channel_rows_forward:{mask}": forward, f"channel_rows_backward:{mask}": backward})
    return [(spec, d) for d, want in wanted.items() if want]


def compile_kernels(what: Any = None, dtypes: Iterable[torch.dtype] = (torch.float32,),
                    device: str | torch.device = "cpu",
                    progress: Callable[[str], None] | None = None) -> dict[str, list[str]]:
    """Compile, now, the kernels that the routes send ``what`` to, so that no call compiles later.

    Args:
        what: a model (its actlab activation modules), activation names or specs, or ``None``
            for the whole catalog (minutes: each kernel takes 1-10 s to compile, less from
            inductor's on-disk cache).
        dtypes: the dtypes the model will run in.
        device: where it will run.
        progress: called with a line per kernel (e.g. ``print``).

    Returns:
        Per activation, the kernels now ready (e.g. ``["forward float32", "backward float32"]``;
        PAU's name its degrees, ``"forward float32 m=5 n=4"``); an activation routed to torch's
        native op or to its eager path has none.
    """
    dev = torch.device(device)
    dtypes = tuple(dtypes)
    bad = [d for d in dtypes if d not in ACCEPTED_DTYPES]
    if bad:
        accepted = ", ".join(str(d).removeprefix("torch.") for d in ACCEPTED_DTYPES)
        raise ValueError(f"compile_kernels: dtypes {bad} are not computed by activations; use some of "
                         f"{accepted}")
    done: dict[str, list[str]] = {}
    learned = _learned_in(what)
    for spec in _specs_in(what):
        ready = done.setdefault(spec.name, [])
        for dtype in dtypes:
            for target, direction in _kernels_for(spec, dev.type, learned.get(spec.name), dtype):
                label = f"{direction} {str(dtype).removeprefix('torch.')}"
                if progress:
                    progress(f"compiling {target.name} {label}")
                if kernels.get(target, direction, dtype, dev) is not None:
                    ready.append(label)
    from . import rational  # PAU: one kernel pair per (m, n) of its coefficients, never routed

    ready_count = sum(len(v) for v in done.values())
    if ready_count > kernels.MAX_KERNELS:
        log.warning("compile_kernels: %d kernels, but the cache keeps the %d most recently used: the "
                    "first ones were dropped again and those calls take the eager path; compile what "
                    "one model uses, in the dtypes it runs in", ready_count, kernels.MAX_KERNELS)
    for m, n in sorted(rational.degrees_in(what)):
        ready = done.setdefault("pau", [])
        for dtype in dtypes:
            for direction in rational.DIRECTIONS:
                label = f"{direction} {str(dtype).removeprefix('torch.')} m={m} n={n}"
                if progress:
                    progress(f"compiling pau {label}")
                if rational.get(direction, m, n, dtype, dev) is not None:
                    ready.append(label)
    return done
