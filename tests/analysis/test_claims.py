"""The claim checker: the examples of issue 3, every shipped claim, counterexamples checked
against math/mpmath, and malformed claims."""

from __future__ import annotations

import json
import math

import mpmath
import pytest
from typer.testing import CliRunner

from actlab.analysis import claims_list
from actlab.analysis.claims import check, split_clauses, verify_shipped
from actlab.analysis.claims_list import CLAIMS, ShippedClaim
from actlab.cli import app

runner = CliRunner()
SHIPPED = [(c.claim, c.expected) for c in CLAIMS] + [(c.correction, True) for c in CLAIMS if c.correction]


@pytest.mark.parametrize(("claim", "expected"), SHIPPED, ids=[c for c, _ in SHIPPED])
def test_every_shipped_verdict(claim, expected):
    v = check(claim)
    assert v.holds is expected, v


def test_the_shipped_list_covers_the_seed_mistakes():
    false = {c.claim for c in CLAIMS if not c.expected}
    # the four mistakes shared/seeds/README.md names
    assert "tanh(x) == 2*sigmoid(2*x - 1)" in false
    assert "swish(x, beta=0) == x" in false
    assert "max(derivative(sigmoid)) == 0.25 at x == 0.5" in false
    assert any("sin(x)/cos(x)" in c for c in false)
    assert all(c.correction for c in CLAIMS if not c.expected)


@pytest.mark.parametrize(("claim", "holds"), [
    ("tanh(x) == 2*sigmoid(2*x) - 1", True),
    ("tanh(x) == 2*sigmoid(2*x - 1)", False),
    ("max(derivative(sigmoid)) == 0.25 at x == 0", True),
    ("argmax(derivative(sigmoid)) == 0.5", False),
    ("swish(x, beta=0) == x/2", True),
    ("swish(x, beta=0) == x", False),
    ("mish(x) >= -0.31", True),
    ("mish(x) >= -0.30", False),
    ("derivative(tanh)(x) == 1 - tanh(x)**2", True),
    ("derivative(selu)(x) == selu(x) + 1.6733*1.0507 for x <= 0", False),
    ("derivative(selu)(x) == selu(x) + 1.6733*1.0507 for x <= 0 within 1e-4", True),
])
def test_issue_examples(claim, holds):
    assert check(claim).holds is holds


def test_identities_are_proved_symbolically_when_sympy_can():
    v = check("tanh(x) == 2*sigmoid(2*x) - 1")
    assert v.method == "symbolic" and v.discrepancy < 1e-25
    assert check("swish(x, beta=0) == x/2").method == "symbolic"


def test_counterexample_is_a_real_one():
    v = check("tanh(x) == 2*sigmoid(2*x - 1)")
    x = v.counterexample
    lhs, rhs = math.tanh(x), 2 / (1 + math.exp(-(2 * x - 1)))
    assert abs(lhs - rhs) > 0.1 and v.lhs == pytest.approx(lhs) and v.rhs == pytest.approx(rhs)
    # sup |tanh x - 2σ(2x - 1)| = 1, approached as x -> -inf
    assert v.discrepancy == pytest.approx(1.0, abs=1e-6)


def test_selu_seed_constants_are_off_by_the_rounding():
    # λ and α to 32 digits, from Klambauer et al. 2017
    lam = mpmath.mpf("1.0507009873554804934193349852946")
    alpha = mpmath.mpf("1.6732632423543772848170429916717")
    printed = mpmath.mpf("1.6733") * mpmath.mpf("1.0507")
    v = check("derivative(selu)(x) == selu(x) + 1.6733*1.0507 for x <= 0")
    assert v.discrepancy == pytest.approx(float(abs(printed - lam * alpha)), rel=1e-9)
    assert v.counterexample <= 0


def test_wrong_location_of_the_sigmoid_maximum():
    v = check("max(derivative(sigmoid)) == 0.25 at x == 0.5")
    assert not v.holds and abs(v.counterexample) < 1e-9 and v.discrepancy == pytest.approx(0.5)
    assert "not at 0.5" in v.detail


