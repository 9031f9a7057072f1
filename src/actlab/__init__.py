"""actlab: use, verify, understand, compare and choose neural-network activation functions.

    >>> import actlab, torch
    >>> mish = actlab.get("mish")
    >>> mish(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8651])

Submodules (``actlab.doctor``, ``actlab.analysis``, ``actlab.bench``, ...) load on first
attribute access, so ``import actlab`` stays light and ``actlab.doctor.diagnose`` works without
an explicit ``import actlab.doctor``.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from . import functional, nn
from .activation import Activation, get
from .fused import compile_kernels
from .registry import families, get_spec, names, specs
from .spec import ActivationSpec, Bound, Domain, Param, Relation, Spec

__all__ = [
    "Activation", "ActivationSpec", "Bound", "Domain", "Param", "Relation", "Spec", "__version__",
    "compile_kernels", "families", "functional", "get", "get_spec", "names", "nn", "specs",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("actlab")
    except PackageNotFoundError:  # a source tree on sys.path without an install
        return "0+unknown"


def __getattr__(name: str) -> Any:
    # Lazy: the version reads package metadata, and submodules such as doctor or bench import
    # the analysis and plotting stacks, which plain ``import actlab`` must not pay for.
    if name == "__version__":
        value = globals()["__version__"] = _version()
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'actlab' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), "__version__"})
