"""Routes as data: which kernel serves each activation, per torch version, device and CPU ISA.

``routes.json`` holds tables measured by ``actlab bench kernels --calibrate``; a table applies
only where its torch version (major.minor), device type and CPU ISA (``AVX2``, ``AVX512``, ...
as ``torch.backends.cpu.get_cpu_capability()`` names it) match the running process. With no
matching table every activation runs eagerly: speed and accuracy of a fused kernel were
measured on one ISA and one inductor, and are not assumed elsewhere.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import torch

__all__ = ["EAGER", "FUSED", "NATIVE", "SMALL", "Route", "isa", "opaque", "table", "torch_version"]

_FILE = "routes.json"
SMALL = 1 << 16  # a table's "small" route serves tensors of fewer elements, "forward" the others


@dataclass(frozen=True)
class Route:
    """Where one activation's work goes: ``small``, the forward below :data:`SMALL` elements,
    ``forward`` at or above it ("native", "fused" or "eager"); ``backward`` ("fused" or "eager").

    ``native_autograd``: torch's op meets actlab's bounds for f, f' and f'' in every dtype, so
    where a size class's forward is "native" the call is torch's op with torch's own autograd
    (no Python Function: as fast as ``torch.nn`` at every size); ``backward`` serves the others.
    ``any_values``: that holds at every parameter value of the accuracy sweep
    (:func:`actlab.numerics.accuracy.param_points`), not only at the defaults, so a call with
    other values (``leaky_relu(x, 0.2)``) is torch's whole call too.
    ``inference``: at or above :data:`SMALL` elements, the forward of a call no derivative can be
    asked of, where it differs from ``forward`` ("" where not): torch's whole call may be the
    fastest forward+backward while a compiled kernel is the fastest forward alone (softshrink in
    bfloat16: torch's forward 2x the kernel's), or actlab's Function keep a size class while
    torch's op is the fastest forward (square in float32: torch's backward takes two passes).
    """

    small: str = "eager"
    forward: str = "eager"
    backward: str = "eager"
    native_autograd: bool = False
    any_values: bool = False
    inference: str = ""


EAGER = Route()
FUSED = Route("fused", "fused", "fused")
NATIVE = Route("native", "native", "fused")  # native forward, fused backward


def torch_version() -> str:
    return ".".join(torch.__version__.split("+")[0].split(".")[:2])


@functools.cache
def isa() -> str:
    """The CPU's vector ISA as torch dispatches on it (``AVX512``, ``AVX2``, ``DEFAULT``, ...)."""
    try:
        return str(torch.backends.cpu.get_cpu_capability()).upper()
    except AttributeError:  # pragma: no cover - torch < 2.1
        return "DEFAULT"


@functools.cache
def _data() -> dict:
    return json.loads(resources.files(__package__).joinpath(_FILE).read_text())


# dtypes with routes of their own where a table has them (``by_dtype``), with torch's op judged
# by its accuracy in that dtype alone. A table's ``routes`` hold where torch's op meets the
# bounds in every dtype, float64's 53 bits included; float32 needs 24 bits and a 16-bit result 8
# or 11, which torch's op often meets where it misses float64's (its softplus returns x above
# x = 20: 1e5 ULP in float64, none in float32)
OWN = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}


def own(dtype: torch.dtype | None) -> str | None:
    """The name of a dtype that may have routes of its own, else ``None`` (the all-dtypes routes:
    float64's)."""
    return None if dtype is None else OWN.get(dtype)


INFERENCE = "inference:"  # a route's flag "inference:fused" sets Route.inference


def _route(way: list[str]) -> Route:
    flags = way[3:]
    inference = next((f.removeprefix(INFERENCE) for f in flags if f.startswith(INFERENCE)), "")
    return Route(way[0], way[1], way[2], native_autograd="native_autograd" in flags,
                 any_values="any_values" in flags, inference=inference)


@functools.cache
def table(device: str = "cpu", dtype: str | None = None) -> dict[str, Route]:
    """The measured routes for this torch version, ``device`` and (on CPU) ISA; ``{}`` if none.
    ``dtype`` ("float32", "bfloat16", "float16"): with that dtype's own routes where the table
    has them."""
    for t in _data()["tables"]:
        if t["torch"] == torch_version() and t["device"] == device and (device != "cpu" or t["isa"] == isa()):
            own = t.get("by_dtype", {}).get(dtype, {}) if dtype else {}
            return {name: _route(way) for name, way in (t["routes"] | own).items()}
    return {}


@functools.cache
def opaque() -> frozenset[str]:
    """Activations that enter a user's compiled graph as the opaque custom op."""
    return frozenset(_data()["opaque"])
