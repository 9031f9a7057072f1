"""Activations built from an elementwise one: the GLU family, CReLU and RReLU.

Each is its own small spec type that *refers* to its elementwise base (an
:class:`~actlab.spec.ActivationSpec`, never a copy of its functions) and owns how it applies,
``apply(x, values, dim, training)``, with its autograd:

* :class:`GatedSpec`: ``x = [a, b]`` split in two along ``dim``, output ``a ⊗ g(b)`` with g the
  base (the gate); one Function that saves only ``x``, compiled kernels where the gate's are;
* :class:`ConcatenatedSpec`: ``[f(x), f(-x)]`` along ``dim`` (CReLU), through f's own Function;
* :class:`RandomizedSpec`: RReLU. In eval it is elementwise, slope (l + u)/2 (its definition
  is its own, so the oracle and the analyses see it); in training each element draws a slope
  ~ U(l, u) and goes through the base (leaky ReLU) with that slope as a tensor parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from . import fused, registry
from .autograd import apply_elementwise, cast_params, compute_dtype
from .spec import ActivationSpec, Kind, Spec

__all__ = ["CompositeSpec", "ConcatenatedSpec", "GatedSpec", "RandomizedSpec", "is_composite"]


def _check_dim(spec: Spec, x: torch.Tensor, dim: int) -> None:
    if x.dim() == 0 or not -x.dim() <= dim < x.dim():
        what = "a 0-d tensor" if x.dim() == 0 else f"a {x.dim()}-d tensor (dims {-x.dim()}..{x.dim() - 1})"
        raise ValueError(f"{spec.name}: dim={dim} is not a dimension of {what}; pass dim inside that "
                         f"range (default -1, the last)")


@dataclass(frozen=True, eq=False, kw_only=True)
class CompositeSpec(Spec):
    """An activation made of its elementwise ``base``; it has no parameters of its own."""

    base: ActivationSpec
    learn_by_default: ClassVar[bool] = False

    def kinks(self, **_: Any) -> tuple[float, ...]:
        """Points of x where the output is not differentiable (none for a gated one: it is not a
        function of one variable)."""
        return ()

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - each kind below says how it applies


@dataclass(frozen=True, eq=False, kw_only=True)
class GatedSpec(CompositeSpec):
    """``a ⊗ g(b)`` with ``[a, b] = x`` along ``dim``; ``base`` is the gate g."""

    kind: ClassVar[Kind] = "gated"

    def __post_init__(self) -> None:
        # the Function exists before anything is traced (a class built while dynamo traces
        # breaks fullgraph=True)
        _GATED[self.name] = _gated_function(self.name, self.base.name)

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        _check_dim(self, x, dim)
        if x.shape[dim] % 2:
            raise ValueError(
                f"{self.name}: splits its input in two halves along dim={dim}, which needs an even "
                f"size there; got size {x.shape[dim]} (shape {tuple(x.shape)})."
            )
        return _GATED[self.name].apply(x, dim, *self.base.defaults.values())


@dataclass(frozen=True, eq=False, kw_only=True)
class ConcatenatedSpec(CompositeSpec):
    """``[f(x), f(-x)]`` along ``dim``: twice the channels; ``base`` is f."""

    kind: ClassVar[Kind] = "concatenated"

    def kinks(self, **_: Any) -> tuple[float, ...]:
        """Where f(x) or f(-x) has one."""
        return tuple(sorted({p for k in self.base.kinks(**self.base.defaults) for p in (k, -k)}))

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        _check_dim(self, x, dim)
        return torch.cat([apply_elementwise(self.base, x, ()), apply_elementwise(self.base, -x, ())], dim=dim)


@dataclass(frozen=True, eq=False, kw_only=True)
class RandomizedSpec(ActivationSpec):
    """RReLU: elementwise in eval (its own definition, slope (lower + upper)/2); in training a
    slope ~ U(lower, upper) per element through ``base`` (leaky ReLU)."""

    kind: ClassVar[Kind] = "stochastic"
    base: ActivationSpec

    def apply(self, x: torch.Tensor, values: tuple[Any, ...], dim: int = -1,
              training: bool = False) -> torch.Tensor:
        lower, upper = values
        if not training:
            return apply_elementwise(self.base, x, ((lower + upper) / 2,))
        return apply_elementwise(self.base, x, (torch.empty_like(x).uniform_(lower, upper),))


def is_composite(spec: Spec) -> bool:
    """Whether ``spec`` applies otherwise than elementwise (its output shape may differ)."""
    return isinstance(spec, CompositeSpec)


# ------------------------------------------------------------------------------ gated autograd
_GATED: dict[str, type[torch.autograd.Function]] = {}


def _elementwise(name: str) -> ActivationSpec:
    # by name from the registry dict (a global dynamo can guard on); the gate is elementwise and
    # fused.gated_* want the gated spec only for its name
    return registry._SPECS[name]  # type: ignore[return-value]


def _gated_function(spec_name: str, gate_name: str) -> type[torch.autograd.Function]:
    """``a ⊗ g(b)`` where ``x = [a, b]`` along ``dim``; saves only ``x``. It closes over names,
    not specs: dynamo can wrap a str constant, not a spec held in a closure cell."""

    class Gated(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor, dim: int, *values: Any) -> torch.Tensor:
            spec, gate = _elementwise(spec_name), _elementwise(gate_name)
            ctx.dim, ctx.values = dim, tuple(values)
            ctx.save_for_backward(x)
            y = fused.gated_forward(spec, gate, x, dim, values)
            if y is not None:
                return y
            dtype = compute_dtype(x.dtype)
            a, b = x.to(dtype).chunk(2, dim=dim)
            return (a * gate.forward(b, **cast_params(gate, values, dtype))).to(x.dtype)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            spec, gate = _elementwise(spec_name), _elementwise(gate_name)
            (x,) = ctx.saved_tensors
            nones = tuple(None for _ in ctx.values)
            grad_x = fused.gated_backward(spec, gate, x, grad, ctx.dim, ctx.values)
            if grad_x is not None:
                return (grad_x, None, *nones)
            dtype = compute_dtype(x.dtype)
            params = cast_params(gate, ctx.values, dtype)
            a, b = x.to(dtype).chunk(2, dim=ctx.dim)
            gc = grad.to(dtype)
            grad_a = gc * gate.forward(b, **params)
            grad_b = gc * a * gate.derivative(b, **params)
            return (torch.cat([grad_a, grad_b], dim=ctx.dim).to(x.dtype), None, *nones)

    Gated.__name__ = Gated.__qualname__ = f"{spec_name}_function"
    return Gated
