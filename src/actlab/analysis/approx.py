r"""The universal-approximation demo: one hidden layer of width N, error against N.

Leshno, Lin, Pinkus & Schocken (1993), Multilayer feedforward networks with a nonpolynomial
activation function can approximate any function, Neural Networks 6(6): the functions

.. math::
    g(x) = b_0 + \sum_{j=1}^{N} a_j\,\varphi(w_j x + b_j)

are dense in C([-1, 1]) as N grows **iff** φ (continuous) is not a polynomial. If φ is a
polynomial of degree d, every g is a polynomial of degree <= d whatever N is, so the error of the
best fit stops at the error of the best degree-d polynomial: the curve plateaus.

The fit is made well posed and fast with random features: the hidden weights are drawn once,
:math:`w_j \sim \mathcal N(0, s^2)` with s = 6 and :math:`b_j = -w_j c_j`,
:math:`c_j \sim U(-1, 1)` (so unit j bends at :math:`x = c_j`, inside the data), and only the
output layer :math:`(b_0, a)` is fitted, by linear least squares (each feature column scaled to
unit RMS first; SVD-based minimum-norm solution, so the linearly dependent columns of a
polynomial φ once N > d do no harm). The error is the RMS error on 4001 test points of
[-1, 1] (training: 1024 other points), the median over ``seeds`` draws of the hidden layer.

For a polynomial φ of degree d the plateau is predicted independently: the RMS error of the
least-squares degree-d polynomial fit of the target (NumPy ``Polynomial.fit``), drawn as a
reference line by :mod:`actlab.report.figures.approx` (this module returns data and draws
nothing). The degree itself comes from :mod:`actlab.analysis.properties` (SymPy).

    >>> from actlab.analysis import approx
    >>> r = approx.run(["cube", "relu"], targets=["sin"], widths=[8, 256], seeds=3)
    >>> r.errors["cube"]["sin"][1] / r.errors["cube"]["sin"][0]   # plateau: ~1
    1.0...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_ACTIVATIONS",
    "DEFAULT_WIDTHS",
    "SCALE",
    "TARGETS",
    "ApproxResult",
    "best_polynomial_error",
    "degree_of",
    "features",
    "fit_errors",
    "one_thread",
    "run"
]

TARGETS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "sin": ("sin(2πx)", lambda x: np.sin(2 * np.pi * x)),
    "abs": ("|x|", np.abs),
    "step": ("step 1[x > 0]", lambda x: (x > 0).astype(np.float64)),
}
DEFAULT_ACTIVATIONS = ("identity", "square", "cube", "relu", "tanh", "gelu", "sin", "sigmoid")
DEFAULT_WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)
SCALE = 6.0  # std of the hidden weights: on [-1, 1] each unit's non-linear part is in view
N_TRAIN, N_TEST = 1024, 4001


@dataclass
class ApproxResult:
    """Errors of one-hidden-layer fits: ``errors[activation][target][i]`` at ``widths[i]``."""

    activations: list[str]
    targets: list[str]
    widths: list[int]
    seeds: int
    errors: dict[str, dict[str, list[float]]]
    degree: dict[str, int | None]  # polynomial degree of each activation, None if not a polynomial
    best_polynomial: dict[str, dict[str, float]] = field(default_factory=dict)  # [activation][target]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[dict[str, Any]]:
        """One row per (activation, target): the error at each width, the improvement from
        width 8 (or the smallest) to the largest, and the polynomial plateau where there is one."""
        rows = []
        start = self.widths.index(8) if 8 in self.widths else 0
        for a in self.activations:
            for t in self.targets:
                e = self.errors[a][t]
                row: dict[str, Any] = {"activation": a, "target": t, "label": TARGETS[t][0],
                                       "polynomial": self.degree[a] is not None, "degree": self.degree[a]}
                row.update({f"N={w}": v for w, v in zip(self.widths, e)})
                row["improvement"] = e[start] / e[-1] if e[-1] > 0 else float("inf")
                row["best_polynomial"] = self.best_polynomial.get(a, {}).get(t)
                rows.append(row)
        return rows


def _check(activations: Sequence[str], targets: Sequence[str], widths: Sequence[int],
           seeds: int) -> list[str]:
    import actlab

    names = []
    for a in activations:
        spec = actlab.get_spec(a)
        if spec.kind not in ("elementwise", "stochastic"):
            raise ValueError(f"approx needs elementwise activations; {spec.name} is {spec.kind} "
                             f"(try its gate {spec.base_name})")
        names.append(spec.name)
    for t in targets:
        if t not in TARGETS:
            raise ValueError(f"unknown target {t!r}; choose from {', '.join(TARGETS)}")
    if not widths or any(int(w) < 1 for w in widths):
        raise ValueError(f"widths must be positive integers, e.g. 2,4,8,...,256; got {list(widths)}")
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    return names


def degree_of(name: str) -> int | None:
    """The polynomial degree of activation ``name`` (None if it is not a polynomial), as
    decided by :func:`actlab.analysis.properties.analyze`."""
    from .properties import analyze

    p = analyze(name, cost=False, taylor=False)
    return p.polynomial_degree if p.polynomial else None


def best_polynomial_error(target: str, degree: int) -> float:
    """RMS test error of the least-squares polynomial of ``degree`` fitted to ``target`` on the
    training points: what a degree-``degree`` polynomial network can reach at best."""
    from numpy.polynomial import Polynomial

    x_train, x_test = _grids()
    fn = TARGETS[target][1]
    p = Polynomial.fit(x_train, fn(x_train), degree)
    return float(np.sqrt(np.mean((p(x_test) - fn(x_test)) ** 2)))


def _grids() -> tuple[np.ndarray, np.ndarray]:
    # training points are the midpoints of a uniform grid: none coincides with a test point
    edges = np.linspace(-1.0, 1.0, N_TRAIN + 1)
    return (edges[:-1] + edges[1:]) / 2, np.linspace(-1.0, 1.0, N_TEST)


def features(name: str, x: np.ndarray, width: int, rng: np.random.Generator) -> np.ndarray:
    """φ(w_j (x - c_j)) for j = 1..width: the hidden layer, evaluated by the spec's forward."""
    import actlab

    w = rng.normal(0.0, SCALE, width)
    c = rng.uniform(-1.0, 1.0, width)
    return np.asarray(actlab.get(name).forward(w[None, :] * (x[:, None] - c[None, :])), dtype=np.float64)


