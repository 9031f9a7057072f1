"""Fast kernels for the generic autograd Function: one mechanism for every elementwise activation.

An activation written as a stable composite of torch ops (``spec.forward``, ``spec.derivative``)
runs eagerly as one kernel per op: every op reads and writes the whole tensor and allocates a
temporary, and at small sizes each costs a few microseconds of dispatch, so Mish's stable
forward is ~15 passes over memory and its backward ~30. The floor is one pass: read x, write
y (forward); read x and the incoming gradient, write the input gradient (backward). This
package provides, per activation, one compiled kernel for each (inductor: C++/OpenMP on CPU,
Triton on GPU), or torch's own native op where that meets actlab's ULP bounds.

Layout:

* :mod:`.dispatch`: which of native / compiled / eager serves a call, and
  :func:`compile_kernels`, the up-front warm-up (``actlab.compile_kernels(model)``);
* :mod:`.routes` and ``routes.json``: the measured routes, as data keyed by torch version,
  device and CPU ISA (eager on a mismatch);
* :mod:`.kernels`: building and caching kernels (parameters are kernel inputs; bounded cache);
* :mod:`.inductor`: everything that touches inductor's internals (a low-overhead compile and
  accurate vectorised ``expm1``/``erf``/``sin``/``cos``, applied only while actlab compiles);
* :mod:`.opaque`: the custom op that keeps actlab's numbers inside a user's ``torch.compile``.

Switches: ``ACTLAB_FUSED=0`` (environment) or ``with actlab.fused.disabled():`` gives the plain
spec path everywhere; ``with actlab.fused.forced():`` fuses every elementwise activation at any
size, compiling on first use (tests, calibration, benchmarks).
"""

from __future__ import annotations

from . import kernels, routes
from .dispatch import (
    backward,
    compile_kernels,
    differentiated,
    forward,
    gated_backward,
    gated_forward,
    native_call,
    reset,
    route,
    stats,
)
from .inductor import accurate_codegen, compile_fn
from .routes import EAGER, FUSED, NATIVE, Route
from .settings import MIN_NUMEL, MODES, Settings, configured, disabled, forced, settings

__all__ = [
    "EAGER", "FUSED", "MIN_NUMEL", "MODES", "NATIVE", "Route", "Settings", "accurate_codegen", "backward",
    "compile_fn", "compile_kernels", "configured", "differentiated", "disabled", "forced", "forward",
    "gated_backward", "gated_forward", "kernels", "native_call", "reset", "route", "routes", "settings",
    "stats",
]
