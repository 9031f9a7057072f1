"""``actlab.get(name, **params)``: an activation with its parameters bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from . import registry
from .autograd import compute_dtype
from .functional import apply
from .spec import ActivationSpec, Spec, as_tensor, check_input, check_representable

__all__ = ["Activation", "get"]


class Activation:
    """An activation function with fixed parameter values.

    ``forward(x)`` (also ``act(x)``), ``derivative(x)`` and ``second_derivative(x)`` are the
    spec's stable forward, analytic f' and analytic (or autograd-of-analytic) f''; each takes a
    tensor or a NumPy array and returns the same kind. For gated activations the derivatives
    are the gate's. The kinds of :mod:`actlab.kinds` (softmax, Maxout, FReLU, Dynamic ReLU, PAU)
    have no derivative of one variable: ``derivative`` raises, pointing to autograd.
    """

    def __init__(self, spec: Spec, params: dict[str, Any]) -> None:
        self.spec = spec
        self.params = spec.resolve(params)
        # f' and f'' of a composite activation are its elementwise base's; a kind of its own has none
        self._pointwise_spec: ActivationSpec | None = (
            spec if isinstance(spec, ActivationSpec) else None if _own_kind(spec) else _base(spec))

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.params.items() if v is not None and not isinstance(v, torch.Tensor)}
        inner = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v!r}"
                          for k, v in shown.items())
        return f"Activation({self.spec.name!r}{', ' if inner else ''}{inner})"

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        return self.forward(x, **kwargs)

    def forward(self, x: Any, **kwargs: Any) -> Any:
        return apply(self.spec, x, self.params, **kwargs)

    def _pointwise(self, x: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
        t, was_numpy = as_tensor(self.spec.name, x)
        check_input(self.spec.name, t)
        check_representable(self.spec.name, self.spec.params, self.params, t.dtype)
        dtype = compute_dtype(t.dtype)
        out = fn(t.detach().to(dtype)).to(t.dtype)
        return out.numpy() if was_numpy else out

    def _elementwise(self) -> ActivationSpec:
        if self._pointwise_spec is None:
            raise TypeError(
                f"{self.spec.name} is {self.spec.kind}, not a function of one variable: it has no "
                f"f'(x) to evaluate; differentiate it with torch.autograd or torch.func (jvp, jacrev)"
            )
        return self._pointwise_spec

    def derivative(self, x: Any) -> Any:
        """f'(x), the same values backward uses."""
        spec = self._elementwise()
        return self._pointwise(x, lambda t: spec.derivative(t, **self.params))

    def param_derivative(self, name: str, x: Any) -> Any:
        """df/d(param) at x."""
        if name not in self.spec.param_names:
            raise ValueError(f"{self.spec.name} has no parameter '{name}'; it has: "
                             f"{', '.join(self.spec.param_names) or 'none'}")
        spec = self._elementwise()
        return self._pointwise(x, lambda t: spec.param_grads[name](t, **self.params))

    def second_derivative(self, x: Any) -> Any:
        """f''(x): analytic where the spec gives it, else autograd of the analytic f'."""
        pointwise = self._elementwise()
        second = pointwise.second_derivative
        if second is not None:
            return self._pointwise(x, lambda t: second(t, **self.params))

        def autograd_of_derivative(t: torch.Tensor) -> torch.Tensor:
            with torch.enable_grad():
                t = t.clone().requires_grad_(True)
                d = pointwise.derivative(t, **self.params)
                (g,) = torch.autograd.grad(d.sum(), t, allow_unused=True)
            return torch.zeros_like(t) if g is None else g.detach()

        return self._pointwise(x, autograd_of_derivative)


def _own_kind(spec: Spec) -> bool:
    from .kinds import KindSpec

    return isinstance(spec, KindSpec)


def _base(spec: Spec) -> ActivationSpec:
    from .composite import CompositeSpec

    if not isinstance(spec, CompositeSpec):
        raise TypeError(f"{spec.name}: not an activation spec ({type(spec).__name__})")
    return spec.base


def get(name: str, **params: Any) -> Activation:
    """The activation called ``name`` with ``params`` bound (defaults for the rest)."""
    return Activation(registry.get_spec(name), params)
