"""``actlab bench``: train activations on real data (``train``), read the store (``results``),
list the tasks (``tasks``), the report's small sweep (``quick``) and the kernel benchmark
(``kernels``, in :mod:`actlab.cli.kernels`)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..bench.store import DEFAULT_DB
from . import kernels
from ._common import UserError, aliased, count, output_dir, user_errors, writing
from ._output import err, out

__all__ = ["DbOpt", "JsonOpt", "app", "results", "show_profile", "table", "tasks_cmd", "train"]

app = typer.Typer(help="Benchmarks: kernels against the hardware floor; training on real data.",
                  no_args_is_help=True)

DbOpt = Annotated[Path, typer.Option("--db", help="Results store (SQLite).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _fmt(v: Any, digits: int = 4) -> str:
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.{digits}g}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return "" if v is None else str(v)


def table(rows: list[dict], columns: list[str], title: str = "") -> None:
    """The benchmarks' table: 4 digits, "–" for a missing measurement, yes/no. Headers are text,
    not Rich markup ("mean [t 95%] [bootstrap]" lost its brackets)."""
    out.table(rows, {c: escape(c) for c in columns}, escape(title), fmt=_fmt)


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
@app.command("train")
def train(
    activations: Annotated[list[str] | None, typer.Argument(
        help="Activations, comma or space separated, NAME or NAME(param=value); presets: core, glu, "
             "text (default: core).")] = None,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Task(s), comma-separated (actlab bench "
                                             "tasks). Not with --profile.")] = None,
    acts: Annotated[str | None, typer.Option("--acts", "-a", hidden=True,
                                             help="Old form of the activations argument.")] = None,
    seeds: Annotated[int, typer.Option("--seeds", "-s", help="Seeds 0..N-1 per activation.")] = 3,
    epochs: Annotated[int | None, typer.Option(help="Epochs (classification tasks).")] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps (text; a cap elsewhere).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Task setting KEY=VALUE[,VALUE...]; "
                                                   "several values make a grid. Repeatable.")] = None,
    profile: Annotated[str | None, typer.Option(help="Run the tune-then-test protocol: ci (minutes on 2 "
                                                "cores), full (hours), paper (a cluster).")] = None,
    estimate: Annotated[bool, typer.Option("--estimate", help="With --profile: time a few steps of each "
                                           "model and print the CPU-hours instead of running.")] = False,
    out_: Annotated[Path | None, typer.Option("--out", "-o", help="With --profile: folder for the "
                                              "critical-difference plot (default: next to --db).")] = None,
    figures: Annotated[Path | None, typer.Option("--figures", hidden=True, help="Old name of --out.")]
    = None,
    only: Annotated[str | None, typer.Option(help="With --profile: only these experiments (names, "
                                             "comma-separated): run a profile piecewise.")] = None,
    db: DbOpt = DEFAULT_DB,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --backend ray).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Parallel runs (default: CPU cores; "
                                             "0 = in this process).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", hidden=True, help="Old name of --jobs.")]
    = None,
    threads: Annotated[int, typer.Option(help="Torch threads per run (a Ray task reserves that many "
                                         "CPUs).")] = 1,
    progress: Annotated[bool, typer.Option(help="Show progress bars on stderr.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Train every (task, activation, seed) not yet in the store; re-running resumes.

    With --profile, the tune-then-test protocol instead (see actlab.bench.protocol): each
    activation's lr tuned on a validation split, then fresh seeds at that lr scored on test,
    compared with the baseline (Holm, bootstrap intervals, equivalence test) and across tasks
    (Friedman, critical-difference plot).
    """
    workers, jobs_opt = aliased(jobs, "--jobs", workers, "--workers")
    figures, out_opt = aliased(out_, "--out", figures, "--figures")
    named = activations is not None or acts is not None  # before the core preset fills them in
    if activations is not None and acts is not None:
        raise UserError("--acts is the old form of the activations argument: give only the names, "
                        "e.g. actlab bench train relu,gelu --task digits")
    if activations is not None:
        acts = ",".join(activations)
        if not acts.replace(",", "").strip():
            raise UserError("no activation named: give names, e.g. actlab bench train relu gelu --task "
                            "digits, or none for the core preset")
    elif acts is None:
        acts = "core"
    count("--threads", threads, 1)
    count(jobs_opt, workers, 0)
    # a budget of nothing trains nothing and would store chance accuracy as a finished run
    count("--epochs", epochs, 1)
    count("--steps", steps, 0)
    if figures is not None:
        output_dir(figures, out_opt)
    if profile is not None:
        if task is not None or set_ or epochs is not None or steps is not None or named:
            raise UserError("--profile fixes the tasks, activations and settings; drop the activations "
                            "and --task/--set/--epochs/--steps (choose experiments with --only), or drop "
                            "--profile to run your own grid")
        _train_profile(profile, only, estimate, figures, db, backend, address, workers, threads, progress,
                       as_json)
        return
    if estimate or only:
        raise UserError(f"{'--estimate' if estimate else '--only'} needs --profile (ci, full or paper)")
    if not (task or "").replace(",", "").strip():
        raise UserError("say what to train: --task digits (see actlab bench tasks), or --profile ci for "
                        "the tune-then-test protocol")
    count("--seeds", seeds, 1)
    from ..bench import stats
    from ..bench.store import Store
    from ..bench.sweep import parse_sets, plan, run_sweep

    with user_errors():  # unknown tasks, activations or settings; budgets no run can train with
        sets = parse_sets(set_)
        if epochs is not None:
            sets["epochs"] = [str(epochs)]
        if steps is not None:
            sets["steps"] = [str(steps)]
        specs = plan(task, acts, seeds, sets)
    with user_errors():  # run_sweep checks --backend, --address, --workers and reaches Ray first
        report = run_sweep(specs, db, backend=backend, workers=workers, address=address,
                           threads=threads, progress=progress)
    keys = {s.key for s in specs}
    with Store(db, readonly=True) as store:
        runs = [r for r in store.runs() if (r["task"], r["activation"], r["seed"], r["config_hash"]) in keys]
    summary = stats.summarize(runs)
    if as_json:
        out.json({"report": _report_json(report), "summary": summary})
    else:
        table(_summary_rows(summary), ["experiment", "activation", "metric", "n", "mean ± 95% CI", "rank",
                                       "s/run", "params"],
              title=f"results in {db} (untuned: one lr for all; --profile tunes it)")
    _report_failures(report)
    if not report.complete:
        raise typer.Exit(1)


