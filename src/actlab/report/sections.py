"""What the report contains: the registry of its sections, in page order.

A :class:`Section` is computed in two steps so the slow part can run in worker processes:

* ``compute(options, part) -> dict`` runs in a worker (a module-level function, found again by
  the section's key there). ``parts(options)`` splits the work (e.g. chunks of activation
  names) so two cores share one section; the part results are merged (lists concatenated,
  dicts updated) into one dict. The dict must be JSON-ready, except under the key ``"assets"``:
  figures (PNG bytes) and pre-rendered HTML that the page needs and ``report.json`` leaves out.
* ``render(data, options) -> HTML`` runs in the main process and builds the fragment from
  :mod:`actlab.report.html` blocks.

A section that raises is shown as a short error box (the report is still written); the
command exits non-zero only if a ``required`` section failed.

The built-in sections, one family per module: the catalog itself in :mod:`.sections_catalog`
(catalog, gallery); what each activation is, measured from its spec, here (properties, claims,
accuracy, approximation); activations inside networks in :mod:`.sections_networks` (gradient
flow, mean field, self-normalisation, doctor, benchmarks). :func:`register` adds another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import html as H
from . import sections_catalog, sections_networks
from .sections_base import Options, Section, chunks
from .summary import readable_source

__all__ = ["ACCURACY", "APPROX", "CLAIMS", "PROPERTIES", "REGISTRY", "Options", "Section", "chosen",
           "chunks", "merge", "pretty_series", "register"]

REGISTRY: dict[str, Section] = {}


def register(section: Section) -> Section:
    """Add (or replace) a section of the report."""
    REGISTRY[section.key] = section
    return section


def chosen(keys: Sequence[str] | None = None, quick: bool = False) -> tuple[list[Section], list[Section]]:
    """(sections to compute, sections left out by --quick), in page order."""
    if keys:
        unknown = [k for k in keys if k not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown report section(s) {', '.join(unknown)}; choose from "
                             f"{', '.join(sorted(REGISTRY, key=lambda k: REGISTRY[k].order))}")
    secs = sorted((REGISTRY[k] for k in (keys or REGISTRY)), key=lambda s: s.order)
    return ([s for s in secs if s.in_quick or not quick or keys],
            [s for s in secs if quick and not s.in_quick and not keys])


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The part results of one section as one dict: lists concatenated, dicts updated, other
    values from the first part."""
    if len(results) == 1:
        return results[0]
    out: dict[str, Any] = {}
    for r in results:
        for k, v in r.items():
            if k not in out:
                out[k] = list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
            elif isinstance(v, list):
                out[k].extend(v)
            elif isinstance(v, dict):
                out[k].update(v)
    return out


# =================================================================================== properties
PROPERTY_GROUPS = {
    "Shape": {"name": "name", "class": "class", "kinks": "kinks", "polynomial": "polynomial",
              "monotonic": "monotonic", "range": "range", "min at": "min at", "symmetry": "symmetry",
              "f(0)": "f(0)", "f'(0)": "f′(0)", "≈x at 0": "≈ x at 0", "taylor": "Taylor series at 0"},
    "Gradients and statistics": {"name": "name", "max|f'|": "max |f′|", "at": "at x =",
                                 "saturates": "saturates (|f′| < 1e-3)", "dead": "dead (f′ = 0)",
                                 "E f(z)": "E f(z), z~N(0,1)", "self-norm": "self-normalizing",
                                 "cost/relu": "cost / relu"},
}


def _properties_compute(opt: Options, part: list[str]) -> dict[str, Any]:
    from ..analysis.properties import analyze_many, summary_row

    results = analyze_many(part, cost=not opt.quick)
    return {"rows": [summary_row(p) for p in results],
            "properties": [p.as_dict(json_safe=True) for p in results]}


