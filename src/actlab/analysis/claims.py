"""Check claims about activations: identities and inequalities between expressions of
activations and elementary functions, e.g. ``tanh(x) == 2*sigmoid(2*x) - 1``.

A claim is parsed with Python's :mod:`ast` and only a whitelisted subset is accepted, so no
claim can run code. Activations enter through their SymPy references (the oracle, never the
torch code), so a claim is checked against the formula of the paper.

Grammar (a claim, then optional clauses in any order)::

    claim   := compare | predicate | "not" claim | claim "and" claim
    compare := expr (== | != | < | <= | > | >=) expr [(op) expr ...]     # chains allowed
    clauses := "for" condition      # domain, e.g. "for x <= 0", "for -1 < x < 1 and x != 0"
               "at x == c"          # pointwise; with max/min/argmax/argmin: where it is attained
               "within TOL"         # absolute tolerance for ==, and for locations

Names in ``expr``: ``x``; ``pi``, ``e``, ``inf``; elementary functions (exp log sqrt sin cos tan
sinh cosh tanh sec sech erf erfc abs sign atan ...); ``max(a, b)``/``min(a, b)`` elementwise;
every catalog activation as a function with keyword parameters (``swish(x, beta=0)``);
``derivative(f)``, ``second_derivative(f)`` (``derivative(f)(x)``; ``derivative(expr)`` is
d/dx of an expression), and the functionals ``max(f)``, ``min(f)``, ``argmax(f)``,
``argmin(f)`` (sup/inf over the real line, or the ``for`` domain), ``mean(f)``, ``var(f)``
(moments of f(z), z ~ N(0, 1)), ``limit(f, inf)``, ``taylor(f, n)`` (the Taylor polynomial at
0 to x**n). Predicates (decided by :mod:`actlab.analysis.properties`): ``continuous(f)``,
``differentiable(f)`` (C1), ``smooth(f)`` (C∞), ``monotonic(f)``, ``increasing(f)``,
``polynomial(f)``, ``linear(f)``, ``odd(f)``, ``even(f)``, ``bounded(f)``,
``bounded_below(f)``, ``bounded_above(f)``, ``zero_centred(f)``, ``self_normalizing(f)``,
``identity_near_zero(f)``. A bare function where a number is expected means f(x).

How a claim is decided:

* constants (no x): exact SymPy arithmetic where both sides are exact, else 50-digit values;
* in x: both sides are evaluated with mpmath (30 digits) at 401 points on [-10, 10], at
  ±15 ... ±200, next to every kink and at the ends of the domain; the worst point is refined
  with a local search. An identity that holds there is then tried symbolically (SymPy
  ``simplify`` of the difference, 3 s) and reported "symbolic" if it reduces to 0. The
  counterexample shown is the failing grid point nearest 0 (readable, checkable by hand); the
  largest discrepancy is reported with where it occurs;
* functionals are measured (float64 scan of ±1e6 refined to ~1e-12, limits from SymPy), so
  comparisons with them use a relative tolerance of 1e-9.

``==`` holds when the largest |lhs - rhs| is at most ``within`` (default 1e-20 relative to
max(1, |lhs|, |rhs|) for exact quantities, 1e-9 for measured ones); ``<=`` and ``>=`` forgive
the same rounding; ``<``/``>`` must hold strictly (ties are re-evaluated at 120 digits).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..jsonsafe import json_safe as _json_safe
from ..registry import get_spec, suggestions
from ..spec import ActivationSpec
from .properties import SymbolicTimeout, _extremum, exact, gaussian_moments, symbolic

DPS = 30
EXACT_RTOL = 1e-20  # pointwise comparisons at 30 digits
MEASURED_RTOL = 1e-9  # comparisons with a measured functional (max, argmin, mean, ...)
LOCATION_TOL = 1e-6
LARGE = (15.0, 20.0, 30.0, 50.0, 100.0, 200.0)
GRID = tuple(np.round(np.linspace(-10, 10, 401), 12).tolist())  # step 0.05, printed cleanly

ELEMENTARY = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "sec": "sec", "csc": "csc", "cot": "cot", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "sech": "sech", "csch": "csch", "coth": "coth", "asin": "asin",
    "arcsin": "asin", "acos": "acos", "arccos": "acos", "atan": "atan", "arctan": "atan",
    "asinh": "asinh", "arcsinh": "asinh", "acosh": "acosh", "atanh": "atanh",
    "arctanh": "atanh", "erf": "erf", "erfc": "erfc", "abs": "Abs", "sign": "sign",
    "gamma": "gamma", "floor": "floor", "ceil": "ceiling",
}
CONSTANTS = {"pi": "pi", "e": "E", "E": "E", "inf": "oo", "oo": "oo"}
FUNCTIONALS = ("max", "min", "argmax", "argmin", "mean", "var", "limit", "taylor")
DERIVATIVES = {"derivative": 1, "second_derivative": 2, "diff": 1}
PREDICATES = {
    "continuous": lambda p: p.continuous,
    "differentiable": lambda p: p.smoothness in ("C1", "C2", "C∞"),
    "smooth": lambda p: p.smoothness == "C∞",
    "monotonic": lambda p: p.monotonic != "no",
    "increasing": lambda p: p.monotonic in ("increasing", "non-decreasing"),
    "decreasing": lambda p: p.monotonic in ("decreasing", "non-increasing"),
    "polynomial": lambda p: p.polynomial,
    "linear": lambda p: not p.nonlinear,
    "nonlinear": lambda p: p.nonlinear,
    "odd": lambda p: p.symmetry == "odd",
    "even": lambda p: p.symmetry == "even",
    "bounded": lambda p: p.bounded_below and p.bounded_above,
    "bounded_below": lambda p: p.bounded_below,
    "bounded_above": lambda p: p.bounded_above,
    "zero_centred": lambda p: p.zero_centred,
    "zero_centered": lambda p: p.zero_centred,
    "self_normalizing": lambda p: p.self_normalizing,
    "identity_near_zero": lambda p: p.identity_near_zero,
}
CLAUSE = re.compile(r"\b(for|at|within)\b")
ALLOWED = (
    ast.Expression, ast.Compare, ast.BoolOp, ast.And, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Call, ast.Name, ast.Load,
    ast.Constant, ast.keyword, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)
OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@dataclass
class Verdict:
    """The outcome of checking one claim.

    ``discrepancy``: for ``==`` the largest |lhs - rhs| found; for inequalities the largest
    violation (0 if none); for a location check the distance between the claimed and the true
    location. ``counterexample``: the x where it is worst (None for constants and predicates).
    """

    claim: str
    holds: bool
    method: str
    discrepancy: float
    counterexample: float | None = None
    lhs: float | None = None
    rhs: float | None = None
    detail: str = ""
    tolerance: float = 0.0
    points: int = 0

    def as_dict(self, json_safe: bool = False) -> dict[str, Any]:
        d = asdict(self)
        return _json_safe(d) if json_safe else d


# ----------------------------------------------------------------------------- parsing


def _syntax(msg: str, claim: str) -> ValueError:
    return ValueError(
        f"cannot read the claim {claim!r}: {msg}. Write a comparison such as "
        f"'tanh(x) == 2*sigmoid(2*x) - 1' or 'mish(x) >= -0.31 for x <= 0', or a predicate "
        f"such as 'continuous(relu)'."
    )


def split_clauses(text: str) -> tuple[str, dict[str, str]]:
    """``text`` -> (the claim, {"for": ..., "at": ..., "within": ...}) split at top-level
    keywords (not inside brackets)."""
    cuts = []
    for m in CLAUSE.finditer(text):
        before = text[: m.start()]
        if before.count("(") == before.count(")") and before.count("[") == before.count("]"):
            cuts.append(m)
    main = text[: cuts[0].start()] if cuts else text
    clauses: dict[str, str] = {}
    for i, m in enumerate(cuts):
        end = cuts[i + 1].start() if i + 1 < len(cuts) else len(text)
        word = m.group(1)
        if word in clauses:
            raise _syntax(f"the clause '{word}' appears twice", text)
        body = text[m.end(): end].strip()
        if not body:
            raise _syntax(f"'{word}' needs something after it", text)
        clauses[word] = re.sub(r"(?<![=<>!])=(?!=)", "==", body)  # "at x = 0" means x == 0
    if not main.strip():
        raise _syntax("nothing to check before the clauses", text)
    return main.strip(), clauses


def _parse(src: str, claim: str) -> ast.AST:
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError as e:
        depth, lone = 0, False
        for i, ch in enumerate(src):
            depth += ch in "(["
            depth -= ch in ")]"
            if ch == "=" and depth == 0 and src[i - 1:i] not in ("=", "<", ">", "!") \
                    and src[i + 1:i + 2] != "=":
                lone = True
        hint = " (compare with ==, not =)" if lone else ""
        raise _syntax(f"{e.msg} in {src.strip()!r}{hint}", claim) from None
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED):
            raise _syntax(f"{type(node).__name__} ({ast.unparse(node) if hasattr(node, 'lineno') else ''}) "
                          f"is not allowed; use numbers, x, names of functions, + - * / **, "
                          f"comparisons, 'and', 'not'", claim)
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                               or not isinstance(node.value, (int, float))):
            raise _syntax(f"{node.value!r} is not a real number", claim)
        if isinstance(node, ast.keyword) and node.arg is None:
            raise _syntax("**keywords are not allowed", claim)
    return tree.body


# ----------------------------------------------------------------------------- values


class Fn:
    """A function of one variable, e.g. ``sigmoid`` or ``derivative(tanh)``: ``apply(expr)``
    gives its SymPy expression at ``expr``."""

    def __init__(self, label: str, apply: Callable[[Any], Any], spec: ActivationSpec | None = None,
                 params: dict[str, float] | None = None) -> None:
        self.label, self.apply, self.spec, self.params = label, apply, spec, params or {}


@dataclass
class Measured:
    """A functional's value and, for extrema, where it is attained."""

    kind: str
    label: str
    value: Any
    where: float | None = None
    note: str = ""


