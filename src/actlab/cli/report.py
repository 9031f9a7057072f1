"""``actlab plot``, ``actlab approx`` and ``actlab report``: figures, the universal-approximation
demo and the self-contained HTML report.

Commands build plain data and print a Rich table or JSON (``--json``) to stdout; progress bars
and "wrote FILE" go to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ._common import (
    JsonOpt,
    UserError,
    check_memory,
    count,
    items,
    max_jobs,
    output_dir,
    output_file,
    parse_params,
    split_names,
    user_errors,
    writing,
)
from ._output import err, out

__all__ = ["app", "approx_cmd", "plot_cmd", "report_cmd"]

app = typer.Typer()

MAX_DPI = 1200  # a 6-inch figure at 1200 dpi is 7200 pixels wide: print quality, bounded memory


def _ints(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{what} expects integers separated by commas, e.g. 2,8,32,128; "
                        f"got {text!r}") from None
    if not values:
        raise UserError(f"{what} expects at least one integer, e.g. 2,8,32,128")
    return values


# ------------------------------------------------------------------------------------- plot
@app.command("plot")
def plot_cmd(
    names: Annotated[list[str] | None, typer.Argument(
        help="Activations to plot; none (or --gallery) = the whole catalog as small multiples.")] = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output file: .png, .svg or .pdf.")]
    = Path("plot.png"),
    order: Annotated[str, typer.Option(help="Derivative orders: 0 = f, 1 = f′, 2 = f″, comma-separated.")]
    = "0,1,2",
    xrange: Annotated[tuple[float, float], typer.Option("--range", help="x range A B.")] = (-5.0, 5.0),
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Parameter value as NAME=VALUE; repeat for several.")] = None,
    gallery: Annotated[bool, typer.Option("--gallery", help="Small multiples, one panel per activation.")]
    = False,
    layout: Annotated[str, typer.Option(help="auto | overlay (orders on one axes) | panels (one per order).")]
    = "auto",
    dpi: Annotated[int, typer.Option(help="Resolution of PNG output.")] = 150,
) -> None:
    """Plot f, f′ and f″ with kinks marked (one activation: overlaid; several: one panel per
    order). Gated activations show their gate, CReLU its base function.

    \b
    Examples:
      actlab plot mish --out mish.svg
      actlab plot elu selu celu --order 0,1 --range -4 2 --out elus.png
      actlab plot swish -p beta=4 --out swish.pdf
      actlab plot --gallery --out catalog.png
    """
    names = split_names(names)
    from ..report import plots

    with user_errors():
        orders = plots.parse_orders(order)
    params = parse_params(param)
    count("--dpi", dpi, 10, MAX_DPI)
    if names is not None and not [n for n in names if n.strip()] and not gallery:
        raise UserError("no activation named: give names (e.g. `actlab plot mish`) or --gallery")
    if layout not in ("auto", "overlay", "panels"):
        raise UserError(f"--layout must be auto, overlay or panels, got {layout!r}")
    output_file(out_path, "--out", tuple(plots.FORMATS))
    if gallery or not names:
        if params:
            raise UserError("--param applies to named activations, not to the gallery")
        import actlab

        with user_errors():
            chosen = [actlab.get_spec(n).name for n in names] if names else actlab.names()
        with err.progress("plotting the gallery", len(chosen)) as tick, user_errors():
            fig = plots.gallery(chosen, orders, xrange, progress=lambda _: tick())  # checks --range
    else:
        with user_errors():  # plot checks the names, --range, --layout and --param first
            fig = plots.plot(names, orders, xrange, params, layout=layout)
    with writing(out_path):
        path = plots.save(fig, out_path, dpi=dpi)
    err.note(f"wrote {path}")


# ----------------------------------------------------------------------------------- approx
@app.command("approx")
def approx_cmd(
    names: Annotated[list[str] | None, typer.Argument(
        help="Activations (default: identity square cube relu tanh gelu sin sigmoid).")] = None,
    target: Annotated[str, typer.Option(help="Targets on [-1, 1]: sin (sin 2πx), abs (|x|), step.")]
    = "sin,abs,step",
    widths: Annotated[str, typer.Option(help="Hidden widths N, comma-separated.")] = "2,4,8,16,32,64,128,256",
    seeds: Annotated[int, typer.Option(help="Random draws of the hidden layer per width (median).")] = 5,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Also save the plot (.png/.svg/.pdf).")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Universal approximation: fit 1-D targets with one hidden layer of width N (random hidden
    weights, least-squares output layer) and print the test error against N. Polynomial
    activations plateau at the best polynomial fit of their degree; the others keep improving
    (Leshno et al. 1993)."""
    names = split_names(names)
    from ..analysis import approx
    from ..report import plots
    from ..report.figures import approx as approx_figures

    if names is not None and not [n for n in names if n.strip()]:
        raise UserError("no activation named: give names (e.g. `actlab approx relu tanh`) or none "
                        "for the default set")
    chosen = list(names) if names else list(approx.DEFAULT_ACTIVATIONS)
    sizes = _ints(widths, "--widths")
    if min(sizes) < 1:
        raise UserError(f"--widths are hidden-layer sizes >= 1, e.g. 2,8,32,128; got {widths!r}")
    count("--seeds", seeds, 1)
    targets = items(target, "--target", "sin,abs")
    if out_path is not None:
        output_file(out_path, "--out", tuple(plots.FORMATS))
    # the hidden features of the train and test grids, in float64, a few copies in the fit
    check_memory(max(sizes) * (approx.N_TRAIN + approx.N_TEST) * 8 * 4, f"--widths {max(sizes)}",
                 "use smaller --widths")
    with err.progress("fitting", len(chosen)) as tick, user_errors():  # run checks its input first
        result = approx.run(chosen, targets, sizes, seeds, progress=lambda n: tick(f"fitted {n}"))
    if out_path is not None:
        with writing(out_path):
            saved = approx_figures.plot(result, out_path)
        err.note(f"wrote {saved}")
    if as_json:
        out.json({**result.to_dict(), "rows": result.rows()})
        return
    table = Table(title=f"RMS test error of one hidden layer of width N (median of {seeds} draws); "
                  "polynomial activations plateau")
    first = 8 if 8 in result.widths else result.widths[0]  # rows()' improvement: error(first) / error(last)
    gain = f"gain {first}→{result.widths[-1]}"
    for c in ("activation", "target", "polynomial", *(f"N={w}" for w in result.widths), gain):
        table.add_column(c, justify="left" if c in ("activation", "target", "polynomial") else "right")
    for r in result.rows():
        table.add_row(r["activation"], escape(r["label"]),
                      f"degree {r['degree']}" if r["polynomial"] else "no",
                      *(f"{r[f'N={w}']:.2g}" for w in result.widths), f"{r['improvement']:.3g}×")
    out.print(table, highlight=True)


