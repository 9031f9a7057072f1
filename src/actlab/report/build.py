"""Build the report: compute every section (in ``jobs`` worker processes), then write one
self-contained ``report.html`` and the tables as ``report.json`` next to it.

    >>> from actlab.report.build import build
    >>> result = build("actlab-report", quick=True)       # doctest: +SKIP
    >>> result.html_path, result.failed_required          # doctest: +SKIP

Scheduling: every section is split into parts (:mod:`actlab.report.sections`); all parts go to
one process pool, heaviest first, so two cores stay busy until the end. Workers run torch on one
thread each (the work is many small problems; threads would only contend). With ``jobs=1``
everything runs in this process.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..jsonsafe import json_safe
from . import html as H
from . import sections as S

__all__ = ["Outcome", "Report", "build"]


@dataclass
class Outcome:
    """One section after the build: its data (None if it failed), error and timings."""

    key: str
    title: str
    data: dict[str, Any] | None = None
    error: str | None = None
    details: str = ""
    seconds: float = 0.0  # summed over parts (CPU-side work, not wall time)
    skipped: bool = False
    html: str = ""


@dataclass
class Report:
    html_path: Path
    json_path: Path
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return [o.key for o in self.outcomes if o.error]

    @property
    def failed_required(self) -> list[str]:
        return [o.key for o in self.outcomes if o.error and S.REGISTRY.get(o.key, None) is not None
                and S.REGISTRY[o.key].required]


# ---------------------------------------------------------------------------------- workers
def _init_worker() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(1)
    try:  # NumPy's BLAS: also one thread (threadpoolctl is there when scikit-learn is)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def _run_part(key: str, options: S.Options, part: Any) -> tuple[bool, Any, float]:
    """Compute one part of section ``key``: (ok, data or (message, traceback), seconds)."""
    start = time.perf_counter()
    try:
        section = S.REGISTRY[key]
        data = section.compute(options, part)
        if not isinstance(data, dict):
            raise TypeError(f"section {key!r}: compute() must return a dict, got {type(data).__name__}")
        return True, data, time.perf_counter() - start
    except Exception as e:
        return False, (f"{type(e).__name__}: {e}", traceback.format_exc()), time.perf_counter() - start


# ------------------------------------------------------------------------------------- build
def build(out_dir: str | Path = "actlab-report", *, quick: bool = False, names: Sequence[str] | None = None,
          keys: Sequence[str] | None = None, jobs: int = 2, progress: bool = True,
          console: Any = None) -> Report:
    """Compute the report's sections and write ``report.html`` and ``report.json`` in ``out_dir``.

    ``names`` restricts the per-activation sections to these activations; ``keys`` builds only
    these sections (see ``sections.REGISTRY``); ``jobs`` worker processes (1: this process).
    Bad names or keys raise ``ValueError``. A section that fails becomes an error box.
    """
    import actlab

    start = time.perf_counter()
    if names:
        names = tuple(actlab.get_spec(n).name for n in names)  # ValueError with "did you mean"
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    todo, left_out = S.chosen(keys, quick)
    options = S.Options(quick=quick, names=tuple(names) if names else None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    outcomes = {s.key: Outcome(s.key, s.title) for s in todo}
    for s in left_out:
        outcomes[s.key] = Outcome(s.key, s.title, skipped=True)
    tasks: list[tuple[float, str, int, Any]] = []
    parts_of: dict[str, list[Any]] = {}
    for s in todo:
        try:
            parts = s.parts(options) if s.parts else [None]
        except Exception as e:
            o = outcomes[s.key]
            o.error, o.details = f"{type(e).__name__}: {e}", traceback.format_exc()
            continue
        parts_of[s.key] = [None] * len(parts)
        if not parts:
            outcomes[s.key].data = {}
        for i, p in enumerate(parts):
            tasks.append((s.weight / max(1, len(parts)), s.key, i, p))
    tasks.sort(key=lambda t: -t[0])

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = console or Console(stderr=True)
    # only on a terminal: a log file or a pipe gets neither the bar nor the per-section lines
    shown = progress and console.is_terminal
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not shown) as bar:
        total = len(tasks) + len(todo)
        task = bar.add_task("building the report", total=total)
        remaining = {k: len(v) for k, v in parts_of.items()}
        started = time.perf_counter()

        def describe(running: Sequence[str]) -> None:
            finished = sum(1 for v in remaining.values() if v == 0)
            now = ", ".join(dict.fromkeys(running)) or "…"
            bar.update(task, description=f"computing {now} ({finished}/{len(todo)} sections done)")

        def done(key: str, i: int, result: tuple[bool, Any, float]) -> None:
            ok, value, seconds = result
            o = outcomes[key]
            o.seconds += seconds
            if ok:
                parts_of[key][i] = value
            elif o.error is None:
                o.error, o.details = value
            remaining[key] -= 1
            if remaining[key] == 0 and o.error is None:
                o.data = S.merge(parts_of[key])
            if remaining[key] == 0 and shown:
                mark = "[red]✗[/]" if o.error else "[green]✓[/]"
                what = "failed" if o.error else f"{o.seconds:.0f} s of work"
                console.print(f"{mark} {key:<12} {S.REGISTRY[key].title} — {what} "
                              f"(at {time.perf_counter() - started:.0f} s)", highlight=False, markup=True)
            bar.advance(task)

        if jobs == 1 or len(tasks) <= 1:
            from ..analysis.approx import one_thread

            with one_thread():  # as in the workers: many small problems, threads only contend
                for _, key, i, p in tasks:
                    describe([key])
                    done(key, i, _run_part(key, options, p))
        else:
            _pool_run(tasks, options, jobs, done, describe)

        from .summary import summary

        first = str(summary({k: o.data for k, o in outcomes.items()}))
        pieces, nav = [first], [("summary", "Which activation?", False)]
        for s in sorted((S.REGISTRY[k] for k in outcomes), key=lambda s: s.order):
            o = outcomes[s.key]
            bar.update(task, description=f"rendering {s.key}")
            o.html = _render(s, o, options)
            pieces.append(o.html)
            nav.append((s.key, _short(s.title), bool(o.error)))
            if not o.skipped:
                bar.advance(task)

    seconds = time.perf_counter() - start
    report = Report(out / "report.html", out / "report.json", seconds, list(outcomes.values()))
    meta = _meta(options, jobs, seconds)
    page = H.page("actlab report", _header(meta, outcomes, options), nav, H.Raw("".join(pieces)),
                  _footer(meta, outcomes))
    from .pages import write_pages

    write_pages(out, list(options.names or actlab.names()), {k: o.data for k, o in outcomes.items()})
    _atomic_write(report.html_path, page)
    _atomic_write(report.json_path, json.dumps(_json(meta, outcomes), indent=1, ensure_ascii=False,
                                                allow_nan=False, default=str) + "\n")
    return report


def _pool_run(tasks: list[tuple[float, str, int, Any]], options: S.Options, jobs: int,
              done: Callable[[str, int, tuple[bool, Any, float]], None],
              running: Callable[[list[str]], None] | None = None) -> None:
    """Run ``tasks`` on ``jobs`` spawned workers, calling ``done`` as each finishes and
    ``running`` with the sections of the parts in progress whenever that may have changed."""
    pool = ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker)
    futures: dict[Future, tuple[str, int]] = {}
    try:
        for _, key, i, p in tasks:
            futures[pool.submit(_run_part, key, options, p)] = (key, i)
        pending = set(futures)
        while pending:
            if running is not None:
                running([futures[f][0] for f in pending if f.running()])
            finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for f in finished:
                key, i = futures[f]
                try:
                    result = f.result()
                except Exception as e:  # the worker died (killed, out of memory, unpicklable data)
                    result = (False, (f"{type(e).__name__}: {e}", traceback.format_exc()), 0.0)
                done(key, i, result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _short(title: str) -> str:
    return {"f, f′ and f″ of every activation": "Plots", "Accuracy against the oracle": "Accuracy",
            "Universal approximation: one hidden layer": "Approximation",
            "Gradient flow through deep MLPs": "Gradient flow", "Mean-field signal propagation": "Mean field",
            "BatchNorm or self-normalisation?": "Self-normalisation",
            "Model doctor on demo models": "Doctor", "Measured properties": "Properties",
            "Claims checked": "Claims"}.get(title, title)


def _render(s: S.Section, o: Outcome, options: S.Options) -> str:
    if o.skipped:
        body = H.Raw('<div class="skipped">Left out of <code>--quick</code> (it trains networks and '
                     'takes minutes); run <code>actlab report</code> without <code>--quick</code> to '
                     'include it.</div>')
        return str(H.section(s.key, s.title, body, s.intro))
    if o.error:
        return str(H.section(s.key, s.title, H.error_box("This section failed", o.error, o.details),
                             s.intro, o.seconds))
    if not o.data:  # no parts: e.g. --name geglu leaves the elementwise-only sections empty
        return str(H.section(s.key, s.title, H.note("Nothing to show for the chosen activations."), s.intro))
    try:
        body = s.render(o.data, options)
    except Exception as e:
        o.error, o.details = f"{type(e).__name__}: {e}", traceback.format_exc()
        body = H.error_box("This section could not be drawn", o.error, o.details)
    return str(H.section(s.key, s.title, body, s.intro, o.seconds))


def _meta(options: S.Options, jobs: int, seconds: float) -> dict[str, Any]:
    import numpy
    import torch

    import actlab

    return {"actlab": actlab.__version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version(), "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "generated": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "quick": options.quick, "names": list(options.names) if options.names else None,
            "jobs": jobs, "seconds": round(seconds, 1)}


def _header(meta: dict[str, Any], outcomes: dict[str, Outcome], options: S.Options) -> H.Raw:
    import actlab

    specs = [actlab.get_spec(n) for n in (options.names or actlab.names())]
    kinds: dict[str, int] = {}
    for s in specs:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    facts = [(str(len(specs)), "activations (" + ", ".join(f"{v} {k}" for k, v in kinds.items()) + ")"),
             (str(len({s.family for s in specs})), "families")]
    claims = outcomes.get("claims")
    if claims and claims.data:
        rows = claims.data["rows"]
        facts.append((f"{sum(r['ok'] for r in rows)}/{len(rows)}", "claim verdicts as expected"))
    acc = outcomes.get("accuracy")
    if acc and acc.data:
        bad = {r["name"] for r in acc.data["rows"] if not r["passed"]}
        facts.append((str(len(bad)), "activations over an accuracy bound"))
    failed = [o.title for o in outcomes.values() if o.error]
    mode = "quick" if meta["quick"] else "full"
    facts.append((f"{meta['seconds']:.0f} s", f"{mode} build, {meta['jobs']} workers"))
    boxes = "".join(f'<div class="fact"><b>{H.esc(a)}</b><span>{H.esc(b)}</span></div>' for a, b in facts)
    warn = H.error_box(f"{len(failed)} section(s) failed", ", ".join(failed)) if failed else ""
    return H.Raw(f"<h1>actlab report</h1><div class='sub'>Activation functions: what they are, how "
                 f"accurately actlab computes them, and how they behave in networks. Generated "
                 f"{H.esc(meta['generated'])} with actlab {H.esc(meta['actlab'])}, "
                 f"torch {H.esc(meta['torch'])}."
                 f"</div><div class='facts'>{boxes}</div>{warn}")


def _footer(meta: dict[str, Any], outcomes: dict[str, Outcome]) -> H.Raw:
    times = ", ".join(f"{o.key} {o.seconds:.0f} s" for o in outcomes.values() if not o.skipped)
    return H.Raw(f"Built in {meta['seconds']:.0f} s on {H.esc(meta['machine'])} ({meta['cpus']} CPUs, "
                 f"{meta['jobs']} workers), Python {H.esc(meta['python'])}. "
                 f"Work per section (summed over its parts): {H.esc(times)}. "
                 "The tables are also in report.json next to this file. This page loads nothing from "
                 "the network.")


def _json(meta: dict[str, Any], outcomes: dict[str, Outcome]) -> dict[str, Any]:
    sections = {}
    for o in outcomes.values():
        entry: dict[str, Any] = {"title": o.title, "seconds": round(o.seconds, 2)}
        if o.skipped:
            entry["skipped"] = "left out of --quick"
        elif o.error:
            entry["error"] = o.error
        else:
            entry["data"] = json_safe({k: v for k, v in (o.data or {}).items() if k != "assets"})
        sections[o.key] = entry
    return {"meta": meta, "sections": sections}


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