@dataclass
class Context:
    claim: str
    measured: list[Measured] = field(default_factory=list)
    domain: Domain | None = None
    notes: list[str] = field(default_factory=list)


class Domain:
    """A set of x: an interval [lo, hi] (open or closed ends) minus some points."""

    def __init__(self) -> None:
        self.lo, self.hi = -math.inf, math.inf
        self.lo_closed = self.hi_closed = False
        self.exclude: set[float] = set()

    def restrict(self, op: str, c: float) -> None:
        if op == "!=":
            self.exclude.add(c)
        elif op in ("<", "<="):
            if c < self.hi or (c == self.hi and op == "<"):
                self.hi, self.hi_closed = c, op == "<="
        elif op in (">", ">="):
            if c > self.lo or (c == self.lo and op == ">"):
                self.lo, self.lo_closed = c, op == ">="
        elif op == "==":
            self.restrict("<=", c)
            self.restrict(">=", c)

    def contains(self, v: float) -> bool:
        if v in self.exclude:
            return False
        above = v >= self.lo if self.lo_closed else v > self.lo
        below = v <= self.hi if self.hi_closed else v < self.hi
        return above and below

    def mask(self, xs: np.ndarray) -> np.ndarray:
        m = (xs >= self.lo) if self.lo_closed else (xs > self.lo)
        m &= (xs <= self.hi) if self.hi_closed else (xs < self.hi)
        for v in self.exclude:
            m &= xs != v
        return m

    @property
    def everything(self) -> bool:
        return math.isinf(self.lo) and math.isinf(self.hi) and not self.exclude

    def __str__(self) -> str:
        if self.everything:
            return "all real x"
        parts = []
        if not math.isinf(self.lo):
            parts.append(f"x {'>=' if self.lo_closed else '>'} {self.lo:g}")
        if not math.isinf(self.hi):
            parts.append(f"x {'<=' if self.hi_closed else '<'} {self.hi:g}")
        parts += [f"x != {v:g}" for v in sorted(self.exclude)]
        return " and ".join(parts)


