"""The SQLite store: one transaction per run, no duplicates, concurrent writers, resumable keys;
readers that never write; damaged, foreign, read-only and full stores refused in one line."""

import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from actlab.bench.store import SCHEMA_VERSION, Store, StoreError


def result(act="relu", seed=0, metric=0.9, n_epochs=3, chash="abc"):
    return {"task": "digits", "activation": act, "seed": seed, "config_hash": chash,
            "config": {"epochs": n_epochs}, "metric_name": "accuracy", "metric": metric, "val_loss": 0.3,
            "status": "done", "n_params": 100, "seconds": 1.5, "threads": 1, "host": "h", "pid": 1,
            "started": 0.0, "finished": 1.0, "versions": {"actlab": "0"},
            "epochs": [{"epoch": e, "step": 10 * e, "train_loss": math.nan if e == 0 else 1.0 / e,
                        "val_loss": 0.5, "metric": metric * e / n_epochs, "dead_frac": 0.0,
                        "sat_frac": 0.1, "seconds": e} for e in range(n_epochs + 1)]}


def test_record_round_trip_and_resume_keys(tmp_path):
    db = tmp_path / "r.sqlite"
    with Store(db) as s:
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.record(result()) is True
        assert s.record(result(metric=0.1)) is False  # same key: the first one stays
        assert s.finished_keys() == {("digits", "relu", 0, "abc")}
        (run,) = s.runs(with_epochs=True)
    assert run["metric"] == 0.9 and run["config"] == {"epochs": 3} and len(run["epochs"]) == 4
    assert run["epochs"][0]["train_loss"] is None  # NaN is stored as NULL
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 4


def test_a_failed_transaction_leaves_nothing(tmp_path):
    bad = result()
    bad["epochs"].append(dict(bad["epochs"][-1]))  # duplicate (run_id, epoch): the insert fails
    with Store(tmp_path / "r.sqlite") as s:
        with pytest.raises(sqlite3.IntegrityError):
            s.record(bad)
        assert s.count() == 0
        assert s.conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 0
        assert s.record(result()) is True


