"""Figures of :mod:`actlab.analysis.doctor`: gradient norms and dead/saturated units per layer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...analysis.doctor import Diagnosis
from . import pyplot, save

__all__ = ["plot", "report_figures"]


def plot(report: Diagnosis | dict[str, Any], path: str | Path, formats: Sequence[str] = ("png",),
         title: str | None = None) -> list[Path]:
    """Two panels: ‖∇W‖ per weight layer (log scale) and dead/saturated fractions per activation.
    ``report``: a :class:`~actlab.analysis.doctor.Diagnosis` or its ``to_dict()``."""
    plt = pyplot()
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from ..plots import color_of

    layers = report.rows() if isinstance(report, Diagnosis) else report["layers"]
    weights = [r for r in layers if r["role"] == "weight" and r["grad_norm"] is not None]
    acts = [r for r in layers if r["role"] == "activation"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.2))
    xs = list(range(1, len(weights) + 1))
    ys = [r["grad_norm"] if r["grad_norm"] > 0 else float("nan") for r in weights]
    a1.semilogy(xs, ys, marker="o", label="‖∇W‖")
    zero = [x for x, r in zip(xs, weights) if r["grad_norm"] == 0]
    if zero:
        a1.plot(zero, [min((y for y in ys if y == y), default=1.0)] * len(zero), "rx", ms=8,
                label="‖∇W‖ = 0")
    a1.xaxis.set_major_locator(MaxNLocator(integer=True))
    a1.set_xlabel("weight layer (execution order)")
    a1.set_ylabel("‖∇W‖")
    a1.set_title("gradient norm per layer")
    pos = list(range(len(acts)))
    # each activation layer in the report's colour of its activation: dead solid, saturated hatched
    colours = [color_of(str(r["activation"])) for r in acts]
    a2.bar([p - 0.2 for p in pos], [r["dead"] or 0 for r in acts], width=0.4, color=colours)
    a2.bar([p + 0.2 for p in pos], [r["saturated"] or 0 for r in acts], width=0.4, color="white",
           edgecolor=colours, hatch="///")
    a2.set_xticks(pos, [f"{r['name']}\n{r['activation']}" for r in acts], fontsize=7)
    a2.set_ylim(0, 1)
    a2.set_ylabel("fraction")
    a2.set_title("activations: dead and saturated")
    a2.legend(handles=[Patch(color="0.4", label="dead units"),
                       Patch(facecolor="white", edgecolor="0.4", hatch="///", label="saturated")], fontsize=8)
    a1.legend(fontsize=8)
    for ax in (a1, a2):
        ax.grid(True, alpha=0.3)
    name = report.model if isinstance(report, Diagnosis) else report["model"]
    fig.suptitle(title or f"actlab doctor: {name}")
    return save(fig, path, formats)


def report_figures(data: dict[str, Any], outdir: str | Path,
                   formats: Sequence[str] = ("png",)) -> list[Path]:
    """The report section's figures from its data ({demo: {"report": Diagnosis.to_dict()}}):
    one per demo."""
    files = []
    for name, entry in data.items():
        files += plot(entry["report"], Path(outdir) / f"doctor_{name}", formats,
                      title=f"actlab doctor: {name}")
    return files
