"""``actlab.functional.<name>(x, **params)`` for every activation in the catalog.

Each function accepts a torch tensor or a NumPy array and returns the same kind. All of them go
through :func:`apply`, which validates the input and the parameters and dispatches on the kind
of activation (elementwise, gated, concatenated, stochastic, and the kinds of
:mod:`actlab.kinds`: normalizing, maxout, funnel, dynamic, rational, which also take tensor
arguments and options).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch

from . import registry
from .autograd import apply_elementwise
from .composite import CompositeSpec, RandomizedSpec
from .kinds import KindSpec
from .spec import ACCEPTED_DTYPES, ActivationSpec, Spec, as_tensor, check_input, check_representable


def apply(
    spec: Spec | str,
    x: Any,
    params: dict[str, Any] | None = None,
    *,
    dim: int | None = None,
    training: bool = False,
) -> Any:
    """Evaluate ``spec`` at ``x`` with ``params`` (defaults filled in, domains checked); ``dim``
    defaults to the spec's (-1; Dynamic ReLU's channels: 1)."""
    spec = registry.get_spec(spec)
    if type(spec) is ActivationSpec and isinstance(x, torch.Tensor):
        # the defaults are valid in every dtype (tests/test_errors.py): only the dtype to check
        check_input(spec.name, x)
        if not params:
            return apply_elementwise(spec, x, spec.default_values)
        checked = _checked_numbers(spec, params, x.dtype)
        if checked is not None:
            return apply_elementwise(spec, x, checked)
    if dim is None:
        dim = spec.default_dim if isinstance(spec, KindSpec) else -1
    t, was_numpy = as_tensor(spec.name, x)
    check_input(spec.name, t)
    values = spec.resolve(params or {})
    for name in spec.param_names:
        _check_broadcast(spec, name, values[name], t)
    check_representable(spec.name, spec.params, values, t.dtype)
    out = dispatch(spec, t, tuple(values[n] for n in spec.argument_names), dim=dim, training=training)
    return out.detach().numpy() if was_numpy else out


def _checked_numbers(spec: ActivationSpec, params: dict[str, Any],
                     dtype: torch.dtype) -> tuple[Any, ...] | None:
    """The argument values of plain-number ``params`` once checked for ``dtype``, remembered: a
    call such as ``leaky_relu(x, negative_slope=0.2)`` in a loop checks its parameters once, not
    every call (the checks cost more than a 4K-element kernel). ``None`` for other values
    (tensors, NumPy scalars: the full checks every call)."""
    if not all(type(v) is float or type(v) is int for v in params.values()):
        return None
    return _checked_values(spec.name, tuple(params.items()), dtype)


# bounded: a sweep over many values must not grow it; a refusal raises and is not remembered
@functools.lru_cache(maxsize=4096)
def _checked_values(name: str, items: tuple[tuple[str, Any], ...], dtype: torch.dtype) -> tuple[Any, ...]:
    spec = registry.get_spec(name)
    resolved = spec.resolve(dict(items))
    check_representable(spec.name, spec.params, resolved, dtype)
    values = tuple(resolved[n] for n in spec.argument_names)
    return spec.default_values if values == spec.default_values else values  # the routes know it


def _check_broadcast(spec: Spec, name: str, value: Any, x: torch.Tensor) -> None:
    # a tensor parameter broadcasts over x; one that would enlarge the output is a mistake
    if isinstance(value, torch.Tensor) and value.dim() > 0:
        try:
            ok = torch.broadcast_shapes(value.shape, x.shape) == x.shape
        except RuntimeError:
            ok = False
        if not ok:
            raise ValueError(
                f"{spec.name}: parameter '{name}' has shape {tuple(value.shape)}, which does not "
                f"broadcast to the input's shape {tuple(x.shape)}; give it a shape that does (e.g. "
                f"one value per channel shaped like (1, C, 1, ...)) or a single number"
            )


def dispatch(spec: Spec, x: torch.Tensor, values: tuple[Any, ...], dim: int = -1,
             training: bool = False) -> torch.Tensor:
    """Evaluate ``spec`` at the tensor ``x`` with already validated parameter ``values``.

    The modules call this directly: they validate their parameters once, at construction, so a
    forward costs no per-call checks (and stays free of Python work on tensor values, which
    ``torch.compile(fullgraph=True)`` needs). Composite kinds (:mod:`actlab.composite`) say how
    they apply themselves; everything else is elementwise.
    """
    if type(spec) is ActivationSpec:
        return apply_elementwise(spec, x, values)
    return spec.apply(x, values, dim=dim, training=training)  # type: ignore[attr-defined]


def signature(spec: Spec) -> inspect.Signature:
    """``f(x, *, <parameters>[, dim][, training])``: the signature of ``actlab.functional.<name>``.

    One definition for the runtime functions (``inspect.signature``) and the generated stubs.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    sig = [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="_Array")]
    sig += [inspect.Parameter(p.name, keyword, default=p.default, annotation="float | torch.Tensor")
            for p in spec.params]
    if isinstance(spec, KindSpec):  # tensor arguments and options, then dim and training
        sig += [inspect.Parameter(w.name, keyword, default=None, annotation="torch.Tensor | None")
                for w in spec.weights]
        sig += [inspect.Parameter(o.name, keyword, default=o.default, annotation=o.annotation)
                for o in spec.options if not o.module_only]
        if spec.takes_dim:
            sig.append(inspect.Parameter("dim", keyword, default=spec.default_dim, annotation="int"))
        if spec.takes_training:
            sig.append(inspect.Parameter("training", keyword, default=False, annotation="bool"))
    if isinstance(spec, CompositeSpec):
        sig.append(inspect.Parameter("dim", keyword, default=-1, annotation="int"))
    if isinstance(spec, RandomizedSpec):
        sig.append(inspect.Parameter("training", keyword, default=False, annotation="bool"))
    return inspect.Signature(sig, return_annotation="_Array")


def _make(spec: Spec) -> Any:
    if type(spec) is ActivationSpec:
        def fn(x: Any, **params: Any) -> Any:
            if not params and type(x) is torch.Tensor and x.dtype in ACCEPTED_DTYPES:
                return apply_elementwise(spec, x, spec.default_values)  # nothing to check
            return apply(spec, x, params)
    else:
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
