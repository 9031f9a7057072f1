"""Fused kernels for the generic autograd Function: one mechanism for every elementwise activation.

An activation written as a stable composite of torch ops (``spec.forward``, ``spec.derivative``)
runs eagerly as one kernel per op: every op reads and writes the whole tensor and allocates a
temporary, so Mish's stable forward costs ~15 passes over memory and its backward ~30. Both are
memory-bound, and the floor is one pass: read x, write y (forward); read x and the incoming
gradient, write the input gradient (backward). This module compiles, per activation,

    forward:   x        ->  spec.forward(x, **params)          (one read, one write)
    backward:  (x, g)   ->  g * spec.derivative(x, **params)   (two reads, one write)

(``(y, g) -> g * spec.derivative_from_output(y)`` for an activation that saves its output, ReLU)

with ``torch.compile(dynamic=True, fullgraph=True)`` (inductor: C++/OpenMP on CPU, Triton on
GPU). The generic Function (:mod:`actlab.autograd`) still saves only ``x``; it calls
:func:`forward` and :func:`backward` here and falls back to its eager, differentiable path when
they return ``None``. Half-precision inputs are upcast to float32 inside the kernel, so the
float32 copy that the eager path materialises never exists.

When the fused path is taken (all of these):

* the mode is not ``off`` (``ACTLAB_FUSED=0`` or :func:`disabled`), and we are not already being
  traced by ``torch.compile`` (an outer compile fuses the eager path itself);
* the parameters are plain numbers (learnable tensor parameters take the eager path, which
  also reduces their gradients), ``x`` is contiguous, on CPU or CUDA;
* the backward is not building a graph (``create_graph=True``: double backward needs the
  differentiable eager path);
* ``x`` has at least ``min_numel`` elements (default 65,536, ``ACTLAB_FUSED_MIN_NUMEL``):
  below that a call costs tens of microseconds either way and compiling does not pay;
* the activation has already processed ``after`` elements eagerly in such calls (default
  2**24, ``ACTLAB_FUSED_AFTER``). Compiling costs 2-20 s of CPU once per activation, dtype and
  process (less from inductor's on-disk cache); 2**24 elements of eager Mish forward+backward
  take 1-5 s on 2 cores, the same order. Waiting that long before compiling (the ski-rental
  rule) bounds the total cost at about twice the best choice made with hindsight, and a test
  suite or a notebook that calls an activation a few times on small tensors never compiles;
* the measured table :data:`ROUTES` says the fused kernel wins for this activation and passes
  the ULP bounds of :mod:`actlab.numerics.accuracy` (``actlab bench kernels --calibrate``
  regenerates it). An activation missing from the table runs eagerly, whatever its speed: its
  fused kernel's accuracy has not been checked.

Native routing. Where ``spec.native`` passes actlab's own ULP bounds in every dtype
(``python -m actlab.numerics.accuracy NAME -v``, native column), the table may send the forward
there: below ``min_numel`` when it launches fewer kernels than the spec's eager forward
(``small="native"``), above it when it measured no slower than the fused kernel
(``forward="native"``: one kernel, nothing to compile). Natives that fail the bounds (SiLU,
GELU, Mish, softplus, sigmoid, ... return NaN at -inf or lose all digits in a tail) are never
used, however fast. The backward always uses actlab's analytic derivative.

Inductor's own accuracy. Two of inductor's vectorised CPU lowerings are inexact (``expm1`` as
``exp - 1``; float ``erf`` with absolute, not relative, accuracy); actlab's compilations use
accurate ones (:func:`_accurate_inductor`), and the calibration checks every fused kernel
against the mpmath oracle: those still outside the bounds (Snake's and CosId's f' by 0.5 ULP)
stay eager.

Switches: ``ACTLAB_FUSED=0`` (environment) or ``with actlab.fused.disabled():`` gives the plain
spec path everywhere; ``with actlab.fused.forced():`` fuses every elementwise activation at any
size from the first call (tests, calibration, benchmarks).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import os
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch

from .spec import HALF_DTYPES, ActivationSpec

log = logging.getLogger(__name__)

__all__ = [
    "ROUTES", "Route", "Settings", "backward", "compile_fn", "configured", "disabled", "forced",
    "forward", "gated_backward", "gated_forward", "kernel", "reset", "route", "settings", "stats",
]

MIN_NUMEL = 1 << 16
AFTER = 1 << 24
MODES = ("auto", "off", "force")


@dataclass(frozen=True)
class Settings:
    """``mode``: "auto" (the measured table), "off" (plain spec path) or "force" (fuse every
    elementwise activation). ``min_numel``: smallest tensor fused. ``after``: elements an
    activation processes eagerly (in calls of at least ``min_numel``) before it is compiled."""

    mode: str = "auto"
    min_numel: int = MIN_NUMEL
    after: int = AFTER


@dataclass(frozen=True)
class Route:
    """Where one activation's work goes. ``small``: forward below ``min_numel`` ("native" or
    "eager"); ``forward``: at or above it ("native", "fused" or "eager"); ``backward``: at or
    above it ("fused" or "eager"). Below ``min_numel`` the backward is always eager."""

    small: str = "eager"
    forward: str = "eager"
    backward: str = "eager"


EAGER = Route()
FUSED = Route("eager", "fused", "fused")
NATIVE = Route("native", "native", "fused")  # native forward, fused backward

# Measured with `actlab bench kernels --calibrate` (actlab.bench.kernels.calibrate, rule in
# _decide) on a 2-core AMD EPYC (Zen 5, AVX-512) VM, otherwise idle, torch 2.13: speed in float32
# at 16M elements (fused/native/eager kernels, 5 interleaved rounds); accuracy.measure of the fused
# kernels and of the natives in float64, float32, bfloat16 and float16. Ratios < 1: the first is
# faster. Regenerate after changing a spec; activations missing here run eagerly.
ROUTES: dict[str, Route] = {
    # fused/eager: fwd 0.67x, bwd 0.053x; native: 1 kernel(s) (eager 1), fwd 1.4x fused's
    "arctan": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.14x, bwd 0.017x
    "arctid": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.022x, bwd 0.022x
    "bent_identity": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.16x, bwd 0.15x; native: 1 kernel(s) (eager 8), fwd 0.99x fused's
    "celu": Route("native", "native", "fused"),
    # fused/eager: fwd 0.85x, bwd 0.39x; native: 1 kernel(s) (eager 1), fwd 1.1x fused's
    "cos": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.21x, bwd 0.16x
    "cosid": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.53x, bwd 0.39x
    "cube": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.28x, bwd 0.092x; native: 4 kernel(s) (eager 4), fwd 3.3x fused's
    "dyt": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.079x, bwd 0.058x
    "e_swish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.088x, bwd 0.056x
    "elish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.17x, bwd 0.14x; native: 1 kernel(s) (eager 7), fwd 1x fused's
    "elu": Route("native", "native", "fused"),
    # fused/eager: fwd 0.87x, bwd 0.55x; native: 1 kernel(s) (eager 1), fwd 1.1x fused's
    "exponential": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.34x, bwd 0.17x
    "gaussian": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.51x, bwd 0.25x
    "gcu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.27x, bwd 0.16x; native: 1 kernel(s) (eager 6), fwd 0.61x fused's, fails the ULP
    # bounds
    "gelu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.086x, bwd 0.061x
    "gelu_sigmoid": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.08x, bwd 0.039x; native: 1 kernel(s) (eager 20), fwd 0.84x fused's, fails the ULP
    # bounds
    "gelu_tanh": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.074x, bwd 0.064x
    "hard_elish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.36x, bwd 0.26x; native: 1 kernel(s) (eager 5), fwd 1x fused's
    "hardshrink": Route("native", "native", "fused"),
    # fused/eager: fwd 0.19x, bwd 0.19x; native: 1 kernel(s) (eager 6), fwd 0.96x fused's
    "hardsigmoid": Route("native", "native", "fused"),
    # fused/eager: fwd 0.084x, bwd 0.086x; native: 1 kernel(s) (eager 12), fwd 0.94x fused's, fails the
    # ULP bounds
    "hardswish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.23x, bwd 0.23x; native: 1 kernel(s) (eager 4), fwd 0.89x fused's
    "hardtanh": Route("native", "native", "fused"),
    # fused/eager: fwd 4.9e+02x, bwd 0.32x; native: 0 kernel(s) (eager 0), fwd 0.0013x fused's
    "identity": Route("eager", "native", "fused"),
    # fused/eager: fwd 0.028x, bwd 0.028x
    "isrlu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.032x, bwd 0.032x
    "isru": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.36x, bwd 0.23x; native: 1 kernel(s) (eager 3), fwd 0.81x fused's
    "leaky_relu": Route("native", "native", "fused"),
    # fused/eager: fwd 0.33x, bwd 0.1x
    "lecun_tanh": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.45x, bwd 0.11x
    "lisht": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.13x, bwd 0.11x; native: 1 kernel(s) (eager 11), fwd 1.6x fused's
    "log_sigmoid": Route("native", "fused", "fused"),
    # fused/eager: fwd 0.15x, bwd 0.062x
    "logish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.14x, bwd 0.092x; native: 2 kernel(s) (eager 12), fwd 1.1x fused's, fails the ULP
    # bounds
    "maxsig": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.32x, bwd 0.095x; native: 2 kernel(s) (eager 3), fwd 2x fused's
    "maxtanh": Route("native", "fused", "fused"),
    # fused/eager: fwd 0.3x, bwd 0.16x; native: 2 kernel(s) (eager 3), fwd 2.1x fused's, fails the ULP
    # bounds
    "minsin": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.053x, bwd 0.015x; native: 1 kernel(s) (eager 19), fwd 1.8x fused's, fails the ULP
    # bounds
    "mish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.14x, bwd 0.13x
    "pelu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.27x, bwd 0.069x
    "penalized_tanh": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.33x, bwd 0.2x; native: 1 kernel(s) (eager 3), fwd 0.76x fused's
    "prelu": Route("native", "native", "fused"),
    # fused/eager: fwd 0.89x, bwd 0.22x; native: 1 kernel(s) (eager 1), fwd 0.97x fused's
    "relu": Route("eager", "native", "fused"),
    # fused/eager: fwd 0.21x, bwd 0.21x; native: 1 kernel(s) (eager 6), fwd 0.92x fused's
    "relu6": Route("native", "native", "fused"),
    # fused/eager: fwd 0.27x, bwd 0.14x; native: 1 kernel(s) (eager 8), fwd 0.56x fused's
    "selu": Route("native", "native", "fused"),
    # fused/eager: fwd 0.21x, bwd 0.092x
    "serf": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.22x, bwd 0.11x; native: 2 kernel(s) (eager 7), fwd 1.5x fused's, fails the ULP
    # bounds
    "shifted_softplus": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.1x, bwd 0.11x; native: 1 kernel(s) (eager 10), fwd 0.95x fused's, fails the ULP
    # bounds
    "sigmoid": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.086x, bwd 0.064x; native: 1 kernel(s) (eager 14), fwd 0.93x fused's, fails the
    # ULP bounds
    "silu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.89x, bwd 0.59x; native: 1 kernel(s) (eager 1), fwd 1.1x fused's
    "sin": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.03x, bwd 0.017x
    "sinc": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.039x, bwd 0.021x
    "sincid": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.071x, bwd 0.1x
    "smelu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.11x, bwd 0.028x
    "smish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.15x, bwd 0.17x
    "snake": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.081x, bwd 0.1x; native: 1 kernel(s) (eager 18), fwd 0.94x fused's, fails the ULP
    # bounds
    "softplus": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.14x, bwd 0.27x; native: 1 kernel(s) (eager 7), fwd 1x fused's
    "softshrink": Route("native", "native", "fused"),
    # fused/eager: fwd 0.095x, bwd 0.2x; native: 3 kernel(s) (eager 12), fwd 2.6x fused's, fails the ULP
    # bounds
    "softsign": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.062x, bwd 0.099x
    "sparse_plus": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.17x, bwd 0.2x
    "sparse_sigmoid": Route("eager", "fused", "fused"),
    # fused/eager: fwd 1.1x, bwd 0.53x
    "square": Route("eager", "eager", "fused"),
    # fused/eager: fwd 0.33x, bwd 0.37x
    "squared_relu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.045x, bwd 0.059x
    "squareplus": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.28x, bwd 0.29x
    "star_relu": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.088x, bwd 0.065x
    "swish": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.74x, bwd 0.12x; native: 1 kernel(s) (eager 1), fwd 1.3x fused's
    "tanh": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.29x, bwd 0.13x
    "tanhexp": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.052x, bwd 0.34x; native: 2 kernel(s) (eager 31), fwd 1.5x fused's, fails the ULP
    # bounds
    "tanhshrink": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.42x, bwd 0.21x; native: 1 kernel(s) (eager 2), fwd 0.95x fused's
    "threshold": Route("native", "native", "fused"),
    # fused/eager: fwd 0.16x, bwd 0.037x
    "x_asinh2": Route("eager", "fused", "fused"),
    # fused/eager: fwd 0.035x, bwd 0.11x
    "xielu": Route("eager", "fused", "fused"),
}

_STATE: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("actlab_fused", default=None)
_STATS: Counter[tuple[str, str, str]] = Counter()
_SEEN: Counter[tuple[str, str]] = Counter()
_KERNELS: dict[tuple[str, str, tuple[Any, ...]], Callable[..., torch.Tensor] | None] = {}
_ENV_CACHE: dict[tuple[str | None, ...], Settings] = {}


_ENV_MODES = {**dict.fromkeys(("", "1", "auto", "on", "true", "yes"), "auto"),
              **dict.fromkeys(("0", "off", "false", "no"), "off"), "force": "force"}


def _env_settings() -> Settings:
    env = (os.environ.get("ACTLAB_FUSED"), os.environ.get("ACTLAB_FUSED_MIN_NUMEL"),
           os.environ.get("ACTLAB_FUSED_AFTER"))
    if env not in _ENV_CACHE:
        raw, min_numel, after = env
        word = (raw or "auto").strip().lower()
        if word not in _ENV_MODES:
            raise ValueError(f"ACTLAB_FUSED={raw!r} is not understood; use 0 (off), 1 (auto, the "
                             "default) or force")
        _ENV_CACHE[env] = Settings(_ENV_MODES[word], _env_int("ACTLAB_FUSED_MIN_NUMEL", min_numel, MIN_NUMEL),
                                   _env_int("ACTLAB_FUSED_AFTER", after, AFTER))
    return _ENV_CACHE[env]


def _env_int(var: str, raw: str | None, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        return max(0, int(float(raw)))
    except ValueError:
        raise ValueError(f"{var}={raw!r} is not a number of elements; set it to e.g. {default}") from None


def settings() -> Settings:
    """The settings in force here: the innermost context manager's, else the environment's."""
    return _STATE.get() or _env_settings()


@contextlib.contextmanager
def configured(mode: str | None = None, min_numel: int | None = None,
               after: int | None = None) -> Iterator[Settings]:
    """Override some settings inside a ``with`` block (thread- and task-local)."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"fused mode must be one of {MODES}, got {mode!r}")
    for name, v in (("min_numel", min_numel), ("after", after)):
        if v is not None and (not isinstance(v, int) or v < 0):
            raise ValueError(f"fused {name} must be a non-negative int, got {v!r}")
    s = settings()
    new = replace(s, mode=mode or s.mode,
                  min_numel=s.min_numel if min_numel is None else min_numel,
                  after=s.after if after is None else after)
    token = _STATE.set(new)
    try:
        yield new
    finally:
        _STATE.reset(token)