def _report_json(report: Any) -> dict[str, Any]:
    return {"stored": len(report.stored), "skipped": report.skipped, "lost": report.lost,
            "failed": report.failed, "seconds": report.seconds}


def _report_failures(report: Any) -> None:
    err.print(report.summary(), markup=False)
    for key, why in report.failed:
        err.print(f"[red]failed[/] {escape(f'{key[0]} {key[1]} seed {key[2]}: {why}')}")
    for key, why in report.lost:
        err.print(f"[yellow]lost[/] {escape(f'{key[0]} {key[1]} seed {key[2]}: {why}')}")


def _train_profile(name: str, only: str | None, estimate: bool, figures: Path | None, db: Path, backend: str,
                   address: str | None, workers: int | None, threads: int, progress: bool,
                   as_json: bool) -> None:
    from ..bench.protocol import get_profile, run_profile

    with user_errors():  # an unknown profile or experiment, or one whose data is missing
        prof = get_profile(name, only)
    if estimate:
        from ..bench.estimate import estimate as estimate_profile

        est = estimate_profile(prof)
        if as_json:
            out.json(est)
            return
        table(est["experiments"], ["experiment", "task", "runs", "steps", "s/step", "s/run", "cpu_hours"],
              title=f"profile {name}: estimated cost on this machine (ReLU's step time, ±50%)")
        out.print(f"profile {name}: {est['runs']} runs, about {est['cpu_hours']:.2f} CPU-hours "
                  f"({est['cpu_hours'] / max(1, workers or os.cpu_count() or 1):.2f} h wall with "
                  f"{workers or os.cpu_count()} workers), plus up to {est['extension_runs_max']} tuning "
                  "runs where a best lr lies at an end of the grid")
        return
    with user_errors():  # run_profile checks --backend, --address, --workers and the data first
        done = run_profile(prof, db, backend=backend, workers=workers, address=address, threads=threads,
                           progress=progress)
    for stage in ("tune", "test"):
        if done[stage] is not None:
            err.print(f"{stage} stage: ", end="")
            _report_failures(done[stage])
        for report in done["extended"] if stage == "tune" else ():
            err.print("tune stage, lr grid extended past an end where the best lr lay: ", end="")
            _report_failures(report)
    if done["test"] is None:
        err.print("[yellow]tuning is incomplete[/]: run the same command again to finish it, then the test "
                  "stage runs")
        raise typer.Exit(1)
    show_profile(name, db, figures or Path(db).parent / "figures", as_json,
                 extra={"wall_seconds": done["seconds"]}, only=only)
    if not done["test"].complete:
        raise typer.Exit(1)


