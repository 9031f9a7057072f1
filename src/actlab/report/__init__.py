"""Figures and the self-contained HTML report: :mod:`.plots` (f, f′, f″ with matplotlib),
:mod:`.figures` (the figures of the analyses and benchmarks, drawn from the data they return),
:mod:`.sections` (what the report contains, one module per family of sections), :mod:`.build`
(computes the sections in worker processes and writes ``report.html`` + ``report.json``) and
:mod:`.html` (page layout, tables, embedded figures; no external URLs)."""

__all__: list[str] = []  # the package is its submodules
