"""Commands of the training benchmarks: ``train``, ``results``, ``tasks`` and ``recommend``.

The functions are plain (they raise ValueError on bad input); ``app`` registers them wrapped in
the shared error handler so this module also works as its own Typer app. The main CLI wires
``actlab bench train|results|tasks`` and ``actlab recommend``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..cli_common import err, friendly
from .store import DEFAULT_DB

app = typer.Typer(help="Train activations on real data, compare them, and choose one.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console(width=None if sys.stdout.isatty() else 200)

DbOpt = Annotated[Path, typer.Option("--db", help="Results store (SQLite).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _fmt(v: Any, digits: int = 4) -> str:
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.{digits}g}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return "" if v is None else str(v)


def _table(rows: list[dict], columns: list[str], title: str = "") -> None:
    t = Table(title=title or None)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*(_fmt(r.get(c)) for c in columns))
    out.print(t)


def _summary_rows(summary: list[dict]) -> list[dict]:
    rows = []
    for s in summary:
        half = (s["hi"] - s["lo"]) / 2 if math.isfinite(s["hi"]) else math.nan
        rows.append({"experiment": s["experiment"], "activation": s["activation"], "metric": s["metric"],
                     "n": s["n"], "mean ± 95% CI": f"{s['mean']:.4f} ± {half:.4f}" if math.isfinite(half)
                     else f"{s['mean']:.4f}", "rank": s["rank"], "s/run": s["seconds"],
                     "params": s["n_params"]})
    return rows


# ------------------------------------------------------------------------------------ train
def train(
    task: Annotated[str, typer.Option("--task", "-t", help="Task(s), comma-separated (actlab bench tasks).")],
    acts: Annotated[str, typer.Option("--acts", "-a", help="Activations, comma-separated, NAME or "
                                      "NAME(param=value); presets: core, glu, text.")] = "core",
    seeds: Annotated[int, typer.Option("--seeds", "-s", help="Seeds 0..N-1 per activation.")] = 3,
    epochs: Annotated[int | None, typer.Option(help="Epochs (classification tasks).")] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps (text; a cap elsewhere).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Task setting KEY=VALUE[,VALUE...]; "
                                                   "several values make a grid. Repeatable.")] = None,
    db: DbOpt = DEFAULT_DB,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --backend ray).")] = None,
    workers: Annotated[int | None, typer.Option(help="Parallel runs (default: CPU cores; 0 = in this "
                                                "process).")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars on stderr.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Train every (task, activation, seed) not yet in the store; re-running resumes."""
    from . import stats
    from .store import Store
    from .sweep import parse_sets, plan, run_sweep

    sets = parse_sets(set_)
    if epochs is not None:
        sets["epochs"] = [str(epochs)]
    if steps is not None:
        sets["steps"] = [str(steps)]
    specs = plan(task, acts, seeds, sets)
    report = run_sweep(specs, db, backend=backend, workers=workers, address=address, progress=progress)
    keys = {s.key for s in specs}
    with Store(db) as store:
        runs = [r for r in store.runs() if (r["task"], r["activation"], r["seed"], r["config_hash"]) in keys]
    summary = stats.summarize(runs)
    if as_json:
        sys.stdout.write(json.dumps({"report": {"stored": len(report.stored), "skipped": report.skipped,
                                                "lost": report.lost, "failed": report.failed,
                                                "seconds": report.seconds},
                                     "summary": summary}, indent=2, default=str) + "\n")
    else:
        _table(_summary_rows(summary), ["experiment", "activation", "metric", "n", "mean ± 95% CI", "rank",
                                        "s/run", "params"], title=f"results in {db}")
    err.print(report.summary(), highlight=False)
    for key, why in report.failed:
        err.print(f"[red]failed[/] {key[0]} {key[1]} seed {key[2]}: {why}", highlight=False)
    for key, why in report.lost:
        err.print(f"[yellow]lost[/] {key[0]} {key[1]} seed {key[2]}: {why}", highlight=False)
    if not report.complete:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------- results