def test_concurrent_writers_store_each_run_once(tmp_path):
    db = tmp_path / "r.sqlite"
    Store(db).close()
    inserted = []

    def writer(offset):
        with Store(db) as s:  # its own connection, as a worker process has
            for i in range(40):
                seed = (i + offset) % 30  # writers overlap on most keys
                inserted.append(s.record(result(seed=seed, metric=seed / 100)))

    threads = [threading.Thread(target=writer, args=(k * 7,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Store(db) as s:
        assert s.integrity() == "ok"
        assert s.count() == 30 and sum(inserted) == 30
        assert s.conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 30 * 4
        for r in s.runs():
            assert r["metric"] == pytest.approx(r["seed"] / 100)


def test_claims_are_informational_and_stale_ones_are_dropped(tmp_path):
    with Store(tmp_path / "r.sqlite") as s:
        key = ("digits", "relu", 0, "abc")
        s.claim(key, pid=2**22 + 12345)  # a pid that does not exist
        assert len(s.claims()) == 1
        assert s.drop_stale_claims() == 1 and s.claims() == []


def test_folder_as_db_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path, readonly=True)


def _files(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir()}


def _damaged(tmp_path):
    """(name, path, what the error says) for files that are not a usable store."""
    with Store(tmp_path / "good.sqlite") as s:
        s.record(result())
    good = (tmp_path / "good.sqlite").read_bytes()
    cases = []
    for name, data, says in (("garbage", os.urandom(10000), "not a SQLite database"),
                             ("text", b"task,activation\nmnist,relu\n" * 200, "not a SQLite database"),
                             ("truncated", good[: len(good) // 3], "damaged"),
                             ("header-only", good[:100], "damaged")):
        (tmp_path / f"{name}.sqlite").write_bytes(data)
        cases.append((name, tmp_path / f"{name}.sqlite", says))
    with sqlite3.connect(tmp_path / "foreign.sqlite") as c:  # someone else's database
        c.execute("CREATE TABLE contacts (name TEXT)")
        c.execute("INSERT INTO contacts VALUES ('a')")
    c.close()
    cases.append(("foreign", tmp_path / "foreign.sqlite", "not an actlab results store"))
    with sqlite3.connect(tmp_path / "newer.sqlite") as c:  # a store from a newer actlab
        c.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        c.execute("CREATE TABLE runs (id INTEGER)")
        c.execute("CREATE TABLE epochs (run_id INTEGER)")
        c.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))
    c.close()
    cases.append(("newer", tmp_path / "newer.sqlite", f"schema {SCHEMA_VERSION + 1}"))
    return cases


@pytest.mark.parametrize("readonly", [True, False])
def test_damaged_and_foreign_files_are_refused_in_one_line_and_left_as_they_are(tmp_path, readonly):
    cases = _damaged(tmp_path)
    before = _files(tmp_path)
    for name, path, says in cases:
        with pytest.raises(StoreError, match=says) as e:
            with Store(path, readonly=readonly) as s:
                s.runs()
        msg = str(e.value)
        assert "\n" not in msg and str(path) in msg and ("--db" in msg or "restore" in msg), (name, msg)
    assert _files(tmp_path) == before  # nothing overwritten, no -wal/-shm left beside them


def test_devices_and_missing_stores_are_refused(tmp_path):
    with pytest.raises(StoreError, match="not a regular file"):
        Store("/dev/full")
    with pytest.raises(StoreError, match="not a regular file"):
        Store("/dev/null", readonly=True)
    with pytest.raises(StoreError, match="no results store"):
        Store(tmp_path / "none.sqlite", readonly=True)
    assert not (tmp_path / "none.sqlite").exists()
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(StoreError, match="empty"):
        Store(tmp_path / "empty.sqlite", readonly=True)
    assert (tmp_path / "empty.sqlite").stat().st_size == 0


def test_readers_open_read_only_and_never_write(tmp_path):
    db = tmp_path / "r.sqlite"
    with Store(db) as s:
        s.record(result())
    before = _files(tmp_path)
    with Store(db, readonly=True) as s:
        assert [r["activation"] for r in s.runs(with_epochs=True)] == ["relu"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s.conn.execute("CREATE TABLE x (a)")
        with pytest.raises(StoreError, match="read-only"):
            s.record(result(seed=1))
    after = _files(tmp_path)
    assert after["r.sqlite"] == before["r.sqlite"]
    # SQLite's shared-memory index of a WAL store may stay beside it (a read-only connection
    # cannot remove it); it holds no data: the write-ahead log is empty
    assert set(after) <= {"r.sqlite", "r.sqlite-wal", "r.sqlite-shm"} and not after.get("r.sqlite-wal")


def test_a_reader_reads_an_old_store_without_migrating_it(tmp_path):
    db = tmp_path / "old.sqlite"
    with Store(db) as s:
        s.record(result())
    with sqlite3.connect(db) as c:  # back to schema 1: without the columns schema 2 added
        c.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        for table, col in (("runs", "val_metric"), ("runs", "best_epoch"), ("runs", "late_gain"),
                           ("epochs", "test_loss"), ("epochs", "test_metric")):
            c.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
    c.close()
    before = db.read_bytes()
    with Store(db, readonly=True) as s:
        (run,) = s.runs(with_epochs=True)
    assert run["val_metric"] is None and run["epochs"][0]["test_metric"] is None
    assert db.read_bytes() == before
    with Store(db) as s:  # a writer migrates it, keeping the row
        assert s.count() == 1 and s.runs()[0]["late_gain"] is None


READ_ONLY = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("store", sys.argv[1])
m = importlib.util.module_from_spec(spec); sys.modules["store"] = m; spec.loader.exec_module(m)
with m.Store(sys.argv[2], readonly=True) as s:
    print(len(s.runs(with_epochs=True)))
try:
    m.Store(sys.argv[2])
except m.StoreError as e:
    print("writer:", e)
"""


def test_a_store_in_a_read_only_folder_reads_and_a_writer_is_refused():
    """Permissions do not bind root: as root the check runs as 'nobody' in the system Python
    (store.py needs only the standard library)."""
    import actlab.bench.store as store_module

    as_root = os.geteuid() == 0
    python = "/usr/bin/python3" if as_root else sys.executable
    if as_root and not os.path.exists(python):
        pytest.skip("no system python to run as an unprivileged user")
    top = Path(tempfile.mkdtemp(prefix="actlab-ro-"))
    try:
        top.chmod(0o755)
        folder = top / "store"
        folder.mkdir(mode=0o755)
        db = folder / "r.sqlite"
        with Store(db) as s:
            s.record(result())
            s.record(result(seed=1))
        before = _files(folder)
        db.chmod(0o444)
        folder.chmod(0o555)
        kw = {"user": 65534, "group": 65534} if as_root else {}
        p = subprocess.run([python, "-c", READ_ONLY, store_module.__file__, str(db)], capture_output=True,
                           text=True, timeout=60, **kw)
        assert p.returncode == 0, p.stderr
        count, writer = p.stdout.splitlines()
        assert count == "2" and "read-only" in writer and "choose another --db" in writer
        assert _files(folder) == before
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
        top.rmdir()


def test_a_full_disk_is_one_line_and_keeps_the_store_whole(tmp_path):
    """SQLITE_FULL, as a full disk gives it (max_page_count caps the file instead)."""
    db = tmp_path / "r.sqlite"
    with Store(db) as s:
        s.record(result())
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages}")
        big = result(seed=1, n_epochs=3000)
        with pytest.raises(StoreError, match="disk is full") as e:
            s.record(big)
        assert "free some space" in str(e.value) and "\n" not in str(e.value)
        assert s.count() == 1 and s.integrity() == "ok"
    with Store(db) as s:
        assert s.finished_keys() == {("digits", "relu", 0, "abc")}
