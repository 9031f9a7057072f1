"""The catalog: size, required members, and that every spec is complete."""

from __future__ import annotations

import pytest

import actlab

REQUIRED = """sigmoid tanh relu leaky_relu prelu rrelu elu selu crelu softplus swish silu glu gelu
gelu_tanh gelu_sigmoid mish threshold relu6 hardtanh hardsigmoid hardswish celu hardshrink
softshrink log_sigmoid softsign tanhshrink identity exponential squareplus sparse_plus
sparse_sigmoid reglu geglu swiglu bilinear penalized_tanh maxsig cosid minsin squared_relu
star_relu snake smelu lisht tanhexp serf gcu elish isru isrlu bent_identity lecun_tanh xielu dyt
square cube""".split()


def test_catalog_has_at_least_70_activations():
    assert len(actlab.names()) >= 70


@pytest.mark.parametrize("name", REQUIRED)
def test_required_activation_present(name):
    assert actlab.get_spec(name).name == name


@pytest.mark.parametrize("spec", actlab.specs(), ids=lambda s: s.name)
def test_spec_is_complete(spec):
    assert spec.summary and spec.formula and spec.citation
    assert any(ch.isdigit() for ch in spec.citation), "citation should name a year"
    assert set(getattr(spec, "param_grads", {})) == set(spec.param_names)  # composites: none
    for p in spec.params:
        assert p.default in p.domain, f"default of {p.name} outside its own domain"
    doc = getattr(actlab.functional, spec.name).__doc__
    assert spec.formula in doc and spec.citation in doc


@pytest.mark.parametrize("spec", actlab.specs(), ids=lambda s: s.name)
def test_aliases_resolve_to_the_spec(spec):
    for alias in spec.aliases:
        assert actlab.get_spec(alias) is spec
        assert actlab.get_spec(alias.upper()) is spec


def test_names_are_sorted_canonical_and_unique():
    names = actlab.names()
    assert names == sorted(set(names))
    assert set(actlab.names(family="sigmoidal")) <= set(names)


@pytest.mark.parametrize("spec", [s for s in actlab.specs() if getattr(s, "naive", None) is not None],
                         ids=lambda s: s.name)
def test_naive_formula_agrees_with_the_forward_in_every_dtype(spec):
    # the benchmarks' textbook formula (torch.compile'd against actlab) runs in every dtype and
    # agrees with the stable forward on moderate inputs, where neither over- nor underflows
    import torch

    x = torch.linspace(-3, 3, 60, dtype=torch.float64)  # not 0: log1mexp has a pole there
    for dtype in (torch.float64, torch.float32, torch.bfloat16):
        naive = spec.naive(x.to(dtype), **spec.defaults).double()
        stable = spec.forward(x, **spec.defaults)
        tol = {torch.float64: 1e-9, torch.float32: 1e-5, torch.bfloat16: 2e-2}[dtype]
        torch.testing.assert_close(naive, stable, rtol=tol, atol=tol, equal_nan=True)


def test_a_native_takes_the_parameters_in_the_specs_order():
    import inspect

    from actlab.spec import ActivationSpec

    natives = [s for s in actlab.specs() if type(s) is ActivationSpec and s.native is not None]
    assert len(natives) >= 30
    for spec in natives:  # the dispatch calls spec.native(x, *values)
        try:
            names = list(inspect.signature(spec.native).parameters)[1:]
        except ValueError:  # a C builtin (torch.relu): it takes no parameters here
            names = []
        assert names[:len(spec.params)] == list(spec.param_names), spec.name  # then torch's own options
