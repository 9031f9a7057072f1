"""HTML building blocks for the report: one self-contained page (inline CSS, figures embedded as
base64 PNG ``data:`` URIs, one small inline script, no font or stylesheet from anywhere), tables from lists of
dicts, error boxes, and formulas typeset by matplotlib's mathtext.

Everything interpolated into the page goes through :func:`esc` unless it is a :class:`Raw`
fragment built here, so text from specs and claims cannot break the markup.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from actlab.mathtext import drop_size_switches

__all__ = ["CSS", "SCRIPT", "Raw", "badge", "error_box", "esc", "figure", "formula", "img", "join", "note",
           "num", "page", "section", "table", "tag"]


class Raw(str):
    """An HTML fragment that is inserted as is (built by this module, or escaped already)."""


def esc(value: Any) -> str:
    """``value`` as escaped HTML text (a :class:`Raw` fragment is returned unchanged)."""
    if isinstance(value, Raw):
        return value
    return html.escape("" if value is None else str(value), quote=True)


def join(parts: Iterable[Any], sep: str = "") -> Raw:
    return Raw(sep.join(esc(p) for p in parts))


def tag(name: str, content: Any = "", cls: str | None = None, **attrs: Any) -> Raw:
    """``<name class=cls attrs>content</name>``; ``content`` is escaped unless :class:`Raw`."""
    attrs = {("class" if k == "cls_" else k.rstrip("_").replace("_", "-")): v for k, v in attrs.items()}
    if cls:
        attrs = {"class": cls, **attrs}
    text = "".join(f' {k}="{esc(v)}"' for k, v in attrs.items() if v is not None and v is not False)
    return Raw(f"<{name}{text}>{esc(content)}</{name}>")


def img(png: bytes, alt: str, cls: str | None = None, width: int | None = None) -> Raw:
    """An ``<img>`` with ``png`` embedded as a base64 data URI (no file, no URL)."""
    data = base64.b64encode(png).decode("ascii")
    w = f' width="{int(width)}"' if width else ""
    c = f' class="{esc(cls)}"' if cls else ""
    return Raw(f'<img{c} alt="{esc(alt)}" title="{esc(alt)}"{w} src="data:image/png;base64,{data}">')


def figure(png: bytes | None, alt: str, caption: str = "", scale: float | None = None) -> Raw:
    """A figure; ``scale`` shows it at that fraction of its pixel width (so figures saved at one
    dpi show their text at one size whatever their width), never wider than the page. No PNG:
    nothing."""
    if not png:
        return Raw("")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    style = ""
    if scale and png[:8] == b"\x89PNG\r\n\x1a\n":
        width = int.from_bytes(png[16:20], "big")  # IHDR: the first chunk holds width, height
        style = f' style="width:{round(width * scale)}px"'
    return Raw(f"<figure{style}>{img(png, alt)}{cap}</figure>")


def num(v: Any, digits: int = 3) -> str:
    """A number for a table cell: ``digits`` significant digits, ∞/−∞, "—" for None/NaN."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "—"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v + 0.0:.{digits}g}".replace("-", "−")
    return str(v)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | Mapping[str, str], *,
          cls: str = "", numeric: Sequence[str] = (), caption: str | None = None,
          cell: Callable[[str, Any, Mapping[str, Any]], Any] | None = None,
          row_class: Callable[[Mapping[str, Any]], str | None] | None = None,
          sticky_first: bool = False, anchor: str | None = None) -> Raw:
    """An HTML table of ``rows``. ``columns``: keys, or {key: header}. ``cell(key, value, row)``
    may return a :class:`Raw` fragment or text; by default numbers go through :func:`num`.
    Wide tables scroll horizontally inside their own box instead of widening the page.
    ``anchor``: a key whose value names each row's anchor (``id="act-VALUE"``): the
    per-activation anchors the search box jumps to. The page's script makes every table sortable
    (click a header) and filterable (the box above it)."""
    heads = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    out = [f'<div class="scroll"><table class="{esc(cls)}{" sticky" if sticky_first else ""}">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads.values()) + "</tr></thead><tbody>")
    for r in rows:
        rc = row_class(r) if row_class else None
        rid = f' id="act-{esc(r.get(anchor))}"' if anchor and r.get(anchor) else ""
        out.append(f'<tr{rid} class="{esc(rc)}">' if rc else f"<tr{rid}>")
        for k in heads:
            v = r.get(k)
            content = cell(k, v, r) if cell else None
            if content is None:
                content = num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            klass = ' class="num"' if k in numeric else ""
            out.append(f"<td{klass}>{esc(content if content is not None else '')}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return Raw("".join(out))


def error_box(what: str, message: str, details: str = "") -> Raw:
    """A short red box saying what failed; the traceback folded away under it."""
    more = f"<details><summary>details</summary><pre>{esc(details)}</pre></details>" if details else ""
    return Raw(f'<div class="error"><b>{esc(what)}</b>: {esc(message)}{more}</div>')


def note(text: Any, cls: str = "note") -> Raw:
    return Raw(f'<p class="{esc(cls)}">{esc(text)}</p>')


def badge(text: str, kind: str) -> Raw:
    """A small coloured label: kind is ok | bad | warn | info."""
    return Raw(f'<span class="badge {esc(kind)}">{esc(text)}</span>')


# ------------------------------------------------------------------------------------ formulas
_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)


def formula(tex: str, render: Callable[[str], bytes | None] | None = None) -> Raw:
    """A spec's LaTeX formula typeset with mathtext; a ``cases`` environment is laid out as an
    HTML table behind a curved bracket, one row per branch ("value   if condition"). Any piece
    mathtext cannot parse falls back to its LaTeX source in ``<code>``."""
    if render is None:
        from .plots import math_png as render
    assert render is not None

    def piece(t: str) -> str:
        t = drop_size_switches(t)
        t = t.strip().strip(",").strip()
        t = re.sub(r"^(\\[,;: ]|\\quad|\\qquad|\s)+|(\\[,;: ]|\\quad|\\qquad|\s)+$", "", t)
        if not t:
            return ""
        png = render(t)
        return img(png, t, cls="math") if png else f"<code>{esc(t)}</code>"

    m = _CASES.search(tex)
    if not m:
        return Raw(f'<span class="formula">{piece(tex)}</span>')
    rows = []
    for branch in re.split(r"\\\\", m.group(1)):
        if not branch.strip():
            continue
        value, _, cond = branch.partition("&")
        rows.append(f"<tr><td>{piece(value)}</td><td class='cond'>if&nbsp;{piece(cond)}</td></tr>")
    after = piece(tex[m.end():])
    tail = f'<span class="after">{after}</span>' if after else ""
    return Raw(f'<span class="formula">{piece(tex[: m.start()])}'
               f'<table class="cases">{"".join(rows)}</table>{tail}</span>')


# ---------------------------------------------------------------------------------------- page
CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #ffffff; --soft: #f5f7fa;
        --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --accent: #2457c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial,
       sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 22px 32px 14px; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top h1 { margin: 0 0 4px; font-size: 26px; }
header.top .sub { color: var(--muted); }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 12px; }
.fact { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px;
        min-width: 130px; }
