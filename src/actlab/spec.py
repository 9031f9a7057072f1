"""The one definition of an activation: :class:`ActivationSpec`, its :class:`Param` and their
:class:`Domain`, plus the validation of parameters and inputs that every entry point shares."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import torch

__all__ = [
    "ACCEPTED_DTYPES",
    "HALF_DTYPES",
    "NONNEGATIVE",
    "NONZERO",
    "POSITIVE",
    "REAL",
    "UNIT",
    "ActivationSpec",
    "Bound",
    "Domain",
    "Param",
    "Relation",
    "Spec",
    "as_tensor",
    "check_in_domain",
    "check_input",
    "check_relations",
    "check_representable",
    "compute_dtype",
    "float32_misfits",
    "float32_overflows"
]

# the last five: actlab.kinds (the softmax family; Maxout, FReLU, Dynamic ReLU, PAU)
Kind = Literal["elementwise", "gated", "concatenated", "stochastic", "normalizing", "maxout", "funnel",
               "dynamic", "rational"]
ACCEPTED_DTYPES = (torch.float64, torch.float32, torch.bfloat16, torch.float16)
HALF_DTYPES = (torch.bfloat16, torch.float16)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype an activation computes in: half precision in float32, rounded once at the end."""
    return torch.float32 if dtype in HALF_DTYPES else dtype


@dataclass(frozen=True)
class Domain:
    """An interval of the real line, open or closed at each end, minus some points."""

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False
    exclude: tuple[float, ...] = ()

    def __contains__(self, value: float) -> bool:
        if math.isnan(value) or value in self.exclude:
            return False
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def __str__(self) -> str:
        def end(v: float) -> str:
            return "inf" if v == math.inf else "-inf" if v == -math.inf else f"{v:g}"

        text = ("[" if self.low_closed else "(") + f"{end(self.low)}, {end(self.high)}"
        text += "]" if self.high_closed else ")"
        return text + "".join(f" \\ {{{v:g}}}" for v in self.exclude)


REAL = Domain()
POSITIVE = Domain(low=0.0)
NONNEGATIVE = Domain(low=0.0, low_closed=True)
NONZERO = Domain(exclude=(0.0,))
UNIT = Domain(low=0.0, high=1.0, low_closed=True, high_closed=True)


@dataclass(frozen=True)
class Param:
    """A parameter of an activation.

    ``learnable``: the parameter may be trained (``nn`` modules turn it into an ``nn.Parameter``).
    ``channelwise``: ``nn`` modules may give it one value per channel (``num_channels=C``).
    ``float32_finite``: a value beyond float32's range (inf there) makes another function, so it
    is refused for inputs computed in float32 (Swish's β = inf is NaN at 0). Not set where inf
    acts as the huge value it stands for (a cap, a threshold, a slope that overflows anyway).
    """

    name: str
    default: float
    domain: Domain = REAL
    learnable: bool = False
    channelwise: bool = False
    doc: str = ""
    float32_finite: bool = False


@dataclass(frozen=True)
class Bound:
    """A looser-than-default ULP bound for one derivative order, with the reason it is needed."""

    ulps: float
    reason: str


Fn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Relation:
    """A relation between parameter values that their domains alone cannot say (min < max)."""

    holds: Callable[..., bool]  # called with every parameter by name
    text: str  # "min_val < max_val"
    fix: str  # what to do when it does not hold


