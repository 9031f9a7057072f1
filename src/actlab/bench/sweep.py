"""Sweeps: many (task, activation, seed) runs in a local process pool or on a Ray cluster.

``run_sweep(plan(...), db)`` skips every run already in the store (so re-running a command
resumes it), then trains the rest:

* ``backend="local"`` (default): ``workers`` processes (default: one per core, never more than
  runs left), each on one thread. A worker claims a run in the store, trains it and commits it
  itself, in one transaction, so a finished run survives anything that happens afterwards,
  including the parent dying. The parent hands runs out one at a time over a pipe per worker and
  watches the workers; one that dies (SIGKILL, out of memory) loses only the run it held: the
  parent reports it, starts a replacement and goes on. Re-running the same command trains the
  lost run.
* ``backend="ray"``: each run is a Ray task reserving ``threads`` CPUs (torch uses that many
  threads); ``address`` joins an existing cluster (``ray start --head`` on one machine,
  ``ray start --address=...`` on the others; actlab must be installed on every node), no
  address starts a local Ray with ``workers × threads`` CPUs. The driver loads each data set
  once and puts it in the object store (``ray.put``), so workers need neither the files nor
  ``ACTLAB_DATA``. Workers report progress through a Ray queue (shown on the driver, with the
  node's host name); failures are printed as they happen. Results come back to this process,
  which commits each as it arrives: a killed worker or node loses at most its runs in flight
  (Ray retries each once; re-running the command trains what is still missing).
  ``pip install 'actlab[ray]'``.

Both give the same rows: a run depends only on its key (see :mod:`actlab.bench.train`).
"""

from __future__ import annotations

import itertools
import math
import os
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from . import train
from .store import Key, Store
from .tasks import get_task, split_labels
from .train import RunSpec

__all__ = ["PRESETS", "SweepReport", "parse_acts", "parse_sets", "plan", "run_sweep"]

PRESETS = {
    "core": ["relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish", "tanh", "sigmoid"],
    "glu": ["glu", "reglu", "geglu", "swiglu", "bilinear"],
    "text": ["relu", "gelu", "swish", "glu", "reglu", "geglu", "swiglu", "bilinear"],
}


def parse_acts(text: str | Sequence[str]) -> list[str]:
    """``"relu,gelu"``, a preset name (``core``, ``glu``, ``text``) or a mix of both."""
    items = split_labels(text) if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        for label in PRESETS.get(item.lower(), [item]):
            if label not in out:
                out.append(label)
    if not out:
        raise ValueError("--acts needs at least one activation, e.g. --acts relu,gelu or --acts core")
    return out