def fit_errors(name: str, width: int, seed: int, targets: Sequence[str]) -> list[float]:
    """RMS test error of the least-squares output layer on random hidden features, per target."""
    rng = np.random.default_rng([seed, width])
    x_train, x_test = _grids()
    both = np.concatenate([x_train, x_test])
    h = features(name, both, width, rng)
    h_train, h_test = h[:N_TRAIN], h[N_TRAIN:]
    scale = np.sqrt(np.mean(h_train ** 2, axis=0))
    keep = np.isfinite(scale) & (scale > 0)
    a_train = np.column_stack([np.ones(N_TRAIN), h_train[:, keep] / scale[keep]])
    a_test = np.column_stack([np.ones(len(x_test)), h_test[:, keep] / scale[keep]])
    y_train = np.column_stack([TARGETS[t][1](x_train) for t in targets])
    y_test = np.column_stack([TARGETS[t][1](x_test) for t in targets])
    import torch

    coef = _lstsq(a_train, y_train)
    pred = (torch.from_numpy(a_test) @ torch.from_numpy(coef)).numpy()  # torch: one thread (see run)
    return np.sqrt(np.mean((pred - y_test) ** 2, axis=0)).tolist()


def _lstsq(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Minimum-norm least squares by SVD (LAPACK gelsd; singular values below eps·1024 of the
    largest are dropped, so dependent columns get no weight), in torch. (Pivoted QR, gelsy, is
    faster but truncates the ill-conditioned smooth features early: tanh's error on sin(2πx)
    then stalls near 1e-5 instead of reaching 1e-12.)"""
    import torch

    return torch.linalg.lstsq(torch.from_numpy(a), torch.from_numpy(y), driver="gelsd").solution.numpy()


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread inside the block: these are small problems, and on a shared machine
    several BLAS threads make a 1024 x 257 SVD solve ~15x slower, not faster."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run(activations: Sequence[str] = DEFAULT_ACTIVATIONS, targets: Sequence[str] = tuple(TARGETS),
        widths: Sequence[int] = DEFAULT_WIDTHS, seeds: int = 5,
        progress: Callable[[str], None] | None = None) -> ApproxResult:
    """Fit every target with every activation at every width (median over ``seeds`` draws of
    the hidden layer). ``progress(activation)`` is called after each activation."""
    names = _check(activations, targets, widths, seeds)
    targets, widths = list(targets), [int(w) for w in widths]
    errors: dict[str, dict[str, list[float]]] = {}
    degree: dict[str, int | None] = {}
    best: dict[str, dict[str, float]] = {}
    for name in names:
        degree[name] = degree_of(name)
        per_width = []
        with one_thread():
            for w in widths:
                runs = np.array([fit_errors(name, w, s, targets) for s in range(seeds)])
                per_width.append(np.median(runs, axis=0))
        errors[name] = {t: [float(e[i]) for e in per_width] for i, t in enumerate(targets)}
        if degree[name] is not None:
            best[name] = {t: best_polynomial_error(t, degree[name]) for t in targets}
        if progress is not None:
            progress(name)
    return ApproxResult(names, targets, widths, seeds, errors, degree, best)
