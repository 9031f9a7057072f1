"""The catalog: one module per family; importing it registers every spec."""

from . import sigmoidal  # noqa: F401
