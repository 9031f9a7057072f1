"""Benchmarks: kernel speed and memory against the hardware floor (:mod:`actlab.bench.kernels`,
``actlab bench kernels``), and, later, training on small tasks.

Nothing here is imported by ``import actlab``; each module imports what it needs when used.
"""

__all__: list[str] = []  # the package is its submodules