def _properties_render(data: dict[str, Any], opt: Options) -> Any:
    import actlab

    order = {n: i for i, n in enumerate(actlab.names())}
    rows = sorted(data["rows"], key=lambda r: order.get(r["name"], 0))

    def cell(k: str, v: Any, r: Mapping[str, Any]) -> Any:
        if k in ("polynomial", "self-norm", "≈x at 0"):
            good = {"polynomial": "no", "self-norm": "yes", "≈x at 0": "yes"}[k]
            return H.badge(v, "ok" if v == good else "info") if v == "yes" else v
        if k == "taylor":
            return H.Raw(f'<span class="small">{H.esc(pretty_series(v))}</span>')
        if k in ("saturates", "dead", "min at", "kinks") and isinstance(v, str) and len(v) > 38:
            return H.Raw(f'<span class="small">{H.esc(v)}</span>')
        if k == "range":
            return H.Raw(f'<span style="white-space:nowrap">{H.esc(v)}</span>')
        if k == "E f(z)" and _tiny(v):
            return H.Raw(f'<span title="{H.esc(v)}">0</span>')  # quadrature rounding, not a mean
        return None

    parts = [H.note(f"{len(rows)} elementwise activations at their default parameters. Measured on "
                    "a float64 scan of [−10, 10] (20,001 points) and out to ±1e6, refined with SciPy; "
                    "SymPy decides polynomial / Taylor where it can. "
                    + ("cost/relu was skipped (--quick)." if opt.quick else
                       "cost/relu: forward time per float32 element relative to torch.relu, one thread, "
                       "measured while the report was being built (indicative only)."))]
    for title, cols in PROPERTY_GROUPS.items():
        if opt.quick and "cost/relu" in cols:
            cols = {k: v for k, v in cols.items() if k != "cost/relu"}
        parts.append(H.Raw(f"<h3>{H.esc(title)}</h3>"))
        parts.append(H.table(rows, cols, cell=cell, cls="compact", sticky_first=True,
                             numeric=("f(0)", "f'(0)", "max|f'|", "at", "E f(z)", "cost/relu")))
    return H.join(parts)


def _tiny(v: Any) -> bool:
    try:
        return abs(float(v)) < 1e-12
    except (TypeError, ValueError):
        return False


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def pretty_series(text: str) -> str:
    """SymPy's printed series made readable: ``2*x**5/15`` -> ``2x⁵/15``, ``-`` -> ``−``."""
    import re

    text = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(SUPERSCRIPT), str(text))
    text = re.sub(r"(\d)\*(?=[a-zA-Z(])", r"\1", text)
    return text.replace("*", "·").replace(" - ", " − ")


PROPERTIES = Section(
    "properties", "Measured properties", _properties_compute, _properties_render, order=30,
    required=True, weight=66, parts=lambda opt: chunks(opt.activations(elementwise=True), 4),
    intro="What each activation is, measured from its spec rather than quoted: smoothness class "
          "and kinks, whether it is a polynomial (then one hidden layer is not a universal "
          "approximator), monotonicity, range and where the minimum is, the steepest slope (the "
          "vanishing-gradient bound), saturation and dead regions, the mean under a standard "
          "normal input, self-normalization (SELU's attracting fixed point) and symmetry.",
)


# ======================================================================================= claims
def _claims_parts(opt: Options) -> list[list[int]]:
    from ..analysis.claims_list import CLAIMS

    idx = list(range(len(CLAIMS)))
    if opt.names:  # only the claims about the chosen activations (a quick report of a few)
        import re

        import actlab

        every = set(actlab.names())
        keep = {actlab.get_spec(n).name for n in opt.names}
        idx = [i for i in idx
               if {w for w in re.findall(r"[A-Za-z_]\w*", CLAIMS[i].claim) if w in every} <= keep]
    return chunks(idx, 3)


def _claims_compute(opt: Options, part: list[int]) -> dict[str, Any]:
    """The rows of :func:`actlab.analysis.claims.verify_shipped` for the claims at indices
    ``part`` (split so the claims are checked on two cores)."""
    from ..analysis.claims import verify_shipped

    return {"rows": verify_shipped(indices=part)}


