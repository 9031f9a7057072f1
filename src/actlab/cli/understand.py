"""``actlab properties`` and ``actlab verify``: the property analyzer and the claim checker.

Both build plain data and print one of: a Rich table (default), JSON, CSV or Markdown.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ._common import UserError, parse_params, split_names, user_errors
from ._output import err, out

__all__ = ["TABLE_COLUMNS", "app", "properties", "verify"]

app = typer.Typer()

TABLE_COLUMNS = ("name", "params", "class", "kinks", "monotonic", "range", "min at", "E f(z)",
                 "max|f'|", "at", "saturates", "dead", "self-norm", "symmetry", "cost/relu")


def _format(as_json: bool, markdown: bool, as_csv: bool) -> str:
    chosen = [n for n, on in (("json", as_json), ("markdown", markdown), ("csv", as_csv)) if on]
    if len(chosen) > 1:
        raise UserError(f"choose one output format, not {' and '.join('--' + c for c in chosen)}")
    return chosen[0] if chosen else "table"


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
    names = split_names(names)
    if names == []:
        raise UserError("no activation named: give names (e.g. `actlab properties mish gelu`) or none "
                        "for the whole elementwise catalog")
    from ..analysis.properties import analyze_many, elementwise_names, summary_row

    fmt = _format(as_json, markdown, as_csv)
    params = parse_params(param)
    chosen = list(names) if names else elementwise_names()
    with err.progress("measuring", len(chosen)) as tick:
        # analyze_many checks the names and parameters before it measures anything
        with user_errors():
            results = analyze_many(list(names) if names else None, params, cost=cost,
                                   progress=lambda name: tick(f"measured {name}"))
    if fmt == "json":
        out.json([r.as_dict(json_safe=True) for r in results])
        return
    rows = [summary_row(r) for r in results]
    columns = list(rows[0]) if rows else list(TABLE_COLUMNS)
    if fmt == "markdown":
        out.text(out.markdown(rows, columns))
    elif fmt == "csv":
        out.text(out.csv(rows, columns))
    elif len(results) == 1:
        _print_one(results[0], rows[0])
    else:
        out.table(rows, TABLE_COLUMNS, fmt=lambda v: str("" if v is None else v), overflow="fold",
                  title="Measured properties (float64 scan to ±1e6, refined; cost/relu is a "
                  "timing on this machine; `actlab properties NAME` shows one in full)")


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
    out.print(table, highlight=True)


@app.command("verify")
def verify(
    claim: Annotated[str | None, typer.Argument(
        help="A claim, e.g. 'tanh(x) == 2*sigmoid(2*x) - 1'; none = check the shipped list.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check a claim about activations (symbolically where SymPy can, else at high precision),
    or, with no claim, the shipped list of textbook claims. Exits 1 when the claim fails (or,
    with no claim, when any shipped verdict is wrong).

    Claims compare expressions in x of activations and elementary functions: ==, !=, <, <=,
    >, >= (chains too), joined by 'and', with optional clauses 'for x <= 0' (domain),
    'at x == 0' (a point, or where a max/min is attained) and 'within 1e-4' (tolerance).
    Functions: derivative(f), second_derivative(f), diff(expr), max(f), min(f), argmax(f),
    argmin(f), mean(f), var(f) (z ~ N(0, 1)), limit(f, inf), taylor(f, n). Predicates:
    continuous, differentiable, smooth, monotonic, polynomial, odd, even, bounded,
    zero_centred, self_normalizing, ... (e.g. 'not differentiable(relu)').
    """
    from ..analysis.claims import check, verify_shipped

    if claim is not None:
        with user_errors():  # a claim that does not parse, or names what does not exist
            v = check(claim)
        if as_json:
            out.json(v.as_dict(json_safe=True))
            if not v.holds:
                raise typer.Exit(1)
            return
        mark = "[bold green]HOLDS[/]" if v.holds else "[bold red]FAILS[/]"
        out.print(f"{mark}  {escape(v.claim)}")
        out.print(f"  method: {v.method}", markup=False)
        if v.discrepancy == v.discrepancy:  # not nan
            label = "largest discrepancy" if not v.holds or v.discrepancy else "discrepancy"
            out.print(f"  {label}: {v.discrepancy:.6g}")
        if v.counterexample is not None:
            out.print(f"  counterexample: x = {v.counterexample:.10g} (lhs = {v.lhs:.10g}, "
                      f"rhs = {v.rhs:.10g})")
        elif v.lhs is not None and v.rhs is not None and v.points == 0:
            out.print(f"  lhs = {v.lhs:.12g}, rhs = {v.rhs:.12g}")
        if v.detail:
            out.print(f"  {v.detail}", soft_wrap=True, markup=False)
        if not v.holds:  # a verdict of "no" is exit 1, like check accuracy and doctor
            raise typer.Exit(1)
        return
    from ..analysis.claims_list import CLAIMS

    total = len(CLAIMS) + sum(1 for c in CLAIMS if c.correction)
    with err.progress("checking claims", total) as tick:
        rows = verify_shipped(progress=lambda _: tick())
    wrong = [r for r in rows if not r["ok"]]
    if as_json:
        out.json(rows)
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
            table.add_row(ok, verdict, ("  ↳ " if r["role"] == "correction" else "") + escape(r["claim"]),
                          "" if d is None or d == 0 else f"{d:.3g}",
                          "" if cx is None else f"x = {cx:.6g}", escape(r["source"]))
        out.print(table, highlight=True)
    if wrong:
        err.print(f"[bold red]{len(wrong)} shipped verdict(s) wrong:[/] "
                  + escape("; ".join(r["claim"] for r in wrong)))
        raise typer.Exit(1)
