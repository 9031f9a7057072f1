"""Figures of :mod:`actlab.bench.kernels`: time per call against size, per activation and dtype."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from . import pyplot

__all__ = ["LABELS", "MARKERS", "STYLE", "plot"]

# actlab's own line takes the activation's colour in the report (``plots.color_of``, None here);
# the comparisons are greys told apart by dash and marker, so no colour means two things
STYLE = {"native": ("0.15", "--"), "naive": ("0.45", "-."), "compiled": ("0.6", "-"), "actlab": (None, "-"),
         "copy": ("0.3", ":"), "alloc": ("0.75", ":")}
MARKERS = {"native": "s", "naive": "^", "compiled": "v", "actlab": "o"}
LABELS = {"naive": "naive eager", "compiled": "torch.compile(naive)", "copy": "floor: copy",
          "alloc": "floor: alloc+copy"}


def plot(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str], direction: str = "fwd+bwd") -> str:
    """Time per call vs size, log-log, one panel per (activation, dtype) of the rows of
    :func:`actlab.bench.kernels.run`; saved to ``path``, which is returned."""
    plt = pyplot()
    from ..plots import color_of

    panels: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["direction"] == direction:
            panels.setdefault((r["activation"], r["dtype"]), []).append(r)
    if not panels:
        raise ValueError("no rows to plot")
    cols = min(4, len(panels))
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    for ax, ((name, dtype), rs) in zip(axes.flat, panels.items()):
        for impl, (color, ls) in STYLE.items():
            pts = sorted((r["size"], r["time_s"]) for r in rs if r["impl"] == impl)
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] * 1e3 for p in pts], ls, color=color or color_of(name),
                    marker=MARKERS.get(impl), markersize=3, label=LABELS.get(impl, impl),
                    linewidth=2.2 if impl == "actlab" else 1.2)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"{name} ({dtype}, {direction})", fontsize=10, color=color_of(name))
        ax.set_xlabel("elements")
        ax.set_ylabel("time per call (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
