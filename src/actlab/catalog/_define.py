"""How a catalog module declares an activation: ``define(...)`` builds and registers a spec;
``gated``, ``concatenated`` and ``randomized`` build the composite kinds on an elementwise base;
``normalizing`` and ``kind`` register the kinds of :mod:`actlab.kinds` and :mod:`actlab.conditioned`."""

from __future__ import annotations

from typing import Any

import torch

from .._lazy import sympy as sp
from ..autograd import elementwise_function
from ..composite import ConcatenatedSpec, GatedSpec, RandomizedSpec
from ..kinds import KindSpec, NormalizingSpec
from ..registry import get_spec, register
from ..spec import REAL, ActivationSpec, Bound, Domain, Param, Relation

__all__ = [
    "REAL", "Bound", "Domain", "Param", "Relation", "concatenated", "define", "gated", "kind", "normalizing",
    "randomized", "sp", "sp_log1p", "torch",
]


def sp_log1p(u):
    """log(1 + u) for references, as SymPy's log1p (mpmath.log1p). With log(1 + u) the oracle
    loses a tiny u to 1 + u at 40 and 80 digits alike, so two precisions "agree" on a wrong
    value (x e^x instead of e^x (1 + x) at x = -200); log1p keeps u at any precision."""
    from sympy.codegen.cfunctions import log1p

    return log1p(u)


_FUNCTION_FIELDS = ("forward", "derivative", "second_derivative", "derivative_from_output", "reference",
                    "native", "naive")


def _named(fn: Any, name: str) -> Any:
    """A catalog lambda renamed ``<activation>_<field>`` (its code object's name: what a traceback
    or a profile prints), so that an error says ``in elu_derivative``, not ``in <lambda>``; the
    definition stays one line in the catalog, which is what keeps an activation readable."""
    if getattr(fn, "__name__", None) != "<lambda>":
        return fn
    code = fn.__code__
    qualname = {"co_qualname": name} if hasattr(code, "co_qualname") else {}  # Python >= 3.11
    fn.__code__ = code.replace(co_name=name, **qualname)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _named_fields(fields: dict[str, Any], name: str) -> dict[str, Any]:
    for key in _FUNCTION_FIELDS:
        if key in fields:
            fields[key] = _named(fields[key], f"{name}_{key}")
    if "param_grads" in fields:
        fields["param_grads"] = {p: _named(fn, f"{name}_d_{p}") for p, fn in fields["param_grads"].items()}
    return fields


def _fields(fields: dict[str, Any], name: str) -> dict[str, Any]:
    fields = _named_fields(fields, name)
    fields["params"] = tuple(fields.get("params", ()))
    if "kinks" in fields and not callable(fields["kinks"]):
        points = tuple(fields["kinks"])

        def kinks(**_: Any) -> tuple[float, ...]:
            return points

        fields["kinks"] = kinks
    return fields


def define(name: str, **fields: Any) -> ActivationSpec:
    """Build the elementwise :class:`ActivationSpec` called ``name`` and add it to the catalog."""
    spec = register(ActivationSpec(name=name, **_fields(fields, name)))
    elementwise_function(spec)  # its autograd Functions exist before anything is traced
    return spec


def randomized(name: str, base: str, **fields: Any) -> RandomizedSpec:
    """An activation elementwise in eval (``fields`` define it there) whose training mode draws
    a per-element slope for its ``base`` (RReLU on leaky ReLU)."""
    return register(RandomizedSpec(name=name, base=get_spec(base), **_fields(fields, name)))


def gated(name: str, gate: str, citation: str, summary: str, **fields: Any) -> GatedSpec:
    """A GLU-family activation: ``x = [a, b]`` split in two along ``dim``, output ``a ⊗ g(b)``.

    The gate's own spec supplies g, g' and the oracle; only the gating is new.
    """
    return register(GatedSpec(
        name=name, family="gated", base=get_spec(gate), summary=summary, citation=citation,
        formula=rf"a \otimes g(b),\quad [a, b] = x,\quad g = \mathrm{{{gate}}}",
        **_named_fields(fields, name),
    ))


def concatenated(name: str, base: str, citation: str, summary: str, **fields: Any) -> ConcatenatedSpec:
    """A concatenated activation: ``[f(x), f(-x)]`` along ``dim`` (doubles the channels)."""
    return register(ConcatenatedSpec(
        name=name, family="concatenated", base=get_spec(base), summary=summary, citation=citation,
        formula=rf"[\,\mathrm{{{base}}}(x),\ \mathrm{{{base}}}(-x)\,]", **_named_fields(fields, name),
    ))


def normalizing(name: str, **fields: Any) -> NormalizingSpec:
    """A normalisation along ``dim`` (softmax family): its forward, vjp and jvp from the output,
    and an mpmath reference; the spec makes its autograd Functions as it is built."""
    return register(NormalizingSpec(name=name, family="normalizing", **_named_fields(fields, name)))


def kind(spec: KindSpec) -> KindSpec:
    """Register a spec of one of the other kinds (Maxout, FReLU, Dynamic ReLU, PAU)."""
    return register(spec)
