"""PAU's initial coefficients: actlab's own least-squares fit of ``P(x) / (1 + |Σ b_k x^k|)`` to
catalog activations, evaluated by the oracle (:mod:`actlab.numerics.reference`), shipped as data
(``actlab/pau/coefficients.json``).

Reproduce (or check) the shipped file::

    python -m actlab.pau            # fit every target, print the errors, compare with the file
    python -m actlab.pau --write    # and rewrite actlab/pau/coefficients.json

The fit: degrees (5, 4) as in the paper, on ``POINTS`` evenly spaced points of [-3, 3] (the
paper's interval); the target values are the oracle's (mpmath, correctly rounded). It starts
from the linearised problem ``P(x) − f(x)·A(x) = f(x)`` (weighted least squares, the
denominator then 1 + A) and refines the absolute-value form with Levenberg–Marquardt
(``scipy.optimize.least_squares``), from that start and from the start with every b_k negated,
keeping the better; the reported errors are on a 4× finer grid than the fit's.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DATA", "DEGREES", "INTERVAL", "POINTS", "TARGETS", "coefficients", "fit", "fit_all", "main"]

DATA = Path(__file__).with_name("coefficients.json")
#: target name -> (catalog activation, its parameters)
TARGETS: dict[str, tuple[str, dict[str, float]]] = {
    "relu": ("relu", {}),
    "leaky_relu": ("leaky_relu", {"negative_slope": 0.01}),
    "gelu": ("gelu", {}),
    "swish": ("swish", {"beta": 1.0}),
    "tanh": ("tanh", {}),
    "sigmoid": ("sigmoid", {}),
}
DEGREES = (5, 4)
INTERVAL = (-3.0, 3.0)
POINTS = 1001


@cache
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text())


def coefficients(target: str = "leaky_relu") -> tuple[list[float], list[float]]:
    """The shipped (numerator a_0..a_m, denominator b_1..b_n) approximating ``target``."""
    targets = _data()["targets"]
    if target not in targets:
        raise ValueError(f"PAU has no fitted coefficients for '{target}'; fitted targets: "
                         f"{', '.join(sorted(targets))}")
    entry = targets[target]
    return list(entry["numerator"]), list(entry["denominator"])


def _oracle(name: str, params: dict[str, float], xs: np.ndarray) -> np.ndarray:
    from ..numerics import reference

    return reference.evaluate(name, "f", xs, params)[:, 0]


def _value(c: np.ndarray, xs: np.ndarray, m: int) -> np.ndarray:
    num, den = c[: m + 1], c[m + 1:]
    p = np.polyval(num[::-1], xs)
    a = np.polyval(np.concatenate([den[::-1], [0.0]]), xs)
    return p / (1 + np.abs(a))


def fit(target: str, degrees: tuple[int, int] = DEGREES, interval: tuple[float, float] = INTERVAL,
        points: int = POINTS) -> dict[str, Any]:
    """Fit PAU of ``degrees`` = (m, n) to ``target`` (a key of :data:`TARGETS`) on ``interval``."""
    from scipy.optimize import least_squares

    name, params = TARGETS[target]
    m, n = degrees
    xs = np.linspace(*interval, points)
    f = _oracle(name, params, xs)
    # linearised start: P(x) - f(x) (b_1 x + ... + b_n x^n) = f(x)
    design = np.hstack([xs[:, None] ** np.arange(m + 1), -f[:, None] * xs[:, None] ** np.arange(1, n + 1)])
    start, *_ = np.linalg.lstsq(design, f, rcond=None)
    best = None
    for s in (start, np.concatenate([start[: m + 1], -start[m + 1:]])):
        r = least_squares(lambda c: _value(c, xs, m) - f, s, method="lm", xtol=1e-15, ftol=1e-15,
                          gtol=1e-15, max_nfev=20000)
        if best is None or r.cost < best.cost:
            best = r
    assert best is not None
    fine = np.linspace(*interval, 4 * points - 3)
    err = _value(best.x, fine, m) - _oracle(name, params, fine)
    return {
        "activation": name, "params": params,
        "numerator": [float(v) for v in best.x[: m + 1]],
        "denominator": [float(v) for v in best.x[m + 1:]],
        "max_abs_error": float(np.abs(err).max()),
        "rms_error": float(np.sqrt(np.mean(err ** 2))),
    }


def fit_all() -> dict[str, Any]:
    """The whole data file: every target of :data:`TARGETS`, and how it was made."""
    return {
        "form": "P(x) / (1 + |b_1 x + ... + b_n x^n|), P(x) = a_0 + a_1 x + ... + a_m x^m",
        "degrees": list(DEGREES), "interval": list(INTERVAL), "points": POINTS,
        "reference": "actlab.numerics.reference (mpmath oracle of each catalog entry)",
        "reproduce": "python -m actlab.pau --write",
        "targets": {t: fit(t) for t in TARGETS},
    }


def main(argv: list[str] | None = None) -> int:
    """Fit, print the errors; ``--write`` rewrites the data file, otherwise compare with it."""
    args = sys.argv[1:] if argv is None else argv
    data = fit_all()
    for t, e in data["targets"].items():
        print(f"{t:>11}: max |error| {e['max_abs_error']:.3e}, rms {e['rms_error']:.3e} on "
              f"[{INTERVAL[0]:g}, {INTERVAL[1]:g}]")
    if "--write" in args:
        DATA.write_text(json.dumps(data, indent=1) + "\n")
        print(f"written: {DATA}")
        return 0
    shipped = json.loads(DATA.read_text()) if DATA.exists() else {}
    same = all(np.allclose(data["targets"][t][k], shipped.get("targets", {}).get(t, {}).get(k, []),
                           rtol=1e-6, atol=1e-9) for t in TARGETS for k in ("numerator", "denominator"))
    print("shipped coefficients reproduced" if same else "shipped coefficients differ (run with --write)")
    return 0 if same else 1
