"""What the report contains: a registry of sections, the built-in ones, and the plug-in hook.

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

Plug-ins: a later analysis (benchmarks, recommendation) adds a section with :func:`register`
in a module listed in :data:`PLUGINS` (imported lazily, in the main process and in workers),
e.g. ``PLUGINS = ("actlab.bench.report_section",)``; a listed module that cannot be imported
becomes an error box, not a crash. The analyses of issue 4 (gradient flow, mean field,
self-normalisation, doctor) plug in through :func:`analysis_section`: their modules expose
``report_data(quick=...) -> dict`` and ``report_figures(data, outdir) -> [png paths]``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import html as H

PLUGINS: tuple[str, ...] = ()  # modules that call register(); e.g. "actlab.bench.report_section"


@dataclass(frozen=True)
class Options:
    """What the whole report is built for. ``names``: restrict per-activation sections to these
    (None: the whole catalog); ``quick``: smaller grids and fewer runs everywhere."""

    quick: bool = False
    names: tuple[str, ...] | None = None

    def activations(self, kinds: Sequence[str] = ("elementwise", "gated", "concatenated", "stochastic"),
                    ) -> list[str]:
        import actlab

        chosen = [actlab.get_spec(n).name for n in self.names] if self.names else actlab.names()
        return [n for n in chosen if actlab.get_spec(n).kind in kinds]


@dataclass(frozen=True)
class Section:
    """One section of the report (see the module docstring for the protocol)."""

    key: str
    title: str
    compute: Callable[[Options, Any], dict[str, Any]]
    render: Callable[[dict[str, Any], Options], Any]
    parts: Callable[[Options], list[Any]] | None = None
    intro: str = ""
    order: float = 100.0
    required: bool = False
    in_quick: bool = True  # False: --quick leaves it out (with a note saying how to get it)
    weight: float = 1.0  # rough worker-seconds of the whole section (--quick, cold cache): the
    # scheduler gives each part weight / parts and starts the heaviest parts first
    extra: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, Section] = {}


def register(section: Section) -> Section:
    """Add (or replace) a section of the report."""
    REGISTRY[section.key] = section
    return section


def load_plugins() -> dict[str, str]:
    """Import the :data:`PLUGINS` modules; returns {module: error} for those that failed."""
    failed = {}
    for mod in PLUGINS:
        try:
            importlib.import_module(mod)
        except Exception as e:  # a broken plug-in must not take the report down
            failed[mod] = f"{type(e).__name__}: {e}"
    return failed


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


def chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` dealt round-robin into at most ``n`` non-empty lists (mixes cheap and dear)."""
    n = max(1, min(n, len(items)))
    return [list(items[i::n]) for i in range(n)] if items else []


def _fig(png: bytes | None, alt: str, caption: str = "", scale: float | None = None) -> H.Raw:
    """A figure; ``scale`` shows it at that fraction of its pixel width (so figures saved at one
    dpi show their text at one size whatever their width), never wider than the page."""
    if not png:
        return H.Raw("")
    cap = f"<figcaption>{H.esc(caption)}</figcaption>" if caption else ""
    style = ""
    if scale and png[:8] == b"\x89PNG\r\n\x1a\n":
        width = int.from_bytes(png[16:20], "big")  # IHDR: the first chunk holds width, height
        style = f' style="width:{round(width * scale)}px"'
    return H.Raw(f"<figure{style}>{H.img(png, alt)}{cap}</figure>")


# ====================================================================================== catalog
def _catalog_compute(opt: Options, part: list[str]) -> dict[str, Any]:
    import actlab

    rows, assets = [], {}
    for name in part:
        spec = actlab.get_spec(name)
        params = [{"name": p.name, "default": p.default, "domain": str(p.domain), "learnable": p.learnable}
                  for p in spec.params]
        rows.append({"name": spec.name, "aliases": list(spec.aliases), "family": spec.family,
                     "kind": spec.kind, "summary": spec.summary, "formula": spec.formula,
                     "gate": spec.gate, "params": params,
                     "kinks": list(spec.kinks(**spec.defaults)) if spec.kind != "gated" else [],
                     "torch_native": spec.native is not None, "citation": spec.citation})
        assets[f"formula:{spec.name}"] = str(H.formula(spec.formula))
    return {"rows": rows, "assets": assets}


