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
    if spec.kind == "stochastic":
        check_rrelu_bounds(spec, values["lower"], values["upper"])
    out = dispatch(spec, t, tuple(values[n] for n in spec.param_names), dim=dim, training=training)
    return out.detach().numpy() if was_numpy else out


def dispatch(
    spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...], dim: int = -1, training: bool = False
) -> torch.Tensor:
    """Evaluate ``spec`` at the tensor ``x`` with already validated parameter ``values``.

    The modules call this directly: they validate their parameters once, at construction, so a
    forward costs no per-call checks (and stays free of Python work on tensor values, which
    ``torch.compile(fullgraph=True)`` needs).
    """
    if spec.kind == "elementwise":
        return apply_elementwise(spec, x, values)
    if spec.kind == "gated":
        return _gated(spec, x, dim)
    if spec.kind == "concatenated":
        base = registry.get_spec(spec.gate)
        return torch.cat([apply_elementwise(base, x, ()), apply_elementwise(base, -x, ())], dim=dim)
    if spec.kind == "stochastic":
        return _randomized(x, values[0], values[1], training)
    raise NotImplementedError(spec.kind)  # pragma: no cover - the spec's Literal lists every kind


def check_rrelu_bounds(spec: ActivationSpec, lower: Any, upper: Any) -> None:
    """RReLU samples its slope from U(lower, upper), which needs lower <= upper."""
    if not isinstance(lower, torch.Tensor) and not isinstance(upper, torch.Tensor) and lower > upper:
        raise ValueError(
            f"{spec.name}: needs lower <= upper, got lower={lower}, upper={upper}; swap them"
        )


def _gated(spec: ActivationSpec, x: torch.Tensor, dim: int) -> torch.Tensor:
    if x.dim() == 0 or x.shape[dim] % 2:
        size = "a 0-d tensor" if x.dim() == 0 else f"size {x.shape[dim]}"
        raise ValueError(
            f"{spec.name}: splits its input in two halves along dim={dim}, which needs an even "
            f"size there; got {size} (shape {tuple(x.shape)})."
        )
    gate = registry.get_spec(spec.gate)
    return gated_function(spec, gate).apply(x, dim, *gate.defaults.values())


def _randomized(x: torch.Tensor, lower: float, upper: float, training: bool) -> torch.Tensor:
    """RReLU: in training a slope ~ U(lower, upper) per element, in eval the mean slope."""
    leaky = registry.get_spec("leaky_relu")
    if not training:
        return apply_elementwise(leaky, x, ((lower + upper) / 2,))
    slope = torch.empty_like(x).uniform_(lower, upper)
    return apply_elementwise(leaky, x, (slope,))


def signature(spec: ActivationSpec) -> inspect.Signature:
    """``f(x, *, <parameters>[, dim][, training])``: the signature of ``actlab.functional.<name>``.

    One definition for the runtime functions (``inspect.signature``) and the generated stubs.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    sig = [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="_Array")]
    sig += [inspect.Parameter(p.name, keyword, default=p.default, annotation="float | torch.Tensor")
            for p in spec.params]
    if spec.kind in ("gated", "concatenated"):
        sig.append(inspect.Parameter("dim", keyword, default=-1, annotation="int"))
    if spec.kind == "stochastic":
        sig.append(inspect.Parameter("training", keyword, default=False, annotation="bool"))
    return inspect.Signature(sig, return_annotation="_Array")


def _make(spec: ActivationSpec) -> Any:
    def fn(x: Any, **params: Any) -> Any:
        extra = {k: params.pop(k) for k in ("dim", "training") if k in params}
        return apply(spec, x, params, **extra)

    fn.__signature__ = signature(spec)  # type: ignore[attr-defined]
    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = spec.doc()
    fn.__module__ = __name__
    return fn


# Every catalog name is a real module-level function (static tools read functional.pyi, which
# ``python -m actlab._stubs`` generates from the same specs); aliases resolve in __getattr__.
for _spec in registry.specs():
    globals()[_spec.name] = _make(_spec)
del _spec

__all__ = ["apply", "dispatch", "signature", *registry.names()]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:  # an alias ("swish1", "gelu_new") is the canonical name's function
        return globals()[registry.get_spec(name).name]
    except ValueError as e:
        raise AttributeError(f"actlab.functional has no function '{name}': {e}") from None


def __dir__() -> list[str]:
    return sorted(globals())