# ----------------------------------------------------------------------------- building


def _x() -> Any:
    from ..numerics.reference import X

    return X


def _activation(name: str) -> ActivationSpec | None:
    """The spec called ``name`` if it is a catalog name; elementary names win over aliases
    (``exp`` is an alias of 'exponential', ``tanh`` the catalog's own tanh)."""
    try:
        spec = get_spec(name)
    except ValueError:
        return None
    if name in ELEMENTARY and spec.name != name:
        return None
    return spec


def _unknown(name: str, ctx: Context) -> ValueError:
    near = suggestions(name)
    extra = [n for n in (*ELEMENTARY, *FUNCTIONALS, *DERIVATIVES, *PREDICATES)
             if n.startswith(name[:3])]
    hint = ", ".join(dict.fromkeys([*near, *extra][:4]))
    return ValueError(
        f"unknown name '{name}' in the claim {ctx.claim!r}"
        + (f"; did you mean {hint}?" if hint else "")
        + " Names: x, pi, e, activations from `actlab list`, elementary functions (exp, log, "
        "sqrt, tanh, erf, ...), derivative(f), max(f), mean(f), ..."
    )


class Builder:
    """Turns the whitelisted AST into SymPy expressions, :class:`Fn` and measured numbers."""

    def __init__(self, ctx: Context) -> None:
        import sympy

        self.sp = sympy
        self.ctx = ctx
        self.x = _x()

    # expressions -------------------------------------------------------------
    def expr(self, node: ast.AST) -> Any:
        v = self.value(node)
        if isinstance(v, Fn):
            return v.apply(self.x)  # a bare function where a number is expected: f(x)
        return v

    def value(self, node: ast.AST) -> Any:
        sp = self.sp
        if isinstance(node, ast.Constant):
            return exact(node.value) if isinstance(node.value, float) else sp.Integer(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.expr(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = self.expr(node.left), self.expr(node.right)
            op = type(node.op)
            if op is ast.Div and b == 0:
                raise ValueError(f"division by zero in the claim {self.ctx.claim!r}")
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b,
                    ast.Div: a / b if op is ast.Div else None,
                    ast.Pow: a**b if op is ast.Pow else None}[op]
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _syntax(f"'{ast.unparse(node)}' is a claim where a number is expected", self.ctx.claim)

    def name(self, n: str) -> Any:
        sp = self.sp
        if n == "x":
            return self.x
        if n in CONSTANTS:
            return getattr(sp, CONSTANTS[n])
        spec = _activation(n)
        if spec is not None:
            return self.activation(spec, {})
        if n in ELEMENTARY:
            fn = getattr(sp, ELEMENTARY[n])
            return Fn(n, lambda t, fn=fn: fn(t))
        if n in FUNCTIONALS or n in DERIVATIVES or n in PREDICATES:
            raise ValueError(f"'{n}' needs arguments, e.g. {n}(sigmoid), in the claim {self.ctx.claim!r}")
        raise _unknown(n, self.ctx)

    def activation(self, spec: ActivationSpec, params: dict[str, Any]) -> Fn:
        if spec.kind in ("gated", "concatenated"):
            raise ValueError(
                f"{spec.name} is {spec.kind}, not a function of one variable; use its "
                f"elementwise part '{spec.gate}' in claims"
            )
        unknown = set(params) - set(spec.param_names)
        if unknown:
            have = ", ".join(spec.param_names) or "no parameters"
            raise ValueError(f"{spec.name} has no parameter(s) {sorted(unknown)}; it takes: {have}")
        values = {**{p.name: exact(p.default) for p in spec.params}, **params}
        for p in spec.params:
            v = float(values[p.name])
            if v not in p.domain:
                self.ctx.notes.append(
                    f"{spec.name}: {p.name}={v:g} is outside its domain {p.domain}; "
                    f"checked on the formula"
                )
        shown = ", ".join(f"{k}={float(v):g}" for k, v in params.items())
        label = f"{spec.name}[{shown}]" if params else spec.name
        return Fn(label, lambda t: self.sp.sympify(spec.reference(t, **values)), spec,
                  {k: float(v) for k, v in values.items()})

    def call(self, node: ast.Call) -> Any:
        sp = self.sp
        if not isinstance(node.func, ast.Name):
            f = self.value(node.func)  # derivative(tanh)(x)
            if not isinstance(f, Fn):
                raise _syntax(f"'{ast.unparse(node.func)}' is not a function", self.ctx.claim)
            if len(node.args) != 1 or node.keywords:
                raise _syntax(f"{f.label} takes one argument", self.ctx.claim)
            return f.apply(self.expr(node.args[0]))
        n = node.func.id
        kw = {k.arg: self.constant(k.value, f"parameter {k.arg}") for k in node.keywords}
        if n in DERIVATIVES:
            return self.derivative(n, node, kw)
        if n in ("max", "min") and len(node.args) >= 2:
            if kw:
                raise _syntax(f"{n}(a, b) takes no keywords", self.ctx.claim)
            return (sp.Max if n == "max" else sp.Min)(*(self.expr(a) for a in node.args))
        if n in FUNCTIONALS:
            return self.functional(n, node, kw)
        if n in PREDICATES:
            raise ValueError(f"{n}(...) is a claim by itself (true or false), not a number; "
                             f"write e.g. '{n}(relu)' or 'not {n}(relu)'")
        spec = _activation(n)
        if spec is not None:
            f = self.activation(spec, kw)
            if len(node.args) != 1:
                raise _syntax(f"{n}(x, param=value) takes one positional argument", self.ctx.claim)
            return f.apply(self.expr(node.args[0]))
        if n in ELEMENTARY:
            if kw or len(node.args) != 1:
                raise _syntax(f"{n} takes one argument and no keywords", self.ctx.claim)
            return getattr(sp, ELEMENTARY[n])(self.expr(node.args[0]))
        if n in ("x", *CONSTANTS):
            raise _syntax(f"'{n}' is not a function", self.ctx.claim)
        raise _unknown(n, self.ctx)

    def constant(self, node: ast.AST, what: str) -> Any:
        v = self.expr(node)
        if getattr(v, "free_symbols", set()):
            raise ValueError(f"{what} must be a number, got {ast.unparse(node)!r}")
        return v

    def function(self, node: ast.AST, kw: dict[str, Any]) -> Fn:
        """The argument of derivative()/max()/...: a function, or an expression in x."""
        if isinstance(node, ast.Name) and node.id not in ("x", *CONSTANTS):
            spec = _activation(node.id)
            if spec is not None:
                return self.activation(spec, kw)
        if kw:
            raise _syntax("keyword parameters go with an activation name, e.g. "
                          "derivative(swish, beta=2)", self.ctx.claim)
        v = self.value(node)
        if isinstance(v, Fn):
            return v
        e = v
        return Fn(ast.unparse(node), lambda a: e.subs(self.x, a) if a != self.x else e)

    def derivative(self, n: str, node: ast.Call, kw: dict[str, Any]) -> Any:
        order = DERIVATIVES[n]
        if len(node.args) != 1:
            raise _syntax(f"{n}() takes one function, e.g. {n}(sigmoid)", self.ctx.claim)
        arg = node.args[0]
        f = self.function(arg, kw)
        t = self.sp.Dummy("t", real=True)
        d = self.sp.diff(f.apply(t), t, order)
        # a function either way: derivative(sigmoid)(2*x) works, and where a number is
        # expected it is taken at x (derivative(sin(x)/cos(x)) == 1 + tan(x)**2)
        return Fn(f"{n}({f.label})", lambda a: d.subs(t, a), f.spec, f.params)

    def functional(self, n: str, node: ast.Call, kw: dict[str, Any]) -> Any:
        sp = self.sp
        args = node.args
        if n in ("limit", "taylor"):
            if len(args) != 2:
                raise _syntax(f"{n}(f, {'point' if n == 'limit' else 'order'}) takes two arguments",
                              self.ctx.claim)
        elif len(args) != 1:
            raise _syntax(f"{n}(f) takes one function, e.g. {n}(derivative(sigmoid))", self.ctx.claim)
        f = self.function(args[0], kw)
        e = f.apply(self.x)
        if n == "taylor":
            order = self.constant(args[1], "the order of taylor()")
            if not (order.is_Integer and 0 <= int(order) <= 12):
                raise ValueError("taylor(f, n): n must be an integer from 0 to 12")
            return _taylor(e, int(order), f.label)
        if n == "limit":
            point = self.constant(args[1], "the point of limit()")
            v = _limit(e, point)
            self.ctx.measured.append(Measured("limit", f.label, v))
            return v
        if n in ("mean", "var"):
            m1, m2 = _moments(e)
            v = sp.Float(m1 if n == "mean" else m2, 17)
            self.ctx.measured.append(Measured(n, f.label, v))
            return v
        which = "max" if n in ("max", "argmax") else "min"
        value, where, note = extremum(e, which, self.ctx.domain)
        self.ctx.measured.append(Measured(n, f.label, value, where, note))
        if n.startswith("arg"):
            if where is None:
                self.ctx.notes.append(f"{n}({f.label}): {note or 'not a single point'}")
                return sp.nan
            return sp.Float(where, 17)
        return value


# ----------------------------------------------------------------------------- functionals


def _np(e: Any) -> Callable[[np.ndarray], np.ndarray]:
    import sympy

    fn = sympy.lambdify(_x(), e, modules=["scipy", "numpy"])

    def call(xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = fn(xs)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), np.shape(xs)).copy()

    return call


