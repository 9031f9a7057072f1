"""Tasks: data sets, models and the unit statistics, against facts known independently."""

import gzip
import math
import struct

import numpy as np
import pytest
import torch
from torch import nn

import actlab
from actlab.bench import train
from actlab.bench.tasks import get_task, idx, models, parse_activation, split_labels, text
from actlab.bench.train import RunSpec, unit_stats


def test_digits_split_is_fixed_and_stratified():
    d = get_task("digits").load({})
    assert d.x_train.shape == (1437, 64) and d.x_test.shape == (360, 64) and d.n_classes == 10
    counts = torch.bincount(d.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # 1,797 digits, ~180 per class, 20 % held out
    assert abs(float(d.x_train.mean())) < 1e-5  # centred on the training split


def test_mnist1d_matches_the_package_defaults():
    pytest.importorskip("mnist1d")
    d = get_task("mnist1d").load({})
    assert d.x_train.shape == (4000, 40) and d.x_test.shape == (1000, 40)
    assert sorted(torch.unique(d.y_train).tolist()) == list(range(10))


def write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, compress):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / ("x.gz" if compress else "x")
    write_idx(p, a, compress)
    np.testing.assert_array_equal(idx.read_idx(p), a)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        idx.read_idx(tmp_path / "bad")


def test_idx_tasks_find_files_or_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTLAB_DATA", str(tmp_path))
    monkeypatch.setattr(idx, "candidates", lambda d: [tmp_path / d])  # hide system/package copies
    why = get_task("fashion-mnist").available()
    assert "not found" in why and "apt-get install dataset-fashion-mnist" in why
    from actlab.bench.sweep import plan

    with pytest.raises(ValueError, match="cannot run here"):
        plan("fashion-mnist", "relu", 1)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    g = np.random.default_rng(0)
    for key, stem in idx.FILES.items():
        n = 20 if "train" in key else 10
        arr = g.integers(0, 256, (n, 28, 28)) if key.startswith("x") else np.arange(n) % 10
        write_idx(folder / (stem + ".gz"), arr, compress=True)
    assert get_task("fashion-mnist").available() is None
    idx._load.cache_clear()
    try:
        d = get_task("fashion-mnist-cnn").load({})
        assert d.x_train.shape == (20, 1, 28, 28) and d.y_test.tolist() == list(range(10))
        assert float(d.x_train.mean()) == pytest.approx(0.0, abs=1e-5)
    finally:
        idx._load.cache_clear()


def test_text_corpus_is_real_and_large_enough():
    pytest.importorskip("gensim")
    d = text.load_corpus("enwiki")
    assert d.n_chars > 5_000_000  # 106 Wikipedia articles
    total = len(d.train) + len(d.val)
    assert 0.05 < len(d.val) / total < 0.2  # every 10th article held out
    assert b"Anarchism" in bytes(d.train[:2000].tolist())


def test_glu_ffn_keeps_parameters_equal():
    # Shazeer 2020: 2·d·h (two matrices) = 3·d·(2h/3) (three); d = 96, h = 384 -> 256
    assert text.ffn_hidden("swiglu", 96, 4) == 256 and text.ffn_hidden("relu", 96, 4) == 384
    n = {a: sum(p.numel() for p in text.ByteLM(a, 96, 2, 4, 64, 4).parameters())
         for a in ("relu", "gelu", "swiglu", "bilinear")}
    assert len(set(n.values())) == 1
    ffn = text.FeedForward("geglu", 96, 4)
    assert ffn(torch.zeros(2, 5, 96)).shape == (2, 5, 96)


def test_untrained_lm_scores_log2_256_bits_per_byte():
    pytest.importorskip("gensim")
    # GPT-2 init (std 0.02) gives near-uniform predictions: 8 bits per byte, and bits per character
    # = 8 · bytes/char of the evaluated text; one step barely moves it
    r = train.run(RunSpec.make("text", "relu", 0, {"steps": 1, "eval_every": 1, "eval_bytes": 4097,
                                                   "d_model": 32, "heads": 2, "ctx": 32}))
    d = text.load_corpus("enwiki")
    seg = d.val[: 4097]
    chars = int(((seg[1:] & 0xC0) != 0x80).sum())
    assert r["epochs"][0]["metric"] == pytest.approx(8 * 4096 / chars, rel=0.01)
    assert r["epochs"][0]["val_loss"] == pytest.approx(math.log(256), rel=0.01)


