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


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    fields["params"] = tuple(fields.get("params", ()))
    if "kinks" in fields and not callable(fields["kinks"]):
        points = tuple(fields["kinks"])

        def kinks(**_: Any) -> tuple[float, ...]:
            return points

        fields["kinks"] = kinks
    return fields


def define(name: str, **fields: Any) -> ActivationSpec:
    """Build the elementwise :class:`ActivationSpec` called ``name`` and add it to the catalog."""
    spec = register(ActivationSpec(name=name, **_fields(fields)))
    elementwise_function(spec)  # its autograd Functions exist before anything is traced
    return spec


def randomized(name: str, base: str, **fields: Any) -> RandomizedSpec:
    """An activation elementwise in eval (``fields`` define it there) whose training mode draws
    a per-element slope for its ``base`` (RReLU on leaky ReLU)."""
    return register(RandomizedSpec(name=name, base=get_spec(base), **_fields(fields)))


def gated(name: str, gate: str, citation: str, summary: str, **fields: Any) -> GatedSpec:
    """A GLU-family activation: ``x = [a, b]`` split in two along ``dim``, output ``a ⊗ g(b)``.

    The gate's own spec supplies g, g' and the oracle; only the gating is new.
    """
    return register(GatedSpec(
        name=name, family="gated", base=get_spec(gate), summary=summary, citation=citation,
        formula=rf"a \otimes g(b),\quad [a, b] = x,\quad g = \mathrm{{{gate}}}", **fields,
    ))


def concatenated(name: str, base: str, citation: str, summary: str, **fields: Any) -> ConcatenatedSpec:
    """A concatenated activation: ``[f(x), f(-x)]`` along ``dim`` (doubles the channels)."""
    return register(ConcatenatedSpec(
        name=name, family="concatenated", base=get_spec(base), summary=summary, citation=citation,
        formula=rf"[\,\mathrm{{{base}}}(x),\ \mathrm{{{base}}}(-x)\,]", **fields,
    ))


def normalizing(name: str, **fields: Any) -> NormalizingSpec:
    """A normalisation along ``dim`` (softmax family): its forward, vjp and jvp from the output,
    and an mpmath reference; the spec makes its autograd Functions as it is built."""
    return register(NormalizingSpec(name=name, family="normalizing", **fields))


def kind(spec: KindSpec) -> KindSpec:
    """Register a spec of one of the other kinds (Maxout, FReLU, Dynamic ReLU, PAU)."""
    return register(spec)
