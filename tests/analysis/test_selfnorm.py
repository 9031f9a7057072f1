"""BatchNorm vs self-normalisation: activation statistics against closed forms and theory, and
trainability of 32-layer MLPs."""

from __future__ import annotations

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from actlab.analysis import meanfield as mf
from actlab.analysis import selfnorm as sn
from actlab.cli import app

HALF_NORMAL_MEAN = 1 / math.sqrt(2 * math.pi)  # E[relu(z)], z ~ N(0, 1)
HALF_NORMAL_VAR = 0.5 - 1 / (2 * math.pi)  # Var[relu(z)]


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices on a shared machine: threads only contend
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def probe():
    return sn.make_task(n_train=512, n_test=64)[0]


def test_batchnorm_relu_activations_are_half_normal(probe):
    model = sn.make_mlp("relu", 32, 128, probe.shape[1], 4, norm=True, init="he")
    stats = sn.layer_stats(model, probe)
    assert len(stats) == 32
    for s in stats:  # BatchNorm: each unit's input is standardised over the batch
        assert s.pre_mean == pytest.approx(0.0, abs=1e-6) and s.pre_var == pytest.approx(1.0, abs=0.01)
    for s in stats[:4]:  # Gaussian at the first layers: the ReLU of N(0, 1) is half-normal
        assert s.post_mean == pytest.approx(HALF_NORMAL_MEAN, abs=0.015)
        assert s.post_var == pytest.approx(HALF_NORMAL_VAR, abs=0.015)


def test_selu_normalises_itself_over_32_layers(probe):
    model = sn.make_mlp("selu", 32, 128, probe.shape[1], 4, init="lecun")
    stats = sn.layer_stats(model, probe)
    fp = mf.moment_fixed_point("selu")  # (0, 1): Klambauer et al. 2017
    for s in stats:  # finite width 128 and batch 512: fluctuations of a few percent
        assert s.post_mean == pytest.approx(fp.mu, abs=0.1)
        assert s.post_var == pytest.approx(fp.nu, abs=0.15)


def test_elu_without_normalisation_follows_the_length_map(probe):
    model = sn.make_mlp("elu", 8, 512, probe.shape[1], 4, init="he")
    stats = sn.layer_stats(model, probe)
    path = mf.propagate("elu", 2.0, 0.0, 8, q0=float(probe.pow(2).mean()))
    for s, p in zip(stats, path):
        assert s.pre_var + s.pre_mean ** 2 == pytest.approx(p["q"], rel=0.15)
    assert path[-1]["q"] > 2 * path[0]["q"]  # He init over-scales ELU: the signal grows


def test_deep_training_selu_trains_and_batchnorm_gradients_explode_at_init():
    data = sn.make_task(n_train=512, n_test=256)
    selu = sn.run_arm("selu", depth=32, width=64, steps=150, batch=64, lr=1e-3, optimizer="adam",
                      data=data)
    assert selu.trained and not selu.diverged and selu.final_loss < 0.5 * math.log(4)
    assert selu.train_accuracy > 0.6  # 4 classes, chance ≈ 0.3 (measured: 0.93)
    bn = sn.run_arm("relu+bn", depth=32, width=64, steps=5, batch=64, data=data)
    # BatchNorm's gradient explosion with depth (Yang et al. 2019, A mean field theory of batch
    # normalization, ICLR): the first layer's gradient is orders of magnitude above the last's
    assert bn.grad_first_last > 10
    assert len(bn.init_stats) == 32 and len(bn.final_stats) == 32


def test_run_summary_round_trip_and_errors():
    result = sn.run(["selu", "relu+bn"], depth=6, width=16, steps=20, n_train=256)
    rows = result.summary()
    assert [r["arm"] for r in rows] == ["selu", "relu+bn"]
    json.dumps(result.to_dict())
    assert sn.SelfNormResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    with pytest.raises(ValueError, match="unknown arm"):
        sn.run(["layernorm"])
    with pytest.raises(ValueError, match="optimizer"):
        sn.run_arm("selu", optimizer="lbfgs")


def test_alpha_dropout_is_applied_to_selu_only():
    model = sn.make_mlp("selu", 3, 8, 4, 2, init="lecun", alpha_dropout=0.1)
    assert sum(isinstance(m, torch.nn.AlphaDropout) for m in model) == 3
    result = sn.run_arm("elu", depth=3, width=8, steps=2, alpha_dropout=0.1,
                        data=sn.make_task(n_train=64, n_test=16))
    assert result.alpha_dropout == 0.0


def test_cli_selfnorm_json():
    runner = CliRunner()
    result = runner.invoke(app, ["selfnorm", "--arms", "selu,elu", "--depth", "4", "--width", "16",
                                 "--steps", "10", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [a["arm"] for a in data["arms"]] == ["selu", "elu"]
    assert data["arms"][0]["init_stats"][0]["q_theory"] is not None
