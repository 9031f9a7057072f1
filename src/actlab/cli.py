"""The ``actlab`` command line (Typer + Rich).

Commands build plain data (lists of dicts); one renderer prints a Rich table or JSON. Results
and JSON go to stdout, diagnostics to stderr. Bad input exits with code 2 and one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .cli_common import err, friendly, parse_params

app = typer.Typer(
    help="actlab: use, verify, understand, compare and choose activation functions.\n\n"
    "Start with `actlab list`, look at one with `actlab show mish`, and check the numerics "
    "against the high-precision oracle with `actlab check accuracy mish`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
check_app = typer.Typer(help="Verify activations against the mpmath oracle.", no_args_is_help=True)
app.add_typer(check_app, name="check")


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        sys.stdout.write(f"actlab {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print actlab's version and exit.",
                                          callback=_print_version, is_eager=True)] = False,
) -> None:
    """actlab: use, verify, understand, compare and choose activation functions."""

out = Console(width=None if sys.stdout.isatty() else 200)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Parameter value as NAME=VALUE; repeat for several."),
]


def render(rows: list[dict], columns: Sequence[str], as_json: bool, title: str = "") -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    table = Table(title=title or None, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    out.print(table)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return "" if v is None else str(v)


# ------------------------------------------------------------------------------------- list
def catalog_rows(family: str | None = None) -> list[dict]:
    import actlab

    if family is not None and family not in actlab.families():
        raise ValueError(f"unknown family '{family}'; families: {', '.join(actlab.families())}")
    return [
        {"name": s.name, "family": s.family, "kind": s.kind, "aliases": list(s.aliases),
         "params": {p.name: p.default for p in s.params}, "summary": s.summary}
        for s in actlab.specs() if family is None or s.family == family
    ]


@app.command("list")
@friendly
def list_cmd(
    family: Annotated[str | None, typer.Option(help="Only this family, e.g. rectifier.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the catalog: name, family, parameters and a one-line summary."""
    rows = catalog_rows(family)
    for r in rows:
        r["parameters"] = ", ".join(f"{k}={v:g}" for k, v in r["params"].items())
    render(rows, ["name", "family", "parameters", "summary"], as_json,
           title=f"{len(rows)} activations")


# ------------------------------------------------------------------------------------- show
def show_data(name: str, params: dict[str, float]) -> dict:
    import torch

    import actlab

    act = actlab.get(name, **params)
    spec = act.spec
    xs = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    values = {"x": xs.tolist()}
    if spec.kind in ("elementwise", "stochastic"):
        values["f"] = act(xs).tolist()
        values["df"] = act.derivative(xs).tolist()
    else:  # gated/concatenated: the values of the elementwise function inside
        inner = actlab.get(spec.gate)
        values["g"] = inner(xs).tolist()
        values["dg"] = inner.derivative(xs).tolist()
    return {
        "name": spec.name, "family": spec.family, "kind": spec.kind, "aliases": list(spec.aliases),
        "summary": spec.summary, "formula": spec.formula, "citation": spec.citation,
        "parameters": [{"name": p.name, "value": act.params[p.name], "default": p.default,
                        "domain": str(p.domain), "learnable": p.learnable, "doc": p.doc}
                       for p in spec.params],
        "kinks": list(spec.kinks(**act.params)), "kink_note": spec.kink_note,
        "torch_native": spec.native is not None, "values": values,
        "gate": spec.gate, "notes": spec.notes,
    }