def _mp(*exprs: Any) -> Callable[[Any], list[Any]]:
    import sympy

    fn = sympy.lambdify(_x(), list(exprs), modules="mpmath")
    return fn


def _real(v: Any) -> Any:
    import mpmath

    v = mpmath.mpmathify(v)
    if isinstance(v, mpmath.mpc):
        if abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (-mpmath.mp.dps + 5) + mpmath.mpf(10) ** -200:
            return None
        v = v.real
    return None if mpmath.isnan(v) else v


def _mp_at(fn: Callable[[Any], list[Any]], x: Any, dps: int = DPS) -> list[Any] | None:
    import mpmath

    with mpmath.workdps(dps):
        try:
            vals = [_real(v) for v in fn(mpmath.mpf(x))]
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if any(v is None for v in vals):
            return None
        return [+v for v in vals]


def _cuts(e: Any) -> list[float]:
    from .properties import breakpoints

    return symbolic(lambda: breakpoints(e), default=[]) or []


def extremum(e: Any, which: str, domain: Domain | None) -> tuple[Any, float | None, str]:
    """sup (which="max") or inf of expression ``e`` in x over ``domain`` (default: all x), and
    where it is attained: (SymPy value, x or None, note)."""
    import sympy

    from .properties import scan_grid

    x = _x()
    if not e.has(x):
        return e, None, "constant"
    domain = domain or Domain()
    xs = scan_grid()
    extra = [v for v in (domain.lo, domain.hi) if math.isfinite(v)]
    cuts = _cuts(e)
    xs = np.unique(np.concatenate([xs, extra, cuts]))
    xs = xs[domain.mask(xs)]
    if len(xs) < 3:
        raise ValueError(f"the domain {domain} holds too few points to search for the {which}imum")
    f, df = _np(e), _np(sympy.diff(e, x))
    ys = f(xs)
    mpf = _mp(e)

    def lim(sign: int) -> float:
        if (sign < 0 and math.isfinite(domain.lo)) or (sign > 0 and math.isfinite(domain.hi)):
            return math.nan
        return float(_limit(e, sign * sympy.oo, numeric_ok=True))

    def ref(t: float) -> Any:
        v = _mp_at(mpf, t)
        return None if v is None else v[0]

    lims = (lim(-1), lim(1))
    scalar = lambda t: float(f(np.array([t]))[0])
    slope = lambda t: float(df(np.array([t]))[0])
    value, where, note = _extremum(xs, ys, lims, which, scalar, slope, ref, cuts,
                                   open_ends=(math.isinf(domain.lo), math.isinf(domain.hi)))
    if math.isinf(value):
        return (sympy.oo if value > 0 else -sympy.oo), None, note
    if where is not None:
        # at a closed end of the domain (max of sigmoid on x <= 0): the end itself, not the
        # point 1e-13 inside that the search stops at
        for end, closed in ((domain.lo, domain.lo_closed), (domain.hi, domain.hi_closed)):
            if math.isfinite(end) and (closed or not domain.contains(where)) and abs(where - end) < 1e-9:
                where = end
        if not domain.contains(where):
            where = min(max(where, domain.lo), domain.hi)
    if where is not None:
        v = ref(where)
        if v is not None:
            value = v
    return sympy.Float(str(value) if not isinstance(value, float) else repr(value), 25), where, note