def test_unit_stats_count_dead_relus_exactly():
    model = models.mlp(4, [6], 2, "relu")
    lin = model[0]
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.copy_(torch.tensor([-1.0, -1.0, 1.0, 1.0, 1.0, 1.0]))  # 2 of 6 units never fire
        lin.weight[2, 0] = 10.0  # unit 2 is off for x0 < -0.1
    x = torch.tensor([[-1.0, 0, 0, 0], [1.0, 0, 0, 0], [0.5, 0, 0, 0], [2.0, 0, 0, 0]])
    dead, sat = unit_stats(model, x)
    assert dead == pytest.approx(2 / 6)
    assert sat == pytest.approx((2 * 4 + 1) / 24)


def test_unit_stats_of_saturated_tanh_and_gated_units():
    model = models.mlp(1, [2], 1, "tanh")
    with torch.no_grad():
        model[0].weight.fill_(0.0)
        model[0].bias.copy_(torch.tensor([10.0, 0.0]))  # tanh'(10) = 8e-9: saturated everywhere
    assert unit_stats(model, torch.zeros(3, 1)) == (0.5, 0.5)
    glu = models.mlp(1, [2], 1, "reglu")  # a ⊗ relu(b): ∂/∂a = relu(b), ∂/∂b = a·relu'(b)
    with torch.no_grad():
        glu[0].weight.fill_(0.0)
        glu[0].bias.copy_(torch.tensor([0.0, 0.0, -1.0, 1.0]))  # unit 0: b < 0, silent; unit 1: b > 0
    assert unit_stats(glu, torch.zeros(3, 1)) == (0.5, 0.5)


@pytest.mark.parametrize("act", ["relu", "swiglu", "crelu", "rrelu", "swish(beta=2)"])
def test_models_accept_every_kind_of_activation(act):
    for name in ("digits", "digits-cnn", "mnist1d-cnn"):
        t = get_task(name)
        data = t.load(t.defaults)
        m = t.build(act, t.config(), data)
        assert m(data.x_train[:3]).shape == (3, 10)
    assert len([m for m in models.mlp(4, [8] * 5, 2, act) if isinstance(m, nn.Linear)]) == 6


def test_depth_task_builds_depth_hidden_layers_with_lecun_init():
    t = get_task("depth")
    torch.manual_seed(0)
    m = t.build("selu", t.config({"depth": 12, "width": 256}), t.load(t.config()))
    linears = [x for x in m if isinstance(x, nn.Linear)]
    assert len(linears) == 13
    assert linears[5].weight.var().item() == pytest.approx(1 / 256, rel=0.05)


def test_runs_are_deterministic_and_keyed_by_config():
    spec = RunSpec.make("digits", "gelu", 3, {"steps": 8})
    a, b = train.run(spec), train.run(spec)
    strip = lambda r: [{k: v for k, v in e.items() if k != "seconds"} for e in r["epochs"]]
    assert strip(a) == strip(b) and a["metric"] == b["metric"]
    assert spec.key == RunSpec.make("digits", "GELU", 3, {"steps": "8"}).key  # canonical
    assert spec.config_hash != RunSpec.make("digits", "gelu", 3, {"steps": 9}).config_hash


def test_labels_and_settings_errors_say_what_to_do():
    assert parse_activation("swish(beta=1.5)") == ("swish", {"beta": 1.5})
    assert split_labels("relu, swish(beta=2,), gelu") == ["relu", "swish(beta=2,)", "gelu"]
    with pytest.raises(ValueError, match="beta"):
        parse_activation("swish(gamma=1)")
    with pytest.raises(ValueError, match=r"did you mean|unknown"):
        parse_activation("rleu")
    with pytest.raises(ValueError, match="has no setting 'depht'"):
        get_task("depth").config({"depht": 3})
    with pytest.raises(ValueError, match="expects a int"):
        get_task("digits").config({"epochs": "many"})
    with pytest.raises(ValueError, match="unknown task"):
        get_task("cifar")
    assert actlab.get_spec("swish").name == "swish"
