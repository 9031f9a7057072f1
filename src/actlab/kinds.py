"""Activations that are neither elementwise nor built on an elementwise base: their own kinds.

Each is a small spec type (a :class:`KindSpec`) that owns how it applies,
``apply(x, values, dim, training)``, with its autograd; the catalog
(``catalog/normalizing.py``, ``catalog/learnable_kinds.py``) writes their math:

* :class:`NormalizingSpec`: the softmax family (softmax, log_softmax, sparsemax) along ``dim``.
  One autograd Function per entry saves only the output y and has an analytic backward (a
  vector-Jacobian product of y) and an analytic ``jvp`` (forward mode, ``torch.func``); the
  backward is differentiable torch ops, so double backward works.
* :class:`MaxoutSpec` (here) and, in :mod:`actlab.conditioned`, the kinds that hold weights:
  FReLU, Dynamic ReLU and PAU.

Besides scalar :class:`~actlab.spec.Param` values a kind may take tensor arguments
(:class:`Weight`: FReLU's convolution, PAU's coefficients), which an ``actlab.nn`` module
creates and learns as ``nn.Parameter`` (or keeps as buffers), and settings (:class:`Option`:
Maxout's number of pieces). ``values`` holds them all in ``spec.argument_names`` order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from . import registry
from .fused import differentiated
from .spec import Kind, Spec, compute_dtype

__all__ = ["KindSpec", "MaxoutSpec", "NormalizingSpec", "Option", "Weight", "check_dim", "is_kind"]


@dataclass(frozen=True)
class Weight:
    """A tensor argument of a kind. ``shape(settings)`` and ``init(tensor, settings)`` make a new
    module's tensor (``settings``: ``num_channels`` and the options); ``default(settings)`` is the
    functional's value when none is given (PAU's fitted coefficients); ``required`` ones have
    none; ``buffer``: a module keeps it as a buffer, not a parameter (running statistics)."""

    name: str
    doc: str
    shape: Callable[[Mapping[str, Any]], tuple[int, ...]]
    init: Callable[[torch.Tensor, Mapping[str, Any]], None]
    default: Callable[[Mapping[str, Any]], torch.Tensor] | None = None
    required: bool = True
    buffer: bool = False


@dataclass(frozen=True)
class Option:
    """A setting of a kind (Maxout's ``pieces``): a plain value, checked by ``check`` (which
    returns what is wrong, or None). ``module_only``: only shapes a module's weights."""

    name: str
    default: Any
    annotation: str
    doc: str
    check: Callable[[Any], str | None]
    module_only: bool = False


def check_dim(spec: Spec, x: torch.Tensor, dim: int) -> None:
    """ValueError naming the valid range when ``dim`` is not a dimension of ``x``."""
    if x.dim() == 0 or not -x.dim() <= dim < x.dim():
        what = "a 0-d tensor" if x.dim() == 0 else f"a {x.dim()}-d tensor (dims {-x.dim()}..{x.dim() - 1})"
        raise ValueError(f"{spec.name}: dim={dim} is not a dimension of {what}; pass dim inside that "
                         f"range (default {getattr(spec, 'default_dim', -1)})")


def positive_int(low: int = 1) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            return f"must be an int >= {low}, got {v!r}"
        return None

    return check


