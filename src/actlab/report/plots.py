"""Plots of activations and their derivatives, from the specs (never re-typed formulas).

Every curve is ``actlab.get(name).forward`` / ``.derivative`` / ``.second_derivative`` on float64
points. The x range is cut at the spec's kinks and each piece evaluated on its own, so a jump
of f′ (ReLU at 0) is drawn as a jump, not as a steep line; kinks are marked with a dotted
vertical line and an open circle on f. Gated activations (GLU family, ``a ⊗ g(b)``) and CReLU
(``[f(x), f(-x)]``) are not functions of one x: their gate/base function g is drawn, titled as
such. Stochastic ones (RReLU) are drawn in their eval form (mean slope).

    >>> from actlab.report import plots
    >>> fig = plots.plot(["mish"])                        # f, f′, f″ overlaid on one axes
    >>> plots.save(fig, "mish.svg")                       # PNG/SVG/PDF by extension

Matplotlib is imported inside the functions (``import actlab`` stays light) with the Agg backend.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DEFAULT_RANGE", "FORMATS", "ORDER_LABELS", "ORDER_STYLES", "PALETTE", "Curves", "color_of",
           "curves", "gallery", "math_png", "mathtext", "parse_orders", "plot", "png_bytes", "save"]

ORDER_LABELS = {0: "f(x)", 1: "f′(x)", 2: "f″(x)"}
# One colour per activation across the whole report (Okabe-Ito, then tab10's others): an
# activation's colour is fixed by its place in the catalog, not by its place in one figure.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8c564b", "#000000",
           "#7f7f7f", "#bcbd22", "#9467bd", "#17becf", "#F0E442", "#e377c2")


def color_of(name: str) -> str:
    """The report's colour for activation ``name`` (an arm like "relu+bn" takes a colour of its own)."""
    import zlib

    try:
        import actlab

        i = actlab.names().index(name)
    except (ValueError, ImportError):
        i = zlib.crc32(name.encode("utf-8"))
    return PALETTE[i % len(PALETTE)]


ORDER_STYLES = {0: {"ls": "-", "lw": 2.0, "color": "C0"},
                1: {"ls": "--", "lw": 1.6, "color": "C1"},
                2: {"ls": ":", "lw": 1.6, "color": "C2"}}
FORMATS = (".png", ".svg", ".pdf")
DEFAULT_RANGE = (-5.0, 5.0)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ------------------------------------------------------------------------------------- data
@dataclass
class Curves:
    """f and its derivatives of one activation on ``x`` (NaN-separated pieces between kinks)."""

    name: str
    title: str  # what is drawn: "mish", "elu (alpha=0.5)", "geglu: gate g = gelu"
    drawn: str  # the elementwise function drawn (the gate for gated activations)
    x: np.ndarray
    y: dict[int, np.ndarray]
    kinks: list[float]
    f_at_kinks: list[float]
    params: dict[str, float] = field(default_factory=dict)