def _claims_render(data: dict[str, Any], opt: Options) -> Any:
    rows = sorted(data["rows"], key=lambda r: (r["index"], r["role"] != "claim"))
    wrong = [r for r in rows if not r["ok"]]
    false_claims = sum(1 for r in rows if r["role"] == "claim" and r["expected"] is False)

    def cell(k: str, v: Any, r: Mapping[str, Any]) -> Any:
        if k == "ok":
            return H.badge("✓ as expected", "ok") if v else H.badge("✗ WRONG", "bad")
        if k == "verdict":
            return {True: H.badge("holds", "ok"), False: H.badge("fails", "bad"),
                    None: H.badge("error", "warn")}[v]
        if k == "claim":
            arrow = "↳ " if r["role"] == "correction" else ""
            return H.Raw(f"{arrow}<code>{H.esc(v)}</code>")
        if k == "discrepancy":
            return "" if v in (None, 0) else H.num(v)
        if k == "counterexample":
            return "" if v is None else f"x = {H.num(v, 6)}"
        if k == "source":
            return H.Raw(f'<span class="small">{H.esc(readable_source(v))}</span>')
        if k in ("note", "method"):
            return H.Raw(f'<span class="small">{H.esc(v)}</span>')
        return None

    head = H.note(f"{len(rows) - len(wrong)} of {len(rows)} verdicts as expected; {false_claims} of the "
                  "shipped claims are false (mistakes from the seed texts and common misquotes), each "
                  "followed by its correction (↳), which holds. `actlab verify \"CLAIM\"` checks your own.")
    return H.join([
        head,
        H.table(rows, {"ok": "", "verdict": "verdict", "claim": "claim", "method": "method",
                       "discrepancy": "largest discrepancy", "counterexample": "counterexample",
                       "source": "source", "note": "note"},
                cell=cell, cls="compact claims", numeric=("discrepancy",),
                row_class=lambda r: "bad" if not r["ok"] else "sub" if r["role"] == "correction" else None),
    ])


CLAIMS = Section(
    "claims", "Claims checked", _claims_compute, _claims_render, order=40, required=True, weight=15,
    parts=_claims_parts,
    intro="Textbook statements about activations, checked against the SymPy references: "
          "symbolically where SymPy can simplify the difference to 0, otherwise at 30 digits on "
          "a grid of [−10, 10], at ±15…±200 and next to every kink, with the worst point refined.",
)


# ===================================================================================== accuracy
def _accuracy_dtypes(opt: Options) -> tuple[str, ...]:
    return ("float32",) if opt.quick else ("float64", "float32", "bfloat16", "float16")


def _accuracy_compute(opt: Options, part: list[str]) -> dict[str, Any]:
    from ..numerics.accuracy import accuracy_rows

    rows = accuracy_rows(part, _accuracy_dtypes(opt), jobs=1, size="small" if opt.quick else "full",
                         progress=False)
    return {"rows": rows}  # ±inf/NaN stay floats here; report.json writes them as "inf"/null


def _accuracy_render(data: dict[str, Any], opt: Options) -> Any:
    import actlab

    from ..numerics.accuracy import summary_rows

    dtypes = _accuracy_dtypes(opt)
    order = {n: i for i, n in enumerate(actlab.names())}
    summary = sorted(summary_rows(data["rows"], dtypes), key=lambda r: order.get(r["name"], 0))
    cols = ["name", *sorted({k for r in summary for k in r if k not in ("name", "ok")},
                            key=lambda k: (_dtype_rank(k), _quantity_rank(k)))]
    failing = sorted({r["name"] for r in data["rows"] if not r["passed"]})

    def cell(k: str, v: Any, r: Mapping[str, Any]) -> Any:
        if k == "name" or v is None:
            return None
        text = str(v)
        mine, _, theirs = text.partition(" (")
        bad = "!" in mine
        out = f'<span style="color:var(--bad);font-weight:600">{H.esc(mine)}</span>' if bad else H.esc(mine)
        if theirs:
            out += f' <span class="small">({H.esc(theirs)}</span>'
        return H.Raw(out)

    numeric = tuple(c for c in cols if c != "name")
    verdict = (H.badge(f"{len(failing)} failing: {', '.join(failing)}", "bad") if failing
               else H.badge("all within their bounds", "ok"))
    return H.join([
        H.Raw(f'<p class="note">{verdict} &nbsp; {len(summary)} elementwise activations, '
              f'{len(data["rows"])} measurements, dtypes {", ".join(dtypes)}'
              f'{QUICK_ACCURACY if opt.quick else ""}.'
              " Each cell: actlab's max error in ULPs, torch's native op in (grey) where one exists; "
              "! marks a value over its bound; nan×k counts non-finite results where the truth is "
              "finite. Errors are divided by the condition number where it exceeds 1.</p>"),
        H.table(summary, cols, cell=cell, cls="compact", numeric=numeric, sticky_first=True,
                row_class=lambda r: None if r.get("ok", True) else "bad"),
    ])


QUICK_ACCURACY = " (--quick: float32 on the small grid; the full report adds float64, bfloat16, float16)"