@dataclass(frozen=True, eq=False, kw_only=True)
class Spec:
    """What every catalog entry has: a name, a family, its docs, and its (possibly no) parameters.

    :class:`ActivationSpec` is an elementwise activation, the one place where an activation's math
    is written; :mod:`actlab.composite` has the activations built from one (GLU family, CReLU).
    """

    kind: ClassVar[Kind]
    name: str
    family: str
    summary: str
    formula: str
    citation: str
    params: tuple[Param, ...] = ()
    relations: tuple[Relation, ...] = ()
    aliases: tuple[str, ...] = ()
    native: Fn | None = None
    kink_note: str = ""
    notes: str = ""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # A spec is a catalog entry: it pickles (torch.save, deepcopy, multiprocessing) by name,
        # so its functions are never serialised and a loaded model uses the installed catalog.
        from .registry import get_spec

        return get_spec, (self.name,)

    @functools.cached_property
    def param_names(self) -> tuple[str, ...]:  # cached: read on every call of an activation
        return tuple(p.name for p in self.params)

    @property
    def argument_names(self) -> tuple[str, ...]:
        """Everything ``apply``/``dispatch`` take in ``values``, in order: the parameters, plus a
        kind's own tensor arguments and options (:mod:`actlab.kinds`)."""
        return self.param_names

    @property
    def base_name(self) -> str | None:
        """The name of the elementwise spec a composite activation is built on (its ``base``:
        GLU's gate, CReLU's f, RReLU's leaky ReLU); ``None`` for an elementwise one or a kind."""
        base = getattr(self, "base", None)
        return None if base is None else base.name

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    @functools.cached_property
    def default_values(self) -> tuple[float, ...]:  # cached: compared on every routed call
        return tuple(p.default for p in self.params)

    def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Complete ``params`` with defaults; check every value against its domain and the
        relations between them."""
        unknown = set(params) - set(self.param_names)
        if unknown:
            have = ", ".join(self.param_names) or "no parameters"
            raise TypeError(
                f"{self.name}() got unknown parameter(s) {sorted(unknown)}; it takes: {have}"
            )
        values = {**self.defaults, **{k: _real(v) for k, v in params.items()}}
        for p in self.params:
            check_in_domain(self.name, p, values[p.name])
        check_relations(self, values)
        return values

    def doc(self) -> str:
        """A docstring in the JAX/PyTorch outline: summary, formula, parameters, citation."""
        lines = [self.summary, "", ".. math::", f"    f(x) = {self.formula}", ""]
        if self.params:
            lines.append("Args:")
            lines.append("    x: input tensor (any shape) or NumPy array.")
            for p in self.params:
                extra = " Learnable." if p.learnable else ""
                lines.append(
                    f"    {p.name}: {p.doc or 'parameter'} Domain {p.domain}. Default: {p.default}.{extra}"
                )
            lines.append("")
        if self.relations:
            lines += [f"Parameters must satisfy {r.text}." for r in self.relations] + [""]
        if self.kink_note:
            lines += [f"At kinks: {self.kink_note}", ""]
        if self.notes:
            lines += [self.notes, ""]
        lines.append(f"Reference: {self.citation}")
        return "\n".join(lines)


def _no_kinks(**_: Any) -> tuple[float, ...]:
    return ()


@dataclass(frozen=True, eq=False, kw_only=True)
class ActivationSpec(Spec):
    """An elementwise activation: everything actlab knows about it; everything else is derived.

    forward(x, **params)            numerically stable torch forward
    derivative(x, **params)         analytic df/dx, with the PyTorch convention at kinks
    param_grads[name](x, **params)  analytic df/dtheta for every parameter
    second_derivative(x, **params)  analytic d2f/dx2; if None, autograd of ``derivative``
    derivative_from_output(y, **params)
                                    optional: f' from y = f(x) alone, equal to derivative(x)
                                    everywhere (ReLU: y > 0). The autograd Function then saves y
                                    instead of x, as torch's ReLU does: the next layer saves y
                                    too, so a Linear-ReLU-Linear stack keeps one tensor, not two.
    reference(x, **params)          SymPy expression written from the paper's formula (the oracle)
    kinks(**params)                 points where f is not differentiable (or not continuous)
    """

    kind: ClassVar[Kind] = "elementwise"
    forward: Fn
    derivative: Fn
    reference: Callable[..., Any]
    param_grads: Mapping[str, Fn] = field(default_factory=dict)
    second_derivative: Fn | None = None
    derivative_from_output: Fn | None = None
    kinks: Callable[..., tuple[float, ...]] = _no_kinks
    naive: Fn | None = None
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    learn_by_default: bool = False
    channel_dim: int = 1

    def __post_init__(self) -> None:
        names = {p.name for p in self.params}
        missing = names - set(self.param_grads)
        if missing:
            raise ValueError(f"{self.name}: parameter(s) {sorted(missing)} need param_grads (df/dθ)")
        if set(self.param_grads) - names:
            raise ValueError(f"{self.name}: param_grads for unknown parameters")


def check_in_domain(activation: str, param: Param, value: Any) -> None:
    """Raise ``ValueError`` naming parameter, value and domain when ``value`` is outside it."""
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point():
            raise TypeError(
                f"{activation}: parameter '{param.name}' must be a float tensor, got {value.dtype}"
            )
        if value.numel() == 0 or value.requires_grad or value.device.type == "meta":
            return  # learnable values move during training; they were checked at construction
        if torch.compiler.is_compiling():
            return
        values = value.detach().flatten().tolist()
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"{activation}: parameter '{param.name}' must be a real number, "
                f"got {type(value).__name__} {value!r}"
            )
        values = [float(value)]
    for v in values:
        if v not in param.domain:
            why = f" ({param.doc.rstrip('.')})" if param.doc else ""
            raise ValueError(
                f"{activation}: parameter '{param.name}'={v:g} is outside its domain "
                f"{param.domain}{why}; use a value inside it, e.g. the default {param.default:g}"
            )


# A plain-number parameter is rounded to the compute dtype: float32 for float32 and the half types.
_F32_TO_INF = 2.0**128 * (1 - 2.0**-25)  # the smallest magnitude that rounds to inf in float32


def float32_overflows(value: Any) -> bool:
    """Whether ``value`` is a finite plain number that rounds to inf in float32."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and _F32_TO_INF <= abs(value) < math.inf)


