"""A spec's LaTeX formula typeset as SVG on the server, offline, with matplotlib's mathtext.

The explorer shows formulas as math, not as LaTeX source. No math renderer ships in the
installed packages (KaTeX and MathJax live in npm or in large third-party wheels, and the page
may load nothing from a CDN), so the server typesets them: matplotlib (already a dependency)
parses TeX math with its mathtext engine and turns glyphs into outlines, written here as one
SVG ``<path>``: no fonts, no script, nothing for the browser to fetch.

mathtext covers the TeX math the catalog uses except a few constructs, handled here:

* ``\\begin{cases} a & c \\\\ b & d \\end{cases}``: the rows are typeset one cell at a time, aligned
  in two columns and drawn beside a brace this module draws itself;
* ``\\le``, ``\\ge``, ``\\ne``: typeset as ``\\leq``, ``\\geq``, ``\\neq``; ``\\frac`` in display
  style (mathtext's ``\\dfrac``), ``\\tfrac`` in text style (mathtext's ``\\frac``).
* ``\\big(``, ``\\Bigl[`` ..., ``\\textstyle``, ``\\displaystyle``: the switch is dropped (the
  delimiter is drawn at its normal size).

Anything mathtext still cannot parse is drawn as its source text (never an error): the
returned SVG says so in ``data-fallback``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

from actlab.mathtext import drop_size_switches

__all__ = ["SIZE", "Box", "svg", "typeset"]

SIZE = 18.0  # px per em: the SVG is this big at 100% (the page scales it with CSS)
_lock = threading.Lock()  # matplotlib's parser and rcParams are not thread-safe


@dataclass
class Box:
    """Typeset material: ``width``, ``ascent`` above and ``descent`` below the baseline (px),
    and its outline as SVG path commands with the baseline at y = 0 (y down)."""

    width: float = 0.0
    ascent: float = 0.0
    descent: float = 0.0
    path: list[str] = field(default_factory=list)
    fallback: bool = False

    def shifted(self, dx: float, dy: float) -> list[str]:
        return [_shift(cmd, dx, dy) for cmd in self.path]


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


def _shift(cmd: str, dx: float, dy: float) -> str:
    """Move one path command ('M x y', 'C x y x y x y', 'Z') by (dx, dy)."""
    parts = cmd.split()
    out = [parts[0]]
    for i, v in enumerate(parts[1:]):
        out.append(_num(float(v) + (dx if i % 2 == 0 else dy)))
    return " ".join(out)


def _outline(tex: str, size: float) -> Box:
    """One run of TeX math typeset by mathtext (raises ValueError if it cannot parse it)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser
    from matplotlib.path import Path as MplPath
    from matplotlib.textpath import TextPath

    if not tex.strip():
        return Box()
    prop = FontProperties(size=size, math_fontfamily="cm")  # Computer Modern, as in TeX
    with matplotlib.rc_context({"mathtext.fontset": "cm"}):
        parsed = MathTextParser("path").parse(f"${tex}$", dpi=72, prop=prop)
        outline = TextPath((0, 0), f"${tex}$", prop=prop)
    width, height, depth = float(parsed[0]), float(parsed[1]), float(parsed[2])
    cmds: list[str] = []
    letters = {MplPath.MOVETO: "M", MplPath.LINETO: "L", MplPath.CURVE3: "Q", MplPath.CURVE4: "C"}
    for points, code in outline.iter_segments(simplify=False, curves=True):
        if code == MplPath.CLOSEPOLY:
            cmds.append("Z")
            continue
        xy = points.reshape(-1, 2)
        cmds.append(letters[code] + " " + " ".join(f"{_num(x)} {_num(-y)}" for x, y in xy))
    return Box(width, height - depth, depth, cmds)


def _text(source: str, size: float) -> Box:
    """The source drawn as plain text: the fallback for what mathtext cannot parse."""
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path as MplPath
    from matplotlib.textpath import TextPath

    with matplotlib.rc_context({"text.usetex": False}):
        outline = TextPath((0, 0), source, prop=FontProperties(family="monospace", size=size * 0.8))
    ext = outline.get_extents()
    cmds = []
    letters = {MplPath.MOVETO: "M", MplPath.LINETO: "L", MplPath.CURVE3: "Q", MplPath.CURVE4: "C"}
    for points, code in outline.iter_segments(simplify=False, curves=True):
        if code == MplPath.CLOSEPOLY:
            cmds.append("Z")
            continue
        cmds.append(letters[code] + " " + " ".join(f"{_num(x)} {_num(-y)}" for x, y in points.reshape(-1, 2)))
    return Box(float(ext.x1) + 2, max(float(ext.y1), 0.0), max(-float(ext.y0), 0.0), cmds, fallback=True)


# TeX names mathtext does not know, and the ones it does
# (a formula is displayed, so \frac is TeX's display style, mathtext's \dfrac; \tfrac its \frac)
_SYNONYMS = {"frac": "dfrac", "tfrac": "frac", "le": "leq", "ge": "geq", "ne": "neq"}


# Size and style switches mathtext does not know: dropped (the delimiter keeps its normal size).


