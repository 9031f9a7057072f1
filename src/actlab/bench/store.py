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

Opening, and what can go wrong:

* **Readers never write.** ``Store(path, readonly=True)`` (what ``bench results``, ``recommend``
  and the report use) opens the file through SQLite's ``mode=ro`` URI: no WAL pragma, no schema,
  no migration; a store on a read-only file, folder or medium reads (a WAL store in a read-only
  folder without its ``-shm`` file is opened ``immutable``: nobody can be writing it there). In
  a writable folder SQLite may leave its ``-shm`` index and an empty ``-wal`` beside the store
  (a read-only connection cannot remove them); they hold no data.
* **Nothing foreign is touched.** A writer creates the schema only in a new or empty file; a
  SQLite file without actlab's ``meta`` table, a newer schema, a file that is not a database
  (garbage, truncated), a device such as ``/dev/full`` or a folder raise :class:`StoreError`
  (a ``ValueError``) with one line saying what to do, and nothing in the file is changed.
* A full disk or a read-only store met while writing is a :class:`StoreError` too.
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

__all__ = [
    "DEFAULT_DB", "EPOCH_COLUMNS", "MIGRATIONS", "RUN_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "Store",
    "StoreError", "keys_of", "open_store"
]

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


class StoreError(ValueError):
    """The results store cannot be used as asked: the message says which file, why and what to do."""


# SQLite's messages for a file it cannot use, and the advice that goes with each
_TROUBLE = (
    ("file is not a database", "is not a SQLite database (damaged or another kind of file)",
     "move it away or choose another --db"),
    ("malformed", "is damaged (database disk image is malformed)",
     "restore it from a copy, try `sqlite3 FILE .recover`, or choose another --db"),
    ("disk is full", "cannot be written: the disk is full", "free some space or choose another --db"),
    ("readonly", "cannot be written: it is read-only", "make it writable or choose another --db"),
    ("unable to open", "cannot be opened", "check the path and its permissions, or choose another --db"),
    ("disk i/o error", "cannot be read or written (disk I/O error)", "choose another --db"),
    ("locked", "is locked by another process for too long", "wait for it, or choose another --db"),
)


def _explain(path: Path, e: sqlite3.Error) -> StoreError:
    text = str(e).lower()
    for needle, what, fix in _TROUBLE:
        if needle in text:
            return StoreError(f"results store {path} {what}: {fix}")
    return StoreError(f"results store {path} cannot be used ({e}): choose another --db")


def _guarded(method: Any) -> Any:
    """A :class:`Store` method whose SQLite errors read as :class:`StoreError` (see :func:`_guard`)."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with _guard(self.path):
            return method(self, *args, **kwargs)

    return wrapper


@contextmanager
def _guard(path: Path) -> Iterator[None]:
    """SQLite's operational and corruption errors as one :class:`StoreError` line; an integrity
    error (a duplicate the code should have avoided) stays what it is."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except (sqlite3.OperationalError, sqlite3.DatabaseError) as e:
        raise _explain(path, e) from e


