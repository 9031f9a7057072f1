"""Reading a request: query values bounded and parsed, names and parameter values checked.

Every malformed or out-of-domain value is an :class:`~actlab.web.errors.ApiError` (a 4xx), never
a 500: text and number lengths and JSON nesting are bounded before anything is parsed;
``params`` is a flat JSON object (``{"beta":1.5}``) or ``beta=1.5,alpha=2``; an unknown name is
a 404 with suggestions; an activation the explorer does not draw (:func:`explored`: not
elementwise nor built from an elementwise one, e.g. softmax, maxout) is a 400 that says so; the
spec fills in defaults and checks domains; parameter relations the
domains cannot say (hardtanh ``min_val < max_val``, rrelu ``lower <= upper``) are checked here,
at the boundary.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

import actlab
from actlab import registry
from actlab.composite import is_composite
from actlab.spec import ActivationSpec

from .errors import ApiError

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_CHARS",
    "MAX_PARAMS",
    "MAX_TEXT",
    "RELATIONS",
    "check_relations",
    "explored",
    "explored_spec",
    "find_spec",
    "parse_params",
    "query",
    "query_count",
    "query_number",
    "resolve",
]

MAX_TEXT = 2000  # one query value (params, name, ...)
MAX_NUMBER_CHARS = 64  # one number's text: '1' * 5000 is refused before any parsing
MAX_JSON_DEPTH = 4  # params is a flat object; deeper nesting is refused before json.loads
MAX_PARAMS = 32

# Parameter relations the domains alone cannot say, checked at the request boundary (the spec may
# state them too, as ``relations``: both are checked). (activation, a, b, strict): a < b or a <= b.
RELATIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("hardtanh", "min_val", "max_val", True),
    ("rrelu", "lower", "upper", False),
)


def _text(text: str | None, what: str, limit: int = MAX_TEXT) -> str | None:
    if text is not None and len(text) > limit:
        raise ApiError(f"'{what}' is too long ({len(text)} characters): keep it under {limit}")
    return text


def _float(text: str, what: str) -> float:
    """A finite float from text, refusing over-long numbers before parsing them."""
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise ApiError(f"{what} has {len(text)} characters: a number here has at most {MAX_NUMBER_CHARS}")
    try:
        value = float(text)
    except ValueError:
        raise ApiError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ApiError(f"{what} must be a finite number, got {text!r}")
    return value


def _number(text: str | None, what: str, default: float | None = None) -> float:
    if text is None or text == "":
        if default is None:
            raise ApiError(f"'{what}' is required: give a finite number, e.g. {what}=1")
        return default
    return _float(text, f"'{what}'")


def _count(text: str | None, what: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS or not text.lstrip("+-").isdigit():
        raise ApiError(f"'{what}' must be a whole number, got {text[:40]!r}")
    value = int(text)
    if not low <= value <= high:
        raise ApiError(f"'{what}'={value} is out of range: use {low} <= {what} <= {high}")
    return value


def _json_depth(text: str) -> int:
    """The deepest nesting of [ and { in JSON text, strings skipped (no parsing, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class _JsonNumber(str):
    """A JSON number kept as its text, so its length is checked before it is converted."""


def _bad_constant(token: str) -> None:
    raise ApiError(f"'params' has {token}, which is not JSON: send finite numbers")


def parse_params(text: str | None) -> dict[str, float]:
    """``{"beta": 1.5}`` (JSON) or ``beta=1.5,alpha=2`` -> ``{"beta": 1.5, "alpha": 2.0}``."""
    text = _text(text, "params")
    if text is None or not text.strip():
        return {}
    text = text.strip()
    if text.startswith("{"):
        if _json_depth(text) > MAX_JSON_DEPTH:
            raise ApiError("'params' is nested too deeply: send a flat JSON object of numbers, "
                           "e.g. {\"beta\": 1.5}")
        try:
            raw = json.loads(text, parse_int=_JsonNumber, parse_float=_JsonNumber,
                             parse_constant=_bad_constant)
        except json.JSONDecodeError as e:
            raise ApiError(f"'params' is not valid JSON ({e.msg}); send e.g. {{\"beta\": 1.5}}") from None
        except (ValueError, RecursionError):
            raise ApiError("'params' is not valid JSON; send e.g. {\"beta\": 1.5}") from None
        if not isinstance(raw, dict):
            raise ApiError("'params' must be a JSON object, e.g. {\"beta\": 1.5}")
        items = list(raw.items())
    else:
        items = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.replace(":", "=", 1).partition("=")
            if not sep:
                raise ApiError(f"'params' expects NAME=VALUE pairs, e.g. beta=1.5; got {part[:40]!r}")
            items.append((key.strip(), value.strip()))
    if len(items) > MAX_PARAMS:
        raise ApiError(f"'params' has {len(items)} entries: no activation has more than {MAX_PARAMS}")
    out = {}
    for key, value in items:
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            raise ApiError(f"parameter '{key}' must be a number, got {json.dumps(value)[:40]}")
        out[str(key)] = _float(str(value), f"parameter '{key}'")
    return out


def find_spec(name: str | None) -> ActivationSpec:
    """The spec called ``name``; 404 with suggestions for an unknown one."""
    if name is None or not name.strip():
        raise ApiError("'name' is required, e.g. name=mish; GET /api/activations lists them all")
    if len(name) > 100 or not name.isprintable():
        raise ApiError(f"no activation is called {name[:40]!r}; GET /api/activations lists them all", 404,
                       suggestions=[])
    try:
        return actlab.get_spec(name)
    except ValueError as e:
        raise ApiError(str(e), 404, suggestions=registry.suggestions(name)) from None


def explored(spec: Any) -> bool:
    """Whether the explorer draws ``spec``: an elementwise activation (RReLU included) or one
    built from an elementwise one (the GLU family, CReLU), as the report's per-activation
    sections; other kinds (softmax, maxout, ...) are not functions of one variable."""
    return isinstance(spec, ActivationSpec) or is_composite(spec)


def explored_spec(name: str | None) -> ActivationSpec:
    """:func:`find_spec`, and a 400 with the reason for a spec the explorer does not draw."""
    spec = find_spec(name)
    if not explored(spec):
        raise ApiError(f"{spec.name} is a {spec.kind} activation, not a function of one variable nor "
                       "built from one: the explorer draws elementwise activations, the GLU family "
                       f"and CReLU; use it from Python (actlab.get_spec({spec.name!r}))")
    return spec


def resolve(spec: ActivationSpec, params: Mapping[str, float]) -> dict[str, float]:
    """Defaults filled in and domains checked by the spec; its errors become 400s."""
    try:
        values = {k: float(v) for k, v in spec.resolve(dict(params)).items()}
    except (TypeError, ValueError, OverflowError) as e:
        raise ApiError(str(e)) from None
    check_relations(spec, values)
    return values


def check_relations(spec: Any, values: Mapping[str, float]) -> None:
    """Relations between parameters (min < max): the server's table and the spec's own, if any."""
    for name, a, b, strict in RELATIONS:
        if spec.name == name and a in values and b in values:
            ok = values[a] < values[b] if strict else values[a] <= values[b]
            if not ok:
                op = "<" if strict else "<="
                raise ApiError(f"{spec.name}: need {a} {op} {b}, got {a}={values[a]:g}, {b}={values[b]:g}; "
                               f"{'swap them' if values[a] > values[b] else 'move them apart'}")
    for rel in getattr(spec, "relations", ()) or ():
        try:
            holds = bool(rel.holds(**values))
        except Exception:  # a relation that cannot be evaluated at these values does not hold
            holds = False
        if not holds:
            fix = getattr(rel, "fix", "")
            raise ApiError(f"{spec.name}: need {rel.text}, got "
                           + ", ".join(f"{k}={v:g}" for k, v in values.items()) + (f"; {fix}" if fix else ""))


# ------------------------------------------------------------------------------ query values
def query(request: Request, key: str) -> str | None:
    """The query value ``key`` (None when absent), refused when over :data:`MAX_TEXT`."""
    return _text(request.query_params.get(key), key)


def query_number(request: Request, key: str, default: float | None = None) -> float:
    """The finite number ``key``; ``default`` when absent (required when there is none)."""
    return _number(query(request, key), key, default)


def query_count(request: Request, key: str, default: int, low: int, high: int) -> int:
    """The whole number ``key`` in ``low..high``; ``default`` when absent."""
    return _count(query(request, key), key, default, low, high)
