"""The answer-first summary: picks from the tuned benchmark when it has results, from the
analyses otherwise (and says so), three facts, and numbers that look like failures explained."""

from __future__ import annotations

from actlab.report import summary as Su

SELFNORM = {"depth": 32, "steps": 150, "chance_accuracy": 0.294,
            "arms": [{"arm": "relu+bn", "test_accuracy": 0.313, "trained": False, "diverged": False},
                     {"arm": "selu", "test_accuracy": 0.61, "trained": True, "diverged": False}]}
GRADFLOW = {"runs": [{"activation": "relu", "verdict": "vanishing", "ratio_first_last": 1.02,
                      "depth": 20, "init": "xavier"},
                     {"activation": "tanh", "verdict": "stable", "ratio_first_last": 1.5,
                      "depth": 20, "init": "xavier"}],
            "half": [{"activation": "sigmoid", "first_underflow": 12}]}


def test_picks_from_the_analyses_when_no_benchmark_results():
    html = Su.summary({"selfnorm": SELFNORM, "gradflow": GRADFLOW, "bench": {"recommendations": []}})
    assert "Which activation?" in html and 'id="summary"' in html
    assert "come from the analyses" in html and Su.BENCH_COMMAND in html
    assert "<td>selu</td>" in html and "tanh" in html
    assert "Three things worth knowing" in html and html.count("<li>") == 3
    assert "sigmoid" in html  # the float16 underflow fact


def test_picks_from_the_benchmark_when_it_has_results():
    rec = {"kind": "vision", "available": True, "pick": "gelu", "tied": ["gelu", "silu"],
           "confidence": "moderate", "seeds": 5, "protocol": "ci"}
    html = Su.summary({"bench": {"recommendations": [rec]}})
    assert "tuned results" in html and "<td>gelu</td>" in html and "tied with silu" in html
    assert "come from the analyses" not in html


def test_failure_looking_numbers_are_explained():
    relu_bn = SELFNORM["arms"][0]
    why = Su.explain_selfnorm(relu_bn, 0.294)
    assert "0.313" in why and "0.294" in why and "not a crash" in why
    assert Su.explain_selfnorm(SELFNORM["arms"][1], 0.294) == ""
    assert "‖δ‖" in Su.explain_gradflow(GRADFLOW["runs"][0])
    assert Su.explain_gradflow(GRADFLOW["runs"][1]) == ""


def test_claim_provenance_is_readable():
    assert Su.readable_source("seed 000 (blog), Tanh") == "a blog post on activations, section “Tanh”"
    assert Su.readable_source("textbook") == "textbook statement"
    assert Su.readable_source("Hendrycks & Gimpel 2016") == "Hendrycks & Gimpel 2016"
