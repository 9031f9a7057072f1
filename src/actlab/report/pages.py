"""A page per activation, next to ``report.html`` (``activations/NAME.html``, static, opening
offline): formula, the plot of f, f′, f″ at the default parameters, its parameters, measured
properties, accuracy against the oracle (and torch's native op where the accuracy section
measured it), mean-field numbers, citation, and the three lines of code to use it.

Built from the data the report's sections already computed (nothing is measured again here);
a section that was left out or failed leaves its part of the page as a one-line note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import html as H

__all__ = ["EXPLORER", "code_lines", "explorer_link", "page_for", "write_pages"]

FOLDER = "activations"
# ``actlab serve``'s default address; the explorer keeps its view in the URL hash (#a=NAME selects)
EXPLORER = "http://127.0.0.1:8000/"


def explorer_link(name: str, base: str = EXPLORER) -> str:
    """The explorer's URL with ``name`` preselected (it must be running: ``actlab serve``)."""
    from urllib.parse import quote

    return f"{base}#a={quote(name)}"


def _module_class(name: str) -> str | None:
    import actlab.nn as nn

    flat = name.replace("_", "").lower()
    for c in dir(nn):
        if c.lower() == flat and isinstance(getattr(nn, c), type):
            return c
    return None


def code_lines(name: str) -> str:
    """The three ways to use ``name``: functional, module, by name."""
    import actlab.functional as F

    fn = f"y = actlab.functional.{name}(x)" if hasattr(F, name) else "# (no functional form)"
    cls = _module_class(name)
    mod = f"layer = actlab.nn.{cls}()" if cls else "# (no module class)"
    return f"import actlab\n{fn}\n{mod}\nact = actlab.get(\"{name}\")   # by name, e.g. from a config"


def _kv(rows: Sequence[Mapping[str, Any]], empty: str) -> H.Raw:
    if not rows:
        return H.note(empty)
    cols = list(dict.fromkeys(k for r in rows for k in r if k not in ("name", "assets")))
    return H.table(rows, cols, cls="compact")


def page_for(name: str, data: Mapping[str, Mapping[str, Any] | None]) -> str:
    """The HTML of ``name``'s page from the sections' data (by section key)."""
    import actlab

    spec = actlab.get_spec(name)
    parts: list[Any] = [H.Raw(
        f'<p class="links"><a href="../report.html#act-{H.esc(name)}">← the report</a> · '
        f'<a href="{H.esc(explorer_link(name))}">open in the explorer</a> '
        '<small>(start it first with <code>actlab serve</code>; then move the parameters '
        'and compare with others)</small></p>')]
    parts.append(H.Raw(f"<h2>Formula</h2><p class='scroll-x'>{H.formula(spec.formula)}</p>"))
    parts.append(H.Raw(f"<details><summary>LaTeX</summary><code>{H.esc(spec.formula)}</code></details>"))
    gallery = (data.get("gallery") or {}).get("assets", {})
    png = gallery.get(f"plot:{name}")
    parts.append(H.Raw("<h2>f, f′ and f″</h2>"))
    parts.append(H.figure(png, f"{name}: f (solid), f′ (dashed), f″ (dotted) on [−5, 5]",
                          "f solid, f′ dashed, f″ dotted, on [−5, 5], at the default parameters")
                 if png else H.note("The plot section was not built for this activation."))
    params = [{"parameter": k, "default": v} for k, v in (spec.defaults or {}).items()]
    parts.append(H.Raw("<h2>Parameters</h2>"))
    parts.append(_kv(params, "No parameters."))
    props = [r for r in (data.get("properties") or {}).get("rows", []) if r.get("name") == name]
    parts.append(H.Raw("<h2>Measured properties</h2>"))
    parts.append(H.table([{"property": k, "value": v} for k, v in props[0].items() if k != "name"],
                         ["property", "value"], cls="compact") if props
                 else H.note("Not measured (not an elementwise function of x, or the section was left out)."))
    acc = [r for r in (data.get("accuracy") or {}).get("rows", []) if r.get("name") == name]
    parts.append(H.Raw("<h2>Accuracy against the 30-digit oracle and torch's native op</h2>"))
    parts.append(_kv(acc, "Not measured in this build."))
    mf = [r for r in (data.get("meanfield") or {}).get("edge", []) if r.get("activation") == name]
    parts.append(H.Raw("<h2>Mean field</h2>"))
    parts.append(_kv([{k: v for k, v in r.items() if k != "activation"} for r in mf],
                     "Not in this report's mean-field set."))
    parts.append(H.Raw("<h2>Use it</h2>"))
    parts.append(H.Raw(f"<pre><code>{H.esc(code_lines(name))}</code></pre>"))
    parts.append(H.Raw("<h2>Reference</h2>"))
    parts.append(H.Raw(f"<p>{H.esc(spec.citation or '—')}</p>"))
    header = H.Raw(f"<h1>{H.esc(name)}</h1><div class='sub'>{H.esc(spec.family)} · "
                   f"{H.esc(spec.summary)}</div>")
    return H.page(f"{name} — actlab", header, [], H.join(parts), H.Raw("Part of the actlab report."))


def write_pages(out: Path, names: Sequence[str], data: Mapping[str, Mapping[str, Any] | None]) -> list[Path]:
    """Write ``out/activations/NAME.html`` for each of ``names``; a page that fails is skipped."""
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        try:
            text = page_for(name, data)
        except Exception:  # one bad spec must not cost the report
            continue
        path = folder / f"{name}.html"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
