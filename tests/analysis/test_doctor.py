"""The model doctor on MLPs, CNNs and transformers built from torch.nn and actlab.nn modules."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

import actlab
from actlab.analysis.doctor import demo_model
from actlab.cli import app
from actlab.doctor import diagnose


def _mlp(act=nn.ReLU, width=64, depth=3, seed=0):
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(32, width), act()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


def test_flags_relus_made_dead_on_purpose():
    model = _mlp()
    with torch.no_grad():
        model[2].bias[:48] = -10.0  # 48 of 64 units of the second ReLU layer can never fire
    report = diagnose(model, torch.randn(256, 32))
    relu = next(r for r in report.layers if r.name == "3")
    assert relu.activation == "relu" and relu.dead == pytest.approx(48 / 64)
    assert relu.dead_pre_mean == pytest.approx(-10.0, abs=0.5)
    dead = [f for f in report.findings if f.module == "3"]
    assert dead and dead[0].severity == "warning" and "dead" in dead[0].problem
    assert "LeakyReLU" in dead[0].advice and "negative biases" in dead[0].problem
    assert next(r for r in report.layers if r.name == "4").zero_inputs == pytest.approx(48 / 64)
    assert not report.ok


def test_all_dead_is_an_error_and_no_gradient_reaches_the_first_layers():
    model = _mlp()
    with torch.no_grad():
        model[2].bias.fill_(-10.0)
    report = diagnose(model, torch.randn(128, 32))
    assert any(f.severity == "error" and f.module == "3" for f in report.findings)
    first = next(r for r in report.layers if r.name == "0")
    assert first.grad_norm == 0.0
    assert any(f.module == "0" and "no gradient" in f.problem for f in report.findings)


def test_healthy_mlp_has_no_findings():
    report = diagnose(_mlp(act=nn.Tanh), torch.randn(128, 32))
    assert report.ok and not report.findings
    assert "No problems found." in str(report)
    assert [r.role for r in report.layers][:2] == ["weight", "activation"]


def test_deep_sigmoid_vanishing_gradients_are_flagged():
    # the shipped demo: 20 Linear(64, 64) + sigmoid layers, Xavier init, zero biases
    model, x = demo_model("sigmoid-deep")
    assert sum(isinstance(m, nn.Sigmoid) for m in model) == 20
    report = diagnose(model, x)
    assert report.grad_first_last < 1e-6
    vanish = [f for f in report.findings if "vanish" in f.problem]
    assert vanish and "critical_" in vanish[0].advice
    assert any(f.severity == "info" and "zero-mean" in f.problem for f in report.findings)


def test_saturated_tanh_is_flagged():
    model = _mlp(act=nn.Tanh)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(20.0)
    report = diagnose(model, torch.randn(128, 32))
    sat = [f for f in report.findings if "saturated" in f.problem]
    assert sat and "critical_" in sat[0].advice


def test_cnn_with_batchnorm_per_channel_dead_units_and_no_side_effects():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.Conv2d(16, 8, 3, padding=1), actlab.nn.Activation("leaky_relu"),
                          nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
    with torch.no_grad():
        model[5].bias[:2] = -100.0  # two of eight channels dead
    model.train()
    running = model[1].running_mean.clone()
    report = diagnose(model, torch.randn(8, 3, 12, 12),
                      loss_fn=lambda out: nn.functional.cross_entropy(out, torch.zeros(8, dtype=torch.long)))
    assert torch.equal(model[1].running_mean, running)  # BatchNorm statistics restored
    assert all(p.grad is None for p in model.parameters())  # .grad untouched
    rows = {r.name: r for r in report.layers}
    assert rows["2"].dead == 0.0 and rows["6"].dead == pytest.approx(2 / 8)  # channels, not pixels
    assert rows["4"].activation == "leaky_relu" and rows["4"].dead == 0.0
    assert rows["1"].role == "norm" and rows["0"].grad_norm > 0


def test_transformer_with_functional_and_module_activations():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    with torch.no_grad():
        for blk in enc.layers:
            blk.linear1.bias.fill_(-50.0)  # F.relu inside the layer: every feed-forward unit dies
    report = diagnose(enc, torch.randn(4, 10, 32))
    rows = {r.name: r for r in report.layers}
    assert rows["layers.0.self_attn"].type == "MultiheadAttention"
    assert rows["layers.0.self_attn.out_proj"].grad_norm > 0  # weights used without calling forward
    assert rows["layers.0.linear2"].zero_inputs == 1.0  # seen through the next layer's inputs
    assert any(f.module == "layers.0.linear2" for f in report.findings)

    gelu = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0,
                                      batch_first=True, activation=actlab.nn.Activation("gelu"))
    report = diagnose(gelu, torch.randn(4, 10, 32))
    act = next(r for r in report.layers if r.role == "activation")
    assert act.activation == "gelu" and act.shape == [4, 10, 64] and act.dead == 0.0


def test_report_is_plain_data_and_errors_are_explained():
    report = diagnose(_mlp(), torch.randn(16, 32))
    json.dumps(report.to_dict())
    assert len(report.rows()) == 7
    text = str(report)
    assert "actlab doctor" in text and "‖∇W‖" in text
    with pytest.raises(TypeError, match=r"nn\.Module"):
        diagnose(lambda x: x, torch.randn(2, 2))
    with pytest.raises(TypeError, match="scalar"):
        diagnose(_mlp(), torch.randn(4, 32), loss_fn=lambda out: out)


def test_cli_doctor_demo_and_exit_codes():
    runner = CliRunner()
    warn = runner.invoke(app, ["doctor", "--demo", "dead-relu"])
    assert warn.exit_code == 0 and "dead" in warn.stdout and "LeakyReLU" in warn.stdout
    data = json.loads(runner.invoke(app, ["doctor", "--demo", "dead-relu", "--json"]).stdout)
    assert max(r["dead"] or 0 for r in data["layers"]) == pytest.approx(0.75)
    assert runner.invoke(app, ["doctor", "--demo", "healthy"]).exit_code == 0
    bad = runner.invoke(app, ["doctor"])
    assert bad.exit_code == 2 and "exactly one of --demo" in bad.stderr, bad.output


def test_a_module_reused_in_forward_gets_one_row_per_call():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(8, 16), nn.Linear(16, 16), nn.Linear(16, 2)
            self.act = nn.ReLU()  # one module applied after every layer

        def forward(self, x):
            return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))

    net = Net()
    with torch.no_grad():
        net.fc2.bias.fill_(-100.0)  # the second use of self.act is dead, the first is not
    rows = {r.name: r for r in diagnose(net, torch.randn(64, 8)).layers}
    assert rows["act"].dead == 0.0 and rows["act@2"].dead == 1.0
    assert rows["act@2"].grad_out is not None and rows["fc1"].grad_norm == 0.0
