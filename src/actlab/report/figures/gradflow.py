"""Figures of :mod:`actlab.analysis.gradflow`: the gradient norm per layer of deep MLPs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...analysis.gradflow import GradFlow
from . import pyplot, save

__all__ = ["QUANTITIES", "plot", "report_figures"]

QUANTITIES = {"grad_norm": "‖∇W⁽ˡ⁾ L‖", "delta_norm": "‖δ⁽ˡ⁾‖ (RMS over batch)",
              "grad_norm_exact": "‖∇W⁽ˡ⁾ L‖ (float64)"}


def plot(results: Sequence[GradFlow | dict[str, Any]], path: str | Path, quantity: str = "grad_norm",
         formats: Sequence[str] = ("png",), title: str | None = None) -> list[Path]:
    """Per-layer gradient norm (log scale), one line per result (or its ``to_dict()``), saved as PNG/SVG.

    ``quantity``: grad_norm (‖∇W^(l)‖), delta_norm (‖δ^(l)‖) or grad_norm_exact. Layers whose
    gradient is exactly 0 (underflow) cannot sit on a log axis: they are marked with an × on
    the bottom edge.
    """
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    from ..plots import color_of

    flows = [r if isinstance(r, GradFlow) else GradFlow.from_dict(r) for r in results]
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be grad_norm, delta_norm or grad_norm_exact, got {quantity!r}")
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    positive = [getattr(r, quantity) for res in flows for r in res.layers
                if getattr(r, quantity) > 0 and math.isfinite(getattr(r, quantity))]
    floor = min(positive) / 10 if positive else 1e-30
    for res in flows:
        xs = [r.layer for r in res.layers]
        ys = np.array([getattr(r, quantity) for r in res.layers], dtype=np.float64)
        ok = (ys > 0) & np.isfinite(ys)
        theory = "" if res.chi1 is None else f", χ₁={res.chi1:.3g}"
        label = f"{res.activation} ({res.init}, {res.dtype}): G={res.growth:.3g}{theory}"
        line, = ax.plot(np.array(xs)[ok], ys[ok], marker="o", ms=3, label=label,
                        color=color_of(res.activation), ls="--" if res.dtype == "float16" else "-")
        if (~ok).any():
            ax.plot(np.array(xs)[~ok], np.full((~ok).sum(), floor), "x", color=line.get_color(), ms=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel("layer l (1 = input side, L = output)")
    ax.set_ylabel(QUANTITIES[quantity])
    if flows:
        r0 = flows[0]
        ax.set_title(title or f"Gradient flow: depth {r0.depth}, width {r0.width}, batch {r0.batch}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    return save(fig, path, formats)


def report_figures(data: dict[str, Any], outdir: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """The report section's figures from its data (``runs`` and ``half``: lists of
    ``GradFlow.to_dict()``): per-layer ‖∇W‖ in float32 and in float16 (underflowed layers ×)."""
    out = Path(outdir)
    files = plot(data["runs"], out / "gradflow_float32", formats=formats,
                 title="Gradient norm per layer, 20-layer MLP, Xavier init, float32")
    files += plot(data["half"], out / "gradflow_float16", formats=formats,
                  title="The same in float16: × marks layers whose gradient underflowed to 0")
    return files
