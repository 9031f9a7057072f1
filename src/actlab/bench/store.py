"""The results store: one SQLite file (stdlib ``sqlite3``), safe to share between processes.

Layout::

    runs    one row per finished run, UNIQUE (task, activation, seed, config_hash)
    epochs  (run_id, epoch) -> step, train/val loss, metric, dead/saturated fractions, seconds
    claims  runs being trained now (who and since when): informational, never blocks a run
    meta    schema version (a schema-1 store is migrated in place: new columns, rows kept)

Guarantees, and how:

* **A finished run is stored whole or not at all.** Its ``runs`` row and all its ``epochs``
  rows go in one transaction (``BEGIN IMMEDIATE ... COMMIT``); a process killed with SIGKILL
  before ``COMMIT`` leaves nothing of that run, after it everything.
* **Concurrent writers never corrupt the store and never duplicate a run.** Write-ahead logging
  (``journal_mode=WAL``) lets readers go on while one writer commits; ``BEGIN IMMEDIATE`` takes
  the write lock up front, and ``busy_timeout`` makes a second writer wait for it instead of
  failing. Two workers that train the same run both try to insert it; the unique key keeps the
  first, the second's ``INSERT ... ON CONFLICT DO NOTHING`` stores nothing (also not its epochs).
* **Resuming** is reading :meth:`Store.finished_keys` and skipping those runs.

``synchronous=NORMAL`` (the WAL default recommendation): a power cut may lose the last few
commits, never consistency; a killed process loses nothing that was committed.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_DB = Path("actlab-results") / "results.sqlite"
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL, activation TEXT NOT NULL, seed INTEGER NOT NULL, config_hash TEXT NOT NULL,
    config TEXT NOT NULL, metric_name TEXT NOT NULL, metric REAL, val_loss REAL,
    val_metric REAL, best_epoch INTEGER, late_gain REAL,
    status TEXT NOT NULL, n_params INTEGER, seconds REAL, threads INTEGER,
    host TEXT, pid INTEGER, started REAL, finished REAL, versions TEXT,
    UNIQUE (task, activation, seed, config_hash)
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL, step INTEGER NOT NULL, train_loss REAL, val_loss REAL, metric REAL,
    test_loss REAL, test_metric REAL, dead_frac REAL, sat_frac REAL, seconds REAL,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS claims (
    task TEXT NOT NULL, activation TEXT NOT NULL, seed INTEGER NOT NULL, config_hash TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, started REAL NOT NULL,
    PRIMARY KEY (task, activation, seed, config_hash, host, pid)
);
CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task, config_hash);
"""

RUN_COLUMNS = ("task", "activation", "seed", "config_hash", "config", "metric_name", "metric", "val_loss",
               "val_metric", "best_epoch", "late_gain", "status", "n_params", "seconds", "threads", "host",
               "pid", "started", "finished", "versions")
EPOCH_COLUMNS = ("epoch", "step", "train_loss", "val_loss", "metric", "test_loss", "test_metric", "dead_frac",
                 "sat_frac", "seconds")
# schema 1 -> 2: the validation/test split of the tune-then-test protocol
MIGRATIONS = {1: [f"ALTER TABLE {t} ADD COLUMN {c}" for t, c in (
    ("runs", "val_metric REAL"), ("runs", "best_epoch INTEGER"), ("runs", "late_gain REAL"),
    ("epochs", "test_loss REAL"), ("epochs", "test_metric REAL"))]}

Key = tuple[str, str, int, str]


