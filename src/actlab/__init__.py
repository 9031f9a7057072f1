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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # static tools see the names; at run time they load on first use (torch)
    from . import functional, nn
    from .activation import Activation, get
    from .fused import compile_kernels
    from .registry import families, get_spec, names, specs
    from .spec import ActivationSpec, Bound, Domain, Param, Relation, Spec

# name -> the submodule that defines it: `import actlab` (and so `actlab --help`) does not pay
# for importing torch until something here is used
_EXPORTS = {
    "Activation": "activation", "get": "activation", "compile_kernels": "fused",
    "families": "registry", "get_spec": "registry", "names": "registry", "specs": "registry",
    "ActivationSpec": "spec", "Bound": "spec", "Domain": "spec", "Param": "spec", "Relation": "spec",
    "Spec": "spec",
}

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
    if name in _EXPORTS:
        value = globals()[name] = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'actlab' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
