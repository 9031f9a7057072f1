"""``actlab properties`` and ``actlab verify``: the property analyzer and the claim checker on
the command line.

Both build plain data (lists of dicts) and print one of: a Rich table (default), JSON, CSV or
Markdown. Results go to stdout, progress bars to stderr. Bad input raises ``ValueError`` with a
message saying what to write; the main CLI turns it into exit code 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..cli_common import parse_params

app = typer.Typer(help="Understand activations: measured properties and checked claims.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

TABLE_COLUMNS = ("name", "params", "class", "kinks", "monotonic", "range", "min at", "E f(z)",
                 "max|f'|", "at", "saturates", "dead", "self-norm", "symmetry", "cost/relu")


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 220)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)


def _format(as_json: bool, markdown: bool, as_csv: bool) -> str:
    chosen = [n for n, on in (("json", as_json), ("markdown", markdown), ("csv", as_csv)) if on]
    if len(chosen) > 1:
        raise ValueError(f"choose one output format, not {' and '.join('--' + c for c in chosen)}")
    return chosen[0] if chosen else "table"


def to_markdown(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    def cell(v: Any) -> str:
        return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


@app.command("properties")
def properties(
    names: Annotated[list[str] | None, typer.Argument(
        help="Activations to analyse; none = the whole elementwise catalog.")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Parameter value as NAME=VALUE; repeat for several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every measured field, as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="The summary as a Markdown table.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="The summary as CSV.")] = False,
    cost: Annotated[bool, typer.Option(
        "--cost/--no-cost", help="Measure the time per element against torch.relu.")] = True,
) -> None:
    """Measured properties: smoothness class and kinks, monotonicity, range and minimum, the
    steepest slope, saturation and dead regions, E f(z), self-normalization, symmetry, Taylor
    series at 0, relative cost."""
    from .properties import analyze_many, elementwise_names, summary_row

    fmt = _format(as_json, markdown, as_csv)
    params = parse_params(param)
    chosen = list(names) if names else elementwise_names()
    with _progress() as bar:
        task = bar.add_task("measuring", total=len(chosen))

        def step(name: str) -> None:
            bar.update(task, advance=1, description=f"measured {name}")

        results = analyze_many(list(names) if names else None, params, cost=cost, progress=step)
    if fmt == "json":
        sys.stdout.write(json.dumps([r.as_dict(json_safe=True) for r in results], indent=2,
                                    ensure_ascii=False) + "\n")
        return
    rows = [summary_row(r) for r in results]
    columns = list(rows[0]) if rows else list(TABLE_COLUMNS)
    if fmt == "markdown":
        sys.stdout.write(to_markdown(rows, columns))
    elif fmt == "csv":
        sys.stdout.write(to_csv(rows, columns))
    elif len(results) == 1:
        _print_one(results[0], rows[0])
    else:
        table = Table(title="Measured properties (float64 scan to ±1e6, refined; cost/relu is a "
                      "timing on this machine; `actlab properties NAME` shows one in full)")
        for c in TABLE_COLUMNS:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(str(r.get(c, "")) for c in TABLE_COLUMNS))
        _out().print(table)


def _print_one(p: Any, row: dict[str, Any]) -> None:
    table = Table(title=f"{p.name}" + (f" ({row['params']})" if row["params"] else ""),
                  show_header=False)
    table.add_column("property", style="bold")
    table.add_column("value", overflow="fold")
    extra = {
        "non-linear": "yes" if p.nonlinear else "no",
        "continuous": "yes" if p.continuous else "no",
        "increasing on": ", ".join(f"({a:.6g}, {b:.6g})" for a, b in p.increasing_on) or "—",
        "decreasing on": ", ".join(f"({a:.6g}, {b:.6g})" for a, b in p.decreasing_on) or "—",
        "Var f(z)": f"{p.gaussian_var:.6g}",
        "fixed point (μ, ν)": "—" if p.fixed_point is None else
        f"({p.fixed_point[0]:.4g}, {p.fixed_point[1]:.4g}), radius {p.fixed_point_radius:.4g}",
        "ns/element": "—" if p.cost_ns_per_element is None else f"{p.cost_ns_per_element:.3g} "
        "(measured: float32, 2^18 elements, 1 CPU thread, fastest of 15)",
        "notes": "; ".join(p.notes) or "—",
    }
    for k, v in {**{k: v for k, v in row.items() if k not in ("name", "params")}, **extra}.items():
        table.add_row(k, str(v))
    _out().print(table)


@app.command("verify")
def verify(
    claim: Annotated[str | None, typer.Argument(
        help="A claim, e.g. 'tanh(x) == 2*sigmoid(2*x) - 1'; none = check the shipped list.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check a claim about activations (symbolically where SymPy can, else at high precision),
    or, with no claim, the shipped list of textbook claims (exit 1 if any verdict is wrong).

    Claims compare expressions in x of activations and elementary functions: ==, !=, <, <=,
    >, >= (chains too), joined by 'and', with optional clauses 'for x <= 0' (domain),
    'at x == 0' (a point, or where a max/min is attained) and 'within 1e-4' (tolerance).
    Functions: derivative(f), second_derivative(f), diff(expr), max(f), min(f), argmax(f),
    argmin(f), mean(f), var(f) (z ~ N(0, 1)), limit(f, inf), taylor(f, n). Predicates:
    continuous, differentiable, smooth, monotonic, polynomial, odd, even, bounded,
    zero_centred, self_normalizing, ... (e.g. 'not differentiable(relu)').
    """
    from .claims import check, verify_shipped

    if claim is not None:
        v = check(claim)
        if as_json:
            sys.stdout.write(json.dumps(v.as_dict(json_safe=True), indent=2, ensure_ascii=False) + "\n")
            return
        out = _out()
        mark = "[bold green]HOLDS[/]" if v.holds else "[bold red]FAILS[/]"
        out.print(f"{mark}  {v.claim}", highlight=False)
        out.print(f"  method: {v.method}", highlight=False)
        if v.discrepancy == v.discrepancy:  # not nan
            label = "largest discrepancy" if not v.holds or v.discrepancy else "discrepancy"
            out.print(f"  {label}: {v.discrepancy:.6g}", highlight=False)
        if v.counterexample is not None:
            out.print(f"  counterexample: x = {v.counterexample:.10g} (lhs = {v.lhs:.10g}, "
                      f"rhs = {v.rhs:.10g})", highlight=False)
        elif v.lhs is not None and v.rhs is not None and v.points == 0:
            out.print(f"  lhs = {v.lhs:.12g}, rhs = {v.rhs:.12g}", highlight=False)
        if v.detail:
            out.print(f"  {v.detail}", highlight=False, soft_wrap=True)
        return
    from .claims_list import CLAIMS

    total = len(CLAIMS) + sum(1 for c in CLAIMS if c.correction)
    with _progress() as bar:
        task = bar.add_task("checking claims", total=total)
        rows = verify_shipped(progress=lambda _: bar.advance(task))
    wrong = [r for r in rows if not r["ok"]]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        table = Table(title=f"Shipped claims: {len(rows) - len(wrong)}/{len(rows)} verdicts as "
                      f"expected ({sum(1 for r in rows if r['expected'] is False)} false claims, "
                      f"each with its correction)")
        for c in ("", "verdict", "claim", "discrepancy", "counterexample", "source"):
            table.add_column(c, overflow="fold")
        for r in rows:
            ok = "[green]✓[/]" if r["ok"] else "[bold red]✗ WRONG[/]"
            verdict = {True: "holds", False: "fails", None: "error"}[r["verdict"]]
            d = r["discrepancy"]
            cx = r["counterexample"]
            table.add_row(ok, verdict, ("  ↳ " if r["role"] == "correction" else "") + r["claim"],
                          "" if d is None or d == 0 else f"{d:.3g}",
                          "" if cx is None else f"x = {cx:.6g}", r["source"])
        _out().print(table)
    if wrong:
        Console(stderr=True).print(f"[bold red]{len(wrong)} shipped verdict(s) wrong:[/] "
                                   + "; ".join(r["claim"] for r in wrong), highlight=False)
        raise typer.Exit(1)