def parse_sets(items: Iterable[str] | None) -> dict[str, list[str]]:
    """``["depth=2,8,16", "lr=0.001"]`` -> ``{"depth": ["2", "8", "16"], "lr": ["0.001"]}``."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"--set expects KEY=VALUE[,VALUE...], e.g. --set depth=2,8,16; got {item!r}")
        out[key.strip()] = [v.strip() for v in value.split(",") if v.strip()]
    return out


def plan(tasks: str | Sequence[str], acts: str | Sequence[str], seeds: int | Sequence[int],
         sets: Mapping[str, Sequence[Any]] | None = None) -> list[RunSpec]:
    """Every run of the grid tasks × settings × activations × seeds, seed-major (all activations
    get seed 0 before any gets seed 1, so a sweep stopped early is still balanced).

    ``sets`` maps setting names to one or more values; a task that lacks a setting ignores it
    (``--set depth=...`` applies to the depth task only) unless no task has it (an error).
    Unavailable tasks (missing data) raise ValueError saying how to get the data.
    """
    names = split_labels(tasks) if isinstance(tasks, str) else list(tasks)
    task_objs = [get_task(n) for n in names]
    for t in task_objs:
        why = t.available()
        if why:
            raise ValueError(f"task '{t.name}' cannot run here: {why}")
    labels = parse_acts(acts)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ValueError("--seeds must be at least 1")
    sets = {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in (sets or {}).items()}
    for key in sets:
        if not any(key in t.defaults for t in task_objs):
            raise ValueError(f"no task in {names} has a setting '{key}'; settings: "
                             + "; ".join(f"{t.name}: {', '.join(t.defaults)}" for t in task_objs))
    specs: list[RunSpec] = []
    for seed in seed_list:
        for t in task_objs:
            own = {k: v for k, v in sets.items() if k in t.defaults}
            for combo in itertools.product(*own.values()):
                overrides = dict(zip(own, combo))
                for label in labels:
                    specs.append(RunSpec.make(t.name, label, seed, overrides))
    return specs


@dataclass
class SweepReport:
    planned: int = 0
    skipped: int = 0  # already in the store when the sweep started
    stored: list[Key] = field(default_factory=list)
    duplicates: list[Key] = field(default_factory=list)  # finished, but another writer was first
    lost: list[tuple[Key, str]] = field(default_factory=list)  # worker died: re-run to finish
    failed: list[tuple[Key, str]] = field(default_factory=list)  # the run raised an error
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.lost and not self.failed

    def summary(self) -> str:
        parts = [f"{len(self.stored)} run(s) stored", f"{self.skipped} already there"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} stored meanwhile by another writer")
        if self.lost:
            parts.append(f"{len(self.lost)} lost (worker died; run the same command again to finish)")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return f"{', '.join(parts)} in {self.seconds:.0f} s"


# ------------------------------------------------------------------------------- progress
class _Display:
    """Rich progress on stderr: one bar for the sweep, one line per active run."""

    def __init__(self, total: int, enabled: bool, console: Any = None) -> None:
        self.enabled = enabled and total > 0
        self.rows: dict[Key, Any] = {}
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                            console=console or Console(stderr=True), transient=True)
        self.bar.start()
        self.main = self.bar.add_task("runs", total=total, info="")

    def start(self, spec: RunSpec, where: str = "") -> None:
        if self.enabled and spec.key not in self.rows:
            at = f" on {where}" if where else ""
            self.rows[spec.key] = self.bar.add_task(f"  {spec.describe()}{at}", total=None, info="")

    def note(self, text: str) -> None:
        """A line above the bars (a failure, a lost run) as it happens."""
        if self.enabled:
            self.bar.console.print(text, highlight=False)

    def epoch(self, key: Key, row: Mapping[str, Any], total: int, metric: str) -> None:
        if self.enabled and key in self.rows:
            value = row.get("metric")
            info = f"{metric} {value:.4f}" if isinstance(value, float) and math.isfinite(value) else ""
            self.bar.update(self.rows[key], completed=row["epoch"], total=total, info=info)

    def finish(self, key: Key) -> None:
        if self.enabled:
            if key in self.rows:
                self.bar.remove_task(self.rows.pop(key))
            self.bar.advance(self.main)

    def close(self) -> None:
        if self.enabled:
            self.bar.stop()


# ---------------------------------------------------------------------------- local pool
class _ParentGone(Exception):
    """The sweep's parent closed its end (it exited or was killed): this worker stops."""


def _worker_main(conn: Connection, db: str, threads: int) -> None:
    """A pool worker: receive a run, claim it, train it, commit it, say so; None ends it.

    When the parent is gone (its socket reads EOF, a send breaks the pipe) the worker releases
    the run it holds and returns quietly: no BrokenPipe traceback from an orphan."""
    import torch

    torch.set_num_threads(threads)

    def send(msg: tuple) -> None:
        try:
            conn.send(msg)
        except OSError as e:  # BrokenPipeError, ConnectionResetError
            raise _ParentGone from e

    store = Store(db)
    try:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return
            if msg is None:
                return
            spec = RunSpec.from_dict(msg)
            metric = get_task(spec.task).metric
            try:
                store.claim(spec.key)
                result = train.run(spec, progress=lambda row, total, k=spec.key:
                                   send(("epoch", k, row, total)))
                inserted = store.record(result)  # committed: kept even if the parent is gone now
            except _ParentGone:
                store.release(spec.key)
                return
            except Exception as e:  # report and go on with the next run
                store.release(spec.key)
                send(("error", spec.key, f"{type(e).__name__}: {e}"))
                continue
            send(("done", spec.key, inserted, {"metric": result["metric"], "name": metric}))
    except _ParentGone:
        return
    finally:
        store.close()