class Store:
    """A connection to a results database; create one per process (connections aren't shared).

    Args:
        path: the SQLite file; its folder is created. Default ``./actlab-results/results.sqlite``.
        timeout: seconds a writer waits for another writer's lock before giving up.
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_DB, timeout: float = 120.0,
                 readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.version = SCHEMA_VERSION
        if self.path.is_dir():
            raise StoreError(f"--db {self.path} is a folder; give a file in it, e.g. "
                             f"--db {self.path / DEFAULT_DB.name}")
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"--db {self.path} is not a regular file (a device?); give a file path, "
                             f"e.g. --db {DEFAULT_DB}")
        sidecars = [self.path.with_name(self.path.name + x) for x in ("-wal", "-shm")]
        there = [p.exists() for p in sidecars]
        if readonly:
            if not self.path.exists():
                raise StoreError(f"no results store at {self.path}; run `actlab bench train` first "
                                 "(or point --db at one)")
            try:
                self.conn = self._open_readonly(timeout)
            except StoreError:
                self._drop_new_sidecars(sidecars, there)
                raise
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"--db {self.path}: cannot create its folder {self.path.parent} "
                                 f"({e.strerror or e}); choose another --db") from None
            with _guard(self.path):
                # isolation_level=None: no implicit transactions; every write says BEGIN itself
                self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        try:
            with _guard(self.path):
                self._setup(timeout)
        except BaseException:
            self.conn.close()
            if readonly:
                self._drop_new_sidecars(sidecars, there)
            raise

    @staticmethod
    def _drop_new_sidecars(sidecars: list[Path], there: list[bool]) -> None:
        """A refused read of a damaged WAL-mode file leaves no empty -wal/-shm behind (SQLite
        makes them on opening; they hold nothing when the -wal is empty)."""
        wal = sidecars[0]
        if not there[0] and wal.exists() and wal.stat().st_size == 0:
            for p, existed in zip(sidecars, there):
                if not existed:
                    try:
                        p.unlink()
                    except OSError:
                        pass

    def _open_readonly(self, timeout: float) -> sqlite3.Connection:
        from urllib.parse import quote

        uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
        try:
            return self._connect_checked(uri, timeout)
        except sqlite3.OperationalError as e:
            # a WAL store whose -shm file is missing, in a folder this process cannot write:
            # SQLite cannot set up shared memory; nobody can be writing it there, so read it as is
            if "unable to open" not in str(e) and "readonly" not in str(e):
                raise _explain(self.path, e) from e
            try:
                return self._connect_checked(uri + "&immutable=1", timeout)
            except sqlite3.Error as e2:
                raise _explain(self.path, e2) from e2
        except sqlite3.Error as e:
            raise _explain(self.path, e) from e

    @staticmethod
    def _connect_checked(uri: str, timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _schema_version(self, tables: set[str]) -> int:
        """The store's schema version; StoreError for a SQLite file that is not an actlab store."""
        row = (self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
               if "meta" in tables else None)
        if row is None or not {"runs", "epochs"} <= tables:
            raise StoreError(f"{self.path} is a SQLite file but not an actlab results store (tables: "
                             f"{', '.join(sorted(tables)) or 'none'}); it was left as it is: choose "
                             "another --db")
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise StoreError(f"{self.path} has an unreadable schema version {row[0]!r}; it was left as "
                             "it is: choose another --db") from None
        if version > SCHEMA_VERSION or (version < SCHEMA_VERSION and version not in MIGRATIONS):
            raise StoreError(f"{self.path} has results schema {version}; this actlab reads "
                             f"{SCHEMA_VERSION}. Use another --db file (or the actlab that wrote it).")
        return version

    def _setup(self, timeout: float) -> None:
        if self.readonly:
            tables = self._tables()
            if not tables:
                raise StoreError(f"results store {self.path} is empty: no runs yet; run `actlab bench "
                                 "train` first (or point --db at another store)")
            self.version = self._schema_version(tables)
            return
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        tables = self._tables()  # reads the header first: a file that is not a database fails here
        if tables:  # an existing store: check it is ours before changing anything in it
            self._schema_version(tables)
        self._retry(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        with self.transaction() as c:
            tables = self._tables()
            if tables:  # another process may have created it meanwhile: check again, in the lock
                self._schema_version(tables)
            # ours (checked) or new: tables an older store lacks (a schema-1 store has no claims)
            for stmt in filter(str.strip, SCHEMA.split(";")):
                c.execute(stmt)
            if not tables:
                c.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            version = int(c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            if version in MIGRATIONS:  # an older store: add the new columns, keep its rows
                for v in range(version, SCHEMA_VERSION):
                    for stmt in MIGRATIONS[v]:
                        c.execute(stmt)
                c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

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
            if self.conn.in_transaction:  # SQLite rolls back by itself after some errors (disk full)
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ------------------------------------------------------------------------------ writing
    @_guarded
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

    @_guarded
    def claim(self, key: Key, host: str | None = None, pid: int | None = None) -> None:
        """Note that ``key`` is being trained (by this process unless told otherwise)."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (*key, host or socket.gethostname(), pid or os.getpid(), time.time()))

    @_guarded
    def release(self, key: Key, host: str | None = None, pid: int | None = None) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM claims WHERE task=? AND activation=? AND seed=? AND config_hash=? "
                      "AND host=? AND pid=?", (*key, host or socket.gethostname(), pid or os.getpid()))

    @_guarded
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
    @_guarded
    def finished_keys(self) -> set[Key]:
        return {tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT task, activation, seed, config_hash FROM runs")}

    @_guarded
    def claims(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM claims ORDER BY started")]

    @_guarded
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
            d = {c: None for c in RUN_COLUMNS} | dict(r)  # a schema-1 store read as it is
            d["config"] = json.loads(d["config"])
            d["versions"] = json.loads(d["versions"] or "{}")
            out.append(d)
        if with_epochs and out:
            by_id = {d["id"]: d for d in out}
            for d in out:
                d["epochs"] = []
            for e in self.conn.execute("SELECT * FROM epochs ORDER BY run_id, epoch"):
                if e["run_id"] in by_id:
                    by_id[e["run_id"]]["epochs"].append({c: None for c in EPOCH_COLUMNS} | dict(e))
        return out

    @_guarded
    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    @_guarded
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


def open_store(path: str | os.PathLike[str] | None, readonly: bool = False) -> Store:
    return Store(path or DEFAULT_DB, readonly=readonly)


def keys_of(results: Iterable[Mapping[str, Any]]) -> list[Key]:
    return [tuple(r[k] for k in _KEY) for r in results]  # type: ignore[misc]