def show_profile(name: str, db: Path, figures: Path | None, as_json: bool,
                 extra: dict[str, Any] | None = None, only: str | None = None) -> dict[str, Any]:
    """Print (or write as JSON) what a profile's stored results support."""
    from ..bench.protocol import analyze, describe_known_answer, get_profile
    from ..bench.store import Store

    with user_errors():
        prof = get_profile(name, only)
    with Store(db, readonly=True) as store:
        runs = store.runs()
    if figures is not None:
        output_dir(figures, "--out")
    with user_errors():
        res = analyze(prof, runs)  # ValueError: e.g. "tuning is not finished"
    requests = res.pop("figures")  # one critical-difference diagram per Friedman result
    if figures is not None:
        from ..report.figures import bench as bench_figures

        with writing(figures, option="--out"):
            for f, request in zip(res["friedman"], requests):
                f["plot"] = str(bench_figures.draw(request, figures))
    res.update(extra or {})
    if as_json:
        out.json(res)
        return res
    out.print(f"Protocol {res['protocol']}")
    rows = []
    for s in res["summary"]:
        curve = ", ".join(f"{lr:g}: {v:.3f}" for lr, v in s["tune_curve"].items())
        rows.append({**s, "mean [t 95%] [bootstrap]": f"{s['mean']:.4f} [{s['lo']:.4f}, {s['hi']:.4f}] "
                     f"[{s['boot_lo']:.4f}, {s['boot_hi']:.4f}]", "tuned lr": s["lr"], "val by lr": curve,
                     "lr sens.": s["sensitivity"], "late gain": s["late_gain"], "fail": s["failures"],
                     "params": s["n_params"]})
    table(rows, ["experiment", "activation", "tuned lr", "val by lr", "lr sens.", "n", "fail",
                 "mean [t 95%] [bootstrap]", "late gain", "params"],
          title="test stage: test score at the best-validation epoch, fresh seeds at the tuned lr")
    vrows = [{**v, "diff [t 95%] [bootstrap]": f"{v['diff']:+.4f} [{v['lo']:+.4f}, {v['hi']:+.4f}] "
              f"[{v['boot_lo']:+.4f}, {v['boot_hi']:+.4f}]", "± margin": v["margin"]} for v in res["versus"]]
    table(vrows, ["experiment", "activation", "baseline", "diff [t 95%] [bootstrap]", "p_holm", "p_tost_holm",
                  "± margin", "verdict"],
          title="against the baseline: paired t (Holm over k−1), TOST equivalence with the declared margin; "
                "verdicts from the t tests (the bootstrap under-covers at 5 seeds: information only)")
    for f in res["friedman"]:
        ranks = ", ".join(f"{a} {r:.2f}" for a, r in sorted(f["ranks"].items(), key=lambda kv: kv[1]))
        out.print(f"Friedman over {f['n_experiments']} experiments ({', '.join(f['experiments'])}): "
                  f"chi2 = {f['chi2']:.3g}, p = {f['p']:.3g}; average ranks {ranks}; "
                  f"Nemenyi CD = {f['cd']:.2f}"
                  + (f"; plot {f['plot']}" if f.get("plot") else ""))
    plan = [p for p in res["seed_plan"] if p["seeds"] is not None]
    if plan:
        table(plan, ["experiment", "activation", "sd_diff", "effect", "pilot_seeds", "seeds"],
              title="seeds needed to detect a difference of one margin (power 0.8, α/(k−1))")
    ka = res["known_answer"]
    if ka:
        out.print(describe_known_answer(ka), markup=False)
    if "wall_seconds" in res:
        err.print(f"profile {name}: {res['wall_seconds']:.0f} s wall")
    return res


