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
  ``simplify`` of the difference, if it has at most ``symbolic.SIMPLIFY_OPS`` operations) and
  reported "symbolic" if it reduces to 0. The
  counterexample shown is the failing grid point nearest 0 (readable, checkable by hand); the
  largest discrepancy is reported with where it occurs;
* functionals are measured (float64 scan of ±1e6 refined to ~1e-12, limits from SymPy), so
  comparisons with them use a relative tolerance of 1e-9.

``==`` holds when the largest |lhs - rhs| is at most ``within`` (default 1e-20 relative to
max(1, |lhs|, |rhs|) for exact quantities, 1e-9 for measured ones); ``<=`` and ``>=`` forgive
the same rounding; ``<``/``>`` must hold strictly (ties are re-evaluated at 120 digits).

The implementation is split by stage: :mod:`.claims_grammar` (parsing),
:mod:`.claims_build` (names and values), :mod:`.claims_eval` (functionals and comparisons);
this module decides whole claims. Every SymPy step runs under an operation budget
(:mod:`actlab.analysis.symbolic`), never a time limit, so a verdict and its method do not
depend on how busy the machine is.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from typing import Any

from .claims_build import (
    CONSTANTS,
    DERIVATIVES,
    ELEMENTARY,
    FUNCTIONALS,
    PREDICATES,
    Builder,
    Fn,
    catalog_activation,
)
from .claims_eval import (
    DPS,
    EXACT_RTOL,
    GRID,
    LARGE,
    LOCATION_TOL,
    MEASURED_RTOL,
    Context,
    Measured,
    Verdict,
    compare_constants,
    compare_in_x,
    extremum,
    to_float,
)
from .claims_grammar import OPS, Domain, parse_expr, split_clauses, syntax_error
from .symbolic import exact

__all__ = [
    "CONSTANTS", "DERIVATIVES", "DPS", "ELEMENTARY", "EXACT_RTOL", "FUNCTIONALS", "GRID", "LARGE",
    "LOCATION_TOL", "MEASURED_RTOL", "PREDICATES", "Builder", "Context", "Domain", "Fn",
    "Measured", "Verdict", "check", "extremum", "split_clauses", "verify_shipped",
]


def _parse_domain(text: str, claim: str) -> Domain:
    node = parse_expr(text, claim)
    dom = Domain()
    conds = node.values if isinstance(node, ast.BoolOp) else [node]
    for c in conds:
        if not isinstance(c, ast.Compare):
            raise syntax_error(f"'for {text}' must compare x with numbers, e.g. 'for x <= 0'", claim)
        items = [c.left, *c.comparators]
        for a, op, b in zip(items[:-1], c.ops, items[1:]):
            sym = OPS[type(op)]
            if isinstance(a, ast.Name) and a.id == "x":
                dom.restrict(sym, _number(b, claim))
            elif isinstance(b, ast.Name) and b.id == "x":
                flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[sym]
                dom.restrict(flip, _number(a, claim))
            else:
                raise syntax_error(f"'for {text}': each comparison must involve x", claim)
    if dom.lo > dom.hi or (dom.lo == dom.hi and not (dom.lo_closed and dom.hi_closed)):
        raise ValueError(f"the domain 'for {text}' is empty")
    return dom


def _number(node: ast.AST, claim: str) -> float:
    b = Builder(Context(claim))
    v = b.expr(node)
    if getattr(v, "free_symbols", set()):
        raise syntax_error(f"'{ast.unparse(node)}' must be a number", claim)
    return float(v)


def _check_compare(node: ast.Compare, ctx: Context, clauses: dict[str, str], text: str) -> Verdict:

    b = Builder(ctx)
    items = [node.left, *node.comparators]
    verdicts = []
    tol_abs = _number(parse_expr(clauses["within"], ctx.claim), ctx.claim) if "within" in clauses else None
    at = None
    if "at" in clauses:
        an = parse_expr(clauses["at"], ctx.claim)
        if not (isinstance(an, ast.Compare) and len(an.ops) == 1 and isinstance(an.ops[0], ast.Eq)
                and isinstance(an.left, ast.Name) and an.left.id == "x"):
            raise syntax_error(f"'at {clauses['at']}' must read 'at x == number'", ctx.claim)
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
            v = compare_constants(sym, lhs, rhs, tol_abs, ctx, part)
            v.counterexample = None if v.holds else at
        elif in_x:
            v = compare_in_x(sym, lhs, rhs, tol_abs, ctx, part)
        else:
            v = compare_constants(sym, lhs, rhs, tol_abs, ctx, part)
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
    return f"{m.kind}({m.label}) = {to_float(m.value):.10g} ({what})"


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
        raise syntax_error(f"{n}(f) takes one activation, e.g. {n}(relu) or {n}(elu, alpha=0.5)", ctx.claim)
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
    spec = catalog_activation(name) if name else None
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
    raise syntax_error(f"'{text}' is an expression, not a claim (nothing is compared)", ctx.claim)


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
    node = parse_expr(main, claim)
    try:
        v = _check_node(node, ctx, clauses)
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
