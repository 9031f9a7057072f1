"""The report's "Compare and choose" section: what the results store says, plus the
recommendation. It reads the store (default ./actlab-results/results.sqlite, or
``$ACTLAB_RESULTS``) and never trains: `make demo` runs the quick sweep before the report."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["report_data", "report_figures", "results_path"]


def results_path() -> Path:
    return Path(os.environ.get("ACTLAB_RESULTS", "actlab-results/results.sqlite"))


def report_data(quick: bool = False) -> dict[str, Any]:
    """The section's tables, recommendations and notes, with its figures in a temp folder."""
    from .recommend import report_section

    figdir = tempfile.mkdtemp(prefix="actlab-bench-figs-")
    data = report_section(results_path(), figdir, properties=not quick)
    data["figdir"] = figdir
    return data


def report_figures(data: dict[str, Any], outdir: str) -> list[str]:
    out = []
    for fig in data.get("figures", []):
        target = Path(outdir) / Path(fig["path"]).name
        shutil.copyfile(fig["path"], target)
        out.append(str(target))
    shutil.rmtree(data.get("figdir", ""), ignore_errors=True)
    return out
