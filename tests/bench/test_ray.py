"""The Ray backend gives the same rows as the local backend (here in-process, ``workers=0``; the
process pool gives these same rows too: test_sweep.py checks it)."""

import os

import pytest

from actlab.bench.sweep import plan, run_sweep

from .test_sweep import rows

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'actlab[ray]'")


def test_ray_backend_matches_local_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    specs = plan("digits", "relu,selu", 2, {"steps": ["6"], "batch": ["32"]})
    local = run_sweep(specs, tmp_path / "local.sqlite", workers=0, progress=False)
    assert local.complete and len(local.stored) == 4
    remote = run_sweep(specs, tmp_path / "ray.sqlite", backend="ray", workers=2, progress=False)
    assert remote.complete and len(remote.stored) == 4
    a, b = rows(tmp_path / "local.sqlite"), rows(tmp_path / "ray.sqlite")
    assert a.keys() == b.keys() and len(a) == 4
    assert a == b  # bit for bit: one thread per run, same seeds, same data order
    again = run_sweep(specs, tmp_path / "ray.sqlite", backend="ray", workers=2, progress=False)
    assert again.skipped == 4 and not again.stored and not ray.is_initialized()
    assert os.environ["RAY_AUTH_MODE"] == "disabled"