def results(
    db: DbOpt = DEFAULT_DB,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Only this task.")] = None,
    plots: Annotated[Path | None, typer.Option(help="Write learning-curve, depth and rank PNGs "
                                               "to this folder.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mean ± 95% CI per activation, the significant paired differences (Holm), average ranks."""
    from . import stats
    from .store import Store

    if not Path(db).exists():
        raise ValueError(f"no results store at {db}; run `actlab bench train` first")
    with Store(db) as store:
        runs = store.runs(task=task, with_epochs=plots is not None)
    if not runs:
        raise ValueError(f"no runs{' for task ' + task if task else ''} in {db}")
    summary = stats.summarize(runs)
    pairs = [p for p in stats.pairwise(runs) if p["significant"]]
    ranks = stats.average_ranks(runs)
    figures: list[str] = []
    if plots is not None:
        for (t, h), exp in sorted(stats.experiments(runs).items()):
            if t != "depth":
                figures.append(str(stats.plot_learning_curves(exp, plots / f"curves-{t}-{h[:8]}.png",
                                                              title=stats.label(t, exp[0]["config"]))))
        if any(r["task"] == "depth" for r in runs):
            depth = [r for r in runs if r["task"] == "depth"]
            figures.append(str(stats.plot_depth(depth, plots / "depth.png")))
        if ranks:
            figures.append(str(stats.plot_ranks(ranks, plots / "ranks.png")))
    if as_json:
        sys.stdout.write(json.dumps({"summary": summary, "significant": pairs, "ranks": ranks,
                                     "figures": figures}, indent=2, default=str) + "\n")
        return
    _table(_summary_rows(summary), ["experiment", "activation", "metric", "n", "mean ± 95% CI", "rank",
                                    "s/run", "params"], title=f"results in {db}")
    if pairs:
        ci = "diff (a-b) [95% CI]"
        _table([{**p, ci: f"{p['diff']:+.4f} [{p['lo']:+.4f}, {p['hi']:+.4f}]"} for p in pairs],
               ["experiment", "better", "a", "b", "diff (a-b) [95% CI]", "p_holm", "n"],
               title="significant paired differences (Holm-adjusted p < 0.05)")
    else:
        out.print("No pair of activations differs significantly (Holm-adjusted p < 0.05) in any experiment.")
    if len(stats.experiments(runs)) > 1 and ranks:
        _table(ranks, ["activation", "avg_rank", "lo", "hi", "n_experiments"],
               title="average rank over all experiments (95% bootstrap CI)")
    for f in figures:
        err.print(f"wrote {f}", highlight=False)


# ------------------------------------------------------------------------------------ tasks
def tasks_cmd(as_json: JsonOpt = False) -> None:
    """The benchmark tasks, their data and whether they can run here."""
    from .tasks import tasks

    rows = [{"task": t.name, "kind": t.kind, "metric": t.metric, "summary": t.summary,
             "available": t.available() or "yes",
             "settings": ", ".join(f"{k}={v}" for k, v in t.defaults.items())}
            for t in tasks()]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    _table(rows, ["task", "kind", "metric", "summary", "available"], title="benchmark tasks")


# -------------------------------------------------------------------------------- recommend
def recommend(
    task_kind: Annotated[str | None, typer.Option("--task-kind", "-k", help="vision, nlp or deep "
                                                  "(default: all three).")] = None,
    db: DbOpt = DEFAULT_DB,
    properties: Annotated[bool, typer.Option(help="Measure each candidate's properties "
                                             "(actlab properties).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Which activation to choose, from stored training results, and how sure that is."""
    from .recommend import recommend as rec

    recs = rec(db, task_kind, properties=properties)
    if as_json:
        sys.stdout.write(json.dumps(recs, indent=2, default=str) + "\n")
        return
    for r in recs:
        out.rule(f"[bold]{r['kind']}")
        out.print(r["statement"], highlight=False)
        if not r["available"]:
            continue
        cols = ["activation", "avg_rank", "rank_lo", "rank_hi", "tied_with_best", "worse_than_best_in",
                "train_time_vs_relu"]
        extra = ["smoothness", "monotonic", "zero_centred", "kernel_cost_vs_relu", "gate smoothness"]
        cols += [c for c in extra if any(c in x for x in r["candidates"])]
        _table(r["candidates"], cols)


app.command("train")(friendly(train))
app.command("results")(friendly(results))
app.command("tasks")(friendly(tasks_cmd))
app.command("recommend")(friendly(recommend))
