"""Bad input gets a clear error that names the problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import actlab
from actlab.cli import app


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"unknown activation 'mish2'.*Did you mean: mish"):
        actlab.get("mish2")
    with pytest.raises(ValueError, match=r"Did you mean:.*hardtanh"):
        actlab.get("hardtahn")
    with pytest.raises(AttributeError, match="Did you mean"):
        actlab.functional.swsh  # noqa: B018
    with pytest.raises(AttributeError, match="no module"):
        actlab.nn.Mishh  # noqa: B018


def test_parameter_outside_domain_names_parameter_value_and_domain():
    with pytest.raises(ValueError, match=r"isru: parameter 'alpha'=-1 is outside its domain \(0, inf\)"):
        actlab.get("isru", alpha=-1.0)
    with pytest.raises(ValueError, match=r"softplus: parameter 'beta'=0"):
        actlab.functional.softplus(torch.ones(2), beta=0.0)
    with pytest.raises(ValueError, match="outside its domain"):
        actlab.nn.ISRU(alpha=float("nan"))


def test_a_parameter_float32_cannot_hold_is_refused_unless_the_input_is_float64():
    # beta = 1e300 is inf in float32, where float32 and half inputs are computed: swish would be
    # NaN at 0. Refused on every path (function, module, Activation), computed in float64.
    x = torch.tensor([-1.0, 0.0, 2.0])
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        for call in (lambda t: actlab.functional.swish(t, beta=1e300),
                     lambda t: actlab.nn.Swish(beta=-1e300)(t),
                     lambda t: actlab.get("pelu", b=1e300).derivative(t)):
            with pytest.raises(ValueError, match=r"'(beta|b)'=-?1e\+300 overflows float32.*float64 input"):
                call(x.to(dtype))
    y = actlab.functional.swish(x.double(), beta=1e300)  # relu: exactly, in float64
    assert y.tolist() == [0.0, 0.0, 2.0]
    assert actlab.nn.Swish(beta=1e300)(x.double()).tolist() == [0.0, 0.0, 2.0]
    # the largest float32 and the tiny values that flush to 0 are computed (swish -> x/2 at 0)
    assert torch.isfinite(actlab.functional.swish(x, beta=3.4e38)).all()
    assert actlab.functional.swish(x, beta=1e-300).tolist() == [-0.5, 0.0, 1.0]


def test_checked_parameter_values_are_remembered_per_dtype_and_refused_ones_every_call():
    # plain-number parameters are checked once per (activation, values, dtype), then remembered:
    # a value fine in float64 is still refused for float32, and a refused one on every call
    from actlab import functional

    x = torch.tensor([-1.0, 0.0, 2.0])
    assert actlab.functional.swish(x.double(), beta=1e300).tolist() == [0.0, 0.0, 2.0]
    for _ in range(2):
        with pytest.raises(ValueError, match="overflows float32"):
            actlab.functional.swish(x, beta=1e300)
        with pytest.raises(ValueError, match=r"softplus: parameter 'beta'=0"):
            actlab.functional.softplus(x, beta=0.0)
        with pytest.raises(TypeError, match="unknown parameter"):
            actlab.functional.elu(x, alhpa=1.0)
    y = actlab.functional.leaky_relu(x, negative_slope=0.25)
    hits = functional._checked_values.cache_info().hits
    assert y.tolist() == [-0.25, 0.0, 2.0] and actlab.functional.leaky_relu(x, negative_slope=0.25).equal(y)
    assert functional._checked_values.cache_info().hits == hits + 1  # checked once, then remembered


def test_every_default_passes_the_checks_a_call_without_parameters_skips():
    # actlab.functional.<name>(x) with no parameters checks only x's dtype (a fast path): the
    # defaults must resolve to themselves and fit float32, where half inputs are computed
    from actlab.spec import ActivationSpec, float32_misfits

    specs = [s for s in actlab.registry.specs() if type(s) is ActivationSpec]
    assert len(specs) > 100
    for spec in specs:
        assert spec.resolve({}) == spec.defaults, spec.name
        assert tuple(spec.defaults.values()) == spec.default_values, spec.name
        assert not float32_misfits(spec.params, spec.defaults), spec.name


def test_unknown_parameter_lists_the_ones_it_takes():
    with pytest.raises(TypeError, match=r"elu\(\) got unknown parameter\(s\) \['beta'\]; it takes: alpha"):
        actlab.get("elu", beta=1.0)
    with pytest.raises(TypeError, match="must be a real number"):
        actlab.get("elu", alpha="1")


@pytest.mark.parametrize("bad", [torch.arange(3), torch.tensor([True]), torch.ones(2, dtype=torch.complex64)])
def test_non_float_tensors_are_refused_with_the_accepted_dtypes(bad):
    with pytest.raises(TypeError, match=r"dtype .*float64, float32, bfloat16, float16.*x\.float\(\)"):
        actlab.functional.relu(bad)


def test_integer_numpy_and_other_objects_are_refused():
    with pytest.raises(TypeError, match="NumPy dtype int64"):
        actlab.functional.tanh(np.arange(3))
    with pytest.raises(TypeError, match=r"expected a torch\.Tensor or a NumPy array, got list"):
        actlab.functional.tanh([1.0, 2.0])


def test_gated_odd_size_and_learnability_errors():
    with pytest.raises(ValueError, match=r"even size.*got size 5"):
        actlab.functional.swiglu(torch.ones(2, 5))
    with pytest.raises(ValueError, match="cannot be learned"):
        actlab.nn.Activation("mish", learnable=["beta"])
    with pytest.raises(ValueError, match="lower <= upper"):
        actlab.functional.rrelu(torch.ones(2), lower=0.3, upper=0.1)


def test_cli_bad_input_exits_2_with_one_line_and_no_traceback():
    runner = CliRunner()
    for args in (["show", "mish2"], ["show", "isru", "--param", "alpha=-1"],
                 ["show", "isru", "--param", "alpha"], ["list", "--family", "nope"],
                 ["check", "accuracy", "relu", "--dtype", "float8"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        text = result.output.strip()
        assert "Traceback" not in text and text.startswith("error:"), text


def test_analysis_commands_reject_unknown_names_with_exit_2():
    runner = CliRunner()
    for args in (["meanfield", "nope"], ["gradflow", "relux"], ["properties", "mishh"],
                 ["verify", "tanh(x) ==="], ["meanfield", "tanh", "--sigma-b2", "-1"],
                 ["check", "accuracy", "sigmoid", "--jobs", "0"], ["plot", "mishh"],
                 ["bench", "kernels", "mish", "--sizes", "-5"], ["recommend", "--task-kind", "audio"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.strip().startswith("error:"), result.output