def parse_orders(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"0,1,2"`` -> ``(0, 1, 2)``; ``ValueError`` unless every order is 0, 1 or 2."""
    items = text.split(",") if isinstance(text, str) else list(text)
    try:
        orders = tuple(int(str(o).strip()) for o in items if str(o).strip())
    except ValueError:
        raise ValueError(f"--order expects derivative orders 0, 1, 2 separated by commas, e.g. "
                         f"--order 0,1; got {text!r}") from None
    if not orders or any(o not in ORDER_LABELS for o in orders):
        raise ValueError(f"--order: orders must be 0 (f), 1 (f′) or 2 (f″), e.g. --order 0,1; got {text!r}")
    return tuple(dict.fromkeys(orders))


def _check_range(xrange: Sequence[float]) -> tuple[float, float]:
    a, b = (float(v) for v in xrange)
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ValueError(f"--range expects two finite numbers A < B, e.g. --range -4 4; got {a:g} {b:g}")
    return a, b


def _target(name: str, params: Mapping[str, float]) -> tuple[Any, str, str, dict[str, float]]:
    """(the elementwise Activation to draw, title, its name, the parameters used)."""
    import actlab
    from actlab.composite import CompositeSpec, GatedSpec, RandomizedSpec

    spec = actlab.get_spec(name)
    if isinstance(spec, CompositeSpec):
        if params:
            raise ValueError(f"{spec.name} is {spec.kind}; its plot shows its gate {spec.base.name}, "
                             f"which takes no --param here (got {', '.join(params)})")
        act = actlab.get(spec.base.name)
        what = "gate" if isinstance(spec, GatedSpec) else "base function"
        return act, f"{spec.name}: {what} g = {act.spec.name}", act.spec.name, {}
    act = actlab.get(spec.name, **params)
    shown = {k: v for k, v in act.params.items() if k in params}
    title = spec.name + (f" ({', '.join(f'{k}={v:g}' for k, v in shown.items())})" if shown else "")
    if isinstance(spec, RandomizedSpec):
        title += " (eval form)"
    return act, title, spec.name, dict(act.params)


def curves(name: str, orders: Sequence[int] = (0, 1, 2), xrange: Sequence[float] = DEFAULT_RANGE,
           params: Mapping[str, float] | None = None, n: int = 801) -> Curves:
    """Evaluate f, f′, f″ (the chosen ``orders``) of ``name`` on ``xrange``, piece by piece
    between kinks; pieces are separated by NaN so plotted lines break at a jump."""
    import torch

    a, b = _check_range(xrange)
    orders = parse_orders(orders)
    act, title, drawn, used = _target(name, dict(params or {}))
    kinks = sorted(k for k in act.spec.kinks(**act.params) if a < k < b)
    edges = [a, *kinks, b]
    gap = 1e-9 * (b - a)  # stop just short of a kink: the one-sided limits are what is drawn
    pieces = []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        m = max(24, int(n * (hi - lo) / (b - a)))
        pieces.append(np.linspace(lo + (gap if i > 0 else 0.0), hi - (gap if i < len(kinks) else 0.0), m))
    xs = np.concatenate([np.append(p, np.nan) for p in pieces])[:-1]
    finite = np.isfinite(xs)
    t = torch.tensor(xs[finite], dtype=torch.float64)
    fns = {0: act.forward, 1: act.derivative, 2: act.second_derivative}
    ys = {}
    for o in orders:
        y = np.full_like(xs, np.nan)
        y[finite] = fns[o](t).detach().numpy()
        ys[o] = y
    fk = act.forward(torch.tensor(kinks, dtype=torch.float64)).numpy().tolist() if kinks else []
    return Curves(name, title, drawn, xs, ys, kinks, fk, used)


def _names_params(names: Sequence[str], params: Mapping[str, float] | None) -> list[dict[str, float]]:
    """Per name, the ``params`` it takes; ``ValueError`` if one of them belongs to none."""
    import actlab

    params = dict(params or {})
    taken = [{k: v for k, v in params.items() if k in actlab.get_spec(n).param_names} for n in names]
    unused = set(params) - {k for t in taken for k in t}
    if unused:
        known = sorted({p for n in names for p in actlab.get_spec(n).param_names})
        raise ValueError(f"--param {', '.join(sorted(unused))}: none of {', '.join(names)} has it; "
                         f"they take: {', '.join(known) or 'no parameters'}")
    return taken


# ------------------------------------------------------------------------------------ drawing
def _ylim(arrays: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """Limits that show the curves' shape: the full extent unless a few points (a pole, an
    exponential tail) stretch it far beyond the bulk, then the 1st-99th percentile plus margin."""
    vals = np.concatenate([v[np.isfinite(v)] for v in arrays]) if arrays else np.array([])
    if vals.size == 0:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    rlo, rhi = (float(v) for v in np.percentile(vals, [1, 99]))
    if hi - lo > 6 * max(rhi - rlo, 1e-12):
        lo, hi = rlo, rhi
    pad = 0.06 * max(hi - lo, 1e-3)
    return lo - pad, hi + pad


def _draw(ax: Any, c: Curves, orders: Sequence[int], *, small: bool = False, color: str | None = None,
          label_prefix: str = "", kink_label: bool = True) -> None:
    for o in orders:
        style: dict[str, Any] = dict(ORDER_STYLES[o])
        if color is not None:  # one colour per activation, one panel per order: solid lines
            style.update(color=color, ls="-", lw=1.8)
        if small:
            style["lw"] *= 0.7
        ax.plot(c.x, c.y[o], label=f"{label_prefix}{ORDER_LABELS[o]}", **style)
    for i, k in enumerate(c.kinks):
        ax.axvline(k, color="0.45", ls=(0, (1, 2)), lw=0.9,
                   label="kink" if (i == 0 and kink_label) else None)
    if 0 in orders and c.kinks:
        ax.plot(c.kinks, c.f_at_kinks, "o", mfc="white", mec=color or ORDER_STYLES[0]["color"],
                ms=3.5 if small else 5, zorder=5)
    ax.axhline(0, color="0.7", lw=0.6, zorder=0)
    ax.axvline(0, color="0.7", lw=0.6, zorder=0)
    ax.grid(True, alpha=0.3)
    lim = _ylim([c.y[o] for o in orders])
    if lim:
        ax.set_ylim(*lim)
    ax.set_xlim(np.nanmin(c.x), np.nanmax(c.x))


def plot(names: Sequence[str], orders: Sequence[int] = (0, 1, 2), xrange: Sequence[float] = DEFAULT_RANGE,
         params: Mapping[str, float] | None = None, *, layout: str = "auto",
         figsize: tuple[float, float] | None = None) -> Any:
    """A figure of f, f′, f″ for ``names``.

    ``layout="overlay"`` (the default for one activation): one axes, f solid, f′ dashed, f″
    dotted. ``layout="panels"`` (the default for several): one panel per order sharing the x
    axis, one colour per activation. ``params`` go to every activation that has them.
    """
    names = list(names)
    if not names:
        raise ValueError("give at least one activation name, e.g. `actlab plot mish`")
    orders = parse_orders(orders)
    if layout == "auto":
        layout = "overlay" if len(names) == 1 else "panels"
    if layout not in ("overlay", "panels"):
        raise ValueError(f"layout must be 'overlay' or 'panels', got {layout!r}")
    per_name = _names_params(names, params)
    data = [curves(n, orders, xrange, p) for n, p in zip(names, per_name)]
    plt = _plt()
    if layout == "overlay":
        fig, axes = plt.subplots(1, len(data), figsize=figsize or (6.4 * len(data), 4.2), squeeze=False)
        for ax, c in zip(axes[0], data):
            _draw(ax, c, orders)
            ax.set_title(c.title)
            ax.set_xlabel("x")
            ax.set_ylabel("value")
            ax.legend(fontsize=9, loc="best")
    else:
        fig, axes = plt.subplots(1, len(orders), figsize=figsize or (4.6 * len(orders), 4.0),
                                 sharex=True, squeeze=False)
        for ax, o in zip(axes[0], orders):
            for c in data:
                _draw(ax, c, [o], color=color_of(c.name), label_prefix=f"{c.title}: ", kink_label=False)
            ax.set_title(ORDER_LABELS[o])
            ax.set_xlabel("x")
            lim = _ylim([c.y[o] for c in data])
            if lim:
                ax.set_ylim(*lim)
        # one legend: activation -> colour (solid lines of the first panel)
        handles = [plt.Line2D([], [], color=color_of(c.name), lw=2, label=c.title) for c in data]
        if any(c.kinks for c in data):
            handles.append(plt.Line2D([], [], color="0.45", ls=(0, (1, 2)), label="kink"))
        axes[0][0].legend(handles=handles, fontsize=8, loc="best")
        axes[0][0].set_ylabel("value")
    fig.tight_layout()
    return fig


def gallery(names: Sequence[str] | None = None, orders: Sequence[int] = (0, 1, 2),
            xrange: Sequence[float] = DEFAULT_RANGE, ncols: int = 8, progress: Any = None) -> Any:
    """Small multiples of the whole catalog (or ``names``): one small axes per activation with
    f, f′, f″ overlaid, gated/concatenated ones showing their gate; one legend on top."""
    import actlab

    names = list(names) if names else actlab.names()
    orders = parse_orders(orders)
    plt = _plt()
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 1.95 * nrows + 0.6), squeeze=False)
    for ax, name in zip(axes.flat, names):
        c = curves(name, orders, xrange, n=301)
        _draw(ax, c, orders, small=True)
        ax.set_title(c.title, fontsize=11)
        ax.tick_params(labelsize=9, length=2)
        ax.set_xlabel("x", fontsize=9, labelpad=1)
        if progress is not None:
            progress(name)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    handles = [plt.Line2D([], [], label=ORDER_LABELS[o], **ORDER_STYLES[o]) for o in orders]
    handles.append(plt.Line2D([], [], color="0.45", ls=(0, (1, 2)), label="kink"))
    a, b = _check_range(xrange)
    height = fig.get_figheight()
    fig.suptitle(f"actlab catalog: {len(names)} activations on [{a:g}, {b:g}]", y=1.0 - 0.08 / height,
                 fontsize=13, va="top")
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0 - 0.38 / height),
               ncol=len(handles), fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / height))
    return fig


# ---------------------------------------------------------------------------------------- I/O
def save(fig: Any, path: str | Path, dpi: int = 150, close: bool = True) -> Path:
    """Save ``fig`` as PNG, SVG or PDF (chosen by the extension of ``path``)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"--out must end in .png, .svg or .pdf; got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata=_metadata(path.suffix.lower()))
    if close:
        _plt().close(fig)
    return path


