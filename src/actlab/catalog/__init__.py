"""The catalog: one module per family; importing it registers every spec.

Order matters only for the composite kinds: ``gated`` and ``concatenated`` specs look up their
gate's spec, so the families that define gates come first.
"""

from . import (  # noqa: F401, I001  (order: gates before gated)
    sigmoidal,
    rectifiers,
    hard,
    exponential,
    self_gated,
    periodic,
    polynomial,
    searched,
    adaptive,
    gated,
    peers,
    learnable,
    classic,
)
from . import learnable_kinds, normalizing  # noqa: F401  (kinds of their own: actlab.kinds, .conditioned)

__all__: list[str] = []  # importing the package registers every activation; use actlab.get(name)
