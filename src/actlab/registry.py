"""Name and alias lookup for the catalog, with "did you mean" suggestions."""

from __future__ import annotations

import difflib

from .spec import Spec

__all__ = ["families", "get_spec", "names", "register", "specs", "suggestions"]

_SPECS: dict[str, Spec] = {}
_ALIASES: dict[str, str] = {}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def register(spec: Spec) -> Spec:
    """Add ``spec`` to the catalog; names and aliases must be unique across it."""
    for name in (spec.name, *spec.aliases):
        key = _key(name)
        if key in _ALIASES:
            raise ValueError(f"activation name '{name}' is already taken by '{_ALIASES[key]}'")
        _ALIASES[key] = spec.name
    _SPECS[spec.name] = spec
    # cached properties read on every call: computed now, since dynamo cannot trace the lock of
    # a first access inside a user's torch.compile (functools.cached_property, Python < 3.12)
    spec.param_names, spec.default_values  # noqa: B018
    return spec


def _catalog() -> dict[str, Spec]:
    from . import catalog  # noqa: F401  (importing registers every family)

    return _SPECS


def names(family: str | None = None) -> list[str]:
    """Canonical names of the catalog, optionally of one family, sorted."""
    specs = _catalog().values()
    return sorted(s.name for s in specs if family is None or s.family == family)


def families() -> list[str]:
    return sorted({s.family for s in _catalog().values()})


def specs() -> list[Spec]:
    return [_catalog()[n] for n in names()]


def suggestions(name: str, n: int = 3) -> list[str]:
    _catalog()
    key = _key(name)
    close = difflib.get_close_matches(key, list(_ALIASES), n=n * 2, cutoff=0.5)
    close += [a for a in _ALIASES if key and (key in a or a in key) and a not in close]
    seen: list[str] = []
    for alias in close:
        canonical = _ALIASES[alias]
        if canonical not in seen:
            seen.append(canonical)
    return seen[:n]


def get_spec(name: str) -> Spec:
    """The spec called ``name`` (or one of its aliases); ``ValueError`` with suggestions if none."""
    if isinstance(name, Spec):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}")
    canonical = _ALIASES.get(_key(name))
    if canonical is None:  # the catalog may not be imported yet
        _catalog()
        canonical = _ALIASES.get(_key(name))
    if canonical is None:
        hint = suggestions(name)
        did_you_mean = f" Did you mean: {', '.join(hint)}?" if hint else ""
        raise ValueError(
            f"unknown activation '{name}'.{did_you_mean} `actlab list` shows all {len(_SPECS)}."
        )
    return _SPECS[canonical]