def _limit(e: Any, point: Any, numeric_ok: bool = True) -> Any:
    """The limit of ``e`` as x -> point (two-sided at finite points): SymPy first (2 s), else the
    mpmath value at ±1e400 and ±2e400 (must agree as floats); nan if there is none."""
    import mpmath
    import sympy

    from .properties import branch_at

    x = _x()

    def sym() -> Any:
        if point in (sympy.oo, -sympy.oo):
            far = branch_at(e, sympy.sign(point) * sympy.Integer(10) ** 30)
            return sympy.limit(far, x, point)
        return sympy.limit(e, x, point, dir="+-")

    v = symbolic(sym, seconds=2.0)
    if v is not None and not v.has(sympy.Limit):
        if v.has(sympy.AccumBounds) or v == sympy.zoo:
            return sympy.nan
        if v in (sympy.oo, -sympy.oo) or (not v.free_symbols):
            return v
    if not numeric_ok:
        return sympy.nan
    fn = _mp(e)
    if point in (sympy.oo, -sympy.oo):
        s = 1 if point == sympy.oo else -1
        vals = [_mp_at(fn, s * mpmath.mpf(p), dps=80) for p in ("1e400", "2e400")]
    else:
        c = mpmath.mpf(float(point))
        vals = [_mp_at(fn, c + s * mpmath.mpf("1e-40"), dps=80) for s in (-1, 1)]
    if any(v is None for v in vals):
        return sympy.nan
    a, b = (float(v[0]) for v in vals)
    if a == b or (math.isfinite(a) and abs(a - b) <= 1e-12 * max(1.0, abs(a))):
        return sympy.Float(a, 17) if math.isfinite(a) else (sympy.oo if a > 0 else -sympy.oo)
    return sympy.nan


def _moments(e: Any) -> tuple[float, float]:
    return gaussian_moments(_np(e), 0.0, 1.0, _cuts(e))


def _taylor(e: Any, order: int, label: str) -> Any:
    import sympy

    from .properties import branch_at

    x = _x()
    tiny = sympy.Rational(1, 10**30)
    right, left = branch_at(e, tiny), branch_at(e, -tiny)
    if symbolic(lambda: sympy.simplify(right - left) != 0, default=True, seconds=3.0):
        raise ValueError(f"taylor({label}, {order}): the formula changes at 0 (a kink), so there "
                         f"is no two-sided Taylor series; compare one side with 'for x > 0'")
    s = symbolic(lambda: sympy.series(right, x, 0, order + 1).removeO(), seconds=10.0)
    if s is None:
        raise ValueError(f"taylor({label}, {order}): SymPy could not expand it in 10 s")
    return sympy.expand(s)


# ----------------------------------------------------------------------------- checking


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _points(domain: Domain, cuts: Iterable[float]) -> list[float]:
    pts = set(GRID)
    pts |= {s * v for v in LARGE for s in (-1, 1)}
    pts |= {s * v for v in (1e-3, 1e-6) for s in (-1, 1)}
    for c in cuts:
        pts |= {c, c - 1e-9, c + 1e-9, c - 1e-3, c + 1e-3}
    lo, hi = domain.lo, domain.hi
    if math.isfinite(lo) and math.isfinite(hi) and hi - lo < 10:
        pts |= set(np.linspace(lo, hi, 201).tolist())
    for end in (lo, hi):
        if math.isfinite(end):
            pts |= {end, end - 1e-9, end + 1e-9, end - 1e-3, end + 1e-3}
    return sorted(p for p in pts if domain.contains(p))


def _violation(op: str, lv: Any, rv: Any) -> Any:
    """How far (lhs op rhs) is from holding: 0 when it holds, and for a tie under <, > or !=
    (which fails, but by nothing: see :func:`_tie`)."""
    d = lv - rv
    if op == "==":
        return abs(d)
    if op == "!=":
        return 0
    if op in ("<", "<="):
        return max(d, 0)
    return max(-d, 0)


def _tie(op: str, lv: Any, rv: Any) -> bool:
    return op in ("<", ">", "!=") and lv == rv