def disabled() -> contextlib.AbstractContextManager[Settings]:
    """``with actlab.fused.disabled():`` every activation takes the plain spec path."""
    return configured(mode="off")


def forced(min_numel: int = 2) -> contextlib.AbstractContextManager[Settings]:
    """Fuse every elementwise activation from its first call on tensors of ``min_numel``
    elements or more (sizes 0 and 1 would each cost a compilation of their own)."""
    return configured(mode="force", min_numel=min_numel, after=0)


def route(name: str, mode: str | None = None) -> Route:
    """The route of activation ``name`` under ``mode`` (default: the current one)."""
    mode = mode or settings().mode
    if mode == "off":
        return EAGER
    if mode == "force":
        return FUSED
    return ROUTES.get(name, EAGER)


def stats() -> dict[tuple[str, str, str], int]:
    """Calls so far per (activation, "forward" | "backward", "native" | "fused")."""
    return dict(_STATS)


def reset() -> None:
    """Forget the statistics and the eager-element counts (compiled kernels are kept)."""
    _STATS.clear()
    _SEEN.clear()


# ------------------------------------------------------------------------------------- dispatch
def _plain(values: tuple[Any, ...]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _eligible(x: torch.Tensor, values: tuple[Any, ...]) -> bool:
    return x.device.type in ("cpu", "cuda") and _plain(values)


def forward(spec: ActivationSpec, x: torch.Tensor, values: tuple[Any, ...]) -> torch.Tensor | None:
    """``spec``'s forward at ``x`` by the routed kernel, or ``None``: take the eager path."""
    if torch.compiler.is_compiling():  # first: dynamo cannot trace what follows (ContextVar)
        return None
    s = settings()
    if s.mode == "off" or not _eligible(x, values):
        return None
    r = route(spec.name, s.mode)
    n = x.numel()
    way = r.small if n < s.min_numel else r.forward
    if way == "native" and spec.native is not None:
        try:
            y = spec.native(x, **dict(zip(spec.param_names, values)))
        except (RuntimeError, NotImplementedError):  # e.g. a dtype torch has no kernel for here
            return None
        _STATS[spec.name, "forward", "native"] += 1
        return y
    if way == "fused" and x.is_contiguous() and _hot(spec.name, "forward", n, s):
        y = _run(spec, "forward", values, x)
        if y is not None:
            _STATS[spec.name, "forward", "fused"] += 1
        return y
    return None


def backward(spec: ActivationSpec, x: torch.Tensor, grad: torch.Tensor,
             values: tuple[Any, ...]) -> torch.Tensor | None:
    """``grad * spec.derivative(x)`` by the fused kernel, or ``None``: take the eager path.
    Never when a graph is being built (``create_graph=True``): the kernel is not differentiable.
    For a spec with ``derivative_from_output``, ``x`` is the saved output ``y`` (the fused path
    takes plain-number parameters only, and with those the Function saves ``y``)."""
    if torch.compiler.is_compiling():
        return None
    s = settings()
    if s.mode == "off" or torch.is_grad_enabled() or not _eligible(x, values):
        return None
    n = x.numel()
    if n < s.min_numel or route(spec.name, s.mode).backward != "fused" or not x.is_contiguous():
        return None
    if grad.shape != x.shape or grad.device != x.device or not _hot(spec.name, "backward", n, s):
        return None
    gx = _run(spec, "backward", values, x, grad)
    if gx is not None:
        _STATS[spec.name, "backward", "fused"] += 1
    return gx


def gated_forward(spec: ActivationSpec, gate: ActivationSpec, x: torch.Tensor, dim: int,
                  values: tuple[Any, ...]) -> torch.Tensor | None:
    """``a ⊗ g(b)``, ``[a, b] = x`` along ``dim``, by one compiled kernel, or ``None``."""
    if not _gated_eligible(spec, gate, x, values, "forward"):
        return None
    y = _run_gated(gate, "forward", dim, values, x)
    if y is not None:
        _STATS[spec.name, "forward", "fused"] += 1
    return y


def gated_backward(spec: ActivationSpec, gate: ActivationSpec, x: torch.Tensor, grad: torch.Tensor,
                   dim: int, values: tuple[Any, ...]) -> torch.Tensor | None:
    """``[grad ⊗ g(b), grad ⊗ a ⊗ g'(b)]`` by one compiled kernel, or ``None`` (also when a
    graph is being built)."""
    half = list(x.shape)
    half[dim] //= 2
    if torch.is_grad_enabled() or list(grad.shape) != half or not grad.is_contiguous():
        return None
    if not _gated_eligible(spec, gate, x, values, "backward"):
        return None
    gx = _run_gated(gate, "backward", dim, values, x, grad)
    if gx is not None:
        _STATS[spec.name, "backward", "fused"] += 1
    return gx


def _gated_eligible(spec: ActivationSpec, gate: ActivationSpec, x: torch.Tensor,
                    values: tuple[Any, ...], direction: str) -> bool:
    # The gated kernels are the gate's forward and f' and a multiplication: fused where the
    # gate's own kernels are (its fused f' passed the ULP calibration, and its forward is not
    # routed eager).
    if torch.compiler.is_compiling():
        return False
    s = settings()
    if s.mode == "off" or not _eligible(x, values) or not x.is_contiguous() or x.numel() < s.min_numel:
        return False
    r = route(gate.name, s.mode)
    if r.backward != "fused" or r.forward == "eager":
        return False
    return _hot(spec.name, direction, x.numel(), s)


def _hot(name: str, direction: str, n: int, s: Settings) -> bool:
    key = (name, direction)
    if _SEEN[key] >= s.after:
        return True
    _SEEN[key] += n  # this call runs eagerly; a later one compiles
    return False


def kernel(spec: ActivationSpec, direction: str,
           values: tuple[Any, ...] | None = None) -> Callable[..., torch.Tensor] | None:
    """The compiled kernel of ``spec``: ``direction`` "forward" takes a flat ``x``, "backward"
    takes flat ``(x, g)`` (``(y, g)`` if the spec has ``derivative_from_output``); ``values``
    are the parameters (default: the spec's defaults).
    Compiles on first call. ``None`` if it failed to compile before."""
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    if values is None:
        values = tuple(spec.defaults[n] for n in spec.param_names)
    return _cached((spec.name, direction, values), lambda: _build(spec, direction, values))


def _cached(key: tuple[str, str, tuple[Any, ...]],
            build: Callable[[], Callable[..., torch.Tensor]]) -> Callable[..., torch.Tensor] | None:
    if key not in _KERNELS:
        _KERNELS[key] = build()
    return _KERNELS[key]


def _run(spec: ActivationSpec, direction: str, values: tuple[Any, ...],
         *tensors: torch.Tensor) -> torch.Tensor | None:
    # One flat, detached view per tensor: every shape shares one compiled graph (dynamic size),
    # a new rank or batch size never recompiles, nor does x.requires_grad (a guard of its own).
    out = _call((spec.name, direction, values), kernel(spec, direction, values),
                *(t.detach().reshape(-1) for t in tensors))
    return None if out is None else out.view(tensors[0].shape)


def _run_gated(gate: ActivationSpec, direction: str, dim: int, values: tuple[Any, ...],
               *tensors: torch.Tensor) -> torch.Tensor | None:
    dim = dim % tensors[0].dim()  # one kernel per (rank, dim): the split is part of the graph
    key = (gate.name, f"gated_{direction}", (tensors[0].dim(), dim, *values))
    kernel_fn = _cached(key, lambda: _build_gated(gate, direction, dim, values))
    return _call(key, kernel_fn, *(t.detach() for t in tensors))


def _call(key: tuple[str, str, tuple[Any, ...]], kernel_fn: Callable[..., torch.Tensor] | None,
          *args: torch.Tensor) -> torch.Tensor | None:
    """``kernel_fn(*args)`` (it compiles on its first call); ``None`` if it cannot be compiled
    (no C++ compiler, an op inductor cannot lower, ...), remembered under ``key``."""
    if kernel_fn is None:
        return None
    try:
        return kernel_fn(*args)
    except Exception as e:
        log.warning("actlab.fused: %s %s could not be compiled, using the eager path (%s: %s)",
                    key[0], key[1], type(e).__name__, e)
        _KERNELS[key] = None
        return None


def _build_gated(gate: ActivationSpec, direction: str, dim: int,
                 values: tuple[Any, ...]) -> Callable[..., torch.Tensor]:
    params = dict(zip(gate.param_names, values))
    forward_fn, derivative_fn = gate.forward, gate.derivative

    def halves(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # narrow by h = n // 2 twice, not chunk: chunk's halves have sizes (n + 1) // 2 and
        # n - (n + 1) // 2, which inductor cannot prove equal for a symbolic n, so it would
        # materialise g(b) and the two gradient halves in buffers of their own
        h = x.shape[dim] // 2
        return x.narrow(dim, 0, h), x.narrow(dim, h, h)

    def fwd(x: torch.Tensor) -> torch.Tensor:
        a, b = halves(x.to(_compute_dtype(x.dtype)))
        return (a * forward_fn(b, **params)).to(x.dtype)

    def bwd(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        dtype = _compute_dtype(x.dtype)
        (a, b), gc = halves(x.to(dtype)), g.to(dtype)
        grads = [gc * forward_fn(b, **params), gc * a * derivative_fn(b, **params)]
        return torch.cat(grads, dim=dim).to(x.dtype)

    return compile_fn(fwd if direction == "forward" else bwd, f"{gate.name}_gated_{direction}")


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in HALF_DTYPES else dtype


def _build(spec: ActivationSpec, direction: str, values: tuple[Any, ...]) -> Callable[..., torch.Tensor]:
    params = dict(zip(spec.param_names, values))
    forward_fn, derivative_fn = spec.forward, spec.derivative_from_output or spec.derivative

    def fwd(x: torch.Tensor) -> torch.Tensor:
        return forward_fn(x.to(_compute_dtype(x.dtype)), **params).to(x.dtype)

    def bwd(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        dtype = _compute_dtype(x.dtype)
        return (g.to(dtype) * derivative_fn(x.to(dtype), **params)).to(x.dtype)

    return compile_fn(fwd if direction == "forward" else bwd, f"{spec.name}_{direction}")


def compile_fn(fn: Callable[..., Any], name: str, fullgraph: bool = True,
               accurate: bool = True) -> Callable[..., Any]:
    """``torch.compile(fn, dynamic=True)`` of a private copy of ``fn`` called ``name``.

    Dynamo keeps the compiled graphs of a function on its code object and falls back to eager
    after 8 of them per code object. Closures made by one ``def`` share that code object across
    activations, so each gets its own copy of it: then only dtypes and devices recompile.

    ``accurate``: compile (and call) with inductor's vectorised CPU ``expm1`` and ``erf`` made
    accurate (:func:`_accurate_inductor`), in an inductor cache of its own. ``False`` is plain
    ``torch.compile``.
    """
    code = fn.__code__.replace(co_name=name)
    if hasattr(code, "co_qualname"):  # Python >= 3.11
        code = code.replace(co_qualname=name)
    copy = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    if not accurate:
        return torch.compile(copy, dynamic=True, fullgraph=fullgraph)
    compiled = torch.compile(copy, dynamic=True, fullgraph=fullgraph,
                             options={"post_grad_custom_post_pass": _cache_salt()})

    def call(*args: Any) -> Any:
        with _accurate_inductor():  # compilation happens on a call: first, or for a new dtype
            return compiled(*args)

    call.__name__ = name
    return call


def _cache_salt() -> Any:
    """An identity post-grad pass whose only job is its ``uuid``: inductor's on-disk cache keys
    include it, so actlab's kernels never reuse a kernel compiled with the inexact ``expm1``/``erf``
    (same graph, same config otherwise) and nobody else reuses actlab's."""
    from torch._inductor.custom_graph_pass import CustomGraphPass

    class ActlabSalt(CustomGraphPass):
        def __call__(self, graph: torch.fx.graph.Graph) -> None:
            return None

        def uuid(self) -> str:  # changes whenever the generated code below changes
            return "actlab.fused: " + _CODEGEN + _vec_expm1("x") + _vec_erf("x") + _vec_sin("x")

    return ActlabSalt()


@contextlib.contextmanager
def _accurate_inductor() -> Iterator[None]:
    """Inductor's vectorised CPU ``expm1`` and float32 ``erf`` made accurate, and ``isnan``
    vectorised, while actlab compiles.

    Inductor (torch 2.13) generates, for vectorised CPU loops:

    * ``expm1(x)`` as ``x.exp() - 1`` "for a better performance": near 0 that cancels, 1.6e7
      ULP in float32 and 9e15 in float64, so every ELU-like activation's careful ``expm1`` tail
      goes wrong once compiled. ATen's ``Vectorized<T>::expm1`` (SLEEF, 1 ULP) is used instead.
    * ``isnan`` and ``isinf`` in a scalar loop (no vectorised versions): ``x != x`` and
      ``|x| == inf`` instead, exact.
    * float32 ``sin``/``cos`` as ``Vectorized<float>::sin/cos``, SLEEF's 3.5-ULP variants
      (measured: 1.9 ULP on [-2, 2], where eager ``torch.sin`` has 0.6); Snake's and CosId's
      f' = (sin + cos)² doubles that to 4.5 ULP, past the 4-ULP bound. SLEEF's 1-ULP variants
      (``Sleef_sinf16_u10``, ``Sleef_sinf8_u10``) are used on AVX-512 and AVX2 instead.
    * ``erf(x)`` as ``Vectorized<float>::erf``, Abramowitz & Stegun 7.1.26: absolute error
      1.5e-7, so relative error unbounded near 0 (erf(2e-9) returns 0; SERF's forward is 8e5 ULP
      off). Here: ``2x/√π · Σ (-x²)^k / (k!(2k+1))`` (k <= 6, truncation < 0.5 ULP) for
      |x| < 1/2, ``sign(x)(1 - erfc|x|)`` (SLEEF erfc, no cancellation as erf >= 0.52) beyond.
      Double precision keeps SLEEF's erf, which is accurate.

    Inside this block inductor is pointed at these; outside it (torch.compile called by anyone
    else) inductor is left as it is. ``actlab bench kernels --calibrate`` measures actlab's
    kernels against the mpmath oracle and routes none that miss the ULP bounds.
    """
    try:
        from torch._inductor.codegen.cpp import CppVecOverrides
    except ImportError:  # pragma: no cover - a torch without inductor's C++ backend
        yield
        return
    mine = {"expm1": _vec_expm1, "erf": _vec_erf, "isnan": _vec_isnan, "isinf": _vec_isinf,
            "sin": _vec_sin, "cos": _vec_cos}
    originals = {k: CppVecOverrides.__dict__.get(k) for k in mine}
    for k, fn in mine.items():
        setattr(CppVecOverrides, k, staticmethod(fn))
    try:
        yield
    finally:
        for k, v in originals.items():
            if v is None:
                delattr(CppVecOverrides, k)
            else:
                setattr(CppVecOverrides, k, v)


# The generated code changes with this; it is part of the inductor cache key of actlab's kernels.
_CODEGEN = ("expm1: x.expm1(); erf: series below 1/2, 1 - erfc above; isnan: x != x; "
            "isinf: |x| == inf; sin/cos: SLEEF u10; v5")


def _vec_expm1(x: Any) -> str:
    return f"{x}.expm1()"


def _vec_isnan(x: Any) -> str:
    # Inductor has no vectorised isnan: it spills each vector to memory and loops over std::isnan
    # (a third of the time of ReLU's backward, whose f' keeps NaN as NaN). x != x is true exactly
    # for NaN (compiled with -fno-finite-math-only; the vector compare is unordered-or-unequal).
    from torch._inductor.virtualized import V

    return f"{V.kernel._get_mask_type(x.dtype)}({x} != {x})"


def _vec_isinf(x: Any) -> str:
    # Inductor has no vectorised isinf either (the same spill-and-loop as isnan, which made
    # sinc's forward 3x slower than sin's): |x| == inf is exact.
    from torch._inductor.virtualized import V

    return f"{V.kernel._get_mask_type(x.dtype)}({x}.abs() == decltype({x})(INFINITY))"


_ERF_TAYLOR = [(-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(7)]


def _vec_erf(x: Any) -> str:
    # One Vectorized<float> at a time: inductor also hands over VectorizedN<float, N> (e.g. for
    # bfloat16 loads), whose .erf() is the same approximation lane-group by lane-group.
    horner = "W(0)"
    for c in reversed(_ERF_TAYLOR):
        horner = f"(W({c!r}) + z * {horner})"
    one = (
        "[](auto v) { using W = decltype(v); auto a = v.abs(); auto z = v * v; "
        f"auto small = W({2 / math.sqrt(math.pi)!r}) * v * {horner}; "
        "auto big = W(1) - a.erfc(); big = W::blendv(big, W(0) - big, v < W(0)); "
        "return W::blendv(big, small, a < W(0.5)); }"
    )
    return _per_float_vector(one, "x_.erf()", x)


def _vec_trig(op: str) -> Callable[[Any], str]:
    # Float lanes only: Vectorized<double>::sin/cos already use SLEEF's 1-ULP versions. Any
    # other vector width (NEON, the scalar fallback) keeps inductor's choice.
    def gen(x: Any) -> str:
        one = (
            "[](auto v) { using W = decltype(v); "
            f"if constexpr (W::size() == 16) {{ return W(Sleef_{op}f16_u10(v)); }} "
            f"else if constexpr (W::size() == 8) {{ return W(Sleef_{op}f8_u10(v)); }} "
            f"else {{ return v.{op}(); }} }}"
        )
        return _per_float_vector(one, f"x_.{op}()", x)

    gen.__name__ = op
    return gen


def _per_float_vector(one: str, otherwise: str, x: Any) -> str:
    """C++ applying the generic lambda ``one`` to each ``Vectorized<float>`` of ``x`` (a
    ``Vectorized<float>`` or ``VectorizedN<float, N>``); ``otherwise`` for other types."""
    return (
        # a generic lambda, so that `if constexpr` discards the branches for the other types
        f"[&](auto x_) {{ using V = decltype(x_); auto one = {one}; "
        "if constexpr (std::is_same_v<V, at::vec::Vectorized<float>>) { return one(x_); } "
        "else if constexpr (std::is_same_v<typename V::value_type, float>) { V r; "
        "for (int i = 0; i < int(V::size() / at::vec::Vectorized<float>::size()); ++i) "
        "{ r[i] = one(x_[i]); } return r; } "
        f"else {{ return {otherwise}; }} }}({x})"
    )


_vec_sin, _vec_cos = _vec_trig("sin"), _vec_trig("cos")

for _fn, _op in ((_vec_expm1, "expm1"), (_vec_erf, "erf"), (_vec_isnan, "isnan"), (_vec_isinf, "isinf")):
    _fn.__name__ = _op  # inductor falls back to the scalar op of this name for scalar operands