def test_functionals_against_closed_forms():
    assert check("mean(relu) == 1/sqrt(2*pi)").holds
    assert check("min(mish) == -0.3088434 within 1e-7").holds
    assert not check("min(mish) == -0.31").holds
    assert check("limit(softsign, inf) == 1").holds
    assert check("limit(elu, -inf) == -1").holds
    assert check("max(sigmoid) == 1").holds  # a supremum, not attained
    assert not check("argmax(relu) == 0").holds  # unbounded: no argmax
    assert check("taylor(tanh, 5) == x - x**3/3 + 2*x**5/15").holds
    assert check("min(x**2 - 2*x) == -1 at x == 1").holds


def test_domains_points_and_chains():
    assert check("relu(x) == 0 for x <= 0").holds
    assert not check("relu(x) == 0 for x <= 1").holds
    assert check("sigmoid(x) == 1/2 at x == 0").holds
    assert check("sigmoid(x) == 1/2 at x = 0").holds  # "=" in a clause means ==
    assert check("-1 < tanh(x) < 1").holds  # strict even at x = ±200 (ties re-checked)
    assert check("mish(x)/x == tanh(softplus(x)) for x != 0").holds
    assert check("continuous(relu) and not differentiable(relu)").holds
    assert not check("differentiable(relu)").holds
    assert check("max(sigmoid) == 0.5 at x == 0 for x <= 0").holds  # at the closed end
    v = check("sigmoid(x) != 0.5")
    assert not v.holds and v.counterexample == 0.0
    assert not check("1 < 1").holds and check("1 <= 1").holds and check("pi != 3").holds


def test_split_clauses_ignores_keywords_inside_brackets():
    main, clauses = split_clauses("max(f(x, at=1)) == 2 for x <= 0 within 1e-3")
    assert main == "max(f(x, at=1)) == 2" and clauses == {"for": "x <= 0", "within": "1e-3"}


@pytest.mark.parametrize(("claim", "message"), [
    ("tanh(x) = 1", "=="),
    ("__import__('os').system('true') == 0", "not allowed|not a real number|unknown name"),
    ("x.__class__ == 1", "not allowed"),
    ("sigmod(x) == 1", "did you mean sigmoid"),
    ("swish(x, gamma=1) == x", "it takes: beta"),
    ("sigmoid(x)", "not a claim"),
    ("tanh(x) == 1 for y > 0", "must involve x"),
    ("x == x for x > 1 and x < 0", "empty"),
    ("[1, 2] == 1", "not allowed"),
    ("", "empty claim"),
    ("tanh(x) == 1 for", "needs something after it"),
])
def test_malformed_claims_raise_value_error(claim, message):
    with pytest.raises(ValueError, match=message):
        check(claim)


def test_a_claim_must_be_a_string():
    with pytest.raises(TypeError):
        check(1)  # type: ignore[arg-type]


# --- the command --------------------------------------------------------------------------------

def test_cli_verify_one_claim_exits_1_when_it_fails_0_when_it_holds():
    res = runner.invoke(app, ["verify", "tanh(x) == 2*sigmoid(2*x - 1)"])
    assert res.exit_code == 1 and "FAILS" in res.stdout and "counterexample" in res.stdout
    res = runner.invoke(app, ["verify", "swish(x, beta=0) == x/2", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["holds"] is True
    res = runner.invoke(app, ["verify", "tanh(x) = 1"])
    assert res.exit_code == 2 and res.stderr.startswith("error:"), res.output


def test_cli_verify_list_exits_1_when_a_shipped_verdict_is_wrong(monkeypatch):
    right = (ShippedClaim("swish(x, beta=0) == x", False, "test", correction="swish(x, beta=0) == x/2"),)
    monkeypatch.setattr(claims_list, "CLAIMS", right)
    res = runner.invoke(app, ["verify"])
    assert res.exit_code == 0, res.output
    assert "2/2" in res.stdout
    wrong = (ShippedClaim("swish(x, beta=0) == x", True, "test"),)
    monkeypatch.setattr(claims_list, "CLAIMS", wrong)
    res = runner.invoke(app, ["verify", "--json"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)[0]["ok"] is False
    assert [r["ok"] for r in verify_shipped()] == [False]