def _compare_constants(op: str, lhs: Any, rhs: Any, tol_abs: float | None, ctx: Context,
                       text: str) -> Verdict:
    import mpmath
    import sympy

    if lhs is sympy.nan or rhs is sympy.nan or (getattr(lhs, "is_number", False) and lhs.has(sympy.nan)):
        why = "; ".join(ctx.notes) or "a value is undefined"
        return Verdict(text, False, "measured", math.nan, detail=why)
    exact_sides = not lhs.has(sympy.Float) and not rhs.has(sympy.Float)
    if exact_sides and op == "==" and tol_abs is None:
        eq = symbolic(lambda: sympy.simplify(lhs - rhs) == 0, default=None)
        if eq is True:
            return Verdict(text, True, "symbolic", 0.0, lhs=_float(lhs), rhs=_float(rhs),
                           detail="both sides are equal exactly")
    # infinities compare as such
    if lhs.is_infinite or rhs.is_infinite:
        holds = bool({"==": lhs == rhs, "!=": lhs != rhs, "<": lhs < rhs, "<=": lhs <= rhs,
                      ">": lhs > rhs, ">=": lhs >= rhs}[op])
        return Verdict(text, holds, "symbolic", 0.0 if holds else math.inf, lhs=_float(lhs),
                       rhs=_float(rhs))
    with mpmath.workdps(50):
        lv, rv = mpmath.mpf(str(sympy.N(lhs, 50))), mpmath.mpf(str(sympy.N(rhs, 50)))
        viol = _violation(op, lv, rv)
        scale = max(1, abs(lv), abs(rv))
    measured = bool(ctx.measured) and any(m.kind != "limit" for m in ctx.measured)
    rtol = MEASURED_RTOL if measured or not exact_sides else EXACT_RTOL
    tol = tol_abs if tol_abs is not None else rtol * float(scale)
    holds = (viol <= tol) if op in ("==", "<=", ">=") else (viol == 0 and not _tie(op, lv, rv))
    if op == "!=":
        holds = abs(lv - rv) > tol
    method = "measured" if measured else "exact" if exact_sides else "numeric (50 digits)"
    return Verdict(text, bool(holds), method, float(abs(lv - rv)) if op in ("==", "!=") else float(viol),
                   lhs=float(lv), rhs=float(rv), tolerance=float(tol))


def _compare_in_x(op: str, lhs: Any, rhs: Any, tol_abs: float | None, ctx: Context,
                  text: str) -> Verdict:
    import sympy

    domain = ctx.domain or Domain()
    cuts = _cuts(lhs) + _cuts(rhs)
    pts = _points(domain, cuts)
    fn = _mp(lhs, rhs)
    measured = any(m.kind != "limit" for m in ctx.measured)
    rtol = MEASURED_RTOL if measured else EXACT_RTOL
    tol = tol_abs if tol_abs is not None else rtol
    rows = []  # (x, lhs, rhs, violation, violation measured against tol)
    skipped = []
    for p in pts:
        vals = _mp_at(fn, p)
        if vals is None:
            skipped.append(p)
            continue
        lv, rv = vals
        for dps in (120, 400):  # a tie at 30 digits: look closer (tanh(200) = 1 - 2e-174)
            if op not in ("<", ">", "!=") or lv != rv:
                break
            closer = _mp_at(fn, p, dps=dps)
            if closer is not None:
                lv, rv = closer
        viol = _violation(op, lv, rv)
        rel = float(viol / max(1, abs(lv), abs(rv))) if tol_abs is None else float(viol)
        if op == "!=":
            fails = float(abs(lv - rv) / (max(1, abs(lv), abs(rv)) if tol_abs is None else 1)) <= tol
        elif op in ("<", ">"):
            fails = viol > 0 or _tie(op, lv, rv)
        else:
            fails = rel > tol
        rows.append((p, lv, rv, viol, rel, fails))
    if not rows:
        raise ValueError(f"both sides of {text!r} are undefined at every point checked in {domain}")
    n = len(rows)
    bad = [r for r in rows if r[5]]
    holds = not bad
    worst = max(rows, key=lambda r: r[4])
    wx, wv, w = worst[0], (worst[1], worst[2]), worst[3]
    if bad and op != "!=":
        # the largest discrepancy, refined between grid neighbours
        wx, wv, w = _refine_worst(fn, op, wx, pts, domain, wx, wv, w)
    method = "numeric"
    detail = f"checked at {n} points of {domain}"
    if bad:
        # the counterexample shown: the failing point nearest 0 (a readable witness); the
        # largest discrepancy is reported separately with where it occurs
        # clearly beyond the tolerance, and on the main grid rather than 1e-9 off a kink or an
        # end of the domain, where a reader can check it by hand
        grid = set(GRID) | {s * v for v in LARGE for s in (-1, 1)}
        clear = [r for r in bad if r[4] >= 10 * tol or op in ("<", ">", "!=")]
        clear = [r for r in clear if r[0] in grid] or clear or bad
        witness = min(clear, key=lambda r: (abs(r[0]), r[0]))
        cx, lv, rv = witness[0], witness[1], witness[2]
        detail = f"fails at {len(bad)} of {n} points of {domain}"
        if op != "!=":
            detail += f"; largest discrepancy {float(w):.6g} at x = {wx:.6g}"
    else:
        cx, lv, rv = None, worst[1], worst[2]
    if skipped:
        detail += f"; undefined at {len(skipped)} (e.g. x = {skipped[0]:g}), skipped"
    if holds and op == "==" and tol_abs is None:
        d = symbolic(lambda: sympy.simplify(lhs - rhs), default=None, seconds=3.0)
        if d is not None and d == 0:
            method = "symbolic"
            detail = "the difference simplifies to 0 (SymPy); " + detail
    disc = float(w) if op != "!=" else 0.0
    return Verdict(text, holds, method, disc, cx, float(lv), float(rv), detail, float(tol), n)


def _refine_worst(fn: Callable, op: str, x0: float, pts: list[float], domain: Domain,
                  wx: float, wv: tuple, w: Any) -> tuple[float, tuple, Any]:
    from scipy.optimize import minimize_scalar

    i = pts.index(x0)
    lo, hi = pts[max(i - 1, 0)], pts[min(i + 1, len(pts) - 1)]
    if hi <= lo:
        return wx, wv, w

    def neg(t: float) -> float:
        if not domain.contains(t):
            return 0.0
        v = _mp_at(fn, t)
        return 0.0 if v is None else -float(_violation(op, v[0], v[1]))

    try:
        r = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    except ValueError:
        return wx, wv, w
    if -r.fun > float(w):
        v = _mp_at(fn, float(r.x))
        if v is not None:
            return float(r.x), (v[0], v[1]), _violation(op, v[0], v[1])
    return wx, wv, w