# ---------------------------------------------------------------------------------- results
@app.command("results")
def results(
    db: DbOpt = DEFAULT_DB,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Only this task.")] = None,
    profile: Annotated[str | None, typer.Option(help="Show a tune-then-test profile's analysis.")] = None,
    only: Annotated[str | None, typer.Option(help="With --profile: only these experiments.")] = None,
    out_: Annotated[Path | None, typer.Option("--out", "-o", help="Write learning-curve, depth and "
                                              "rank PNGs to this folder.")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", hidden=True, help="Old name of --out.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Mean ± 95% CI per activation, the significant paired differences (Holm), average ranks."""
    from ..bench import stats
    from ..bench.store import Store

    if not Path(db).exists():
        raise UserError(f"no results store at {db}; run `actlab bench train` first")
    plots, plots_opt = aliased(out_, "--out", plots, "--plots")
    if plots is not None:
        output_dir(plots, plots_opt)
    if only is not None and profile is None:
        raise UserError("--only needs --profile (ci, full or paper)")
    if profile is not None:
        show_profile(profile, db, plots, as_json, only=only)
        return
    with Store(db, readonly=True) as store:
        runs = store.runs(task=task, with_epochs=plots is not None)
    if not runs:
        raise UserError(f"no runs{' for task ' + task if task else ''} in {db}")
    summary = stats.summarize(runs)
    pairs = [p for p in stats.pairwise(runs) if p["significant"]]
    ranks = stats.average_ranks(runs)
    figures: list[str] = []
    with writing(*([plots] if plots is not None else []), option=plots_opt):
        _results_plots(runs, ranks, plots, figures)
    if as_json:
        out.json({"summary": summary, "significant": pairs, "ranks": ranks, "figures": figures})
        return
    table(_summary_rows(summary), ["experiment", "activation", "metric", "n", "mean ± 95% CI", "rank",
                                   "s/run", "params"], title=f"results in {db}")
    if pairs:
        ci = "diff (a-b) [95% CI]"
        table([{**p, ci: f"{p['diff']:+.4f} [{p['lo']:+.4f}, {p['hi']:+.4f}]"} for p in pairs],
              ["experiment", "better", "a", "b", "diff (a-b) [95% CI]", "p_holm", "n"],
              title="significant paired differences (Holm-adjusted p < 0.05)")
    else:
        out.print("No pair of activations differs significantly (Holm-adjusted p < 0.05) in any experiment.",
                  highlight=True)
    if len(stats.experiments(runs)) > 1 and ranks:
        table(ranks, ["activation", "avg_rank", "lo", "hi", "n_experiments"],
              title="average rank over all experiments (95% bootstrap CI)")
    for f in figures:
        err.note(f"wrote {f}")


def _results_plots(runs: list[dict], ranks: list[dict], plots: Path | None, figures: list[str]) -> None:
    """``bench results --plots``: learning curves per experiment, depth, ranks (paths appended)."""
    from ..bench import stats
    from ..report.figures import bench as bench_figures

    if plots is None:
        return
    requests = [stats.figure("learning_curves", stats.learning_curves_data(exp), f"curves-{t}-{h[:8]}.png",
                             title=stats.label(t, exp[0]["config"]))
                for (t, h), exp in sorted(stats.experiments(runs).items()) if t != "depth"]
    if any(r["task"] == "depth" for r in runs):
        requests.append(stats.figure("depth", stats.depth_data(runs), "depth.png"))
    if ranks:
        requests.append(stats.figure("ranks", ranks, "ranks.png"))
    figures.extend(str(p) for p in bench_figures.draw_all(requests, plots))


# ------------------------------------------------------------------------------------ tasks
@app.command("tasks")
def tasks_cmd(as_json: JsonOpt = False) -> None:
    """The benchmark tasks, their data and whether they can run here."""
    from ..bench.tasks import tasks

    rows = [{"task": t.name, "kind": t.kind, "metric": t.metric, "summary": t.summary,
             "available": t.available() or "yes",
             "settings": ", ".join(f"{k}={v}" for k, v in t.defaults.items())}
            for t in tasks()]
    if as_json:
        out.json(rows)
        return
    table(rows, ["task", "kind", "metric", "summary", "available"], title="benchmark tasks")


# ------------------------------------------------------------------------------------ quick
@app.command("quick")
def quick(
    db: Annotated[str, typer.Option(help="Results store.")] = "actlab-results/results.sqlite",
    seeds: Annotated[int, typer.Option(help="Seeds per activation.")] = 3,
) -> None:
    """The small sweep behind the report's benchmark section (a few minutes on 2 cores;
    finished runs are skipped, so running it again is instant)."""
    from ..bench.recommend import quick_sweep

    count("--seeds", seeds, 2)
    with user_errors():  # quick_sweep checks --seeds before it trains
        quick_sweep(db, seeds=seeds)


app.add_typer(kernels.app)  # `actlab bench kernels`
