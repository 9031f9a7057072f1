"""Numerics: stable primitives shared by specs, the mpmath oracle and ULP accuracy sweeps.

``stable`` is imported by the catalog; ``reference`` and ``accuracy`` load SymPy/mpmath and are
imported only when used.
"""

__all__: list[str] = []  # the package is its submodules