def _parse_domain(text: str, claim: str) -> Domain:
    node = _parse(text, claim)
    dom = Domain()
    conds = node.values if isinstance(node, ast.BoolOp) else [node]
    for c in conds:
        if not isinstance(c, ast.Compare):
            raise _syntax(f"'for {text}' must compare x with numbers, e.g. 'for x <= 0'", claim)
        items = [c.left, *c.comparators]
        for a, op, b in zip(items[:-1], c.ops, items[1:]):
            sym = OPS[type(op)]
            if isinstance(a, ast.Name) and a.id == "x":
                dom.restrict(sym, _number(b, claim))
            elif isinstance(b, ast.Name) and b.id == "x":
                flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[sym]
                dom.restrict(flip, _number(a, claim))
            else:
                raise _syntax(f"'for {text}': each comparison must involve x", claim)
    if dom.lo > dom.hi or (dom.lo == dom.hi and not (dom.lo_closed and dom.hi_closed)):
        raise ValueError(f"the domain 'for {text}' is empty")
    return dom


def _number(node: ast.AST, claim: str) -> float:
    b = Builder(Context(claim))
    v = b.expr(node)
    if getattr(v, "free_symbols", set()):
        raise _syntax(f"'{ast.unparse(node)}' must be a number", claim)
    return float(v)


def _check_compare(node: ast.Compare, ctx: Context, clauses: dict[str, str], text: str) -> Verdict:

    b = Builder(ctx)
    items = [node.left, *node.comparators]
    verdicts = []
    tol_abs = _number(_parse(clauses["within"], ctx.claim), ctx.claim) if "within" in clauses else None
    at = None
    if "at" in clauses:
        an = _parse(clauses["at"], ctx.claim)
        if not (isinstance(an, ast.Compare) and len(an.ops) == 1 and isinstance(an.ops[0], ast.Eq)
                and isinstance(an.left, ast.Name) and an.left.id == "x"):
            raise _syntax(f"'at {clauses['at']}' must read 'at x == number'", ctx.claim)
        at = _number(an.comparators[0], ctx.claim)
    for a, op, c in zip(items[:-1], node.ops, items[1:]):
        sym = OPS[type(op)]
        start = len(ctx.measured)
        lhs, rhs = b.expr(a), b.expr(c)
        part = f"{ast.unparse(a)} {sym} {ast.unparse(c)}"
        x = b.x
        in_x = lhs.has(x) or rhs.has(x)
        if in_x and at is not None:
            lhs, rhs = lhs.subs(x, exact(at)), rhs.subs(x, exact(at))
            v = _compare_constants(sym, lhs, rhs, tol_abs, ctx, part)
            v.counterexample = None if v.holds else at
        elif in_x:
            v = _compare_in_x(sym, lhs, rhs, tol_abs, ctx, part)
        else:
            v = _compare_constants(sym, lhs, rhs, tol_abs, ctx, part)
            new = ctx.measured[start:]
            extrema = [m for m in new if m.kind in ("max", "min", "argmax", "argmin")]
            if at is not None:
                if len(extrema) != 1:
                    raise ValueError("'at x == c' after a comparison of numbers needs exactly one "
                                     "max/min/argmax/argmin in it")
                m = extrema[0]
                loc_tol = max(tol_abs or 0.0, LOCATION_TOL * max(1.0, abs(at)))
                if m.where is None:
                    v = Verdict(part, False, "measured", math.inf,
                                detail=f"{m.kind}({m.label}) is {m.note or 'not attained at a point'}")
                elif abs(m.where - at) > loc_tol:
                    v = Verdict(part, False, "measured", abs(m.where - at), counterexample=m.where,
                                lhs=v.lhs, rhs=v.rhs,
                                detail=f"{m.kind}({m.label}) = {float(m.value):.10g} is attained at "
                                       f"x = {m.where:.10g}, not at {at:g}"
                                       + ("" if v.holds else "; and the value check fails too"))
                elif v.holds:
                    v.detail = f"{m.kind}({m.label}) = {float(m.value):.10g} at x = {m.where:.10g}"
            if new and not v.detail:
                v.detail = "; ".join(_describe(m) for m in new)
        verdicts.append(v)
    return _combine(verdicts, text)


def _describe(m: Measured) -> str:
    if m.kind in ("argmax", "argmin"):
        if m.where is None:
            return f"{m.kind}({m.label}): {m.note or 'not attained at one point'}"
        return f"{m.kind}({m.label}) = {m.where:.10g} (where the {m.kind[3:]} is {float(m.value):.10g})"
    if m.kind in ("max", "min"):
        where = f" at x = {m.where:.10g}" if m.where is not None else f" ({m.note})" if m.note else ""
        return f"{m.kind}({m.label}) = {float(m.value):.10g}{where}"
    what = {"mean": "E[f(z)], z ~ N(0, 1)", "var": "Var[f(z)], z ~ N(0, 1)"}.get(m.kind, m.kind)
    return f"{m.kind}({m.label}) = {_float(m.value):.10g} ({what})"


def _combine(verdicts: list[Verdict], text: str) -> Verdict:
    if len(verdicts) == 1:
        v = verdicts[0]
        v.claim = text
        return v
    failing = [v for v in verdicts if not v.holds]
    pick = failing[0] if failing else max(verdicts, key=lambda v: v.discrepancy)
    methods = sorted({v.method for v in verdicts})
    return Verdict(text, not failing, "+".join(methods), max(v.discrepancy for v in verdicts),
                   pick.counterexample, pick.lhs, pick.rhs,
                   "; ".join(f"[{v.claim}] {'holds' if v.holds else 'fails'}"
                             + (f": {v.detail}" if v.detail else "") for v in verdicts),
                   pick.tolerance, max(v.points for v in verdicts))