def _metadata(suffix: str) -> dict[str, Any]:
    # no date in SVG/PDF: the same figure gives the same bytes
    return {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(suffix, {})


def png_bytes(fig: Any, dpi: int = 100, close: bool = True, colors: int = 128) -> bytes:
    """``fig`` as PNG bytes for embedding; quantised to a ``colors`` palette (a line plot needs
    few colours, and the file is ~3x smaller) unless ``colors`` is 0."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if close:
        _plt().close(fig)
    data = buf.getvalue()
    if colors:
        from PIL import Image

        img = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE)
        small = io.BytesIO()
        img.save(small, format="png", optimize=True)
        if small.tell() < len(data):
            data = small.getvalue()
    return data


# ------------------------------------------------------------------------------------ formulas
def mathtext(tex: str) -> str:
    """LaTeX of a spec's formula rewritten into what matplotlib's mathtext understands
    (\\operatorname, \\tfrac, \\text); ``cases`` environments are laid out by the caller."""
    import re

    out = re.sub(r"\\operatorname\{([^}]*)\}", r"\\mathrm{\1}", tex)
    out = re.sub(r"\\(le|ge)(?![a-zA-Z])", r"\\\1q", out)  # mathtext knows \leq, not \le
    out = re.sub(r"\\[td]?frac", r"\\dfrac", out)  # display-size fractions: \frac is tiny inline
    # a thin space between a factor and an operator name, as LaTeX sets "x \tanh(x)"
    out = re.sub(r"([A-Za-z0-9)}])\s+\\(tanh|log|sin|cos|exp|max|min|arctan|sinh|cosh|mathrm)(?![A-Za-z])",
                 r"\1\\,\\\2", out)
    out = re.sub(r"\\text\{([^}]*)\}", lambda m: r"\mathrm{" + m.group(1).replace(" ", r"\ ") + "}", out)
    return out


def math_png(tex: str, fontsize: float = 11.0, dpi: int = 130) -> bytes | None:
    """``tex`` (math mode, no ``$``) rendered by mathtext as PNG bytes, or None if mathtext
    cannot parse it (the caller then shows the LaTeX source)."""
    from matplotlib import mathtext as mt
    from matplotlib.font_manager import FontProperties

    buf = io.BytesIO()
    try:
        mt.math_to_image(f"${mathtext(tex)}$", buf, prop=FontProperties(size=fontsize), dpi=dpi,
                         format="png")
    except ValueError:  # mathtext's ParseFatalException is a ValueError
        return None
    return buf.getvalue()