@app.command()
@friendly
def show(
    name: Annotated[str, typer.Argument(help="Activation name or alias.")],
    param: ParamOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Formula, parameters and domains, kinks, citation and a few values of f and f'."""
    data = show_data(name, parse_params(param))
    if as_json:
        render(data, [], True)  # type: ignore[arg-type]
        return
    out.print(f"[bold]{data['name']}[/]  ({data['family']}, {data['kind']})  {data['summary']}")
    out.print(f"  f(x) = {data['formula']}", highlight=False)
    if data["aliases"]:
        out.print(f"  aliases: {', '.join(data['aliases'])}")
    for p in data["parameters"]:
        learn = ", learnable" if p["learnable"] else ""
        out.print(f"  {p['name']} = {p['value']:g}  (default {p['default']:g}, domain {p['domain']}"
                  f"{learn})  {p['doc']}", highlight=False)
    if data["kinks"]:
        out.print(f"  kinks at {data['kinks']}: {data['kink_note']}", highlight=False)
    if data["gate"]:
        out.print(f"  built on: {data['gate']}")
    if data["notes"]:
        out.print(f"  {data['notes']}", highlight=False)
    out.print(f"  reference: {data['citation']}", highlight=False)
    v = data["values"]
    keys = [k for k in v if k != "x"]
    rows = [{"x": x, **{k: v[k][i] for k in keys}} for i, x in enumerate(v["x"])]
    render(rows, ["x", *keys], False)


# ---------------------------------------------------------------------------- check accuracy
def accuracy_rows(names: Sequence[str], dtypes: Sequence[str], jobs: int, size: str = "full",
                  progress: bool = True) -> list[dict]:
    import actlab
    from actlab.numerics import accuracy

    for d in dtypes:
        if d not in accuracy.DTYPES:
            raise ValueError(f"unknown dtype '{d}'; choose from {', '.join(accuracy.DTYPES)}")
    chosen = [actlab.get_spec(n).name for n in names] or actlab.names()
    chosen = [n for n in chosen if actlab.get_spec(n).kind == "elementwise"]
    from rich.progress import Progress

    with Progress(console=err, transient=True, disable=not progress) as bar:
        task = bar.add_task("checking against the oracle", total=len(chosen) * (2 if jobs > 1 else 1))
        results = accuracy.check(chosen, dtypes, jobs=jobs, size=size,
                                 progress=lambda _: bar.advance(task))
    rows = []
    for m in results:
        rows.append({
            "name": m.name, "dtype": m.dtype, "quantity": m.quantity,
            "max_ulp": m.actlab.max_ulp, "at_x": m.actlab.at, "raw_max_ulp": m.actlab.raw_ulp,
            "nonfinite": m.actlab.bad, "bound": m.bound, "passed": m.passed,
            "native_max_ulp": None if m.native is None else m.native.max_ulp,
            "native_nonfinite": None if m.native is None else m.native.bad,
            "reason": m.reason,
        })
    return rows


def summary_rows(rows: list[dict], dtypes: Sequence[str]) -> list[dict]:
    """One row per activation: max ULP per (dtype, quantity) with torch native's beside it."""
    table: dict[str, dict] = {}
    for r in rows:
        t = table.setdefault(r["name"], {"name": r["name"], "ok": True})
        q = "dθ" if r["quantity"].startswith("d_") else {"f": "f", "df": "f'", "d2f": "f''"}[r["quantity"]]
        key = f"{q} {r['dtype'].replace('float', 'f').replace('bf16', 'bf16')}"
        prev = t.get(key)
        mark = "" if r["passed"] else "!"
        val = f"{r['max_ulp']:.2g}{mark}" + (f" nan×{r['nonfinite']}" if r["nonfinite"] else "")
        if r["native_max_ulp"] is not None:
            bad = r["native_nonfinite"]
            nat = f"{r['native_max_ulp']:.2g}" + (f" nan×{bad}" if bad else "")
            val += f" ({nat})"
        if prev is None or not r["passed"]:
            t[key] = val
        t["ok"] &= r["passed"]
    return list(table.values())


@check_app.command("accuracy")
@friendly
def check_accuracy(
    names: Annotated[list[str] | None, typer.Argument(help="Activations (default: all).")] = None,
    dtype: Annotated[str, typer.Option(help="Comma-separated dtypes.")] = "float64,float32,bfloat16,float16",
    jobs: Annotated[int, typer.Option(help="Worker processes for the oracle.")] = 2,
    quick: Annotated[bool, typer.Option(help="A sparser grid (about 3x fewer points).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Max error in ULPs of f, f', f'' and df/dθ per dtype against the mpmath oracle, with
    torch's native op in parentheses where one exists. Exits 1 if any bound fails.

    "!" marks a value over its bound; "nan×k" counts non-finite outputs where the truth is
    finite. ULPs are divided by the condition number where it exceeds 1 (see the docs).
    """
    dtypes = [d.strip() for d in dtype.split(",") if d.strip()]
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    rows = accuracy_rows(names or [], dtypes, jobs, "small" if quick else "full", progress=not as_json)
    if as_json:
        render(rows, [], True)
    else:
        summary = summary_rows(rows, dtypes)
        cols = ["name", *[k for k in summary[0] if k not in ("name", "ok")]] if summary else ["name"]
        render(summary, cols, False, title="max ULP error, actlab (torch native)")
        failed = sorted({r["name"] for r in rows if not r["passed"]})
        err.print(f"{len(summary)} activations, {len(rows)} measurements, "
                  f"{len(failed)} failing{': ' + ', '.join(failed) if failed else ''}")
    if any(not r["passed"] for r in rows):
        raise typer.Exit(1)


# -------------------------------------------------------------------------------------- demo
@app.command()
@friendly
def demo(quick: Annotated[bool, typer.Option(help="Fewer grid points.")] = True) -> None:
    """Print the catalog and the accuracy summary of the whole catalog (`actlab report` builds
    the full HTML report, which `make demo` runs)."""
    list_cmd(family=None, as_json=False)
    check_accuracy(names=None, dtype="float64,float32", jobs=2, quick=quick, as_json=False)


def _bench_quick(
    db: Annotated[str, typer.Option(help="Results store.")] = "actlab-results/results.sqlite",
    seeds: Annotated[int, typer.Option(help="Seeds per activation.")] = 3,
) -> None:
    """The small sweep behind the report's benchmark section (a few minutes on 2 cores;
    finished runs are skipped, so running it again is instant)."""
    from .bench.recommend import quick_sweep

    quick_sweep(db, seeds=seeds)


# ------------------------------------------------------------ commands from the analysis areas
def _wire() -> None:
    """Add the commands that live next to their code (analysis/, report/, web/, bench/)."""
    from .analysis import cli as stability
    from .analysis import cli_understand

    app.command("properties")(friendly(cli_understand.properties))
    app.command("verify")(friendly(cli_understand.verify))
    for name in ("gradflow", "meanfield", "doctor", "selfnorm"):
        app.command(name)(friendly(getattr(stability, name)))
    from .bench import cli as bench

    bench_app = typer.Typer(help="Benchmarks: kernels against the hardware floor; training on real data.",
                            no_args_is_help=True)
    app.add_typer(bench_app, name="bench")
    bench_app.command("train")(friendly(bench.train))
    bench_app.command("results")(friendly(bench.results))
    bench_app.command("tasks")(friendly(bench.tasks_cmd))
    bench_app.command("quick")(friendly(_bench_quick))
    from .bench import cli_kernels

    bench_app.command("kernels")(friendly(cli_kernels.kernels))
    app.command("recommend")(friendly(bench.recommend))
    from .report import cli as report
    from .web import cli as web

    app.command("plot")(friendly(report.plot_cmd))
    app.command("approx")(friendly(report.approx_cmd))
    app.command("report")(friendly(report.report_cmd))
    app.command("serve")(friendly(web.serve))


_wire()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
