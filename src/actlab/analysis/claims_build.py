"""Building a claim's values: the names a claim may use (elementary functions, constants,
catalog activations, derivatives, functionals, predicates) and :class:`Builder`, which turns the
parsed claim into SymPy expressions and measured numbers."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from ..registry import get_spec, suggestions
from ..spec import ActivationSpec
from .claims_eval import Context, Measured, extremum, limit_of, moments_of, taylor_of
from .claims_grammar import syntax_error
from .symbolic import X, exact

__all__ = ["CONSTANTS", "DERIVATIVES", "ELEMENTARY", "FUNCTIONALS", "PREDICATES", "Builder", "Fn",
           "catalog_activation", "unknown_name"]


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


class Fn:
    """A function of one variable, e.g. ``sigmoid`` or ``derivative(tanh)``: ``apply(expr)``
    gives its SymPy expression at ``expr``."""

    def __init__(self, label: str, apply: Callable[[Any], Any], spec: ActivationSpec | None = None,
                 params: dict[str, float] | None = None) -> None:
        self.label, self.apply, self.spec, self.params = label, apply, spec, params or {}


def catalog_activation(name: str) -> ActivationSpec | None:
    """The spec called ``name`` if it is a catalog name; elementary names win over aliases
    (``exp`` is an alias of 'exponential', ``tanh`` the catalog's own tanh)."""
    try:
        spec = get_spec(name)
    except ValueError:
        return None
    if name in ELEMENTARY and spec.name != name:
        return None
    return spec


def unknown_name(name: str, ctx: Context) -> ValueError:
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
        self.x = X

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
        raise syntax_error(f"'{ast.unparse(node)}' is a claim where a number is expected", self.ctx.claim)

    def name(self, n: str) -> Any:
        sp = self.sp
        if n == "x":
            return self.x
        if n in CONSTANTS:
            return getattr(sp, CONSTANTS[n])
        spec = catalog_activation(n)
        if spec is not None:
            return self.activation(spec, {})
        if n in ELEMENTARY:
            fn = getattr(sp, ELEMENTARY[n])
            return Fn(n, lambda t, fn=fn: fn(t))
        if n in FUNCTIONALS or n in DERIVATIVES or n in PREDICATES:
            raise ValueError(f"'{n}' needs arguments, e.g. {n}(sigmoid), in the claim {self.ctx.claim!r}")
        raise unknown_name(n, self.ctx)

    def activation(self, spec: ActivationSpec, params: dict[str, Any]) -> Fn:
        if not isinstance(spec, ActivationSpec):
            instead = f"; use its elementwise part '{spec.base_name}' in claims" if spec.base_name else ""
            raise ValueError(f"{spec.name} is {spec.kind}, not a function of one variable{instead}")
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
                raise syntax_error(f"'{ast.unparse(node.func)}' is not a function", self.ctx.claim)
            if len(node.args) != 1 or node.keywords:
                raise syntax_error(f"{f.label} takes one argument", self.ctx.claim)
            return f.apply(self.expr(node.args[0]))
        n = node.func.id
        kw = {k.arg: self.constant(k.value, f"parameter {k.arg}") for k in node.keywords}
        if n in DERIVATIVES:
            return self.derivative(n, node, kw)
        if n in ("max", "min") and len(node.args) >= 2:
            if kw:
                raise syntax_error(f"{n}(a, b) takes no keywords", self.ctx.claim)
            return (sp.Max if n == "max" else sp.Min)(*(self.expr(a) for a in node.args))
        if n in FUNCTIONALS:
            return self.functional(n, node, kw)
        if n in PREDICATES:
            raise ValueError(f"{n}(...) is a claim by itself (true or false), not a number; "
                             f"write e.g. '{n}(relu)' or 'not {n}(relu)'")
        spec = catalog_activation(n)
        if spec is not None:
            f = self.activation(spec, kw)
            if len(node.args) != 1:
                raise syntax_error(f"{n}(x, param=value) takes one positional argument", self.ctx.claim)
            return f.apply(self.expr(node.args[0]))
        if n in ELEMENTARY:
            if kw or len(node.args) != 1:
                raise syntax_error(f"{n} takes one argument and no keywords", self.ctx.claim)
            return getattr(sp, ELEMENTARY[n])(self.expr(node.args[0]))
        if n in ("x", *CONSTANTS):
            raise syntax_error(f"'{n}' is not a function", self.ctx.claim)
        raise unknown_name(n, self.ctx)

    def constant(self, node: ast.AST, what: str) -> Any:
        v = self.expr(node)
        if getattr(v, "free_symbols", set()):
            raise ValueError(f"{what} must be a number, got {ast.unparse(node)!r}")
        return v

    def function(self, node: ast.AST, kw: dict[str, Any]) -> Fn:
        """The argument of derivative()/max()/...: a function, or an expression in x."""
        if isinstance(node, ast.Name) and node.id not in ("x", *CONSTANTS):
            spec = catalog_activation(node.id)
            if spec is not None:
                return self.activation(spec, kw)
        if kw:
            raise syntax_error("keyword parameters go with an activation name, e.g. "
                               "derivative(swish, beta=2)", self.ctx.claim)
        v = self.value(node)
        if isinstance(v, Fn):
            return v
        e = v
        return Fn(ast.unparse(node), lambda a: e.subs(self.x, a) if a != self.x else e)

    def derivative(self, n: str, node: ast.Call, kw: dict[str, Any]) -> Any:
        order = DERIVATIVES[n]
        if len(node.args) != 1:
            raise syntax_error(f"{n}() takes one function, e.g. {n}(sigmoid)", self.ctx.claim)
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
                raise syntax_error(f"{n}(f, {'point' if n == 'limit' else 'order'}) takes two arguments",
                                   self.ctx.claim)
        elif len(args) != 1:
            raise syntax_error(f"{n}(f) takes one function, e.g. {n}(derivative(sigmoid))", self.ctx.claim)
        f = self.function(args[0], kw)
        e = f.apply(self.x)
        if n == "taylor":
            order = self.constant(args[1], "the order of taylor()")
            if not (order.is_Integer and 0 <= int(order) <= 12):
                raise ValueError("taylor(f, n): n must be an integer from 0 to 12")
            return taylor_of(e, int(order), f.label)
        if n == "limit":
            point = self.constant(args[1], "the point of limit()")
            v = limit_of(e, point)
            self.ctx.measured.append(Measured("limit", f.label, v))
            return v
        if n in ("mean", "var"):
            m1, m2 = moments_of(e)
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
