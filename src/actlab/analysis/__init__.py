"""Analyses derived from the catalog: gradient flow, mean field, model doctor, self-normalisation."""

__all__: list[str] = []  # the package is its submodules
