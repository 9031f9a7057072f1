"""actlab.nn as a drop-in for torch.nn: constructor parity, in-place, replace_activations."""

from __future__ import annotations

import copy
import inspect

import pytest
import torch
from torch import nn

import actlab
from actlab.compat import SOFTPLUS_MIN_THRESHOLD, TORCH_SIGNATURES
from actlab.nn import class_name, from_torch, replace_activations

# One construction per torch argument worth exercising: (class, args, kwargs).
CASES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (True,), {}),
    ("LeakyReLU", (0.2,), {}), ("LeakyReLU", (), {"negative_slope": 0.05, "inplace": True}),
    ("PReLU", (), {}), ("PReLU", (6, 0.1), {}), ("RReLU", (0.1, 0.3), {}),
    ("RReLU", (), {"lower": 0.2, "upper": 0.2, "inplace": True}),
    ("ELU", (0.5,), {}), ("ELU", (), {"alpha": 2.0, "inplace": True}), ("CELU", (1.5,), {}),
    ("SELU", (), {}), ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("GELU", ("none",), {}),
    ("SiLU", (), {"inplace": True}), ("Mish", (), {}), ("Softplus", (), {}), ("Softplus", (2.0,), {}),
    ("Softplus", (), {"beta": 0.5, "threshold": 30.0}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("LogSigmoid", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 3.0), {}),
    ("Hardtanh", (), {"min_val": -0.5, "max_val": 0.25, "inplace": True}), ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}), ("Hardshrink", (0.3,), {}), ("Softshrink", (), {"lambd": 0.7}),
    ("Tanhshrink", (), {}), ("Softsign", (), {}), ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (), {"threshold": -0.5, "value": -3.0, "inplace": True}), ("GLU", (), {}),
    ("GLU", (1,), {}), ("Identity", (), {}), ("Identity", (54,), {"unused": "ignored"}),
]


def _id(case: tuple) -> str:
    name, args, kwargs = case
    return name + "(" + ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"


def _inplace(case: tuple) -> bool:
    return bool(_pair(case)[0].__dict__.get("inplace", False))


def _pair(case: tuple) -> tuple[nn.Module, nn.Module]:
    name, args, kwargs = case
    return getattr(nn, name)(*args, **kwargs).eval(), getattr(actlab.nn, name)(*args, **kwargs).eval()


def _input(dtype: torch.dtype = torch.float32) -> torch.Tensor:
    torch.manual_seed(0)
    return (torch.randn(4, 6, 6) * 3).to(dtype)


