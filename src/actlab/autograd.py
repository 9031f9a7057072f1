"""The generic ``torch.autograd.Function`` of every activation, and how it meets torch's transforms.

It saves only the input (and tensor-valued parameters) for backward and recomputes what the
analytic derivative needs from them: the activation costs one saved tensor, whatever its
formula. An activation whose f' is a function of its output (``spec.derivative_from_output``,
ReLU) saves the output instead, which the next layer saves anyway. The backward is written in
differentiable torch ops, so double backward (and ``gradgradcheck``) works: the second
derivative is autograd of the analytic first derivative.
Half-precision inputs are computed in float32 and rounded once at the end.

Large inputs may take a compiled kernel instead of the eager composite (:mod:`actlab.fused`);
the Function, what it saves and its double backward stay the same.

Transforms. The Function has ``setup_context`` and ``generate_vmap_rule``, so ``torch.func``'s
``grad``, ``vmap``, ``jacrev`` and ``hessian`` work, and a ``jvp`` (x' f'(x) + Σ θ' ∂f/∂θ), so
forward mode works (``torch.func.jvp``, ``jacfwd``, ``torch.autograd.forward_ad``). Dynamo
cannot trace a Function with a custom ``jvp``, so under ``torch.compile`` a twin without it is
used (classes are made for every spec at import: a class built while dynamo traces breaks
``fullgraph=True``). Activations whose formula inductor lowers less accurately than eager
torch (``expm1`` as ``exp - 1``, a coarse ``erf``, 3.5-ULP ``sin``/``cos``: the ``opaque`` set
of :mod:`actlab.fused.routes`) enter a user's compiled graph as the custom op
``actlab::elementwise`` instead, which inductor calls but cannot re-lower: compiled, they give
eager's numbers.
"""

from __future__ import annotations

from typing import Any

import torch

from . import fused, registry
from .fused import learnable, opaque
from .spec import ActivationSpec, compute_dtype

__all__ = ["apply_elementwise", "cast_params", "compute_dtype", "elementwise_function"]


def _cast(value: Any, dtype: torch.dtype) -> Any:
    return value.to(dtype) if isinstance(value, torch.Tensor) else value


def cast_params(spec: ActivationSpec, values: tuple[Any, ...], dtype: torch.dtype) -> dict[str, Any]:
    """The parameters by name, tensors cast to ``dtype`` (the compute dtype)."""
    return {p.name: _cast(v, dtype) for p, v in zip(spec.params, values)}


def _from_output(spec: ActivationSpec, values: tuple[Any, ...]) -> bool:
    # f' from the output: only with plain-number parameters (a learnable one needs x)
    return spec.derivative_from_output is not None and not any(isinstance(v, torch.Tensor) for v in values)


def eager_forward(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor:
    dtype = compute_dtype(x.dtype)
    return spec.forward(x.to(dtype), **cast_params(spec, values, dtype)).to(x.dtype)


def forward_value(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...],
                  view_ok: bool = True, inference: bool = False) -> torch.Tensor:
    """f(x): a ready compiled kernel or torch's native op where routed, else the eager composite.
    ``inference``: no derivative can be asked of this call (the route may serve it otherwise)."""
    y = fused.forward(spec, x, values, inference)
    if y is None and any(isinstance(v, torch.Tensor) for v in values):
        y = learnable.forward(spec, x, values)
    y = eager_forward(spec, x, values) if y is None else y
    if y is not x:
        return y
    # a Function may not return its input as-is and save it: a view of it (identity: free),
    # or a copy under torch.func, whose forward mode cannot see that the jvp is a view too
    return x.view_as(x) if view_ok else x.clone()


