"""``actlab::elementwise``: an activation as one custom op inside a user's compiled graph.

Under ``torch.compile`` of a user's model, an activation normally enters the graph as its ops
and inductor fuses them with the rest, which is what a user compiling wants. For a few
activations that costs accuracy: on CPU inductor lowers ``expm1`` as ``exp - 1`` (compiled
``elu(-1.5e-8)`` is 1.6e7 ULP off), ``erf`` with an absolute-error polynomial (``serf(-18)``
8e5 ULP) and ``sin``/``cos`` with SLEEF's 3.5-ULP variants (Snake's f' 4.5 ULP, bound 4).
Those activations (:func:`applies`: the ``opaque`` list of ``routes.json``, measured by
``tests/test_compile.py`` against the oracle) enter the graph as this op when their parameters
are plain numbers: inductor calls it but cannot re-lower it, so the compiled model computes
exactly what eager actlab computes, with actlab's kernels. Its backward is a second op.
(With learnable, tensor parameters they are traced like the others.)
"""

from __future__ import annotations

from typing import Any

import torch

from ..spec import ActivationSpec
from . import routes

__all__ = ["applies", "elementwise"]

_OPAQUE = routes.opaque()  # read now: dynamo must not trace a file read inside a user's graph


def applies(spec: ActivationSpec, values: tuple[Any, ...]) -> bool:
    """Whether ``spec`` with parameter ``values`` enters compiled graphs as the opaque op."""
    return spec.name in _OPAQUE and not any(isinstance(v, torch.Tensor) for v in values)


def _spec(name: str) -> ActivationSpec:
    from ..registry import get_spec

    return get_spec(name)  # type: ignore[return-value]  # the op is registered for elementwise specs


@torch.library.custom_op("actlab::elementwise", mutates_args=())
def _forward_op(x: torch.Tensor, name: str, numbers: list[float]) -> torch.Tensor:
    from .. import autograd

    y = autograd.forward_value(_spec(name), x, tuple(numbers))
    return y.clone() if y._base is x or y is x else y  # a custom op never returns an alias of x


@_forward_op.register_fake
def _(x, name, numbers):  # type: ignore[no-untyped-def]
    return torch.empty_like(x)


@torch.library.custom_op("actlab::elementwise_input_grad", mutates_args=())
def _input_grad_op(saved: torch.Tensor, grad: torch.Tensor, name: str, from_output: bool,
                   numbers: list[float]) -> torch.Tensor:
    from .. import autograd

    with torch.no_grad():
        return autograd.input_grad(_spec(name), saved, grad, tuple(numbers), from_output)


@_input_grad_op.register_fake
def _(saved, grad, name, from_output, numbers):  # type: ignore[no-untyped-def]
    return torch.empty_like(saved)


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    x, name, numbers = inputs
    ctx.name, ctx.numbers = name, numbers
    ctx.from_output = _spec(name).derivative_from_output is not None
    ctx.save_for_backward(output if ctx.from_output else x)


def _backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
    (saved,) = ctx.saved_tensors
    return _input_grad_op(saved, grad, ctx.name, ctx.from_output, ctx.numbers), None, None


_forward_op.register_autograd(_backward, setup_context=_setup_context)


def elementwise(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor:
    """``spec`` at ``x`` through the opaque op (what a compiled graph calls)."""
    return _forward_op(x, spec.name, [float(v) for v in values])