def _catalog_render(data: dict[str, Any], opt: Options) -> Any:
    import actlab

    order = {n: i for i, n in enumerate(actlab.names())}
    rows = sorted(data["rows"], key=lambda r: (r["family"], order.get(r["name"], 0)))
    families = sorted({r["family"] for r in rows})

    def cell(k: str, v: Any, r: dict[str, Any]) -> Any:
        if k == "name":
            alias = f'<br><span class="small">{H.esc(", ".join(r["aliases"]))}</span>' if r["aliases"] else ""
            return H.Raw(f"<b>{H.esc(v)}</b>{alias}")
        if k == "family":
            kind = "" if r["kind"] in ("elementwise", v) else f'<br>{H.badge(r["kind"], "info")}'
            return H.Raw(f"{H.esc(v)}{kind}")
        if k == "formula":
            return H.Raw(data["assets"].get(f"formula:{r['name']}", f"<code>{H.esc(v)}</code>"))
        if k == "params":
            return H.Raw("<br>".join(
                f"<code>{H.esc(p['name'])}={p['default']:g}</code> <span class='small'>{H.esc(p['domain'])}"
                f"{', learnable' if p['learnable'] else ''}</span>" for p in v)) if v else "—"
        if k == "citation":
            return H.Raw(f'<span class="small">{H.esc(v)}</span>')
        if k == "summary":
            return H.Raw(f'<span class="small">{H.esc(v)}</span>')
        return None

    return H.join([
        H.note(f"{len(rows)} activations in {len(families)} families: {', '.join(families)}. "
               "Formulas are typeset from each spec's LaTeX; hover over one to see its source."),
        H.table(rows, {"name": "name", "family": "family", "formula": "f(x)", "params": "parameters",
                       "summary": "summary", "citation": "reference"}, cell=cell, cls="catalog"),
    ])


register(Section(
    "catalog", "Catalog", _catalog_compute, _catalog_render, order=10, required=True, weight=5,
    parts=lambda opt: chunks(opt.activations(), 2),
    intro="Every activation actlab defines, from its one spec: formula, parameters with their "
          "domains, and the paper it comes from. Gated activations (GLU family) compute a ⊗ g(b) on "
          "the two halves of their input; CReLU concatenates [f(x), f(−x)]; RReLU is random in "
          "training and uses its mean slope in eval.",
))


# ====================================================================================== gallery
def _gallery_compute(opt: Options, part: list[str]) -> dict[str, Any]:
    import actlab

    from . import plots

    assets, rows = {}, []
    for name in part:
        fig = plots.plot([name], figsize=(3.7, 2.5))
        ax = fig.axes[0]
        title = ax.get_title()  # "geglu: gate g = gelu" -> shown in the card's head instead
        ax.set_title("")
        ax.set_ylabel("")
        ax.set_xlabel("")
        ax.tick_params(labelsize=7)
        leg = ax.get_legend()
        if leg is not None:
            leg.remove()
        fig.tight_layout(pad=0.3)
        assets[f"plot:{name}"] = plots.png_bytes(fig, dpi=96)
        spec = actlab.get_spec(name)
        shows = title.split(": ", 1)[1] if ": " in title else ""
        if spec.kind == "stochastic":
            shows = "eval form"
        rows.append({"name": name, "family": spec.family, "kind": spec.kind, "shows": shows})
    return {"rows": rows, "assets": assets}


def _gallery_render(data: dict[str, Any], opt: Options) -> Any:
    import actlab

    order = {n: i for i, n in enumerate(actlab.names())}
    rows = sorted(data["rows"], key=lambda r: order.get(r["name"], 0))
    legend = ('<p class="note"><b style="color:#1f77b4">── f(x)</b> &nbsp; <b style="color:#ff7f0e">'
              '- - f′(x)</b> &nbsp; <b style="color:#2ca02c">··· f″(x)</b> &nbsp; <span>┊ kink (dotted '
              'line; ○ marks f there)</span>. The x range is [−5, 5]; each curve is the spec\'s torch '
              'forward / analytic derivative, cut at kinks so jumps show as jumps. '
              '<code>actlab plot NAME --out f.svg</code> draws one at full size.</p>')
    cards = []
    for r in rows:
        png = data["assets"].get(f"plot:{r['name']}")
        if png is None:
            continue
        what = f' <span class="small">({H.esc(r["shows"])})</span>' if r.get("shows") else ""
        cards.append(f'<div class="card"><div class="head"><b>{H.esc(r["name"])}{what}</b>'
                     f'<span>{H.esc(r["family"])}</span></div>{H.img(png, r["name"] + ": f, f′, f″")}</div>')
    return H.Raw(legend + f'<div class="gallery">{"".join(cards)}</div>')