@pytest.mark.parametrize("torch_class", sorted(TORCH_SIGNATURES))
def test_constructor_signature_matches_torch(torch_class):
    """Every torch argument is accepted, in torch's positional order, with torch's default."""
    spec = actlab.get_spec(TORCH_SIGNATURES[torch_class].spec)
    assert class_name(spec.name) == torch_class
    ours = inspect.signature(getattr(actlab.nn, torch_class)).parameters
    theirs = [p for n, p in inspect.signature(getattr(nn, torch_class).__init__).parameters.items()
              if n != "self"]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in theirs):
        # torch's Sigmoid(*args, **kwargs) forwards them to Module.__init__, which takes none;
        # only Identity really accepts (and ignores) anything, and so does actlab's.
        accepts_any = torch_class == "Identity"
        assert any(p.kind == p.VAR_KEYWORD for p in ours.values()) == accepts_any
        return
    positional = [n for n, p in ours.items() if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional[: len(theirs)] == [p.name for p in theirs]
    for p in theirs:
        if p.default is not p.empty:
            assert ours[p.name].default == p.default, p.name


def test_every_counterpart_is_in_the_table():
    counterparts = {class_name(s.name) for s in actlab.specs()} & set(dir(nn))
    counterparts.discard("Bilinear")  # torch's Bilinear is a layer x1ᵀAx2 + b, not the gated activation
    assert counterparts == set(TORCH_SIGNATURES)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_outputs_agree_with_torch(case, dtype):
    ours_module, torch_module = _pair(case)[1], _pair(case)[0]
    x = _input(dtype)
    with torch.no_grad():  # in-place cases overwrite their own copy
        expected, got = torch_module.to(dtype)(x.clone()), ours_module.to(dtype)(x.clone())
    # actlab is at least as accurate as torch; they differ by a few ULPs where torch rounds
    # more (GELU's tail, SiLU, softplus, ...): ordinary inputs, so rounding-level tolerances.
    tol = {"rtol": 4e-6, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-13}
    if isinstance(torch_module, nn.Softplus):  # torch returns x past its threshold: inexact there
        linear = torch_module.beta * x > torch_module.threshold
        bound = torch.exp(torch.tensor(-torch_module.threshold, dtype=dtype)) / torch_module.beta
        assert torch.all((got - expected)[linear].abs() <= bound)
        got, expected = got[~linear], expected[~linear]
    torch.testing.assert_close(got, expected, **tol)


def test_gradients_agree_with_torch():
    for case in [c for c in CASES if not _inplace(c) and c[0] not in ("RReLU", "Identity")]:
        torch_module, ours = _pair(case)
        x = (_input(torch.float64) / 3).requires_grad_(True)  # inside Softplus's threshold
        (g_torch,) = torch.autograd.grad(torch_module.double()(x).sin().sum(), x)
        (g_ours,) = torch.autograd.grad(ours.double()(x).sin().sum(), x)
        # torch's float64 Hardsigmoid backward scales by 1/6 rounded to float32 (3e-8 relative)
        rtol = 1e-7 if case[0] == "Hardsigmoid" else 1e-10
        torch.testing.assert_close(g_ours, g_torch, rtol=rtol, atol=1e-12, msg=_id(case))


@pytest.mark.parametrize("case", [c for c in CASES if _inplace(c)], ids=_id)
def test_inplace_writes_into_the_input_when_nothing_is_recorded(case):
    torch_module, ours = _pair(case)
    x = _input()
    expected = torch_module(x.clone())
    y = x.clone()
    out = ours(y)
    assert out is y
    torch.testing.assert_close(y, expected, rtol=4e-6, atol=1e-6)
    with torch.no_grad():  # grad mode off: in place even for an input that requires grad
        leaf = x.clone().requires_grad_(True)
        assert ours(leaf) is leaf


@pytest.mark.parametrize("case", [c for c in CASES if _inplace(c)], ids=_id)
def test_inplace_is_out_of_place_when_autograd_records(case):
    """The input is left unchanged and the gradient is the out-of-place one, never wrong."""
    _, ours = _pair(case)
    reference = copy.deepcopy(ours)
    reference.inplace = False
    leaf = _input(torch.float64).requires_grad_(True)
    for x in (leaf, leaf * 1.0):  # a leaf and an intermediate
        before = x.detach().clone()
        out = ours.double()(x)
        assert out is not x and torch.equal(x.detach(), before)
        (g,) = torch.autograd.grad(out.sin().sum(), leaf)
        (g_ref,) = torch.autograd.grad(reference.double()(leaf).sin().sum(), leaf)
        torch.testing.assert_close(g, g_ref, rtol=0, atol=0)


def test_inplace_with_a_learned_parameter_stays_out_of_place():
    m = actlab.nn.LeakyReLU(0.1, inplace=True, learnable=True)
    x = torch.randn(8)
    out = m(x)
    assert out is not x and out.requires_grad
    out.sum().backward()
    assert m.negative_slope.grad is not None


def test_inplace_refused_where_the_shape_changes():
    with pytest.raises(ValueError, match="inplace=True is impossible"):
        actlab.nn.Activation("swiglu", inplace=True)


def test_gelu_variants_and_bad_values():
    assert actlab.nn.GELU(approximate="tanh").spec.name == "gelu_tanh"
    assert actlab.nn.GELU().spec.name == "gelu"
    assert "approximate='tanh'" in repr(actlab.nn.GELU(approximate="tanh"))
    with pytest.raises(ValueError, match="approximate='erf' is not supported; use one of 'none', 'tanh'"):
        actlab.nn.GELU(approximate="erf")
    with pytest.raises(TypeError, match="LeakyReLU: too many positional arguments"):
        actlab.nn.LeakyReLU(0.1, True, 3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'slope'"):
        actlab.nn.LeakyReLU(slope=0.1)
    with pytest.raises(ValueError, match="needs lower <= upper"):
        actlab.nn.RReLU(0.5, 0.1)


def test_prelu_takes_torch_and_actlab_arguments():
    m = actlab.nn.PReLU(4, 0.1, dtype=torch.float64)
    assert m.slope.shape == (4,) and m.slope.dtype == torch.float64 and torch.all(m.slope == 0.1)
    assert actlab.nn.PReLU(num_channels=6).slope.shape == (6,)
    assert actlab.nn.PReLU().slope.shape == ()


def test_softplus_threshold_agrees_where_torch_switches_to_linear():
    """From threshold 20 up actlab's exact softplus rounds to torch's x in float32."""
    x = torch.linspace(-40, 90, 20001)
    for beta, threshold in [(1.0, 20.0), (2.0, 20.0), (0.5, 30.0), (1.0, 50.0)]:
        expected = nn.Softplus(beta, threshold)(x)
        got = actlab.nn.Softplus(beta, threshold)(x)
        linear = beta * x > threshold
        assert torch.equal(got[linear], expected[linear])
        torch.testing.assert_close(got, expected, rtol=4e-6, atol=1e-6)
    with pytest.raises(ValueError, match=f"threshold >= {SOFTPLUS_MIN_THRESHOLD:g}"):
        actlab.nn.Softplus(threshold=10.0)
    assert "threshold" in actlab.nn.Softplus.__doc__


# ----------------------------------------------------------------------------- replace_activations
# Round trips compute exactly torch's arithmetic for these (float32, ordinary inputs); the others
# differ by rounding because actlab evaluates more accurately (stable sigmoid and softplus, GELU's
# erfc tail, x - tanh x without cancellation, ...), so they are compared with ULP-level tolerances.
BIT_IDENTICAL = {"ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "Tanh",
                 "Hardtanh", "Hardsigmoid", "Hardshrink", "Softshrink", "Threshold", "Identity"}


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_replace_activations_round_trip(case):
    torch.manual_seed(1)
    torch_act = _pair(case)[0]
    width = 6 if case[0] != "GLU" else 12
    model = nn.Sequential(nn.Linear(6, width), torch_act, nn.Linear(6 if case[0] == "GLU" else width, 2))
    if case[0] == "GLU" and torch_act.dim == 1:
        model = nn.Sequential(nn.Linear(6, 6), nn.Unflatten(1, (2, 3)), torch_act)
    model.eval()
    x = torch.randn(16, 6)
    with torch.no_grad():
        expected = model(x)
        assert replace_activations(model, type(torch_act)) == 1
        got = model(x)
    swapped = [m for m in model if isinstance(m, actlab.nn.Activation)]
    assert len(swapped) == 1 and type(swapped[0]).__name__ == case[0]
    if case[0] in BIT_IDENTICAL:
        assert torch.equal(got, expected)
    else:
        torch.testing.assert_close(got, expected, rtol=4e-6, atol=1e-6)


def test_replace_keeps_the_variant_when_new_names_the_counterpart():
    model = nn.Sequential(nn.GELU(approximate="tanh"), nn.GELU(), nn.LeakyReLU(0.3))
    assert replace_activations(model, nn.GELU, "gelu") == 2
    assert [m.spec.name for m in model[:2]] == ["gelu_tanh", "gelu"]
    assert replace_activations(model, nn.LeakyReLU, actlab.nn.LeakyReLU) == 1
    assert model[2].fixed == {"negative_slope": 0.3}
    # another activation named on purpose is a deliberate swap, with its own defaults
    model = nn.Sequential(nn.GELU(approximate="tanh"))
    assert replace_activations(model, nn.GELU, "mish") == 1 and model[0].spec.name == "mish"


def test_replace_copies_prelu_weights_and_their_state():
    torch.manual_seed(0)
    prelu = nn.PReLU(4)
    with torch.no_grad():
        prelu.weight.uniform_(-1, 1)
    prelu.weight.requires_grad_(False)
    model = nn.Sequential(prelu).train()
    replace_activations(model, nn.PReLU)
    new = model[0]
    assert torch.equal(new.slope, prelu.weight) and not new.slope.requires_grad and new.training
    assert new.slope.data_ptr() != prelu.weight.data_ptr()  # copied, not shared
    single = from_torch(nn.PReLU())
    assert single.slope.shape == () and single.slope.item() == 0.25


def test_replace_refuses_what_has_no_exact_equivalent_and_leaves_the_model_unchanged():
    model = nn.Sequential(nn.ReLU(), nn.Softplus(threshold=5.0))
    with pytest.raises(ValueError, match="threshold=5 is not supported"):
        replace_activations(model, nn.Module)
    assert type(model[0]) is nn.ReLU  # nothing replaced
    with pytest.raises(ValueError, match="Softmin has no exact actlab equivalent"):
        replace_activations(nn.Sequential(nn.Softmin(dim=-1)), nn.Softmin)

    class MyReLU(nn.ReLU):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) * 2

    with pytest.raises(ValueError, match="MyReLU has no exact actlab equivalent"):
        replace_activations(nn.Sequential(MyReLU()), nn.ReLU)
    assert replace_activations(nn.Sequential(MyReLU()), nn.ReLU, "relu") == 1  # on purpose


def test_replace_by_name_with_new_none_skips_actlab_modules():
    model = nn.Sequential(nn.ReLU(), actlab.nn.ReLU())
    assert replace_activations(model, "relu") == 1
    assert all(isinstance(m, actlab.nn.ReLU) for m in model)
