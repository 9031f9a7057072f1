"""``actlab list``, ``actlab show`` and ``actlab demo``: the catalog and one activation in full."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from ._common import JsonOpt, ParamOpt, UserError, parse_params, user_errors
from ._output import out
from .check import check_accuracy

__all__ = ["app", "catalog_rows", "show_data"]

app = typer.Typer()


def catalog_rows(family: str | None = None) -> list[dict[str, Any]]:
    import actlab

    if family is not None and family not in actlab.families():
        raise UserError(f"unknown family '{family}'; families: {', '.join(actlab.families())}")
    return [
        {"name": s.name, "family": s.family, "kind": s.kind, "aliases": list(s.aliases),
         "params": {p.name: p.default for p in s.params}, "summary": s.summary}
        for s in actlab.specs() if family is None or s.family == family
    ]


@app.command("list")
def list_cmd(
    family: Annotated[str | None, typer.Option(help="Only this family, e.g. rectifier.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the catalog: name, family, parameters and a one-line summary."""
    rows = catalog_rows(family)
    for r in rows:
        r["parameters"] = ", ".join(f"{k}={v:g}" for k, v in r["params"].items())
    out.rows(rows, ["name", "family", "parameters", "summary"], as_json, title=f"{len(rows)} activations")


def show_data(name: str, params: dict[str, float]) -> dict[str, Any]:
    import torch

    import actlab
    from actlab.composite import CompositeSpec
    from actlab.spec import ActivationSpec

    with user_errors(ValueError, TypeError):  # unknown name, parameter or value out of domain
        act = actlab.get(name, **params)
    spec = act.spec
    xs = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    values: dict[str, Any] = {"x": xs.tolist()}
    if isinstance(spec, ActivationSpec):  # elementwise (RReLU: its eval form)
        values["f"] = act(xs).tolist()
        values["df"] = act.derivative(xs).tolist()
    elif isinstance(spec, CompositeSpec):  # gated/concatenated: the elementwise function inside
        inner = actlab.get(spec.base.name)
        values["g"] = inner(xs).tolist()
        values["dg"] = inner.derivative(xs).tolist()
    # softmax, maxout, ...: not a function of one number, no table of values
    return {
        "name": spec.name, "family": spec.family, "kind": spec.kind, "aliases": list(spec.aliases),
        "summary": spec.summary, "formula": spec.formula, "citation": spec.citation,
        "parameters": [{"name": p.name, "value": act.params[p.name], "default": p.default,
                        "domain": str(p.domain), "learnable": p.learnable, "doc": p.doc}
                       for p in spec.params],
        "kinks": list(spec.kinks(**act.params)), "kink_note": spec.kink_note,
        "torch_native": spec.native is not None, "values": values,
        "gate": spec.base_name, "notes": spec.notes,
    }


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Activation name or alias.")],
    param: ParamOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Formula, parameters and domains, kinks, citation and a few values of f and f'."""
    data = show_data(name, parse_params(param))
    if as_json:
        out.json(data)
        return
    # library text (formulas such as "[a, b] = x") is never read as Rich markup
    out.print(f"[bold]{data['name']}[/]  ({data['family']}, {data['kind']})  {escape(data['summary'])}",
              highlight=True)
    out.print(f"  f(x) = {data['formula']}", markup=False)
    if data["aliases"]:
        out.print(f"  aliases: {', '.join(data['aliases'])}", highlight=True, markup=False)
    for p in data["parameters"]:
        learn = ", learnable" if p["learnable"] else ""
        out.print(f"  {p['name']} = {p['value']:g}  (default {p['default']:g}, domain {p['domain']}"
                  f"{learn})  {p['doc']}", markup=False)
    if data["kinks"]:
        out.print(f"  kinks at {data['kinks']}: {data['kink_note']}", markup=False)
    if data["gate"]:
        out.print(f"  built on: {data['gate']}", highlight=True, markup=False)
    if data["notes"]:
        out.print(f"  {data['notes']}", markup=False)
    out.print(f"  reference: {data['citation']}", markup=False)
    v = data["values"]
    keys = [k for k in v if k != "x"]
    rows = [{"x": x, **{k: v[k][i] for k in keys}} for i, x in enumerate(v["x"])]
    out.table(rows, ["x", *keys])


@app.command()
def demo(
    quick: Annotated[bool, typer.Option(help="Fewer grid points.")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes for the oracle.")] = 2,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print both as one JSON object: catalog and accuracy rows.")] = False,
) -> None:
    """Print the catalog and the accuracy summary of the whole catalog (`actlab report` builds
    the full HTML report, which `make demo` runs). Exits 1 if any accuracy bound fails."""
    if not as_json:
        list_cmd(family=None, as_json=False)
        check_accuracy(names=None, dtype="float64,float32", jobs=jobs, quick=quick, as_json=False)
        return
    from ..numerics import accuracy
    from ._common import count, max_jobs

    count("--jobs", jobs, 1, max_jobs())
    rows = accuracy.accuracy_rows([], ["float64", "float32"], jobs, "small" if quick else "full")
    out.json({"catalog": catalog_rows(), "accuracy": rows})
    if any(not r["passed"] for r in rows):
        raise typer.Exit(1)
