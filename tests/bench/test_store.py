"""The SQLite store: one transaction per run, no duplicates, concurrent writers, resumable keys."""

import math
import sqlite3
import threading

import pytest

from actlab.bench.store import Store


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
    with pytest.raises(ValueError, match="file path"):
        Store(tmp_path)