.fact b { display: block; font-size: 20px; }
.fact span { color: var(--muted); font-size: 13px; }
nav.toc { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line);
          padding: 8px 32px; font-size: 14px; white-space: nowrap; overflow-x: auto; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 16px; }
nav.toc a.failed { color: var(--bad); }
main { padding: 8px 32px 40px; max-width: 1500px; }
section { margin: 28px 0 36px; }
section h2 { font-size: 21px; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-bottom: 8px; }
section h2 .time { font-size: 12px; font-weight: normal; color: var(--muted); margin-left: 10px; }
section h3 { font-size: 16px; margin: 18px 0 6px; }
p.intro { color: var(--muted); max-width: 1100px; margin-top: 0; }
p.note { color: var(--muted); font-size: 13px; max-width: 1100px; }
.scroll { overflow-x: auto; max-width: 100%; margin: 6px 0 10px; border: 1px solid var(--line);
          border-radius: 6px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--soft); position: sticky; top: 0; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sticky td:first-child, table.sticky th:first-child { position: sticky; left: 0; background: #fff;
          font-weight: 600; z-index: 1; border-right: 1px solid var(--line); }
table.sticky th:first-child { background: var(--soft); z-index: 2; }
table.compact td, table.compact th { padding: 3px 7px; font-size: 12.5px; }
td.small, span.small { font-size: 12px; color: var(--muted); }
table.claims { width: 100%; }
table.claims td:nth-child(3) { min-width: 300px; }
table.claims td:nth-child(7) { min-width: 130px; }
tr.bad td { background: #fff1f0 !important; }
tr.sub td { color: var(--muted); }
code { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft);
       padding: 1px 4px; border-radius: 4px; }