def _check_predicate(node: ast.Call, ctx: Context, text: str) -> Verdict:
    from .properties import analyze

    n = node.func.id
    if len(node.args) != 1:
        raise _syntax(f"{n}(f) takes one activation, e.g. {n}(relu) or {n}(elu, alpha=0.5)", ctx.claim)
    b = Builder(ctx)
    kw = {k.arg: b.constant(k.value, f"parameter {k.arg}") for k in node.keywords}
    arg = node.args[0]
    name = None
    if isinstance(arg, ast.Name):
        name = arg.id
    elif (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and len(arg.args) == 1
          and isinstance(arg.args[0], ast.Name) and arg.args[0].id == "x"):
        name = arg.func.id
        kw.update({k.arg: b.constant(k.value, f"parameter {k.arg}") for k in arg.keywords})
    spec = _activation(name) if name else None
    if spec is None:
        raise ValueError(f"{n}(...) is decided for catalog activations only, e.g. {n}(relu); "
                         f"got {ast.unparse(arg)!r}")
    p = analyze(spec.name, {k: float(v) for k, v in kw.items()}, cost=False, taylor=False)
    holds = bool(PREDICATES[n](p))
    facts = {
        "continuous": f"class {p.smoothness}", "differentiable": f"class {p.smoothness}",
        "smooth": f"class {p.smoothness}", "monotonic": f"monotonic: {p.monotonic}",
        "increasing": f"monotonic: {p.monotonic}", "decreasing": f"monotonic: {p.monotonic}",
        "polynomial": f"polynomial: {p.polynomial} ({p.polynomial_method})",
        "linear": f"polynomial degree {p.polynomial_degree}",
        "nonlinear": f"polynomial degree {p.polynomial_degree}",
        "odd": f"symmetry: {p.symmetry}", "even": f"symmetry: {p.symmetry}",
        "zero_centred": f"E f(z) = {p.gaussian_mean:.6g}", "zero_centered": f"E f(z) = {p.gaussian_mean:.6g}",
        "self_normalizing": f"fixed point {p.fixed_point}, radius {p.fixed_point_radius}",
        "identity_near_zero": f"f(0) = {p.f0:g}, f'(0-) = {p.df0_left:g}, f'(0+) = {p.df0_right:g}",
    }.get(n, f"range [{p.lower_bound:.6g}, {p.upper_bound:.6g}]")
    if p.kinks and n in ("continuous", "differentiable", "smooth"):
        facts += f", kinks at {', '.join(f'{k:g}' for k in p.kinks)}"
    return Verdict(text, holds, "properties", 0.0, detail=facts)


def _check_node(node: ast.AST, ctx: Context, clauses: dict[str, str]) -> Verdict:
    text = ast.unparse(node)
    if isinstance(node, ast.BoolOp):
        return _combine([_check_node(v, ctx, clauses) for v in node.values], text)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _check_node(node.operand, ctx, clauses)
        return Verdict(text, not inner.holds, inner.method, inner.discrepancy, inner.counterexample,
                       inner.lhs, inner.rhs, f"negation of: {inner.detail}" if inner.detail else "",
                       inner.tolerance, inner.points)
    if isinstance(node, ast.Compare):
        return _check_compare(node, ctx, clauses, text)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PREDICATES:
        return _check_predicate(node, ctx, text)
    raise _syntax(f"'{text}' is an expression, not a claim (nothing is compared)", ctx.claim)


def check(claim: str) -> Verdict:
    """Check one claim; see the module docstring for the language. Raises ``ValueError`` with a
    message saying what to write for a claim that cannot be read."""
    if not isinstance(claim, str):
        raise TypeError(f"a claim is a string, got {type(claim).__name__}")
    if not claim.strip():
        raise ValueError("empty claim; write e.g. 'tanh(x) == 2*sigmoid(2*x) - 1'")
    main, clauses = split_clauses(claim)
    ctx = Context(claim)
    if "for" in clauses:
        ctx.domain = _parse_domain(clauses["for"], claim)
    node = _parse(main, claim)
    try:
        v = _check_node(node, ctx, clauses)
    except SymbolicTimeout:  # pragma: no cover - symbolic() catches these
        raise ValueError(f"the claim {claim!r} took too long to decide") from None
    except (ZeroDivisionError, OverflowError) as e:
        raise ValueError(f"cannot evaluate {claim!r}: {e}") from None
    v.claim = claim
    extra = [n for n in dict.fromkeys(ctx.notes) if n not in v.detail]
    if extra:
        v.detail = "; ".join([v.detail, *extra]).strip("; ")
    return v


def verify_shipped(progress: Callable[[str], None] | None = None,
                   indices: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Check the claims in :data:`actlab.analysis.claims_list.CLAIMS` (all, or those at
    ``indices``) and their corrections.

    One row per checked statement: index in CLAIMS, claim, expected and found verdict, ``ok``
    (they agree), method, discrepancy, counterexample, source, note, role ("claim" or
    "correction", the true statement shipped next to a false claim).
    """
    from .claims_list import CLAIMS

    rows = []
    for i in range(len(CLAIMS)) if indices is None else indices:
        item = CLAIMS[i]
        todo = [(item.claim, item.expected, "claim")]
        if item.correction:
            todo.append((item.correction, True, "correction"))
        for text, expected, role in todo:
            try:
                v = check(text)
                found, err = v.holds, ""
            except (ValueError, TypeError) as e:  # a shipped claim that cannot be read is a failure
                v, found, err = None, None, str(e)
            rows.append({
                "index": i, "claim": text, "expected": expected, "verdict": found, "ok": found == expected,
                "method": v.method if v else "error", "discrepancy": v.discrepancy if v else None,
                "counterexample": v.counterexample if v else None,
                "detail": v.detail if v else err, "source": item.source,
                "note": item.note if role == "claim" else f"correction of: {item.claim}",
                "role": role,
            })
            if progress is not None:
                progress(text)
    return rows
