"""Figures of the analyses and benchmarks, drawn from the plain data they return.

The analyses (:mod:`actlab.analysis`) and benchmarks (:mod:`actlab.bench`) compute and return
dataclasses and dicts; the matplotlib code that turns those into figures is here, one module
per analysis: :mod:`.gradflow`, :mod:`.meanfield`, :mod:`.selfnorm`, :mod:`.doctor`,
:mod:`.approx`, :mod:`.kernels` and :mod:`.bench` (learning curves, depth, ranks and the
critical-difference diagram, from the figure requests the benchmarks return). Each takes a
result or its ``to_dict()`` (so a figure can be drawn again from ``report.json`` or ``--json``
output) and saves PNG/SVG/PDF files.

Matplotlib is imported inside the functions, with the Agg backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["SUFFIXES", "pyplot", "save"]

SUFFIXES = (".png", ".svg", ".pdf")


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | Path, formats: Sequence[str] = ("png",), dpi: int = 130) -> list[Path]:
    """Save ``fig`` (laid out tight) and close it; returns the files written.

    A ``path`` ending in .png, .svg or .pdf is written as it is named; otherwise one file per
    format in ``formats`` (``path`` plus the suffix).
    """
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    stem = base.with_suffix("") if base.suffix in SUFFIXES else base
    if base.suffix in SUFFIXES:
        formats = [base.suffix[1:]]
    out = []
    fig.tight_layout()
    for fmt in formats:
        p = stem.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=dpi)
        out.append(p)
    pyplot().close(fig)
    return out
