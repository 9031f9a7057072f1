"""Figures of :mod:`actlab.analysis.selfnorm`: loss curves and per-layer statistics at init."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...analysis.selfnorm import SelfNormResult
from . import pyplot, save

__all__ = ["plot", "report_figures"]


def plot(result: SelfNormResult | dict[str, Any], path: str | Path,
         formats: Sequence[str] = ("png",)) -> list[Path]:
    """Three panels: training loss curves; per-layer post-activation mean and variance at init."""
    if isinstance(result, dict):
        result = SelfNormResult.from_dict(result)
    from ..plots import color_of

    plt = pyplot()

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for a in result.arms:
        steps = [c["step"] for c in a.curve]
        status = "diverged" if a.diverged else f"test acc {a.test_accuracy:.2f}"
        axes[0].plot(steps, [c["loss"] for c in a.curve], label=f"{a.arm} ({status})", color=color_of(a.arm))
        layers = [s.layer for s in a.init_stats]
        colour = color_of(a.arm)
        axes[1].plot(layers, [s.post_mean for s in a.init_stats], marker=".", label=a.arm, color=colour)
        axes[2].plot(layers, [s.post_var for s in a.init_stats], marker=".", label=a.arm, color=colour)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("training loss (cross-entropy)")
    axes[0].set_yscale("log")  # a diverging arm would flatten the others on a linear axis
    axes[0].set_title(f"{result.depth}-layer MLPs, width {result.width}, {result.optimizer} lr {result.lr:g}")
    axes[1].axhline(0.0, color="gray", lw=0.8, ls=":")
    axes[1].axhline(1 / math.sqrt(2 * math.pi), color="gray", lw=0.8, ls="--", label="half-normal mean")
    axes[1].set_xlabel("layer")
    axes[1].set_ylabel("mean of activations (at init)")
    axes[2].axhline(1.0, color="gray", lw=0.8, ls=":", label="SELU fixed point ν = 1")
    axes[2].axhline(0.5 - 1 / (2 * math.pi), color="gray", lw=0.8, ls="--", label="half-normal variance")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("layer")
    axes[2].set_ylabel("variance of activations (at init)")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9)
    axes[1].set_title("self-normalisation: mean per layer")
    axes[2].set_title("variance per layer")
    return save(fig, path, formats)


def report_figures(data: dict[str, Any], outdir: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """The report section's figure (loss curves, per-layer mean and variance) from its data, a
    ``SelfNormResult.to_dict()``."""
    return plot(data, Path(outdir) / "selfnorm", formats)
