"""One generic ``torch.autograd.Function`` for every activation.

It saves only the input (and tensor-valued parameters) for backward and recomputes what the
analytic derivative needs from them: the activation costs one saved tensor, whatever its
formula. An activation whose f' is a function of its output (``spec.derivative_from_output``,
ReLU) saves the output instead, which the next layer saves anyway. The backward is written in
differentiable torch ops, so double backward (and ``gradgradcheck``) works: the second
derivative is autograd of the analytic first derivative.
Half-precision inputs are computed in float32 and rounded once at the end.

Large inputs may take a fused kernel instead of the eager composite (:mod:`actlab.fused`: one
compiled kernel for the forward and one for ``grad * f'(x)``, or torch's native op where it
is as accurate); the Function, what it saves and its double backward stay the same.
"""

from __future__ import annotations

from typing import Any

import torch

from . import fused
from .spec import HALF_DTYPES, ActivationSpec


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in HALF_DTYPES else dtype


def _cast(value: Any, dtype: torch.dtype) -> Any:
    return value.to(dtype) if isinstance(value, torch.Tensor) else value


def _params(spec: ActivationSpec, values: tuple[Any, ...], dtype: torch.dtype) -> dict[str, Any]:
    return {p.name: _cast(v, dtype) for p, v in zip(spec.params, values)}


_FUNCTIONS: dict[str, type[torch.autograd.Function]] = {}


def elementwise_function(spec: ActivationSpec) -> type[torch.autograd.Function]:
    """The autograd Function of an elementwise ``spec``: ``Fn.apply(x, *param_values)``."""
    if spec.name in _FUNCTIONS:
        return _FUNCTIONS[spec.name]

    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor, *values: Any) -> torch.Tensor:
            dtype = compute_dtype(x.dtype)
            ctx.tensor_at = [i for i, v in enumerate(values) if isinstance(v, torch.Tensor)]
            ctx.constants = [None if isinstance(v, torch.Tensor) else v for v in values]
            # f' from the output: only with plain-number parameters (a learnable one needs x)
            ctx.from_output = spec.derivative_from_output is not None and not ctx.tensor_at
            y = fused.forward(spec, x, values)
            if y is None:
                y = spec.forward(x.to(dtype), **_params(spec, values, dtype)).to(x.dtype)
            ctx.save_for_backward(y if ctx.from_output else x, *(values[i] for i in ctx.tensor_at))
            return y

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            x, *tensors = ctx.saved_tensors  # x is the output y when ctx.from_output
            values = list(ctx.constants)
            for i, t in zip(ctx.tensor_at, tensors):
                values[i] = t
            dtype = compute_dtype(x.dtype)
            params = _params(spec, tuple(values), dtype)
            # the fused kernel declines (None) when a graph is being built (double backward)
            grad_x = fused.backward(spec, x, grad, tuple(values)) if ctx.needs_input_grad[0] else None
            if grad_x is not None and not any(ctx.needs_input_grad[1:]):
                return (grad_x, *(None for _ in values))
            xc, gc = x.to(dtype), grad.to(dtype)  # float32 copies of half inputs
            derivative = spec.derivative_from_output if ctx.from_output else spec.derivative
            if ctx.needs_input_grad[0] and grad_x is None:
                grad_x = (gc * derivative(xc, **params)).to(x.dtype)
            grads: list[torch.Tensor | None] = []
            for i, (p, v) in enumerate(zip(spec.params, values)):
                if not ctx.needs_input_grad[i + 1]:
                    grads.append(None)
                    continue
                g = gc * spec.param_grads[p.name](xc, **params)
                grads.append(g.sum_to_size(v.shape).to(v.dtype))
            return (grad_x, *grads)

    Fn.__name__ = Fn.__qualname__ = f"{spec.name}_function"
    _FUNCTIONS[spec.name] = Fn
    return Fn


def apply_elementwise(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor:
    return elementwise_function(spec).apply(x, *values)


_GATED: dict[str, type[torch.autograd.Function]] = {}


def gated_function(spec: ActivationSpec, gate: ActivationSpec) -> type[torch.autograd.Function]:
    """``a ⊗ g(b)`` where ``x = [a, b]`` along ``dim``; saves only ``x``."""
    if spec.name in _GATED:
        return _GATED[spec.name]

    class Gated(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor, dim: int, *values: Any) -> torch.Tensor:
            ctx.dim, ctx.values = dim, values
            ctx.save_for_backward(x)
            y = fused.gated_forward(spec, gate, x, dim, values)
            if y is not None:
                return y
            dtype = compute_dtype(x.dtype)
            a, b = x.to(dtype).chunk(2, dim=dim)
            return (a * gate.forward(b, **_params(gate, values, dtype))).to(x.dtype)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            (x,) = ctx.saved_tensors
            grad_x = fused.gated_backward(spec, gate, x, grad, ctx.dim, ctx.values)
            if grad_x is not None:
                return (grad_x, None, *(None for _ in ctx.values))
            dtype = compute_dtype(x.dtype)
            params = _params(gate, ctx.values, dtype)
            a, b = x.to(dtype).chunk(2, dim=ctx.dim)
            gc = grad.to(dtype)
            grad_a = gc * gate.forward(b, **params)
            grad_b = gc * a * gate.derivative(b, **params)
            grad_x = torch.cat([grad_a, grad_b], dim=ctx.dim).to(x.dtype)
            return (grad_x, None, *(None for _ in ctx.values))

    Gated.__name__ = Gated.__qualname__ = f"{spec.name}_function"
    _GATED[spec.name] = Gated
    return Gated