# ----------------------------------------------------------------------------------- report
@app.command("report")
def report_cmd(
    activations: Annotated[list[str] | None, typer.Argument(
        help="Only these activations in the per-activation sections, comma or space separated "
             "(default: all).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for report.html and report.json.")]
    = Path("actlab-report"),
    quick: Annotated[bool, typer.Option("--quick", help="Smaller grids, float32-only accuracy, shorter "
                                        "training runs: about 130 CPU-seconds from a cold cache (1-3 "
                                        "minutes on 2 cores, depending on load).")] = False,
    name: Annotated[list[str] | None, typer.Option(
        "--name", "-n", hidden=True, help="Old form of the activations argument; repeat.")] = None,
    sections: Annotated[str | None, typer.Option(help="Only these sections, comma-separated (e.g. "
                                                 "catalog,gallery,claims).")] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Build the report: one self-contained HTML file (opens offline) with the catalog, plots of
    f/f′/f″, measured properties, checked claims, the accuracy table, the universal-approximation
    demo and the network analyses; the tables also as report.json. Exits 1 if a core section
    failed (the page is still written, with the error shown)."""
    from ..report import build as B

    keys = items(sections, "--sections", "catalog,gallery") if sections is not None else None
    if name is not None and not [n for n in name if n.strip()]:
        raise UserError("--name is empty: name an activation, e.g. --name mish")
    if activations is not None and name is not None:
        raise UserError("--name is the old form of the activations argument: give only the names, "
                        "e.g. actlab report mish gelu")
    if activations is not None and not [a for a in activations if a.strip(", ")]:
        raise UserError("no activation named: give names, e.g. actlab report mish gelu, or none for all")
    chosen = activations if activations is not None else name
    name = [n.strip() for item in chosen for n in item.split(",") if n.strip()] if chosen else None
    count("--jobs", jobs, 1, max_jobs())
    output_dir(out_dir, "--out")
    # build checks the names and --sections; a failing section is an error box
    with user_errors(), writing(out_dir):
        # progress on stderr, only on a terminal: a line per finished section under a bar
        # naming the sections being computed
        result = B.build(out_dir, quick=quick, names=name or None, keys=keys, jobs=jobs, progress=True,
                         console=err.console)
    summary: dict[str, Any] = {
        "html": str(result.html_path), "json": str(result.json_path), "seconds": round(result.seconds, 1),
        "sections": {o.key: ("skipped" if o.skipped else "failed: " + o.error if o.error else "ok")
                     for o in result.outcomes},
    }
    if as_json:
        out.json(summary)
    else:
        for o in result.outcomes:
            if o.error:
                err.print(f"[bold red]section {o.key} failed:[/] {escape(o.error)}", soft_wrap=True)
        out.print(f"wrote {result.html_path} and {result.json_path} in {result.seconds:.0f} s "
                  f"({len(result.outcomes) - len(result.failed)}/{len(result.outcomes)} sections ok); "
                  f"open it in a browser: file://{result.html_path.resolve()}", soft_wrap=True)
    if result.failed_required:
        raise typer.Exit(1)
