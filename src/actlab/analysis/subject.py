"""One activation with its parameters bound, as the property analysis sees it: float64 torch
evaluation of f, f', f'' on arrays (the measured implementation), and its SymPy/mpmath reference
(the oracle) with values at a point and limits at ±inf."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import mpmath
import numpy as np
import sympy
import torch

from ..activation import Activation, get
from ..numerics.reference import compiled
from ..numerics.reference import value as reference_value
from ..spec import ActivationSpec
from . import symbolic
from .symbolic import X, exact_expr

__all__ = ["Subject", "reference_limit"]

_DERIVATIVE_ORDER = {"f": 0, "df": 1, "d2f": 2}


class Subject:
    """One activation with parameters bound: float64 torch evaluation on arrays, and its
    mpmath reference with one-sided values and limits at ±inf."""

    def __init__(self, act: Activation) -> None:
        self.act = act
        self.spec: ActivationSpec = act.spec
        self.params = {k: float(v) for k, v in act.params.items()}

    # float64 evaluation (the measured implementation)
    def _t(self, fn: Callable[..., torch.Tensor], xs: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.asarray(xs, dtype=np.float64))
        with torch.no_grad():
            out = fn(t)
        return out.detach().numpy().astype(np.float64)

    def f(self, xs: np.ndarray) -> np.ndarray:
        return self._t(self.act.forward, xs)

    def df(self, xs: np.ndarray) -> np.ndarray:
        return self._t(self.act.derivative, xs)

    def d2f(self, xs: np.ndarray) -> np.ndarray:
        return self._t(self.act.second_derivative, xs)

    def scalar(self, which: str) -> Callable[[float], float]:
        """``f``, ``df`` or ``d2f`` at one point, as a float."""
        fn = getattr(self, which)

        def at(t: float) -> float:
            return float(fn(np.array([t]))[0])

        return at

    # the reference (the oracle)
    def _plist(self) -> list[Any]:
        return [mpmath.mpf(self.params[p]) for p in self.spec.param_names]

    def ref_at(self, key: str, x: Any, dps: int = 60) -> Any:
        """Reference quantity ``key`` ("f", "df", "d2f", "d3f") at x with ``dps`` digits; None
        where undefined."""
        fn = compiled(self.spec.name, key)
        with mpmath.workdps(dps):
            try:
                v = mpmath.mpmathify(fn(mpmath.mpf(x), *self._plist()))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return None
            if isinstance(v, mpmath.mpc):
                if abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-dps + 5):
                    return None
                v = v.real
            return +v

    def ref_value(self, key: str, x: float) -> Any:
        """Reference value at adaptive precision (see numerics.reference.value); exact zeros are
        confirmed at >= 640 digits."""
        return reference_value(compiled(self.spec.name, key), x,
                               [self.params[p] for p in self.spec.param_names])

    def limit(self, key: str, sign: int) -> float:
        """Limit of the reference quantity ``key`` at sign·inf: nan where it has none.

        SymPy's ``limit`` of the outermost Piecewise branch first (within the operation budget
        of :func:`actlab.analysis.symbolic.limit`); else the reference at x = ±1e400 and ±2e400
        with 80 digits, which must round to the same float.
        """
        return reference_limit(self.spec.name, tuple(sorted(self.params.items())), key, sign)

    @property
    def expr(self) -> Any:
        """The SymPy reference with the parameter values substituted exactly."""
        return exact_expr(self.spec.name, tuple(sorted(self.params.items())))


@cache
def reference_limit(name: str, items: tuple[tuple[str, float], ...], key: str, sign: int) -> float:
    """:meth:`Subject.limit` of activation ``name`` at parameters ``items`` (cached)."""
    expr = exact_expr(name, items)
    order = _DERIVATIVE_ORDER[key]
    e = symbolic.attempt(lambda: sympy.diff(expr, X, order) if order else expr)
    v = None if e is None else symbolic.limit(e, sign * sympy.oo)
    if v is not None and (v is sympy.nan or v in (sympy.oo, -sympy.oo) or (v.is_real and v.is_finite)):
        return float(v)
    s = Subject(get(name, **dict(items)))
    vals = []
    for probe in ("1e400", "2e400"):
        r = s.ref_at(key, sign * mpmath.mpf(probe), dps=80)
        vals.append(math.nan if r is None else float(r))
    return vals[0] if vals[0] == vals[1] else math.nan
