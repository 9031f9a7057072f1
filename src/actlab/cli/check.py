"""``actlab check accuracy``: activations against the high-precision mpmath oracle."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import JsonOpt, UserError, count, items, max_jobs, split_names, user_errors
from ._output import err, out

__all__ = ["app", "check_accuracy"]

app = typer.Typer(help="Verify activations against the mpmath oracle.", no_args_is_help=True)


@app.command("accuracy")
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
    finite. ULPs are divided by the condition number where it exceeds 1
    (README.md, "Command line", explains the bounds and κ).
    """
    names = split_names(names)
    import actlab

    from ..numerics import accuracy

    dtypes = items(dtype, "--dtype", "float32,bfloat16")
    count("--jobs", jobs, 1, max_jobs())
    if names is not None and not [n for n in names if n.strip()]:
        raise UserError("no activation named: give names (e.g. `actlab check accuracy mish`) or none "
                        "for the whole catalog")
    with user_errors():
        accuracy.check_dtypes(dtypes)
        chosen = accuracy.checked_names(names or [])
    if not chosen:  # e.g. only gated ones: measuring nothing must not pass
        specs = [actlab.get_spec(n) for n in names or []]
        inner = sorted({s.base_name for s in specs if s.base_name})
        instead = (f" ({', '.join(sorted({s.kind for s in specs if s.base_name}))} ones are built on them); "
                   f"check {', '.join(inner)} instead") if inner else (
                   "; these are verified by their own tests (values against a high-precision reference, "
                   "gradcheck)")
        raise UserError(f"{', '.join(s.name for s in specs)}: the accuracy check measures elementwise "
                        f"activations{instead}")
    steps = len(chosen) * (2 if jobs > 1 and len(chosen) > 1 else 1)
    with err.progress("checking against the oracle", steps, enabled=not as_json) as tick:
        rows = accuracy.accuracy_rows(names or [], dtypes, jobs, "small" if quick else "full",
                                      progress=tick)
    if as_json:
        out.json(rows)
    else:
        summary = accuracy.summary_rows(rows)
        cols = ["name", *[k for k in summary[0] if k not in ("name", "ok")]] if summary else ["name"]
        out.table(summary, cols, title="max ULP error, actlab (torch native)")
        failed = sorted({r["name"] for r in rows if not r["passed"]})
        err.note(f"{len(summary)} activations, {len(rows)} measurements, "
                 f"{len(failed)} failing{': ' + ', '.join(failed) if failed else ''}")
    if any(not r["passed"] for r in rows):
        raise typer.Exit(1)
