"""Figure of :mod:`actlab.analysis.approx`: RMS error against hidden width, one panel per target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...analysis.approx import TARGETS, ApproxResult
from . import pyplot

__all__ = ["figure", "plot"]


def figure(result: ApproxResult | dict[str, Any]) -> Any:
    """Error against width on log axes, one panel per target; polynomial activations dashed,
    with their predicted plateau (best degree-d polynomial) as a dotted line in their colour.
    ``result`` is :func:`actlab.analysis.approx.run`'s or its ``to_dict()``; returns the figure."""
    from ..plots import color_of

    plt = pyplot()
    r = result if isinstance(result, ApproxResult) else ApproxResult(**result)
    fig, axes = plt.subplots(1, len(r.targets), figsize=(4.6 * len(r.targets) + 1.8, 4.2),
                             squeeze=False, sharey=False)
    for ax, t in zip(axes[0], r.targets):
        for a in r.activations:
            colour = color_of(a)
            d = r.degree[a]
            label = a + (f" (polynomial, degree {d})" if d is not None else "")
            ax.plot(r.widths, r.errors[a][t], marker="o" if d is None else "s", ms=4, color=colour,
                    ls="--" if d is not None else "-", lw=1.6, label=label)
            if d is not None:
                ax.axhline(r.best_polynomial[a][t], color=colour, ls=":", lw=1.2)
        ax.set_xscale("log", base=2)
        ax.set_xticks(r.widths, [str(w) for w in r.widths])
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_xlabel("hidden width N")
        ax.set_title(f"target {TARGETS[t][0]} on [-1, 1]")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("RMS error (test points)")
    handles = axes[0][0].get_legend_handles_labels()[0]
    handles.append(plt.Line2D([], [], color="0.3", ls=":", label="best degree-d polynomial fit"))
    fig.legend(handles=handles, loc="center right", fontsize=8, frameon=False)
    fig.suptitle(f"One hidden layer, random features + least-squares output layer "
                 f"(median of {r.seeds} draws): polynomial activations plateau", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 1.9 / fig.get_figwidth(), 1))
    return fig


def plot(result: ApproxResult | dict[str, Any], path: str | Path, dpi: int = 150) -> Path:
    """:func:`figure` saved to ``path`` (.png, .svg or .pdf, by its extension); returns it."""
    from ..plots import save as save_figure

    return save_figure(figure(result), path, dpi=dpi)
