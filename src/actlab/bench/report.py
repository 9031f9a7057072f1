"""The report's "Compare and choose" section: what the results store says, plus the
recommendation. It reads the store (default ./actlab-results/results.sqlite, or
``$ACTLAB_RESULTS``) and never trains: `make demo` runs the quick sweep before the report.
Its figures are drawn by :mod:`actlab.report.figures.bench` from the requests in the data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["report_data", "results_path"]


def results_path() -> Path:
    return Path(os.environ.get("ACTLAB_RESULTS", "actlab-results/results.sqlite"))


def report_data(quick: bool = False) -> dict[str, Any]:
    """The section's tables, recommendations, notes and figure requests."""
    from .recommend import report_section

    return report_section(results_path(), properties=not quick)
