"""Figures of :mod:`actlab.analysis.meanfield`: the order-to-chaos phase diagram."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import pyplot, save

__all__ = ["plot_phase_diagram", "report_figures"]


def plot_phase_diagram(data: dict[str, Any], path: str | Path,
                       formats: Sequence[str] = ("png",)) -> list[Path]:
    """Save the phase diagram of :func:`actlab.analysis.meanfield.phase_diagram` data: log χ₁ of
    the first activation as a colour map (ordered: χ₁ < 1, chaotic: χ₁ > 1) and every
    activation's edge-of-chaos curve."""
    plt = pyplot()
    from matplotlib import patheffects
    from matplotlib.colors import TwoSlopeNorm

    from ..plots import color_of

    sw, sb = np.array(data["sigma_w2"]), np.array(data["sigma_b2"])
    acts = data["activations"]
    first = next(iter(acts))
    fig, ax = plt.subplots(figsize=(7, 5))
    logchi = np.log10(np.clip(np.array(acts[first]["chi1"]), 1e-12, None))
    span = max(float(np.nanmax(np.abs(logchi[np.isfinite(logchi)]))), 1e-3)
    mesh = ax.pcolormesh(sw, sb, logchi, cmap="RdBu_r", shading="auto",
                         norm=TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span))
    fig.colorbar(mesh, ax=ax, label=f"log10 χ₁ ({first})")
    for name, d in acts.items():
        if d["edge"]:
            ax.plot([e["sigma_w2"] for e in d["edge"]], [e["sigma_b2"] for e in d["edge"]], lw=2,
                    color=color_of(name), label=f"edge of chaos: {name}",  # the report's colour
                    path_effects=[patheffects.withStroke(linewidth=3.5, foreground="white")])
    ax.text(0.03, 0.93, "ordered (χ₁ < 1)", transform=ax.transAxes, fontsize=10)
    ax.text(0.68, 0.05, "chaotic (χ₁ > 1)", transform=ax.transAxes, fontsize=10)
    ax.set_xlim(sw[0], sw[-1])
    ax.set_ylim(sb[0], sb[-1])
    ax.set_xlabel("weight variance σ_w²")
    ax.set_ylabel("bias variance σ_b²")
    ax.set_title("Order-to-chaos phase diagram (mean-field, Poole et al. 2016)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return save(fig, path, formats)


def report_figures(data: dict[str, Any], outdir: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """The report section's figure from its data: the phase diagram (``data["phase"]``)."""
    return plot_phase_diagram(data["phase"], Path(outdir) / "meanfield_phase", formats)