class Store:
    """A connection to a results database; create one per process (connections aren't shared).

    Args:
        path: the SQLite file; its folder is created. Default ``./actlab-results/results.sqlite``.
        timeout: seconds a writer waits for another writer's lock before giving up.
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_DB, timeout: float = 120.0) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"--db must be a file path, not the folder {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every write below says BEGIN itself
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._retry(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        with self.transaction() as c:
            for stmt in filter(str.strip, SCHEMA.split(";")):
                c.execute(stmt)
            c.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        version = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        if int(version) in MIGRATIONS:  # an older store: add the new columns, keep its rows
            with self.transaction() as c:
                now = c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
                for v in range(int(now), SCHEMA_VERSION):
                    for stmt in MIGRATIONS[v]:
                        c.execute(stmt)
                c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            version = SCHEMA_VERSION
        if int(version) != SCHEMA_VERSION:
            raise ValueError(f"{self.path} has results schema {version}; this actlab reads "
                             f"{SCHEMA_VERSION}. Use another --db file.")

    @staticmethod
    def _retry(fn: Any, tries: int = 50) -> Any:
        # switching to WAL needs a moment without other connections' locks; busy_timeout does
        # not cover every path of that pragma, so wait a little and retry
        for i in range(tries):
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or i == tries - 1:
                    raise
                time.sleep(0.05 * (1 + i % 5))
        return None  # pragma: no cover

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (take the write lock now, waiting up to the timeout) ... COMMIT."""
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ------------------------------------------------------------------------------ writing
    def record(self, result: Mapping[str, Any]) -> bool:
        """Store a finished run (a dict from :func:`actlab.bench.train.run`) in one transaction.

        Returns False (and stores nothing) when the run is already there.
        """
        row = dict(result)
        row["config"] = json.dumps(row["config"], sort_keys=True)
        row["versions"] = json.dumps(row.get("versions", {}), sort_keys=True)
        values = [row.get(c) for c in RUN_COLUMNS]
        key = [row[c] for c in ("task", "activation", "seed", "config_hash")]
        with self.transaction() as c:
            cur = c.execute(
                f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))}) "
                "ON CONFLICT (task, activation, seed, config_hash) DO NOTHING", values)
            inserted = cur.rowcount == 1
            if inserted:
                run_id = cur.lastrowid
                c.executemany(
                    f"INSERT INTO epochs (run_id, {', '.join(EPOCH_COLUMNS)}) "
                    f"VALUES (?, {', '.join('?' * len(EPOCH_COLUMNS))})",
                    [(run_id, *(e.get(k) for k in EPOCH_COLUMNS)) for e in result["epochs"]])
            c.execute("DELETE FROM claims WHERE task=? AND activation=? AND seed=? AND config_hash=? "
                      "AND host=? AND pid=?", (*key, row.get("host") or socket.gethostname(),
                                               row.get("pid") or os.getpid()))
        return inserted

    def claim(self, key: Key, host: str | None = None, pid: int | None = None) -> None:
        """Note that ``key`` is being trained (by this process unless told otherwise)."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (*key, host or socket.gethostname(), pid or os.getpid(), time.time()))

    def release(self, key: Key, host: str | None = None, pid: int | None = None) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM claims WHERE task=? AND activation=? AND seed=? AND config_hash=? "
                      "AND host=? AND pid=?", (*key, host or socket.gethostname(), pid or os.getpid()))

    def drop_stale_claims(self) -> int:
        """Remove claims of this host whose process is gone (a killed worker's); returns how many."""
        host = socket.gethostname()
        stale = [r for r in self.claims() if r["host"] == host and not _alive(r["pid"])]
        with self.transaction() as c:
            for r in stale:
                c.execute("DELETE FROM claims WHERE task=? AND activation=? AND seed=? AND config_hash=? "
                          "AND host=? AND pid=?", tuple(r[k] for k in (*_KEY, "host", "pid")))
        return len(stale)

    # ------------------------------------------------------------------------------ reading
    def finished_keys(self) -> set[Key]:
        return {tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT task, activation, seed, config_hash FROM runs")}

    def claims(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM claims ORDER BY started")]

    def runs(self, task: str | None = None, config_hash: str | None = None,
             with_epochs: bool = False) -> list[dict[str, Any]]:
        """Finished runs (dicts, ``config`` decoded), optionally with their ``epochs`` lists."""
        where, args = [], []
        for col, val in (("task", task), ("config_hash", config_hash)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        out = []
        for r in self.conn.execute(sql + " ORDER BY task, config_hash, activation, seed", args):
            d = dict(r)
            d["config"] = json.loads(d["config"])
            d["versions"] = json.loads(d["versions"] or "{}")
            out.append(d)
        if with_epochs and out:
            by_id = {d["id"]: d for d in out}
            for d in out:
                d["epochs"] = []
            for e in self.conn.execute("SELECT * FROM epochs ORDER BY run_id, epoch"):
                if e["run_id"] in by_id:
                    by_id[e["run_id"]]["epochs"].append(dict(e))
        return out

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def integrity(self) -> str:
        """SQLite's own ``PRAGMA integrity_check`` ("ok" when the file is sound)."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


_KEY = ("task", "activation", "seed", "config_hash")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def open_store(path: str | os.PathLike[str] | None) -> Store:
    return Store(path or DEFAULT_DB)


def keys_of(results: Iterable[Mapping[str, Any]]) -> list[Key]:
    return [tuple(r[k] for k in _KEY) for r in results]  # type: ignore[misc]
