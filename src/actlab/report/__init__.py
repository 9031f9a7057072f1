"""Figures and the self-contained HTML report: :mod:`.plots` (f, f′, f″ with matplotlib),
:mod:`.sections` (what the report contains, a registry later analyses plug into), :mod:`.build`
(computes the sections in worker processes and writes ``report.html`` + ``report.json``) and
:mod:`.html` (page layout, tables, embedded figures; no external URLs)."""
