"""Measured properties against facts known independently: closed forms, values from the papers,
and minima found here with mpmath on the paper's formula (never with actlab's code)."""

from __future__ import annotations

import json
import math
from functools import cache

import mpmath
import pytest
from typer.testing import CliRunner

import actlab
from actlab.analysis.properties import analyze, analyze_many, gaussian_moments
from actlab.cli import app

runner = CliRunner()


@cache
def props(name: str, **params: float):
    return analyze(name, params, cost=False)


def paper_minimum(f):
    """(min value, argmin) of an mpmath function: the root of f' (mpmath's own differentiation)
    next to the grid minimum on [-3, 0]."""
    with mpmath.workdps(30):
        grid = [mpmath.mpf(i) / 100 for i in range(-300, 1)]
        start = min(grid, key=f)
        x = mpmath.findroot(lambda t: mpmath.diff(f, t), start)
        return float(f(x)), float(x)


MISH = lambda x: x * mpmath.tanh(mpmath.log1p(mpmath.exp(x)))
SWISH = lambda x: x / (1 + mpmath.exp(-x))
GELU = lambda x: x * mpmath.ncdf(x)


# --- the acceptance facts of issue 3 ---------------------------------------------------------

def test_sigmoid_steepest_slope_is_a_quarter_at_zero():
    p = props("sigmoid")
    assert p.max_abs_derivative == pytest.approx(0.25, abs=1e-15)
    assert abs(p.argmax_abs_derivative) < 1e-9  # at 0, not at 0.5 as the blog says
    assert p.smoothness == "C∞" and not p.polynomial and p.monotonic == "increasing"
    assert (p.lower_bound, p.upper_bound) == (0.0, 1.0)
    assert p.argmin is None and "not attained" in p.argmin_note
    assert p.symmetry == "odd about (0, 0.5)"  # σ(x) + σ(-x) = 1
    assert p.gaussian_mean == pytest.approx(0.5, abs=1e-12) and not p.zero_centred


def test_sigmoid_saturates_where_its_slope_falls_below_1e_3():
    # σ(1 - σ) = 1e-3  <=>  σ = (1 - sqrt(1 - 4e-3))/2; x = logit(σ)
    s = (1 - math.sqrt(1 - 4e-3)) / 2
    edge = math.log(s / (1 - s))
    (lo1, hi1), (lo2, hi2) = props("sigmoid").saturation_regions
    assert lo1 == -math.inf and hi2 == math.inf
    assert hi1 == pytest.approx(edge, abs=1e-9) and lo2 == pytest.approx(-edge, abs=1e-9)


def test_tanh_is_zero_centred_odd_and_the_identity_near_zero():
    p = props("tanh")
    assert p.zero_centred and abs(p.gaussian_mean) < 1e-12
    assert p.symmetry == "odd"
    assert p.identity_near_zero and p.f0 == 0.0 and p.df0_left == p.df0_right == 1.0
    # tanh x = x - x³/3 + 2x⁵/15
    assert p.taylor_coefficients == pytest.approx([0, 1, 0, -1 / 3, 0, 2 / 15], abs=1e-15)
    assert (p.lower_bound, p.upper_bound) == (-1.0, 1.0) and not p.self_normalizing


def test_relu_is_c0_with_a_dead_region():
    p = props("relu")
    assert p.continuous and p.smoothness == "C0" and p.kinks == [0.0]
    assert p.dead_regions == [(-math.inf, 0.0)]
    assert p.monotonic == "non-decreasing" and not p.negative_outputs
    assert (p.df0_left, p.df0_right) == (0.0, 1.0)
    assert p.min_value == 0.0 and "attained on" in p.argmin_note and p.unbounded_above
    # E relu(z) = 1/sqrt(2π), Var = 1/2 - 1/(2π)
    assert p.gaussian_mean == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-12)
    assert p.gaussian_var == pytest.approx(0.5 - 1 / (2 * math.pi), abs=1e-12)
    assert not p.polynomial and p.nonlinear and not p.self_normalizing


def test_elu_is_c1_only_for_alpha_one():
    assert props("elu", alpha=1.0).smoothness == "C1"
    assert props("elu", alpha=0.5).smoothness == "C0"
    half = props("elu", alpha=0.5)
    assert (half.df0_left, half.df0_right) == (0.5, 1.0)
    # E elu(z) = 1/sqrt(2π) + α(e^{1/2} Φ(-1) - 1/2)
    phi = 0.5 * math.erfc(1 / math.sqrt(2))
    for a in (1.0, 0.5):
        exact = 1 / math.sqrt(2 * math.pi) + a * (math.exp(0.5) * phi - 0.5)
        assert props("elu", alpha=a).gaussian_mean == pytest.approx(exact, abs=1e-12)


