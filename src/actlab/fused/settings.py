"""The fused-kernel switches: the environment, and context managers that override it locally."""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

__all__ = ["MIN_NUMEL", "MODES", "Settings", "configured", "disabled", "forced", "settings"]

MIN_NUMEL = 2  # a compiled kernel call costs ~3 µs: it beats the eager composite from 2 elements on
MODES = ("auto", "off", "force")


@dataclass(frozen=True)
class Settings:
    """``mode``: "auto" (the measured routes; a fused kernel only once compiled, by
    :func:`actlab.compile_kernels`), "off" (plain spec path everywhere) or "force" (fuse every
    elementwise activation, compiling on first use: tests, calibration, benchmarks).
    ``min_numel``: the smallest tensor fused."""

    mode: str = "auto"
    min_numel: int = MIN_NUMEL


_getenv = os.environ.get
# Every activation call reads the two switches: os.environ.get costs ~2 µs a read (a 4K-element
# kernel costs ~5 µs); the mapping's own dict costs ~0.1 µs and sees every change made through
# os.environ (monkeypatch.setenv included), as os.environ.get does.
_RAW: dict | None = getattr(os.environ, "_data", None)
_KEYS = (("ACTLAB_FUSED", "ACTLAB_FUSED_MIN_NUMEL") if _RAW is None else
         tuple(os.environ.encodekey(k) for k in ("ACTLAB_FUSED", "ACTLAB_FUSED_MIN_NUMEL")))  # type: ignore[attr-defined]
_STATE: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("actlab_fused", default=None)
_BY_RAW: dict[tuple[object, object], Settings] = {}  # raw environment values -> settings
_ENV_MODES = {**dict.fromkeys(("", "1", "auto", "on", "true", "yes"), "auto"),
              **dict.fromkeys(("0", "off", "false", "no"), "off"), "force": "force"}


def _env_settings() -> Settings:
    source = os.environ if _RAW is None else _RAW
    raw = (source.get(_KEYS[0]), source.get(_KEYS[1]))
    found = _BY_RAW.get(raw)
    if found is None:  # parsed once per value; a bad value raises on every call
        found = _BY_RAW[raw] = _parse(_getenv("ACTLAB_FUSED"), _getenv("ACTLAB_FUSED_MIN_NUMEL"))
    return found


def _parse(raw: str | None, min_numel: str | None) -> Settings:
    word = (raw or "auto").strip().lower()
    if word not in _ENV_MODES:
        raise ValueError(f"ACTLAB_FUSED={raw!r} is not understood; use 0 (off), 1 (auto, the "
                         "default) or force")
    return Settings(_ENV_MODES[word], _env_int("ACTLAB_FUSED_MIN_NUMEL", min_numel, MIN_NUMEL))


def _env_int(var: str, raw: str | None, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not -1e18 < value < 1e18:  # NaN, inf and nonsense: say so, never an OverflowError
        raise ValueError(f"{var}={raw!r} is not a number of elements; set it to e.g. {default}")
    return max(0, int(value))


def settings() -> Settings:
    """The settings in force here: the innermost context manager's, else the environment's."""
    s = _STATE.get()
    return _env_settings() if s is None else s


@contextlib.contextmanager
def configured(mode: str | None = None, min_numel: int | None = None) -> Iterator[Settings]:
    """Override some settings inside a ``with`` block (thread- and task-local)."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"fused mode must be one of {MODES}, got {mode!r}")
    if min_numel is not None and (not isinstance(min_numel, int) or min_numel < 0):
        raise ValueError(f"fused min_numel must be a non-negative int, got {min_numel!r}")
    s = settings()
    new = replace(s, mode=mode or s.mode, min_numel=s.min_numel if min_numel is None else min_numel)
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
    elements or more, compiling where needed."""
    return configured(mode="force", min_numel=min_numel)