def _worker_entry() -> None:
    """``python -c "...; _worker_entry()" FD DB THREADS``: a worker talking over socket ``FD``.

    Ctrl-C reaches the whole process group: the parent reports and stops the pool, so a worker
    ignores SIGINT (no KeyboardInterrupt traceback from each one) and ends when told or when the
    parent's end of the socket closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(sys.argv[1]))
    try:
        _worker_main(conn, sys.argv[2], int(sys.argv[3]))
    finally:
        try:
            conn.close()
        except OSError:
            pass


@dataclass
class _Worker:
    process: subprocess.Popen
    conn: Connection
    spec: RunSpec | None = None


def _local(specs: list[RunSpec], db: Path, workers: int, threads: int, report: SweepReport,
           display: _Display) -> None:
    # Workers are fresh interpreters (not fork: torch's thread pools don't survive it; not
    # multiprocessing's spawn: it re-runs the caller's __main__, which fails for stdin or
    # notebooks), each connected by a socket pair; a dead worker's socket reads as EOF.
    pending = deque(specs)
    pool: list[_Worker] = []
    deaths = 0
    finished = False

    def spawn() -> _Worker:
        mine, theirs = socket.socketpair()
        code = "from actlab.bench.sweep import _worker_entry; _worker_entry()"
        p = subprocess.Popen([sys.executable, "-c", code, str(theirs.fileno()), str(db), str(threads)],
                             pass_fds=(theirs.fileno(),))
        theirs.close()
        return _Worker(p, Connection(mine.detach()))

    def assign(w: _Worker) -> None:
        if pending:
            w.spec = pending.popleft()
            w.conn.send(w.spec.to_dict())
            display.start(w.spec)
        else:
            w.spec = None

    def handle(w: _Worker, msg: tuple) -> None:
        kind, key = msg[0], msg[1]
        if kind == "epoch":
            display.epoch(key, msg[2], msg[3], get_task(key[0]).metric)
            return
        if kind == "done":
            (report.stored if msg[2] else report.duplicates).append(key)
        else:
            report.failed.append((key, msg[2]))
        display.finish(key)
        assign(w)

    try:
        for _ in range(min(workers, len(pending))):
            w = spawn()
            pool.append(w)
            assign(w)
        while any(w.spec is not None for w in pool):
            busy = [w for w in pool if w.spec is not None]
            wait([w.conn for w in busy], timeout=1.0)
            for w in busy:
                gone = False
                try:
                    while w.spec is not None and w.conn.poll():
                        handle(w, w.conn.recv())
                except (EOFError, OSError):
                    gone = True
                if w.spec is None or not (gone or w.process.poll() is not None):
                    continue
                code = w.process.wait()
                why = (f"worker pid {w.process.pid} died (signal {-code})" if code < 0
                       else f"worker pid {w.process.pid} exited with code {code}")
                report.lost.append((w.spec.key, why))
                display.finish(w.spec.key)
                w.conn.close()
                deaths += 1
                pool.remove(w)
                if pending and deaths <= workers + 3:  # replace it, unless workers keep dying
                    nw = spawn()
                    pool.append(nw)
                    assign(nw)
        for spec in pending:  # left over only if workers kept dying
            report.lost.append((spec.key, "not started: too many workers died"))
        finished = True
    finally:
        for w in pool:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in pool:
            if not finished:  # Ctrl-C or an error here: stop the runs in flight now (a run is
                w.process.terminate()  # committed whole or not at all), don't wait for them
            try:
                w.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.process.terminate()
                w.process.wait()
            w.conn.close()


# ------------------------------------------------------------------------------------- ray
def _ray_task(spec_dict: dict[str, Any], threads: int, data: Any, queue: Any) -> dict[str, Any]:
    """One run on a Ray worker: ``data`` arrive from the driver's object store (Ray resolves the
    reference), progress goes back through ``queue`` (a Ray queue actor; best effort)."""
    import torch

    torch.set_num_threads(threads)
    spec = RunSpec.from_dict(spec_dict)

    def send(msg: tuple) -> None:
        try:
            queue.put_nowait(msg)
        except Exception:  # a full or gone queue must never fail the run
            pass

    send(("start", spec.key, socket.gethostname()))
    return train.run(spec, progress=lambda row, total: send(("epoch", spec.key, row, total)), data=data)


def _ray(specs: list[RunSpec], store: Store, workers: int, threads: int, address: str | None,
         report: SweepReport, display: _Display) -> None:
    try:
        import ray
        from ray.util.queue import Queue
    except ImportError:
        raise ValueError("--backend ray needs Ray: pip install 'actlab[ray]' (or pip install ray)") from None
    started_here = not ray.is_initialized()
    if started_here:
        try:
            if address:
                # a cluster on this machine's loopback: the driver joins on loopback too (Ray would
                # otherwise announce the machine's own network address)
                local = {"_node_ip_address": "127.0.0.1"} if address.startswith(("127.", "localhost")) else {}
                ray.init(address=address, include_dashboard=False, log_to_driver=False, **local)
            else:
                ray.init(num_cpus=workers * threads, include_dashboard=False, log_to_driver=False)
        except ConnectionError as e:
            raise ValueError(f"cannot reach the Ray cluster at {address}: {e}; start one with `ray start "
                             f"--head` and pass the address it prints") from None
    try:
        # the driver loads each data set once and puts it in the object store: workers on other
        # machines need neither the files nor ACTLAB_DATA (an environment variable on the driver)
        refs_by_data: dict[Any, Any] = {}
        for spec in specs:
            k = train.data_key(spec)
            if k not in refs_by_data:
                refs_by_data[k] = ray.put(train.load_data(spec))
        queue = Queue(maxsize=10_000, actor_options={"num_cpus": 0})
        remote = ray.remote(num_cpus=threads, max_retries=1)(_ray_task)
        refs = {}
        for spec in specs:
            refs[remote.remote(spec.to_dict(), threads, refs_by_data[train.data_key(spec)], queue)] = spec
        by_key = {spec.key: spec for spec in specs}

        def drain() -> None:
            while True:
                try:
                    msg = queue.get_nowait()
                except Exception:  # Empty
                    return
                if msg[1] not in by_key or msg[1] in done_keys:
                    continue
                if msg[0] == "start":
                    display.start(by_key[msg[1]], where=msg[2])
                elif msg[0] == "epoch":
                    display.epoch(msg[1], msg[2], msg[3], get_task(msg[1][0]).metric)

        done_keys: set[Key] = set()
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1, timeout=0.5)
            drain()
            for ref in done:
                spec = refs.pop(ref)
                done_keys.add(spec.key)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as e:
                    why = str(e.cause) if e.cause else str(e)
                    report.failed.append((spec.key, why))
                    display.note(f"[red]failed[/] {spec.describe()}: {why}")
                except ray.exceptions.RayError as e:  # worker or node died, after the retry too
                    report.lost.append((spec.key, f"{type(e).__name__}: {e}"))
                    display.note(f"[yellow]lost[/] {spec.describe()}: {type(e).__name__}")
                else:
                    (report.stored if store.record(result) else report.duplicates).append(spec.key)
                display.finish(spec.key)
        ray.kill(queue.actor)
    finally:
        if started_here:
            ray.shutdown()


# ----------------------------------------------------------------------------------- entry
def run_sweep(specs: Sequence[RunSpec], db: str | os.PathLike[str], *, backend: str = "local",
              workers: int | None = None, address: str | None = None, threads: int = 1,
              progress: bool = True, console: Any = None) -> SweepReport:
    """Train every run of ``specs`` not yet in the store at ``db``; see the module docstring.

    ``workers=0`` trains in this process, one run after the other (no pool; for debugging).
    """
    if backend not in ("local", "ray"):
        raise ValueError(f"--backend must be 'local' or 'ray', got '{backend}'")
    if address and backend != "ray":
        raise ValueError("--address is for --backend ray")
    t0 = time.perf_counter()
    db = Path(db)
    report = SweepReport(planned=len(specs))
    store = Store(db)
    try:
        store.drop_stale_claims()
        done = store.finished_keys()
        todo, seen = [], set()
        for s in specs:
            if s.key in done:
                report.skipped += 1
            elif s.key not in seen:
                seen.add(s.key)
                todo.append(s)
        if workers is None:
            workers = os.cpu_count() or 1
        if workers < 0:
            raise ValueError(f"--workers must be >= 0, got {workers}")
        display = _Display(len(todo), progress, console)
        try:
            if not todo:
                pass
            elif backend == "ray":
                _ray(todo, store, max(1, workers), threads, address, report, display)
            elif workers == 0:
                _serial(todo, store, threads, report, display)
            else:
                _local(todo, db, workers, threads, report, display)
        finally:
            display.close()
    finally:
        store.close()
    report.seconds = time.perf_counter() - t0
    return report


def _serial(specs: list[RunSpec], store: Store, threads: int, report: SweepReport, display: _Display) -> None:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)  # as in a worker: the same reduction order, the same numbers
    try:
        _serial_runs(specs, store, report, display)
    finally:
        torch.set_num_threads(before)


def _serial_runs(specs: list[RunSpec], store: Store, report: SweepReport, display: _Display) -> None:
    for spec in specs:
        display.start(spec)
        metric = get_task(spec.task).metric
        cb: Callable[[dict[str, Any], int], None] = (
            lambda row, total, k=spec.key, m=metric: display.epoch(k, row, total, m))
        try:
            store.claim(spec.key)
            result = train.run(spec, progress=cb)
        except Exception as e:
            store.release(spec.key)
            report.failed.append((spec.key, f"{type(e).__name__}: {e}"))
        else:
            (report.stored if store.record(result) else report.duplicates).append(spec.key)
        display.finish(spec.key)
