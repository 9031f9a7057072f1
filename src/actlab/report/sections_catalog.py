"""The report's sections about the catalog itself: every activation's spec (``catalog``) and
its f, f′ and f″ drawn from the spec (``gallery``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actlab.composite import CompositeSpec, GatedSpec, RandomizedSpec

from . import html as H
from .sections_base import Options, Section, chunks

__all__ = ["CATALOG", "GALLERY", "SECTIONS"]


def _base(spec: Any) -> str | None:
    """The elementwise activation a composite or stochastic one is made of (None: it is one)."""
    return spec.base.name if isinstance(spec, (CompositeSpec, RandomizedSpec)) else None


def _kinks(spec: Any) -> list[float]:
    """Where f is not differentiable at the default parameters (none for a gated activation:
    not a function of one x)."""
    return [] if isinstance(spec, GatedSpec) else list(spec.kinks(**spec.defaults))


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
                     "gate": _base(spec), "params": params,
                     "kinks": _kinks(spec),
                     "torch_native": spec.native is not None, "citation": spec.citation})
        assets[f"formula:{spec.name}"] = str(H.formula(spec.formula))
    return {"rows": rows, "assets": assets}


def _catalog_render(data: dict[str, Any], opt: Options) -> Any:
    import actlab

    order = {n: i for i, n in enumerate(actlab.names())}
    rows = sorted(data["rows"], key=lambda r: (r["family"], order.get(r["name"], 0)))
    families = sorted({r["family"] for r in rows})

    def cell(k: str, v: Any, r: Mapping[str, Any]) -> Any:
        if k == "name":
            alias = f'<br><span class="small">{H.esc(", ".join(r["aliases"]))}</span>' if r["aliases"] else ""
            return H.Raw(f'<a href="activations/{H.esc(v)}.html"><b>{H.esc(v)}</b></a>{alias}')
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
                       "summary": "summary", "citation": "reference"}, cell=cell, cls="catalog",
                anchor="name"),
    ])


CATALOG = Section(
    "catalog", "Catalog", _catalog_compute, _catalog_render, order=10, required=True, weight=5,
    parts=lambda opt: chunks(opt.activations(), 2),
    intro="Every activation actlab defines, from its one spec: formula, parameters with their "
          "domains, and the paper it comes from. Gated activations (GLU family) compute a ⊗ g(b) on "
          "the two halves of their input; CReLU concatenates [f(x), f(−x)]; RReLU is random in "
          "training and uses its mean slope in eval.",
)


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
        if isinstance(spec, RandomizedSpec):
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


GALLERY = Section(
    "gallery", "f, f′ and f″ of every activation", _gallery_compute, _gallery_render, order=20,
    required=True, weight=25, parts=lambda opt: chunks(opt.activations(), 3),
    intro="One card per activation: f solid, f′ dashed, f″ dotted. Gated activations and CReLU "
          "show their gate (base) function g.",
)

SECTIONS = (CATALOG, GALLERY)