def _run(tex: str, size: float) -> Box:
    tex = re.sub(r"\\(frac|tfrac|le|ge|ne)(?![a-zA-Z])", lambda m: "\\" + _SYNONYMS[m.group(1)], tex)
    tex = drop_size_switches(tex)
    try:
        return _outline(tex, size)
    except ValueError:
        return _text(tex, size)


def _hbox(boxes: list[Box]) -> Box:
    out = Box()
    for b in boxes:
        out.path += b.shifted(out.width, 0.0)
        out.width += b.width
        out.ascent = max(out.ascent, b.ascent)
        out.descent = max(out.descent, b.descent)
        out.fallback |= b.fallback
    return out


def _brace(height: float, width: float, top: float) -> list[str]:
    """A left curly brace from y = top to y = top + height, as a filled outline."""
    m = width * 0.5  # the stem's x
    t = max(height * 0.012, 0.9)  # half the stroke
    y0, y1, ym = top, top + height, top + height / 2
    r = min(width * 0.5, height * 0.12)  # corner radius
    outer = [f"M {_num(width)} {_num(y0)}",
             f"Q {_num(m - t)} {_num(y0)} {_num(m - t)} {_num(y0 + r)}",
             f"L {_num(m - t)} {_num(ym - r)}",
             f"Q {_num(m - t)} {_num(ym)} 0 {_num(ym)}",
             f"Q {_num(m - t)} {_num(ym)} {_num(m - t)} {_num(ym + r)}",
             f"L {_num(m - t)} {_num(y1 - r)}",
             f"Q {_num(m - t)} {_num(y1)} {_num(width)} {_num(y1)}",
             f"Q {_num(m + t)} {_num(y1 - t)} {_num(m + t)} {_num(y1 - r)}",
             f"L {_num(m + t)} {_num(ym + r)}",
             f"Q {_num(m + t)} {_num(ym)} {_num(m * 0.4)} {_num(ym)}",
             f"Q {_num(m + t)} {_num(ym)} {_num(m + t)} {_num(ym - r)}",
             f"L {_num(m + t)} {_num(y0 + r)}",
             f"Q {_num(m + t)} {_num(y0 + t)} {_num(width)} {_num(y0)}", "Z"]
    return outer


def _cases(body: str, size: float) -> Box:
    """``a & c \\\\ b & d``: rows of (value, condition), left-aligned columns, a brace on the left."""
    rows = [[_run(cell.strip(), size) for cell in [*row.split("&", 1), ""][:2]]
            for row in re.split(r"\\\\", body) if row.strip()]
    col0 = max(r[0].width for r in rows)
    col1 = max(r[1].width for r in rows)
    gap, lead = size * 1.0, size * 0.3
    ascents = [max(r[0].ascent, r[1].ascent, size * 0.7) for r in rows]
    descents = [max(r[0].descent, r[1].descent, size * 0.25) for r in rows]
    total = sum(ascents) + sum(descents) + lead * (len(rows) - 1)
    axis = size * 0.25  # the math axis, where the brace's middle sits (above the baseline)
    top = -axis - total / 2  # y of the block's top, baseline at 0
    brace_w = size * 0.55
    out = Box(width=brace_w + size * 0.2 + col0 + gap + col1, ascent=-top, descent=top + total)
    out.path += _brace(total, brace_w, top)
    y = top
    x0 = brace_w + size * 0.2
    for (a, b), asc, desc in zip(rows, ascents, descents):
        base = y + asc
        out.path += a.shifted(x0, base) + b.shifted(x0 + col0 + gap, base)
        out.fallback |= a.fallback or b.fallback
        y = base + desc + lead
    return out


def typeset(tex: str, size: float = SIZE) -> Box:
    """``tex`` laid out: runs of math through mathtext, ``cases`` environments by hand."""
    pieces: list[Box] = []
    rest = tex
    pattern = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)
    while (m := pattern.search(rest)) is not None:
        pieces.append(_run(rest[:m.start()], size))
        pieces.append(_cases(m.group(1), size))
        rest = rest[m.end():]
    pieces.append(_run(rest, size))
    return _hbox([p for p in pieces if p.path or p.width])


@lru_cache(maxsize=512)
def svg(tex: str, size: float = SIZE) -> str:
    """The formula as a standalone SVG document (one path, ``currentColor``-free dark ink).

    Its ``<title>`` and ``aria-label`` are the LaTeX source, for screen readers and copying.
    """
    with _lock:
        box = typeset(tex, size)
    pad = size * 0.15
    w, h = box.width + 2 * pad, box.ascent + box.descent + 2 * pad
    d = " ".join(box.shifted(pad, pad + box.ascent))
    label = escape(tex, quote=True)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(w)}" height="{_num(h)}" '
            f'viewBox="0 0 {_num(w)} {_num(h)}" role="img" aria-label="{label}" '
            f'data-fallback="{str(box.fallback).lower()}" data-baseline="{_num(pad + box.ascent)}">'
            f"<title>{escape(tex)}</title><path fill=\"#1d232b\" d=\"{d}\"/></svg>")
