"""The claim language's grammar: clauses ("for", "at", "within"), the whitelisted Python
subset a claim is parsed into (no claim can run code), and the domain of a "for" clause.
See :mod:`actlab.analysis.claims` for the language."""

from __future__ import annotations

import ast
import math
import re

import numpy as np

__all__ = ["ALLOWED", "CLAUSE", "OPS", "Domain", "parse_expr", "split_clauses", "syntax_error"]


CLAUSE = re.compile(r"\b(for|at|within)\b")
ALLOWED = (
    ast.Expression, ast.Compare, ast.BoolOp, ast.And, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Call, ast.Name, ast.Load,
    ast.Constant, ast.keyword, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)
OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def syntax_error(msg: str, claim: str) -> ValueError:
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
            raise syntax_error(f"the clause '{word}' appears twice", text)
        body = text[m.end(): end].strip()
        if not body:
            raise syntax_error(f"'{word}' needs something after it", text)
        clauses[word] = re.sub(r"(?<![=<>!])=(?!=)", "==", body)  # "at x = 0" means x == 0
    if not main.strip():
        raise syntax_error("nothing to check before the clauses", text)
    return main.strip(), clauses


def parse_expr(src: str, claim: str) -> ast.AST:
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
        raise syntax_error(f"{e.msg} in {src.strip()!r}{hint}", claim) from None
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED):
            shown = ast.unparse(node) if hasattr(node, "lineno") else ""
            raise syntax_error(f"{type(node).__name__} ({shown}) "
                               f"is not allowed; use numbers, x, names of functions, + - * / **, "
                               f"comparisons, 'and', 'not'", claim)
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                               or not isinstance(node.value, (int, float))):
            raise syntax_error(f"{node.value!r} is not a real number", claim)
        if isinstance(node, ast.keyword) and node.arg is None:
            raise syntax_error("**keywords are not allowed", claim)
    return tree.body


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