def _dtype_rank(col: str) -> int:
    for i, d in enumerate(("f64", "f32", "bf16", "f16")):
        if col.endswith(" " + d):
            return i
    return 9


def _quantity_rank(col: str) -> int:
    q = col.split(" ")[0]
    return {"f": 0, "f'": 1, "f''": 2, "dθ": 3}.get(q, 9)


ACCURACY = Section(
    "accuracy", "Accuracy against the oracle", _accuracy_compute, _accuracy_render, order=50,
    required=True, weight=240,
    parts=lambda opt: chunks(opt.activations(elementwise=True), 8),
    intro="Max error in units in the last place (ULP) of f, f′, f″ and ∂f/∂θ per dtype, against "
          "the mpmath evaluation of each spec's SymPy reference, over a grid from subnormals to "
          "±1e4 plus the dtype's overflow edges, ±inf and NaN — side by side with torch's own "
          "implementation where it has one.",
)


# ======================================================================================= approx
def _approx_compute(opt: Options, part: Any) -> dict[str, Any]:
    from ..analysis import approx
    from . import plots
    from .figures import approx as approx_figures

    names = list(approx.DEFAULT_ACTIVATIONS)
    result = approx.run(names, seeds=3 if opt.quick else 7,
                        widths=approx.DEFAULT_WIDTHS if opt.quick else (*approx.DEFAULT_WIDTHS, 512))
    fig = approx_figures.figure(result)
    return {**result.to_dict(), "rows": result.rows(), "assets": {"figure": plots.png_bytes(fig, dpi=110)}}


def _approx_render(data: dict[str, Any], opt: Options) -> Any:
    widths = data["widths"]
    show = [w for w in (8, 32, widths[-1]) if w in widths]
    cols = {"activation": "activation", "target": "target", "kind": "activation is",
            **{f"N={w}": f"error, N = {w}" for w in show}, "improvement": f"error(8) / error({widths[-1]})",
            "best_polynomial": "best degree-d polynomial"}
    rows = [{**r, "kind": f"polynomial, degree {r['degree']}" if r["polynomial"] else "not a polynomial",
             "target": r["label"]} for r in data["rows"]]
    poly = [r for r in data["rows"] if r["polynomial"]]
    nonpoly = [r for r in data["rows"] if not r["polynomial"]]
    sin_np = [r["improvement"] for r in nonpoly if r["target"] == "sin"]
    ratios = [1 / r["improvement"] for r in poly]
    summary = (f"Polynomial activations: error({widths[-1]}) / error(8) between "
               f"{min(ratios, default=1):.3g} and {max(ratios, default=1):.3g} "
               "(a plateau, at the best polynomial fit of their degree); non-polynomial ones improve by "
               f"{min(sin_np):.3g}× to {max(sin_np):.3g}× on sin(2πx).") if poly and sin_np else ""

    def cell(k: str, v: Any, r: Mapping[str, Any]) -> Any:
        if k == "kind":
            return H.badge(v, "warn") if r["polynomial"] else H.Raw(f'<span class="small">{H.esc(v)}</span>')
        if k == "improvement":
            return H.num(v, 3) + "×"
        return None

    return H.join([
        H.figure(data["assets"].get("figure"), "approximation error against hidden width",
             "RMS error of the best one-hidden-layer fit against the width N (log–log). Dashed: "
             "polynomial activations, with their predicted plateau dotted (the least-squares "
             "polynomial of the same degree, computed independently with NumPy)."),
        H.note(summary),
        H.table(rows, cols, cell=cell, cls="compact",
                numeric=(*(f"N={w}" for w in show), "improvement", "best_polynomial")),
    ])


APPROX = Section(
    "approx", "Universal approximation: one hidden layer", _approx_compute, _approx_render, order=60,
    required=True, weight=11,
    intro="Leshno, Lin, Pinkus & Schocken (1993): sums Σ aⱼ φ(wⱼx + bⱼ) can approximate any continuous "
          "function on an interval iff φ is not a polynomial. Here the hidden weights are random "
          "(wⱼ ~ N(0, 6²), each unit bending at a random point of [−1, 1]) and the output layer is "
          "fitted by least squares; the error is measured on other points, median over several draws.",
)


for _section in (*sections_catalog.SECTIONS, PROPERTIES, CLAIMS, ACCURACY, APPROX,
                 *sections_networks.SECTIONS):
    register(_section)
del _section
