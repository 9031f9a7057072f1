"""Models holding actlab modules pickle: torch.save/torch.load, copy.deepcopy, multiprocessing."""

from __future__ import annotations

import copy
import io
import multiprocessing
import pickle

import pytest
import torch
from torch import nn

import actlab


def _model() -> nn.Module:
    """One module of every kind: elementwise, learnable scalar and per-channel, a torch variant,
    in-place, gated, concatenated and the stochastic RReLU."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(6, 8), actlab.nn.Mish(),
        nn.Linear(8, 8), actlab.nn.Swish(beta=1.5, learnable=True),
        nn.Linear(8, 8), actlab.nn.PReLU(8, 0.1),
        nn.Linear(8, 8), actlab.nn.GELU(approximate="tanh"),
        nn.Linear(8, 8), actlab.nn.ReLU(inplace=True),
        nn.Linear(8, 8), actlab.nn.CReLU(),
        nn.Linear(16, 8), actlab.nn.SwiGLU(),
        nn.Linear(4, 4), actlab.nn.RReLU(0.1, 0.3),
        actlab.nn.Activation("isru", alpha=2.0),
    )
    with torch.no_grad():  # trained-looking parameters, so a load that drops them shows
        model[5].slope.uniform_(-0.5, 0.5)
        model[3].beta.fill_(0.7)
    return model


def _outputs(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    model.eval()
    with torch.no_grad():
        out = [model(x)]
    model.train()
    torch.manual_seed(1)  # RReLU draws its slopes in training: same seed, same draws
    with torch.no_grad():
        out.append(model(x))
    return out


def _assert_same(a: nn.Module, b: nn.Module) -> None:
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(2))
    for ya, yb in zip(_outputs(a, x), _outputs(b, x)):
        assert torch.equal(ya, yb)
    assert [type(m) for m in a.modules()] == [type(m) for m in b.modules()]
    assert repr(a) == repr(b)


def test_torch_save_and_load_give_identical_outputs():
    model = _model()
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    _assert_same(model, loaded)
    assert loaded[7].spec.name == "gelu_tanh" and loaded[9].inplace


def test_deepcopy_gives_identical_outputs_and_independent_parameters():
    model = _model()
    twin = copy.deepcopy(model)
    _assert_same(model, twin)
    assert twin[5].slope.data_ptr() != model[5].slope.data_ptr()
    assert twin[1].spec is model[1].spec  # a catalog entry, shared by reference


def test_pickle_holds_names_not_functions():
    data = pickle.dumps(_model())
    assert b"Mish" in data and b"get_spec" in data  # classes by name, specs by catalog name
    assert b"<lambda>" not in data


@pytest.mark.parametrize("cls", ["Mish", "PReLU", "SwiGLU", "CReLU", "RReLU", "GELU"])
def test_every_module_class_pickles_by_reference(cls):
    module = getattr(actlab.nn, cls)()
    assert type(pickle.loads(pickle.dumps(module))) is type(module)
    assert getattr(actlab.nn, type(module).__qualname__) is type(module)


def _run_in_child(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():  # autograd graphs cannot cross process boundaries
        return model(x)


def test_multiprocessing_spawn_runs_a_pickled_model():
    model = _model().eval()
    x = torch.randn(3, 6)
    with torch.no_grad():
        expected = model(x)
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # the model travels pickled
        got = pool.apply(_run_in_child, (model, x))
    assert torch.equal(got, expected)