def test_selu_is_not_c1_and_is_self_normalizing():
    p = props("selu")
    assert p.smoothness == "C0"  # f'(0-) = λα, f'(0+) = λ
    lam, alpha = 1.0507009873554804934, 1.6732632423543772848  # Klambauer et al. 2017
    assert p.df0_left == pytest.approx(lam * alpha, rel=1e-14)
    assert p.df0_right == pytest.approx(lam, rel=1e-14)
    assert p.self_normalizing
    mu, nu = p.fixed_point
    assert abs(mu) < 1e-9 and abs(nu - 1) < 1e-9
    assert 0 < p.fixed_point_radius < 1
    assert p.zero_centred and p.gaussian_var == pytest.approx(1.0, abs=1e-9)
    for other in ("elu", "relu", "tanh"):
        assert not props(other).self_normalizing, other


@pytest.mark.parametrize(("name", "ref", "value", "where"), [
    ("mish", MISH, -0.30884, -1.19243),
    ("swish", SWISH, -0.27846, -1.27846),
    ("gelu", GELU, -0.16997, -0.75179),
])
def test_minima_of_the_self_gated_activations(name, ref, value, where):
    p = props(name)
    assert p.min_value == pytest.approx(value, abs=1e-5)
    assert p.argmin == pytest.approx(where, abs=1e-5)
    v, w = paper_minimum(ref)
    assert p.min_value == pytest.approx(v, abs=1e-12)
    assert p.argmin == pytest.approx(w, abs=1e-8)
    assert p.negative_outputs and p.bounded_below and p.unbounded_above
    assert p.monotonic == "no" and p.decreasing_on[0] == (-math.inf, pytest.approx(w, abs=1e-8))


def test_square_and_cube_are_polynomials_and_the_rest_are_not():
    sq, cu = props("square"), props("cube")
    assert sq.polynomial and sq.polynomial_degree == 2 and sq.symmetry == "even"
    assert cu.polynomial and cu.polynomial_degree == 3 and cu.symmetry == "odd"
    assert cu.monotonic == "increasing" and cu.dead_regions == []  # f'(0) = 0 is one point
    assert not props("identity").nonlinear
    for name in ("sigmoid", "relu", "gelu", "sin"):
        assert not props(name).polynomial, name


# --- more independent facts -------------------------------------------------------------------

def test_kink_classes():
    assert props("softsign").smoothness == "C1"  # f'' jumps from 2 to -2 at 0
    assert props("hardtanh").smoothness == "C0"
    assert props("hardtanh").dead_regions == [(-math.inf, -1.0), (1.0, math.inf)]
    assert props("threshold", threshold=1.0, value=2.0).smoothness == "discontinuous"
    assert not props("threshold", threshold=1.0, value=2.0).continuous
    assert props("penalized_tanh", a=1.0).smoothness == "C∞"  # a = 1 is plain tanh
    assert props("penalized_tanh", a=0.25).smoothness == "C0"
    assert props("squared_relu").smoothness == "C1"  # (x+)²: f'' jumps from 0 to 2


def test_swish_with_beta_zero_is_the_linear_function_x_over_2():
    p = props("swish", beta=0.0)
    assert p.polynomial and p.polynomial_degree == 1 and not p.nonlinear
    assert p.taylor_coefficients == pytest.approx([0, 0.5, 0, 0, 0, 0])


def test_mish_taylor_series_and_the_sine_minimum_nearest_zero():
    assert props("mish").taylor.startswith("3*x/5 + 8*x**2/25 - 2*x**3/125 - 86*x**4/1875")
    s = props("sin")
    assert s.min_value == pytest.approx(-1.0, abs=1e-15)
    assert s.argmin == pytest.approx(-math.pi / 2, abs=1e-9)
    assert s.smoothness == "C∞" and s.symmetry == "odd"


def test_gaussian_moments_against_closed_forms():
    import numpy as np

    assert gaussian_moments(lambda x: x**2) == pytest.approx((1.0, 2.0), abs=1e-12)
    # E|z| = sqrt(2/π), with a kink at 0
    m, _ = gaussian_moments(np.abs, cuts=[0.0])
    assert m == pytest.approx(math.sqrt(2 / math.pi), abs=1e-13)
    m, v = gaussian_moments(np.exp, 0.5, 2.0)  # lognormal: e^{μ+σ²/2}, (e^{σ²} - 1) e^{2μ+σ²}
    assert m == pytest.approx(math.exp(0.5 + 2.0), rel=1e-12)
    assert v == pytest.approx((math.exp(4.0) - 1) * math.exp(1.0 + 4.0), rel=1e-10)


@pytest.mark.parametrize("name", ["log_sigmoid", "softplus", "hardswish", "tanhshrink", "gcu"])
def test_measurements_agree_with_each_other(name):
    p = props(name)
    assert p.lower_bound <= p.f0 <= p.upper_bound
    assert p.lower_bound <= p.gaussian_mean <= p.upper_bound
    assert p.max_abs_derivative >= max(abs(p.df0_left), abs(p.df0_right)) - 1e-12
    assert json.loads(json.dumps(p.as_dict(json_safe=True), allow_nan=False))["name"] == name