register(Section(
    "gallery", "f, f′ and f″ of every activation", _gallery_compute, _gallery_render, order=20,
    required=True, weight=25, parts=lambda opt: chunks(opt.activations(), 3),
    intro="One card per activation: f solid, f′ dashed, f″ dotted. Gated activations and CReLU "
          "show their gate (base) function g.",
))


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

    def cell(k: str, v: Any, r: dict[str, Any]) -> Any:
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


register(Section(
    "properties", "Measured properties", _properties_compute, _properties_render, order=30,
    required=True, weight=66, parts=lambda opt: chunks(opt.activations(("elementwise",)), 4),
    intro="What each activation is, measured from its spec rather than quoted: smoothness class "
          "and kinks, whether it is a polynomial (then one hidden layer is not a universal "
          "approximator), monotonicity, range and where the minimum is, the steepest slope (the "
          "vanishing-gradient bound), saturation and dead regions, the mean under a standard "
          "normal input, self-normalization (SELU's attracting fixed point) and symmetry.",
))


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

    def cell(k: str, v: Any, r: dict[str, Any]) -> Any:
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
        if k in ("note", "source", "method"):
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


register(Section(
    "claims", "Claims checked", _claims_compute, _claims_render, order=40, required=True, weight=15,
    parts=_claims_parts,
    intro="Textbook statements about activations, checked against the SymPy references: "
          "symbolically where SymPy can simplify the difference to 0, otherwise at 30 digits on "
          "a grid of [−10, 10], at ±15…±200 and next to every kink, with the worst point refined.",
))


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

    def cell(k: str, v: Any, r: dict[str, Any]) -> Any:
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


register(Section(
    "accuracy", "Accuracy against the oracle", _accuracy_compute, _accuracy_render, order=50,
    required=True, weight=240,
    parts=lambda opt: chunks(opt.activations(("elementwise",)), 8),
    intro="Max error in units in the last place (ULP) of f, f′, f″ and ∂f/∂θ per dtype, against "
          "the mpmath evaluation of each spec's SymPy reference, over a grid from subnormals to "
          "±1e4 plus the dtype's overflow edges, ±inf and NaN — side by side with torch's own "
          "implementation where it has one.",
))


# ======================================================================================= approx
def _approx_compute(opt: Options, part: Any) -> dict[str, Any]:
    from ..analysis import approx
    from . import plots

    names = list(approx.DEFAULT_ACTIVATIONS)
    result = approx.run(names, seeds=3 if opt.quick else 7,
                        widths=approx.DEFAULT_WIDTHS if opt.quick else (*approx.DEFAULT_WIDTHS, 512))
    fig = approx.plot(result)
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

    def cell(k: str, v: Any, r: dict[str, Any]) -> Any:
        if k == "kind":
            return H.badge(v, "warn") if r["polynomial"] else H.Raw(f'<span class="small">{H.esc(v)}</span>')
        if k == "improvement":
            return H.num(v, 3) + "×"
        return None

    return H.join([
        _fig(data["assets"].get("figure"), "approximation error against hidden width",
             "RMS error of the best one-hidden-layer fit against the width N (log–log). Dashed: "
             "polynomial activations, with their predicted plateau dotted (the least-squares "
             "polynomial of the same degree, computed independently with NumPy)."),
        H.note(summary),
        H.table(rows, cols, cell=cell, cls="compact",
                numeric=(*(f"N={w}" for w in show), "improvement", "best_polynomial")),
    ])


register(Section(
    "approx", "Universal approximation: one hidden layer", _approx_compute, _approx_render, order=60,
    required=True, weight=11,
    intro="Leshno, Lin, Pinkus & Schocken (1993): sums Σ aⱼ φ(wⱼx + bⱼ) can approximate any continuous "
          "function on an interval iff φ is not a polynomial. Here the hidden weights are random "
          "(wⱼ ~ N(0, 6²), each unit bending at a random point of [−1, 1]) and the output layer is "
          "fitted by least squares; the error is measured on other points, median over several draws.",
))


