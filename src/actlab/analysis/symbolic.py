"""The SymPy side of the analyses: exact parameter values, Piecewise branches and breakpoints,
and the expensive steps (simplify, limit, series) under *operation budgets*.

Every answer here is a function of the expression alone, never of the clock or of how busy the
machine is: a step whose input is larger than its budget (SymPy ``count_ops``, series order) is
not attempted and reported undecided, and a step within budget runs to completion. The budgets
were set from the whole catalog and the shipped claims (``count_ops`` of every input and the
time SymPy took, measured once; see the constants below): they admit what SymPy decides in
about a second and refuse the few inputs where it grinds for seconds (mish's derivative written
out, the limits of gelu_tanh's derivative at ±inf), which take the numeric route instead.

Lambdified functions come from :func:`actlab.numerics.reference.lambdified` (one cache for the
oracle and the analyses).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import sympy

from ..numerics.reference import X, lambdified
from ..registry import get_spec

__all__ = [
    "LIMIT_OPS", "MAX_SERIES_ORDER", "SERIES_OPS", "SIMPLIFY_OPS", "X", "analytic", "attempt",
    "branch_at", "breakpoints", "breakpoints_exact", "exact", "exact_expr", "limit", "mp_function",
    "np_function", "series", "simplified", "size", "vanishes",
]

# Budgets, in count_ops of the input. Measured on the catalog and the shipped claims (count_ops,
# seconds on an idle 2-core VM): simplify proves the shipped identities at <= 27 ops in < 0.3 s,
# but takes 10 s on mish's derivative written out (40 ops) and 5 s on taylor(mish, 5) (114 ops);
# limit decides every catalog limit at <= 29 ops in ~1 s at most, but takes 3-5 s on gelu_tanh's
# derivative (38 ops), whose limits the reference then gives numerically (the same floats);
# series expands every catalog function (<= 53 ops) in < 2 s.
SIMPLIFY_OPS = 32  # simplify() only inputs with at most this many operations
LIMIT_OPS = 32  # limit() likewise
SERIES_OPS = 64  # series() likewise
MAX_SERIES_ORDER = 12

# SymPy's ways of saying "cannot": a step that raises one of these is undecided, not a bug
_GIVE_UP = (NotImplementedError, TypeError, ValueError, AttributeError, ZeroDivisionError,
            RecursionError)


def attempt(fn: Callable[[], Any], default: Any = None) -> Any:
    """``fn()``, or ``default`` where SymPy gives up (raises one of its own errors,
    NotImplementedError, ...). No time limit: budgets bound the work before it starts."""
    try:
        return fn()
    except _GIVE_UP:
        return default
    except Exception as e:  # SymPy raises its own PolynomialError, CoercionFailed, ...
        if type(e).__module__.startswith("sympy"):
            return default
        raise


def size(expr: Any) -> int:
    """The operation count SymPy's ``count_ops`` gives ``expr`` (the unit of every budget)."""
    return int(sympy.count_ops(expr))


def simplified(expr: Any, budget: int | None = None) -> Any:
    """``sympy.simplify(expr)``; None if ``expr`` is over ``budget`` (default SIMPLIFY_OPS) or
    SymPy gives up."""
    if size(expr) > (SIMPLIFY_OPS if budget is None else budget):
        return None
    return attempt(lambda: sympy.simplify(expr))


def vanishes(expr: Any, budget: int | None = None) -> bool | None:
    """Whether ``expr`` is identically 0: True/False when decided (structurally, or by
    ``simplify`` within ``budget``), None when not."""
    expr = sympy.sympify(expr)
    if expr == 0:
        return True
    s = simplified(expr, budget)
    return None if s is None else bool(s == 0)


def limit(expr: Any, point: Any, budget: int | None = None) -> Any:
    """The limit of ``expr`` in x at ``point`` (±oo: of the Piecewise branch that holds far
    out; a finite point: two-sided), as SymPy gives it (a number, ±oo, zoo), nan where it
    oscillates (AccumBounds), or None when undecided (over budget, SymPy gives up, returns an
    unevaluated Limit or an answer with free symbols)."""
    budget = LIMIT_OPS if budget is None else budget

    def run() -> Any:
        if point in (sympy.oo, -sympy.oo):
            far = branch_at(expr, sympy.sign(point) * sympy.Integer(10) ** 30)
            if size(far) > budget:
                return None
            return sympy.limit(far, X, point)
        if size(expr) > budget:
            return None
        return sympy.limit(expr, X, point, dir="+-")

    v = attempt(run)
    if v is None or v.has(sympy.Limit) or v.free_symbols:
        return None
    return sympy.nan if v.has(sympy.AccumBounds) else v