def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="unknown activation"):
        analyze("sigmod")
    with pytest.raises(ValueError, match="outside its domain"):
        analyze("softplus", {"beta": -1.0})
    with pytest.raises(TypeError, match="unknown parameter"):
        analyze("tanh", {"beta": 1.0})
    with pytest.raises(ValueError, match="belong to none"):
        analyze_many(None, {"no_such_parameter": 1.0})
    composite = [s.name for s in actlab.specs() if s.kind in ("gated", "concatenated")]
    if composite:
        with pytest.raises(ValueError, match="not a function of one variable"):
            analyze(composite[0])


# --- the command --------------------------------------------------------------------------------

def test_cli_properties_formats():
    res = runner.invoke(app, ["properties", "sigmoid", "relu", "--json", "--no-cost"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["name"] for r in rows] == ["sigmoid", "relu"]
    assert rows[0]["max_abs_derivative"] == pytest.approx(0.25)
    assert rows[1]["dead_regions"] == [["-inf", 0.0]]
    md = runner.invoke(app, ["properties", "elu", "-p", "alpha=0.5", "--markdown", "--no-cost"])
    assert md.exit_code == 0 and md.stdout.startswith("| name |") and "| C0 |" in md.stdout
    csv = runner.invoke(app, ["properties", "tanh", "--csv", "--no-cost"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[1].startswith("tanh,")
    one = runner.invoke(app, ["properties", "mish", "--no-cost"])
    assert one.exit_code == 0 and "-1.19243" in one.stdout and "C∞" in one.stdout


def test_cli_properties_bad_input_exits_2_with_the_message():
    for args, message in ((["-p", "beta=2"], "belong to none"), (["-p", "beta"], "NAME=VALUE"),
                          (["--json", "--csv"], "one output format")):
        res = runner.invoke(app, ["properties", "tanh", "--no-cost", *args])
        assert res.exit_code == 2, res.output
        assert res.stderr.startswith("error:") and message in res.stderr and not res.stdout


# --- determinism: answers depend on the activation, never on the clock or the load ---------------

ANALYSIS_MODULES = ("properties", "subject", "scan", "symbolic", "gauss", "fixedpoint", "claims",
                    "claims_grammar", "claims_build", "claims_eval", "meanfield")


def test_no_signal_or_timer_in_the_analyses():
    import ast
    import importlib
    import inspect

    for name in ANALYSIS_MODULES:
        tree = ast.parse(inspect.getsource(importlib.import_module(f"actlab.analysis.{name}")))
        imported = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Import):
                imported |= {a.name.split(".")[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.level == 0:
                imported.add(n.module.split(".")[0])
        # no SIGALRM time limits, no clock: a step is bounded by its operation budget only
        assert not imported & {"signal", "time", "threading"}, (name, imported)


def test_answers_do_not_depend_on_the_clock(monkeypatch):
    """With every clock jumping an hour per reading (a machine too busy for any time limit), the
    property sheet and a claim's verdict and method are what they are on an idle machine."""
    import time

    from actlab.analysis import claims, properties, subject

    expected = analyze("tanh", cost=False)
    verdict = claims.check("tanh(x) == 2*sigmoid(2*x) - 1")
    assert expected.taylor == "x - x**3/3 + 2*x**5/15 + O(x**6)"  # decided, never "undecided"

    ticks = iter(range(10**9))
    for clock in ("monotonic", "perf_counter", "time", "process_time"):
        monkeypatch.setattr(time, clock, lambda: 3600.0 * next(ticks))
    properties._analyze_cached.cache_clear()
    subject.reference_limit.cache_clear()
    try:
        again = analyze("tanh", cost=False)
        v = claims.check("tanh(x) == 2*sigmoid(2*x) - 1")
    finally:
        properties._analyze_cached.cache_clear()
    assert again.as_dict() == expected.as_dict()
    assert (v.holds, v.method, v.detail) == (verdict.holds, verdict.method, verdict.detail) == (
        True, "symbolic", verdict.detail)


def test_symbolic_budgets_decide_by_size_alone():
    import sympy

    from actlab.analysis import symbolic

    x = symbolic.X
    assert symbolic.series(sympy.tanh(x), 5) == x - x**3 / 3 + 2 * x**5 / 15
    assert symbolic.series(sympy.tanh(x), symbolic.MAX_SERIES_ORDER + 1) is None
    big = sum(sympy.tanh(k * x) for k in range(1, 40))
    assert symbolic.size(big) > symbolic.SERIES_OPS and symbolic.series(big, 3) is None
    assert symbolic.vanishes(sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1) is True
    assert symbolic.vanishes(sympy.sin(x) - x) is False
    assert symbolic.vanishes(big - big.rewrite(sympy.exp)) is None  # over budget: undecided
    assert symbolic.limit(sympy.tanh(x), sympy.oo) == 1
    assert symbolic.limit(sympy.sin(x), sympy.oo) is sympy.nan


def test_a_pole_is_the_extremum_not_a_crash():
    # log1mexp(x) = log(1 - e^-|x|) is -inf at 0 (f(0) = -inf) and tends to 0 at both ends
    r = analyze("log1mexp")
    assert (r.min_value, r.argmin, r.argmin_note) == (-math.inf, 0.0, "a pole at x = 0")
    assert r.max_value == 0.0 and r.argmax is None and r.argmax_note.startswith("not attained")