.scroll-x { max-width: 100%; overflow-x: auto; }  /* e.g. a formula wider than a phone */
pre { max-width: 100%; overflow-x: auto; }  /* a long code line scrolls in its box, not the page */
pre > code { display: block; width: max-content; min-width: 100%; box-sizing: border-box; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600;
         white-space: nowrap; }
.badge.ok { background: #dafbe1; color: var(--ok); }
.badge.bad { background: #ffebe9; color: var(--bad); }
.badge.warn { background: #fff8c5; color: var(--warn); }
.badge.info { background: #ddf4ff; color: #0550ae; }
.error { border: 1px solid #f3b3b3; background: #fff5f5; color: #8a1c1c; padding: 10px 14px;
         border-radius: 6px; margin: 8px 0; max-width: 1100px; }
.error pre { white-space: pre-wrap; font-size: 12px; max-height: 300px; overflow: auto; }
.skipped { border: 1px dashed var(--line); color: var(--muted); padding: 10px 14px; border-radius: 6px; }
.formula { display: inline-flex; align-items: center; gap: 3px; flex-wrap: wrap; }
table.cases { border-collapse: separate; border-left: 1.5px solid #444; border-radius: 9px 0 0 9px;
              padding: 1px 0 1px 7px; margin-left: 2px; }
table.cases td { border: 0; padding: 0 8px 0 0; background: transparent !important; vertical-align: middle; }
table.cases td.cond { color: var(--muted); font-size: 13px; white-space: nowrap; }
img.math { vertical-align: middle; }
figure { margin: 10px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
             background: #fff; }
figcaption { color: var(--muted); font-size: 13px; max-width: 1100px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 6px 8px 4px; background: #fff; }
.card img { width: 100%; height: auto; border: 0; }
.card .head { display: flex; justify-content: space-between; align-items: baseline; gap: 6px; }
.card .head b { font-size: 14px; }
.card .head span { color: var(--muted); font-size: 12px; }
.figs { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.figs figure { flex: 0 1 auto; max-width: 100%; }
section.summary { border: 2px solid var(--accent); border-radius: 10px; padding: 6px 18px 10px;
                  margin-top: 18px; background: #f8fbff; }
section.summary h2 { border: 0; margin: 6px 0 2px; }
section.summary ol { margin: 4px 0; padding-left: 22px; max-width: 1100px; }
p.empty { border: 1px dashed var(--warn); background: #fffbea; padding: 8px 12px; border-radius: 6px;
          max-width: 1100px; }
.tools { margin: 4px 0 0; font-size: 13px; color: var(--muted); }
.tools input { font: inherit; padding: 2px 6px; border: 1px solid var(--line); border-radius: 5px;
               width: 220px; }
th.sortable { cursor: pointer; }
th.sortable:after { content: " ⇅"; color: #a0a7b4; font-weight: normal; }
#search { font: inherit; font-size: 14px; padding: 3px 8px; border: 1px solid var(--line); border-radius: 6px;
          width: 210px; margin-right: 16px; }
#search-msg { color: var(--muted); margin-right: 16px; }
tr:target td { background: #fff8c5 !important; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px; border-top: 1px solid var(--line); }
"""


# One small inline script (no URL, no library): sortable and filterable tables, and a search box
# that jumps to an activation's row (exact name, then prefix, then the fewest edits: "swsh" -> swish).
SCRIPT = r"""
(function () {
  function key(td) { var t = (td ? td.textContent : "").trim().replace(/\u2212/g, "-");
    var n = parseFloat(t.replace(/[^0-9eE+\-.]/g, ""));
    return /^[-+]?[\d.]/.test(t) && !isNaN(n) ? n : t.toLowerCase(); }
  document.querySelectorAll("main table:not(.cases)").forEach(function (tb) {
    var body = tb.tBodies[0]; if (!body || body.rows.length < 3) return;
    tb.querySelectorAll("thead th").forEach(function (th, i) {
      th.classList.add("sortable"); th.title = "click to sort";
      th.addEventListener("click", function () {
        var asc = th.dataset.dir !== "asc"; th.dataset.dir = asc ? "asc" : "desc";
        Array.from(body.rows).sort(function (a, b) { var x = key(a.cells[i]), y = key(b.cells[i]);
          var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
          return asc ? c : -c; }).forEach(function (r) { body.appendChild(r); });
      });
    });
    var box = document.createElement("div"); box.className = "tools";
    box.innerHTML = 'filter <input type="search" placeholder="rows containing…">';
    var wrap = tb.closest(".scroll") || tb; wrap.parentNode.insertBefore(box, wrap);
    box.querySelector("input").addEventListener("input", function (e) { var q = e.target.value.toLowerCase();
      Array.from(body.rows).forEach(function (r) {
        r.style.display = r.textContent.toLowerCase().indexOf(q) < 0 ? "none" : ""; }); });
  });
  function edits(a, b) { var d = [], i, j; for (i = 0; i <= a.length; i++) { d[i] = [i]; }
    for (j = 1; j <= b.length; j++) { d[0][j] = j; }
    for (i = 1; i <= a.length; i++) for (j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (a[i-1] === b[j-1] ? 0 : 1));
    return d[a.length][b.length]; }
  var names = Array.from(document.querySelectorAll("tr[id^='act-']"))
    .map(function (r) { return r.id.slice(4); });
  var input = document.getElementById("search"), msg = document.getElementById("search-msg");
  if (!input) return;
  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return; var q = input.value.trim().toLowerCase(); if (!q) return;
    var best = names.indexOf(q) >= 0 ? q : names.filter(function (n) { return n.indexOf(q) === 0; })[0];
    if (!best) { var s = names.map(function (n) { return [edits(q, n), n]; })
      .sort(function (a, b) { return a[0] - b[0]; });
      best = s.length && s[0][0] <= Math.max(2, q.length / 3) ? s[0][1] : null; }
    msg.textContent = best ? (best === q ? "" : "→ " + best) : "no activation like “" + q + "”";
    if (best) location.hash = "act-" + best;
  });
})();
"""


def page(title: str, header: Any, nav: Sequence[tuple[str, str, bool]], body: Any, footer: Any) -> str:
    """The whole document. ``nav``: (anchor, label, failed) per section."""
    failed = ' class="failed"'
    links = "".join(f'<a href="#{esc(a)}"{failed if bad else ""}>{esc(label)}</a>' for a, label, bad in nav)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header class=\"top\">{esc(header)}</header>"
        f"<nav class=\"toc\"><input id=\"search\" type=\"search\" placeholder=\"find an activation (Enter)\" "
        f"aria-label=\"find an activation\"><span id=\"search-msg\"></span>{links}</nav>"
        f"<main>{esc(body)}</main><footer>{esc(footer)}</footer><script>{SCRIPT}</script></body></html>\n"
    )


def section(key: str, title: str, content: Any, intro: str = "", seconds: float | None = None) -> Raw:
    time = f'<span class="time">{seconds:.1f} s</span>' if seconds is not None else ""
    lead = f'<p class="intro">{esc(intro)}</p>' if intro else ""
    return Raw(f'<section id="{esc(key)}"><h2>{esc(title)}{time}</h2>{lead}{esc(content)}</section>')