def series(expr: Any, order: int, budget: int | None = None) -> Any:
    """The Taylor polynomial of ``expr`` at x = 0 to x**order (no O term); None when undecided
    (order above MAX_SERIES_ORDER, ``expr`` over ``budget``, or SymPy gives up)."""
    budget = SERIES_OPS if budget is None else budget
    if not 0 <= order <= MAX_SERIES_ORDER or size(expr) > budget:
        return None
    return attempt(lambda: sympy.series(expr, X, 0, order + 1).removeO())


# ----------------------------------------------------------------------------- exact values


def exact(v: float) -> Any:
    """A parameter value as an exact SymPy number (the decimal it prints as: 0.1 -> 1/10)."""
    if isinstance(v, bool):
        raise TypeError(f"expected a number, got {v!r}")
    if isinstance(v, int) or float(v).is_integer():
        return sympy.Integer(int(v))
    return sympy.Rational(repr(float(v)))


@cache
def exact_expr(name: str, items: tuple[tuple[str, float], ...]) -> Any:
    """The SymPy reference of activation ``name`` with the parameter values ``items`` substituted
    exactly."""
    spec = get_spec(name)
    return sympy.sympify(spec.reference(X, **{k: exact(v) for k, v in items}))


def mp_function(*exprs: Any) -> Callable[[Any], list[Any]]:
    """x -> [each of ``exprs`` at x] with mpmath (cached lambdify)."""
    return lambdified((X,), tuple(exprs), "mpmath")


def np_function(expr: Any) -> Callable[[Any], Any]:
    """``expr`` as a NumPy/SciPy function of x (cached lambdify)."""
    return lambdified((X,), expr, ("scipy", "numpy"))


# ----------------------------------------------------------------------------- structure


def branch_at(expr: Any, point: Any) -> Any:
    """The Piecewise branch of ``expr`` (folded to a top-level Piecewise) that holds at ``point``;
    ``expr`` itself if it has no Piecewise."""
    folded = sympy.piecewise_fold(expr)
    if not isinstance(folded, sympy.Piecewise):
        return folded
    for e, cond in folded.args:
        if bool(cond.subs(X, point)):
            return e
    return folded


NONSMOOTH = ("Abs", "sign", "Heaviside", "Max", "Min", "floor", "ceiling", "Piecewise", "DiracDelta")


def breakpoints(expr: Any) -> list[float]:
    """Points where ``expr`` may switch formula: real zeros of Piecewise conditions and of the
    arguments of Abs/sign/Heaviside/Max/Min (polynomial in x only; others are left out)."""
    return [float(r) for r in breakpoints_exact(expr)]


def breakpoints_exact(expr: Any) -> list[Any]:
    """:func:`breakpoints` as SymPy numbers to 50 digits (maxsig's x* = σ(x*) is not a float)."""
    cands = [rel.lhs - rel.rhs for rel in expr.atoms(sympy.core.relational.Relational)]
    for fn in (sympy.Abs, sympy.sign, sympy.Heaviside):
        cands.extend(a.args[0] for a in expr.atoms(fn))
    for fn in (sympy.Max, sympy.Min):
        for a in expr.atoms(fn):
            cands.extend(a.args[i] - a.args[j] for i in range(len(a.args))
                         for j in range(i + 1, len(a.args)))
    found: dict[float, Any] = {}
    for c in cands:
        c = sympy.expand(c)
        if not c.has(X) or c.free_symbols - {X} or not c.is_polynomial(X):
            continue
        poly = sympy.Poly(c, X)
        if poly.degree() == 1:
            a1, a0 = poly.all_coeffs()
            roots = [sympy.N(-a0 / a1, 50)]
        else:
            exact_poly = sympy.Poly(sympy.nsimplify(c, rational=True), X)
            roots = [sympy.N(r, 50) for r in exact_poly.real_roots()]
        for r in roots:
            found.setdefault(float(r), r)
    return [found[k] for k in sorted(found)]


def analytic(expr: Any) -> bool:
    """No non-smooth function in ``expr``; a Piecewise counts as smooth only if it differs from
    its main branch at isolated points (sinc's value at 0: conditions Eq(x, c))."""
    for a in sympy.preorder_traversal(expr):
        if not isinstance(a, sympy.Basic) or a.is_Atom:
            continue
        if isinstance(a, sympy.Piecewise):
            if not all(c == sympy.true or isinstance(c, sympy.Eq) for _, c in a.args):
                return False
        elif a.func.__name__ in NONSMOOTH:
            return False
    return True