# ==================================================================== issue 4's analyses (plug-in)
def _module_compute(opt: Options, part: Any, module: str) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    mod = importlib.import_module(module)
    fn = getattr(mod, "report_data", None)
    if fn is None:
        raise RuntimeError(f"{module} has no report_data() for the report yet")
    kwargs = {"quick": opt.quick} if "quick" in inspect.signature(fn).parameters else {}
    data = fn(**kwargs)
    assets = {}
    figs = getattr(mod, "report_figures", None)
    if figs is not None:
        with tempfile.TemporaryDirectory() as tmp:
            for path in figs(data, tmp):
                p = Path(path)
                if p.suffix == ".png":
                    assets[f"figure:{p.stem}"] = p.read_bytes()
    if "assets" in data:
        raise ValueError(f"{module}.report_data(): the key 'assets' is reserved for the report's figures")
    return {**data, "assets": assets}


def analysis_section(key: str, title: str, module: str, render: Callable[[dict[str, Any], Options], Any],
                     *, order: float, intro: str = "", in_quick: bool = True, weight: float = 10) -> Section:
    """A section for a module with ``report_data``/``report_figures`` (issue 4's analyses):
    ``render(data, options)`` gets ``report_data``'s dict and returns the part shown below the
    figures; the figures come first."""
    import functools

    compute = functools.partial(_module_compute, module=module)

    def full_render(out: dict[str, Any], opt: Options) -> Any:
        figs = [_fig(png, f"{title}: {name.split(':', 1)[1]}", scale=0.6)  # in the order made
                for name, png in out.get("assets", {}).items()]
        try:
            below = render({k: v for k, v in out.items() if k != "assets"}, opt)
        except Exception as e:  # the figures are still worth showing
            below = H.error_box("summary table", f"{type(e).__name__}: {e}")
        return H.join([H.Raw(f'<div class="figs">{"".join(figs)}</div>'), below])

    return register(Section(key, title, compute, full_render, order=order, intro=intro, in_quick=in_quick,
                            weight=weight, extra={"module": module}))


def _gradflow_render(data: dict[str, Any], opt: Options) -> Any:
    rows = []
    for r in data.get("runs", []) + data.get("half", []):
        rows.append({"activation": r["activation"], "dtype": r["dtype"], "init": r["init"],
                     "depth": r["depth"], "width": r["width"], "verdict": r["verdict"],
                     "growth": r["growth"], "chi1": r["chi1"], "ratio": r["ratio_first_last"],
                     "underflow": r["first_underflow"]})
    verdict = {"vanishing": "bad", "exploding": "bad", "stable": "ok"}
    parts = [H.table(rows, {"activation": "activation", "dtype": "dtype", "init": "init", "depth": "depth",
                            "width": "width", "verdict": "verdict",
                            "growth": "growth of ‖δ‖² per layer", "chi1": "mean-field χ₁",
                            "ratio": "‖∇W¹‖ / ‖∇Wᴸ‖", "underflow": "underflows at layer"},
                     numeric=("depth", "width", "growth", "chi1", "ratio", "underflow"), cls="compact",
                     cell=lambda k, v, r: H.badge(v, verdict.get(v, "info")) if k == "verdict" else None)]
    if data.get("theory"):
        parts.append(H.Raw("<h3>Theory against simulation</h3>"))
        parts.append(H.table(data["theory"], {"activation": "activation", "sigma_w2": "σ_w²",
                                              "sigma_b2": "σ_b²", "q_star": "q*", "chi1": "χ₁ (theory)",
                                              "measured": "measured growth", "rel_error": "relative error"},
                             numeric=("sigma_w2", "sigma_b2", "q_star", "chi1", "measured", "rel_error"),
                             cls="compact"))
    return H.join(parts)


def _meanfield_render(data: dict[str, Any], opt: Options) -> Any:
    rows = [r for r in data.get("edge", [])]
    cols = {"activation": "activation", "sigma_b2": "σ_b²", "sigma_w2": "σ_w² at the edge of chaos",
            "q_star": "q*", "chi1": "χ₁", "xi_c": "depth scale ξ_c", "note": "note"}
    present = {k: v for k, v in cols.items() if any(k in r for r in rows)}
    parts = [H.table(rows, present, numeric=("sigma_b2", "sigma_w2", "q_star", "chi1", "xi_c"),
                     cls="compact")]
    selu = data.get("selu")
    if selu:
        fp = ", ".join(f"{k} = {H.num(v, 5)}" for k, v in selu.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool))
        parts.append(H.note(f"SELU's mean/variance map under LeCun-normal weights: {fp}."))
    return H.join(parts)