@dataclass(frozen=True, eq=False, kw_only=True)
class KindSpec(Spec):
    """A catalog entry of its own kind: not elementwise, no elementwise base."""

    weights: tuple[Weight, ...] = ()
    options: tuple[Option, ...] = ()
    default_dim: int = -1
    #: whether ``dim`` means something (softmax's axis, Maxout's channels); FReLU and PAU: no
    takes_dim: ClassVar[bool] = True
    #: whether the result depends on train/eval (FReLU's batch norm)
    takes_training: ClassVar[bool] = False
    #: whether a module needs ``num_channels`` to shape its weights
    needs_channels: ClassVar[bool] = False
    learn_by_default: ClassVar[bool] = False

    @property
    def argument_names(self) -> tuple[str, ...]:
        return (*self.param_names, *(w.name for w in self.weights),
                *(o.name for o in self.options if not o.module_only))

    def kinks(self, **_: Any) -> tuple[float, ...]:
        """Not a function of one variable: no kinks on the real line to list."""
        return ()

    def settings(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The options, defaults filled in and checked."""
        out = {}
        for o in self.options:
            v = params.get(o.name, o.default)
            problem = o.check(v)
            if problem:
                raise ValueError(f"{self.name}: option '{o.name}' {problem}; {o.doc} (default {o.default!r})")
            out[o.name] = v
        return out

    def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters as :meth:`Spec.resolve`, options checked, tensor arguments type-checked
        (their shapes are checked against the input in ``apply``); a weight left out is its
        default, or None."""
        known = set(self.param_names) | {w.name for w in self.weights} | {o.name for o in self.options}
        unknown = set(params) - known
        if unknown:
            raise TypeError(f"{self.name}() got unknown argument(s) {sorted(unknown)}; it takes: "
                            f"{', '.join(sorted(known)) or 'no arguments'}")
        values = super().resolve({k: v for k, v in params.items() if k in self.param_names})
        opts = self.settings(params)
        values.update(opts)
        for w in self.weights:
            v = params.get(w.name)
            if v is None and w.default is not None:
                v = w.default(opts)
            if v is not None and not (isinstance(v, torch.Tensor) and v.is_floating_point()):
                raise TypeError(f"{self.name}: '{w.name}' must be a float tensor ({w.doc}), got "
                                f"{type(v).__name__}")
            values[w.name] = v
        return values

    def required(self, values: Mapping[str, Any]) -> None:
        """TypeError for a required weight left out, naming the module that holds it."""
        for w in self.weights:
            if w.required and values[w.name] is None:
                from .nn import class_name

                raise TypeError(f"{self.name}: needs '{w.name}' ({w.doc}); pass it, or use the module "
                                f"actlab.nn.{class_name(self.name)}, which holds and learns it")

    def doc(self) -> str:
        text = super().doc()
        extra = []
        if self.weights:
            extra.append("Tensor arguments (an actlab.nn module holds and learns them):")
            extra += [f"    {w.name}: {w.doc}{'' if w.required else ' Optional.'}" for w in self.weights]
        if self.options:
            extra.append("Options:")
            extra += [f"    {o.name}: {o.doc} Default: {o.default!r}." for o in self.options]
        if not extra:
            return text
        head, sep, tail = text.rpartition("\nReference: ")
        return f"{head}\n" + "\n".join(extra) + f"\n{sep.lstrip(chr(10))}{tail}"

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - each kind says how it applies


def is_kind(spec: Spec) -> bool:
    """Whether ``spec`` is one of the kinds of this module (and :mod:`actlab.conditioned`)."""
    return isinstance(spec, KindSpec)


# ---------------------------------------------------------------------------- the softmax family
Vjp = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True, eq=False, kw_only=True)
class NormalizingSpec(KindSpec):
    """A normalisation along ``dim`` (softmax, log_softmax, sparsemax).

    forward(x, dim)      numerically stable value (computed in float32 for half inputs)
    vjp(y, g, dim)       gᵀJ from the output y alone (differentiable torch ops)
    jvp(y, t, dim)       J t from the output y alone
    reference(xs)        the value at a list of mpmath numbers, written from the paper (the oracle)
    """

    kind: ClassVar[Kind] = "normalizing"
    forward: Callable[[torch.Tensor, int], torch.Tensor]
    vjp: Vjp
    jvp: Vjp
    reference: Callable[[list[Any]], list[Any]]

    def __post_init__(self) -> None:
        # Functions exist before anything is traced (a class built while dynamo traces breaks
        # fullgraph=True); they close over the name, which dynamo can guard on
        _NORMALIZING[self.name] = (_normalizing_function(self.name, True),
                                   _normalizing_function(self.name, False))

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        check_dim(self, x, dim)
        transform, compiled = _NORMALIZING[self.name]
        if torch.compiler.is_compiling():
            return compiled.apply(x, dim)
        if not torch._C._are_functorch_transforms_active() and not differentiated(x, ()):
            return self.forward(x.to(compute_dtype(x.dtype)), dim).to(x.dtype)  # inference: no Function
        return transform.apply(x, dim)


_NORMALIZING: dict[str, tuple[type[torch.autograd.Function], type[torch.autograd.Function]]] = {}


def _normalizing(name: str) -> NormalizingSpec:
    return registry._SPECS[name]  # type: ignore[return-value]


def _normalizing_function(name: str, forward_mode: bool) -> type[torch.autograd.Function]:
    """``setup_context`` and a vmap rule (``torch.func``); the forward-mode twin has the analytic
    ``jvp`` (dynamo cannot trace a Function with one, so ``torch.compile`` gets the other)."""

    class Fn(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x: torch.Tensor, dim: int) -> torch.Tensor:
            return _normalizing(name).forward(x.to(compute_dtype(x.dtype)), dim).to(x.dtype)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
            ctx.dim = inputs[1]
            ctx.save_for_backward(output)
            if forward_mode:
                ctx.save_for_forward(output)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None]:
            (y,) = ctx.saved_tensors
            dtype = compute_dtype(y.dtype)
            gx = _normalizing(name).vjp(y.to(dtype), grad.to(dtype), ctx.dim)
            return gx.to(y.dtype), None

    if forward_mode:
        def jvp(ctx: Any, x_t: torch.Tensor, _dim_t: Any) -> torch.Tensor:
            (y,) = ctx.saved_tensors
            dtype = compute_dtype(y.dtype)
            return _normalizing(name).jvp(y.to(dtype), x_t.to(dtype), ctx.dim).to(y.dtype)

        setattr(Fn, "jvp", staticmethod(jvp))  # noqa: B010 - only the forward-mode twin has one

    Fn.__name__ = Fn.__qualname__ = f"{name}_{'transform' if forward_mode else 'compiled'}_function"
    return Fn


# ------------------------------------------------------------------------------------------ Maxout
@dataclass(frozen=True, eq=False, kw_only=True)
class MaxoutSpec(KindSpec):
    """The maximum of ``pieces`` consecutive channels along ``dim``: C channels in, C/k out.

    Ties (two pieces equal) share the gradient equally, as torch's ``amax``/``maximum``."""

    kind: ClassVar[Kind] = "maxout"

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        (pieces,) = values
        check_dim(self, x, dim)
        d = dim % x.dim()
        if x.shape[d] % pieces:
            raise ValueError(
                f"{self.name}: takes the max over groups of pieces={pieces} channels along dim={dim}, "
                f"which needs a size there divisible by {pieces}; got {x.shape[d]} (shape "
                f"{tuple(x.shape)}); give the layer before it {pieces} x the channels you want out"
            )
        return x.unflatten(d, (x.shape[d] // pieces, pieces)).amax(d + 1)
