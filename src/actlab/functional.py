"""``actlab.functional.<name>(x, **params)`` for every activation in the catalog.

Each function accepts a torch tensor or a NumPy array and returns the same kind. All of them go
through :func:`apply`, which validates the input and the parameters and dispatches on the kind
of activation (elementwise, gated, concatenated, stochastic).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch

from . import registry
from .autograd import apply_elementwise, gated_function
from .spec import ActivationSpec, check_input


def _as_tensor(name: str, x: Any) -> tuple[torch.Tensor, bool]:
    if isinstance(x, torch.Tensor):
        return x, False
    if isinstance(x, np.ndarray) or np.isscalar(x):
        arr = np.asarray(x)
        if arr.dtype.kind != "f":
            raise TypeError(
                f"{name}: input has NumPy dtype {arr.dtype}; activations take float arrays "
                f"(float64, float32, float16). Convert it first, e.g. x.astype(np.float32)."
            )
        return torch.from_numpy(np.ascontiguousarray(arr)), True
    raise TypeError(f"{name}: expected a torch.Tensor or a NumPy array, got {type(x).__name__}")


def apply(
    spec: ActivationSpec | str,
    x: Any,
    params: dict[str, Any] | None = None,
    *,
    dim: int = -1,
    training: bool = False,
) -> Any:
    """Evaluate ``spec`` at ``x`` with ``params`` (defaults filled in, domains checked)."""
    spec = registry.get_spec(spec)
    t, was_numpy = _as_tensor(spec.name, x)
    check_input(spec.name, t)
    values = spec.resolve(params or {})
    args = tuple(values[n] for n in spec.param_names)
    if spec.kind == "elementwise":
        out = apply_elementwise(spec, t, args)
    elif spec.kind == "gated":
        out = _gated(spec, t, dim)
    elif spec.kind == "concatenated":
        base = registry.get_spec(spec.gate)
        out = torch.cat([apply_elementwise(base, t, ()), apply_elementwise(base, -t, ())], dim=dim)
    elif spec.kind == "stochastic":
        out = _randomized(spec, t, values, training)
    else:  # pragma: no cover - the spec's Literal type lists every kind
        raise NotImplementedError(spec.kind)
    return out.detach().numpy() if was_numpy else out


def _gated(spec: ActivationSpec, x: torch.Tensor, dim: int) -> torch.Tensor:
    if x.dim() == 0 or x.shape[dim] % 2:
        size = "a 0-d tensor" if x.dim() == 0 else f"size {x.shape[dim]}"
        raise ValueError(
            f"{spec.name}: splits its input in two halves along dim={dim}, which needs an even "
            f"size there; got {size} (shape {tuple(x.shape)})."
        )
    gate = registry.get_spec(spec.gate)
    return gated_function(spec, gate).apply(x, dim, *gate.defaults.values())


def _randomized(spec: ActivationSpec, x: torch.Tensor, values: dict, training: bool) -> torch.Tensor:
    """RReLU: in training a slope ~ U(lower, upper) per element, in eval the mean slope."""
    leaky = registry.get_spec("leaky_relu")
    lower, upper = values["lower"], values["upper"]
    if lower > upper:
        raise ValueError(f"{spec.name}: needs lower <= upper, got lower={lower}, upper={upper}")
    if not training:
        return apply_elementwise(leaky, x, ((lower + upper) / 2,))
    slope = torch.empty_like(x).uniform_(lower, upper)
    return apply_elementwise(leaky, x, (slope,))


def _make(spec: ActivationSpec) -> Any:
    def fn(x: Any, **params: Any) -> Any:
        extra = {k: params.pop(k) for k in ("dim", "training") if k in params}
        return apply(spec, x, params, **extra)

    keyword = inspect.Parameter.KEYWORD_ONLY
    sig = [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    sig += [inspect.Parameter(p.name, keyword, default=p.default) for p in spec.params]
    if spec.kind in ("gated", "concatenated"):
        sig.append(inspect.Parameter("dim", keyword, default=-1))
    if spec.kind == "stochastic":
        sig.append(inspect.Parameter("training", keyword, default=False))
    fn.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = spec.doc()
    fn.__module__ = __name__
    return fn


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        spec = registry.get_spec(name)
    except ValueError as e:
        raise AttributeError(str(e)) from None
    fn = _make(spec)
    globals()[name] = fn
    return fn


def __dir__() -> list[str]:
    return sorted([*globals(), *registry.names()])
