"""``actlab serve``: an interactive page to look at and compare activations.

A small Starlette app (:mod:`actlab.web.server`) serves a JSON API computed by the library
(specs, curves f/f'/f'', measured properties, the mean-field chi_1 curve) and one static page
that draws them with Plotly.js, taken from the installed ``plotly`` package so the page works
offline. No activation's math is written again in JavaScript.
"""

__all__: list[str] = []  # the package is its submodules
