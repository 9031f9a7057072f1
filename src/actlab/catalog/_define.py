"""How a catalog module declares an activation: ``define(...)`` builds and registers a spec."""

from __future__ import annotations

from typing import Any

import torch

from .._lazy import sympy as sp
from ..registry import get_spec, register
from ..spec import REAL, ActivationSpec, Bound, Domain, Param

__all__ = [
    "REAL", "Bound", "Domain", "Param", "concatenated", "define", "gated", "sp", "sp_log1p", "torch",
]


def sp_log1p(u):
    """log(1 + u) for references, as SymPy's log1p (mpmath.log1p). With log(1 + u) the oracle
    loses a tiny u to 1 + u at 40 and 80 digits alike, so two precisions "agree" on a wrong
    value (x e^x instead of e^x (1 + x) at x = -200); log1p keeps u at any precision."""
    from sympy.codegen.cfunctions import log1p

    return log1p(u)


def define(name: str, **fields: Any) -> ActivationSpec:
    """Build the :class:`ActivationSpec` called ``name`` and add it to the catalog."""
    fields["params"] = tuple(fields.get("params", ()))
    if "kinks" in fields and not callable(fields["kinks"]):
        points = tuple(fields["kinks"])
        fields["kinks"] = lambda **_: points
    return register(ActivationSpec(name=name, **fields))


def gated(name: str, gate: str, citation: str, summary: str, **fields: Any) -> ActivationSpec:
    """A GLU-family activation: ``x = [a, b]`` split in two along ``dim``, output ``a ⊗ g(b)``.

    The gate's own spec supplies g, g' and the oracle; only the gating is new.
    """
    g = get_spec(gate)
    return define(
        name, family="gated", kind="gated", gate=gate, summary=summary, citation=citation,
        formula=rf"a \otimes g(b),\quad [a, b] = x,\quad g = \mathrm{{{gate}}}",
        forward=g.forward, derivative=g.derivative, reference=g.reference,
        params=(), **fields,
    )


def concatenated(name: str, base: str, citation: str, summary: str, **fields: Any) -> ActivationSpec:
    """A concatenated activation: ``[f(x), f(-x)]`` along ``dim`` (doubles the channels)."""
    f = get_spec(base)
    return define(
        name, family="concatenated", kind="concatenated", gate=base, summary=summary,
        citation=citation, formula=rf"[\,\mathrm{{{base}}}(x),\ \mathrm{{{base}}}(-x)\,]",
        forward=f.forward, derivative=f.derivative, reference=f.reference,
        params=(), **fields,
    )