def float32_misfits(params: Sequence[Param], values: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``(name, value)`` of the plain-number values of ``float32_finite`` parameters that round
    to inf in float32."""
    return [(p.name, float(values[p.name])) for p in params
            if p.float32_finite and float32_overflows(values.get(p.name))]


def check_representable(activation: str, params: Sequence[Param], values: Mapping[str, Any],
                        dtype: torch.dtype) -> None:
    """Raise ``ValueError`` when an input of ``dtype`` is computed in float32 and a
    ``float32_finite`` parameter's value overflows it."""
    if dtype == torch.float64:
        return
    bad = float32_misfits(params, values)
    if bad:
        name, v = bad[0]
        raise ValueError(
            f"{activation}: parameter '{name}'={v:g} overflows float32, in which a "
            f"{str(dtype).replace('torch.', '')} input is computed (it would be inf there, another "
            f"function); use a float64 input or |{name}| <= 3.4e38"
        )


def _real(value: Any) -> Any:
    # a NumPy scalar (np.float32(0.5), np.int64(2)) is the number it holds
    return value.item() if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0 else value


def check_relations(spec: Spec, values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when plain-number parameter values break one of ``spec.relations``."""
    if any(isinstance(values[n], torch.Tensor) for n in spec.param_names):
        return  # learnable values move during training; checked at construction
    for r in spec.relations:
        if not r.holds(**values):
            got = ", ".join(f"{n}={values[n]:g}" for n in spec.param_names)
            raise ValueError(f"{spec.name}: needs {r.text}, got {got}; {r.fix}")


def as_tensor(name: str, x: Any) -> tuple[torch.Tensor, bool]:
    """``x`` as a tensor, and whether it was a NumPy array (float arrays only)."""
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


def check_input(activation: str, x: torch.Tensor) -> None:
    """Raise ``TypeError`` for a dtype actlab does not compute in (ints, bools, complex)."""
    if x.dtype not in ACCEPTED_DTYPES:
        accepted = ", ".join(str(d).replace("torch.", "") for d in ACCEPTED_DTYPES)
        raise TypeError(
            f"{activation}: input has dtype {str(x.dtype).replace('torch.', '')}; activations are "
            f"defined on real floating-point tensors ({accepted}). Convert it first, e.g. "
            f"x.float()."
        )
