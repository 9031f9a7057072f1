"""actlab: use, verify, understand, compare and choose neural-network activation functions.

    >>> import actlab, torch
    >>> mish = actlab.get("mish")
    >>> mish(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8651])
"""

from __future__ import annotations

from . import functional, nn
from .activation import Activation, get
from .registry import families, get_spec, names, specs
from .spec import ActivationSpec, Bound, Domain, Param

__version__ = "0.1.0"

__all__ = [
    "Activation", "ActivationSpec", "Bound", "Domain", "Param", "families", "functional",
    "get", "get_spec", "names", "nn", "specs",
]