def input_grad(spec: ActivationSpec, saved: torch.Tensor, grad: torch.Tensor,
               values: tuple[Any, ...], from_output: bool) -> torch.Tensor:
    """``grad * f'``; ``saved`` is x, or y = f(x) when ``from_output``."""
    grad_x = fused.backward(spec, saved, grad, values)
    if grad_x is not None:
        return grad_x
    dtype = compute_dtype(saved.dtype)
    derivative = (spec.derivative_from_output or spec.derivative) if from_output else spec.derivative
    return (grad.to(dtype) * derivative(saved.to(dtype), **cast_params(spec, values, dtype))).to(saved.dtype)


def param_grads(spec: ActivationSpec, x: torch.Tensor, grad: torch.Tensor, values: tuple[Any, ...],
                needed: tuple[bool, ...]) -> list[torch.Tensor | None]:
    """``grad * ∂f/∂θ`` summed to each tensor parameter's shape, where ``needed``."""
    dtype = compute_dtype(x.dtype)
    params = cast_params(spec, values, dtype)
    xc, gc = x.to(dtype), grad.to(dtype)
    out: list[torch.Tensor | None] = []
    for p, v, need in zip(spec.params, values, needed):
        out.append((gc * spec.param_grads[p.name](xc, **params)).sum_to_size(v.shape).to(v.dtype)
                   if need else None)
    return out


def _split(ctx: Any, values: tuple[Any, ...]) -> None:
    ctx.tensor_at = tuple(i for i, v in enumerate(values) if isinstance(v, torch.Tensor))
    ctx.constants = tuple(None if isinstance(v, torch.Tensor) else v for v in values)


def _join(ctx: Any, tensors: tuple[torch.Tensor, ...]) -> tuple[Any, ...]:
    values = list(ctx.constants)
    for i, t in zip(ctx.tensor_at, tensors):
        values[i] = t
    return tuple(values)


def _spec(name: str) -> ActivationSpec:
    # The Functions close over the spec's NAME: dynamo can wrap a str constant, not a spec held in
    # a closure cell (it has no source to guard on); the registry dict is a global it can.
    return registry._SPECS[name]  # type: ignore[return-value]  # an elementwise name


def _save(ctx: Any, spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...], output: torch.Tensor,
          forward_mode: bool) -> None:
    _split(ctx, values)
    ctx.returned_view = output._base is not None and output._base is (x if x._base is None else x._base)
    ctx.from_output = _from_output(spec, values)
    tensors = [values[i] for i in ctx.tensor_at]
    kept = output if ctx.from_output else x
    ctx.save_for_backward(kept, *tensors)
    if forward_mode:
        ctx.save_for_forward(kept, *tensors)


def _backward(spec: ActivationSpec, ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    saved, *tensors = ctx.saved_tensors  # saved is the output y when ctx.from_output
    values = _join(ctx, tuple(tensors))
    if tensors and not ctx.from_output:  # learned parameters: f' and every Σ g ∂f/∂θ in one pass
        both = learnable.backward(spec, saved, grad, values)
        if both is not None:
            gx, grads = both
            return (gx if ctx.needs_input_grad[0] else None,
                    *(g if need else None for g, need in zip(grads, ctx.needs_input_grad[1:])))
    grad_x = input_grad(spec, saved, grad, values, ctx.from_output) if ctx.needs_input_grad[0] else None
    if not any(ctx.needs_input_grad[1:]):
        return (grad_x, *(None for _ in values))
    return (grad_x, *param_grads(spec, saved, grad, values, ctx.needs_input_grad[1:]))


def _jvp(spec: ActivationSpec, ctx: Any, x_t: torch.Tensor | None, *value_ts: Any) -> torch.Tensor:
    # x' f'(x) + Σ θ' ∂f/∂θ(x), each θ' broadcasting over x as θ does
    saved, *tensors = ctx.saved_tensors  # y only for from_output, which has no tensor θ
    values = _join(ctx, tuple(tensors))
    if ctx.returned_view and x_t is not None:  # f returned x itself: f is the identity, f' = 1,
        return x_t.view_as(x_t)  # and forward mode wants a view when the forward returned one
    out = input_grad(spec, saved, torch.zeros_like(saved) if x_t is None else x_t, values, ctx.from_output)
    dtype = compute_dtype(saved.dtype)
    params = cast_params(spec, values, dtype)
    for p, t in zip(spec.params, value_ts):
        if isinstance(t, torch.Tensor):
            d = spec.param_grads[p.name](saved.to(dtype), **params)
            out = out + (t.to(dtype) * d).to(out.dtype)
    return out


def _eager_function(spec_name: str) -> type[torch.autograd.Function]:
    """The plain-call Function: ``forward(ctx, ...)`` style, because ``Function.apply`` binds the
    arguments with ``inspect.signature`` on every call when ``setup_context`` is defined (~40 µs,
    more than a 4K-element kernel)."""

    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor, *values: Any) -> torch.Tensor:
            spec = _spec(spec_name)
            y = forward_value(spec, x, values)
            _save(ctx, spec, x, values, y, forward_mode=True)
            return y

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            return _backward(_spec(spec_name), ctx, grad)

        @staticmethod
        def jvp(ctx: Any, x_t: torch.Tensor | None, *value_ts: Any) -> torch.Tensor:
            return _jvp(_spec(spec_name), ctx, x_t, *value_ts)

    Fn.__name__ = Fn.__qualname__ = f"{spec_name}_function"
    return Fn


