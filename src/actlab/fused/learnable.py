"""Learned parameters on the fast path: compiled kernels for calls whose parameters are tensors.

A learnable scalar (Swish's β, a one-parameter PReLU slope, ...) is an ``nn.Parameter`` of one
element. Its forward is what a plain number gets: torch's native op where routed (on the CPU,
fed the value), else the same compiled kernel (parameters are 0-d tensor inputs of every
kernel); its backward is one
``learn_backward`` kernel that reads x and the incoming gradient once and writes ``g·f'(x)``
and every ``Σ g·∂f/∂θ(x)`` in the same pass, where the eager path runs f', each ∂f/∂θ and a
reduction as separate kernels. Per-channel parameters (one value per channel along one dim of x,
as ``actlab.nn`` modules with ``num_channels`` pass them) take kernels of their own on x viewed
as ``(outer, C, inner)``, whose backward sums each parameter's terms per channel in the same
pass. Per-element parameters take the eager path.

The same conditions as :mod:`.dispatch` apply: routed to compiled kernels for this activation
(forward at this size, backward), compiled already (``actlab.compile_kernels(model)``; ``force``
compiles on first use), contiguous ``x``, not traced or transformed, no double backward.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..spec import ActivationSpec, compute_dtype
from . import kernels, routes
from .dispatch import _STATS, _fusable, _kernel, route
from .settings import Settings, settings

__all__ = ["backward", "channel_layout", "forward", "scalar_tensors"]


def scalar_tensors(values: tuple[Any, ...]) -> bool:
    """Whether some parameter is a tensor and every tensor one has a single element."""
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    return bool(tensors) and all(t.numel() == 1 for t in tensors)


def channel_layout(x: torch.Tensor, values: tuple[Any, ...]) -> tuple[int, str] | None:
    """``(dim, mask)`` where every tensor parameter is a single value or one value per channel
    along the same ``dim`` of ``x`` (shape 1 elsewhere), some per channel; ``mask`` has "1" for
    those. ``None`` otherwise."""
    dim, mask = None, ""
    for v in values:
        if not isinstance(v, torch.Tensor) or v.numel() == 1:
            mask += "0"
            continue
        if v.dim() != x.dim():
            return None
        wide = [d for d, n in enumerate(v.shape) if n != 1]
        if len(wide) != 1 or v.shape[wide[0]] != x.shape[wide[0]] or dim not in (None, wide[0]):
            return None
        dim, mask = wide[0], mask + "1"
    return None if dim is None else (dim, mask)


def _as_channels(t: torch.Tensor, dim: int) -> torch.Tensor:
    outer = math.prod(t.shape[:dim])
    return t.reshape(outer, t.shape[dim], t.numel() // max(1, outer * t.shape[dim]))


def _active(x: torch.Tensor, values: tuple[Any, ...]) -> Settings | None:
    if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return None
    s = settings()
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if s.mode == "off" or x.device.type not in ("cpu", "cuda") or not tensors:
        return None
    if not _fusable(x, s) or any(v.device != x.device for v in tensors):
        return None
    return s


def _params(values: tuple[Any, ...], x: torch.Tensor,
            wide: tuple[int, ...] = (1, -1, 1)) -> list[torch.Tensor]:
    cdt = compute_dtype(x.dtype)
    out = []
    for v in values:
        if isinstance(v, torch.Tensor):
            shape = () if v.numel() == 1 else wide  # a scalar, or per channel of (outer, C, inner)
            out.append(v.detach().reshape(shape).to(cdt))
        else:
            out += kernels.param_tensors((v,), x.dtype, x.device)
    return out


def forward(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor | None:
    """f(x) by the compiled forward kernel with the learned values, or ``None``."""
    s = _active(x, values)
    if s is None:
        return None
    r = route(spec.name, s.mode, x.device.type, x.dtype)
    if not scalar_tensors(values):
        layout = channel_layout(x, values)
        if layout is None or "fused" not in (r.small, r.forward):
            return None
        dim, mask = layout
        xs = _as_channels(x.detach(), dim)
        rows = xs.shape[2] == 1  # (N, C): the rows kernels (see actlab.fused.kernels)
        k = _kernel(spec, f"channel_{'rows_' if rows else ''}forward:{mask}", x, s)
        if k is None:
            return None
        y = (k(xs.view(xs.shape[:2]), *_params(values, x, (1, -1))) if rows else
             k(xs, *_params(values, x)))
        _STATS[spec.name, "forward", "fused"] += 1
        return y.view(x.shape)
    way = r.small if x.numel() < routes.SMALL else r.forward
    if way == "native" and spec.native is not None and x.device.type == "cpu":
        # torch's op wants numbers: a learned scalar's value costs nothing to read on the CPU
        numbers = {n: float(v) if isinstance(v, torch.Tensor) else v
                   for n, v in zip(spec.param_names, values)}
        try:
            native_y = spec.native(x.detach(), **numbers)
        except (RuntimeError, NotImplementedError, TypeError):
            native_y = None
        if native_y is not None:
            _STATS[spec.name, "forward", "native"] += 1
            return native_y
    if "fused" not in (r.small, r.forward):  # its forward kernel was never measured accurate
        return None
    k = _kernel(spec, "forward", x, s)
    if k is None:
        return None
    y = k(x.detach().reshape(-1), *_params(values, x))
    _STATS[spec.name, "forward", "fused"] += 1
    return y.view(x.shape)


def backward(spec: ActivationSpec, x: torch.Tensor, grad: torch.Tensor,
             values: tuple[Any, ...]) -> tuple[torch.Tensor, list[torch.Tensor | None]] | None:
    """``(g·f'(x), [Σ g·∂f/∂θ per tensor parameter, None for a number])`` in one kernel pass,
    or ``None``: take the eager path (also when a graph is being built: double backward)."""
    s = _active(x, values)
    if (s is None or torch.is_grad_enabled()
            or route(spec.name, s.mode, x.device.type, x.dtype).backward != "fused"):
        return None
    if grad.shape != x.shape or grad.dtype != x.dtype or grad.device != x.device:
        return None
    g = grad.detach() if grad.is_contiguous() else grad.detach().contiguous()
    if scalar_tensors(values):
        k = _kernel(spec, "learn_backward", x, s)
        if k is None:
            return None
        grad_x, *sums = k(x.detach().reshape(-1), g.reshape(-1), *_params(values, x))
    else:
        layout = channel_layout(x, values)
        if layout is None:
            return None
        dim, mask = layout
        xs, gs = _as_channels(x.detach(), dim), _as_channels(g, dim)
        if xs.shape[2] == 1:  # (N, C): the rows kernels
            k = _kernel(spec, f"channel_rows_backward:{mask}", x, s)
            if k is None:
                return None
            grad_x, *sums = k(xs.view(xs.shape[:2]), gs.view(xs.shape[:2]), *_params(values, x, (1, -1)))
        else:
            k = _kernel(spec, f"channel_backward:{mask}", x, s)
            if k is None:
                return None
            grad_x, *sums = k(xs, gs, *_params(values, x))
    _STATS[spec.name, "backward", "fused"] += 1
    grads = [s_.to(v.dtype).reshape(v.shape) if isinstance(v, torch.Tensor) else None
             for s_, v in zip(sums, values)]
    return grad_x.view(x.shape), grads
