"""``actlab recommend``: which activation to choose, from stored training results."""

from __future__ import annotations

from typing import Annotated

import typer

from ..bench.store import DEFAULT_DB
from ._common import UserError, user_errors
from ._output import out
from .bench import DbOpt, JsonOpt, table

__all__ = ["app", "recommend"]

app = typer.Typer()


@app.command("recommend")
def recommend(
    task_kind: Annotated[str | None, typer.Option("--task-kind", "-k", help="vision, nlp or deep "
                                                  "(default: all three).")] = None,
    db: DbOpt = DEFAULT_DB,
    properties: Annotated[bool, typer.Option(help="Measure each candidate's properties "
                                             "(actlab properties).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Which activation to choose, from stored training results, and how sure that is.

    Exits 2 with one line naming the command that produces them when the store holds no tuned
    results of the kind asked (of any kind, without --task-kind)."""
    from ..bench.recommend import recommend as rec

    with user_errors():  # no store at --db, or an unknown --task-kind
        recs = rec(db, task_kind, properties=properties)
    if not any(r["available"] for r in recs):  # the store cannot answer what was asked: say which run can
        from ..bench.recommend import missing

        raise UserError(recs[0]["statement"] if len(recs) == 1 else missing(None))
    if as_json:
        out.json(recs)
        return
    for r in recs:
        out.rule(f"[bold]{r['kind']}")
        out.print(r["statement"])
        if not r["available"]:
            continue
        cols = ["activation", "avg_rank", "rank_lo", "rank_hi", "tied_with_best", "worse_than_best_in",
                "vs_relu", "train_time_vs_relu"]
        extra = ["smoothness", "monotonic", "zero_centred", "kernel_cost_vs_relu", "gate smoothness"]
        cols += [c for c in extra if any(c in x for x in r["candidates"])]
        table(r["candidates"], cols)