def _transform_function(spec_name: str, forward_mode: bool) -> type[torch.autograd.Function]:
    """The Function for torch.func (``setup_context`` and a vmap rule; ``jvp``) and, without
    ``jvp``, for dynamo."""

    class Fn(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x: torch.Tensor, *values: Any) -> torch.Tensor:
            return forward_value(_spec(spec_name), x, values, view_ok=False)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
            x, *values = inputs
            _save(ctx, _spec(spec_name), x, tuple(values), output, forward_mode)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            return _backward(_spec(spec_name), ctx, grad)

    if forward_mode:
        def jvp(ctx: Any, x_t: torch.Tensor | None, *value_ts: Any) -> torch.Tensor:
            return _jvp(_spec(spec_name), ctx, x_t, *value_ts)

        setattr(Fn, "jvp", staticmethod(jvp))  # noqa: B010 - only the forward-mode twin has one

    suffix = "transform_function" if forward_mode else "compiled_function"
    Fn.__name__ = Fn.__qualname__ = f"{spec_name}_{suffix}"
    return Fn


# Every spec's Functions exist before anything is traced (see the module docstring): the catalog
# makes them as it defines each spec (catalog/_define.py).
_FUNCTIONS: dict[str, type[torch.autograd.Function]] = {}
_TRANSFORMS: dict[str, type[torch.autograd.Function]] = {}
_COMPILED: dict[str, type[torch.autograd.Function]] = {}


def _register(spec: ActivationSpec) -> None:
    _FUNCTIONS[spec.name] = _eager_function(spec.name)
    _TRANSFORMS[spec.name] = _transform_function(spec.name, forward_mode=True)
    _COMPILED[spec.name] = _transform_function(spec.name, forward_mode=False)


def elementwise_function(spec: ActivationSpec) -> type[torch.autograd.Function]:
    """The autograd Function of an elementwise ``spec``: ``Fn.apply(x, *param_values)``."""
    if spec.name not in _FUNCTIONS:
        _register(spec)
    return _FUNCTIONS[spec.name]


def apply_elementwise(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor:
    if torch.compiler.is_compiling():
        if opaque.applies(spec, values):
            return opaque.elementwise(spec, x, values)
        return _COMPILED[spec.name].apply(x, *values)
    y = fused.native_call(spec, x, values)  # torch's own op and autograd, where they meet the bounds
    if y is not None:
        return y
    fn = elementwise_function(spec)
    if torch._C._are_functorch_transforms_active():  # torch.func: setup_context and a vmap rule
        return _TRANSFORMS[spec.name].apply(x, *values)
    if not fused.differentiated(x, values):  # inference: no Function, no saved tensors
        return forward_value(spec, x, values, inference=True)
    return fn.apply(x, *values)