def _selfnorm_render(data: dict[str, Any], opt: Options) -> Any:
    arms = data.get("arms", [])
    keys = ("arm", "initial_loss", "final_loss", "train_accuracy", "test_accuracy", "trained", "diverged",
            "grad_first_last")
    rows = [{k: a.get(k) for k in keys} for a in arms]
    present = [k for k in keys if any(r.get(k) is not None for r in rows)]
    return H.join([
        H.note(f"{data.get('depth')}-layer MLPs, width {data.get('width')}, {data.get('steps')} steps of "
               f"{data.get('optimizer')} (lr {data.get('lr')}); chance accuracy "
               f"{H.num(data.get('chance_accuracy'))}."),
        H.table(rows, present, numeric=[k for k in present if k not in ("arm", "trained", "diverged")],
                cls="compact"),
    ])


def _doctor_render(data: dict[str, Any], opt: Options) -> Any:
    parts = []
    for name, entry in data.items():
        rep = entry.get("report", {})
        findings = rep.get("findings", [])
        colour = {"error": "bad", "warning": "warn"}
        items = "".join(
            f"<li>{H.badge(f.get('severity', ''), colour.get(f.get('severity'), 'info'))} "
            f"{H.esc(f.get('problem', ''))}<br><span class='small'>→ {H.esc(f.get('advice', ''))}</span></li>"
            for f in findings) or "<li>No problems found.</li>"
        parts.append(H.Raw(f"<h3>demo model: {H.esc(name)}</h3><ul>{items}</ul>"))
    return H.join(parts)


analysis_section(
    "gradflow", "Gradient flow through deep MLPs", "actlab.analysis.gradflow", _gradflow_render, order=70,
    weight=15,
    intro="One forward and backward pass through 20-layer MLPs: the norm of each layer's weight "
          "gradient, in float32 and in float16 (where products of many φ′ < 1 underflow), and the "
          "measured per-layer growth against mean-field theory's χ₁ (Schoenholz et al. 2017).")
analysis_section(
    "meanfield", "Mean-field signal propagation", "actlab.analysis.meanfield", _meanfield_render, order=80,
    weight=5,
    intro="Infinite-width random networks: each activation's edge of chaos (χ₁ = 1), where signals "
          "and gradients neither vanish nor explode with depth (Poole et al. 2016), and the "
          "order-to-chaos phase diagram.")
analysis_section(
    "selfnorm", "BatchNorm or self-normalisation?", "actlab.analysis.selfnorm", _selfnorm_render, order=90,
    weight=28,
    intro="Deep (32-layer) MLPs trained on the same task: ReLU + BatchNorm, SELU (self-normalising, "
          "Klambauer et al. 2017), ELU and plain ReLU; loss curves and per-layer statistics at init.")
analysis_section(
    "doctor", "Model doctor on demo models", "actlab.analysis.doctor", _doctor_render, order=100, weight=3,
    intro="actlab doctor runs one pass through any nn.Module with hooks and reports dead and saturated "
          "units and vanishing or exploding gradients with advice; here on built-in demo models.")


def _bench_render(data: dict[str, Any], opt: Options) -> Any:
    parts = [H.note(n) for n in data.get("notes", [])]
    for rec in data.get("recommendations", []):
        if rec.get("available") and rec.get("statement"):
            parts.append(H.Raw(f"<p><b>{H.esc(rec.get('kind', ''))}:</b> {H.esc(rec['statement'])}</p>"))
    for t in data.get("tables", []):
        parts.append(H.Raw(f"<h3>{H.esc(t.get('title', ''))}</h3>"))
        parts.append(H.table(t.get("rows", []), t.get("columns", []), cls="compact"))
    return H.join(parts)


analysis_section(
    "bench", "Compare and choose: training on real data", "actlab.bench.report", _bench_render,
    order=110, weight=3,
    intro="Activations trained with the same model, data, optimiser and seeds (digits, MNIST-1D, a "
          "byte-level transformer, the depth test): mean and 95% interval over seeds, paired tests "
          "with Holm's correction, and a recommendation that claims only what the tests support. "
          "From the results store; `make demo` runs a quick sweep first, `actlab bench train` more.")
