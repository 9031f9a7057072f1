"""Textbook claims about activations, with the verdict each one must get from
:func:`actlab.analysis.claims.check`.

Sources: the two seed texts actlab started from, which contain mistakes on purpose --
``000`` is the blog post "Activation: magician of deep learning" (2019), ``003`` the lecture
notes on activation units and numerical stability -- and independent textbook facts. Every
false claim carries its correction, which must hold. ``actlab verify`` (no argument) checks
them all and exits non-zero if any verdict differs from the one listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CLAIMS", "SEED_BLOG", "SEED_NOTES", "TEXTBOOK", "ShippedClaim"]


@dataclass(frozen=True)
class ShippedClaim:
    """A claim, the verdict it must get, where it comes from and, if false, the true statement."""

    claim: str
    expected: bool
    source: str
    note: str = ""
    correction: str | None = None


SEED_BLOG = "seed 000 (blog)"
SEED_NOTES = "seed 003 (lecture notes)"
TEXTBOOK = "textbook"

CLAIMS: tuple[ShippedClaim, ...] = (
    # --- the mistakes in the seed texts (seeds/README.md names the first four) ----------------
    ShippedClaim(
        "tanh(x) == 2*sigmoid(2*x - 1)", False, f"{SEED_BLOG}, Tanh",
        "The 1 belongs outside the sigmoid: tanh(x) = 2σ(2x) - 1. At x = 0 the claim gives "
        "2σ(-1) ≈ 0.538 instead of 0.",
        correction="tanh(x) == 2*sigmoid(2*x) - 1",
    ),
    ShippedClaim(
        "tanh(x) == sin(x)/cos(x)", False, f"{SEED_BLOG}, Tanh derivative",
        "The derivation of tanh' starts from sin/cos, which is tan, not tanh.",
        correction="tanh(x) == sinh(x)/cosh(x)",
    ),
    ShippedClaim(
        "diff(sin(x)/cos(x)) == (cos(x)**2 - sin(x)**2)/cos(x)**2", False,
        f"{SEED_BLOG}, Tanh derivative",
        "The same derivation adds the quotient rule's two terms (sin'cos + sin cos') where it "
        "must subtract them; with the right sign, d/dx tan = 1 + tan², not 1 - tan².",
        correction="diff(sin(x)/cos(x)) == (cos(x)**2 + sin(x)**2)/cos(x)**2",
    ),
    ShippedClaim(
        "diff(sin(x)/cos(x)) == 1 - tan(x)**2", False, f"{SEED_BLOG}, Tanh derivative",
        "Where that derivation ends: wrong for tan (whose derivative is 1 + tan²); its final "
        "answer 1 - tanh² is right only for tanh, by a different computation.",
        correction="diff(sin(x)/cos(x)) == 1 + tan(x)**2",
    ),
    ShippedClaim(
        "max(derivative(sigmoid)) == 0.25 at x == 0.5", False, f"{SEED_BLOG}, Sigmoid",
        "The maximum slope 1/4 is at x = 0 (where σ = 0.5: the text confuses x with σ(x)).",
        correction="max(derivative(sigmoid)) == 0.25 at x == 0",
    ),
    ShippedClaim(
        "argmax(derivative(sigmoid)) == 0.5", False, f"{SEED_BLOG}, Sigmoid",
        "The same mistake, as a location.",
        correction="argmax(derivative(sigmoid)) == 0",
    ),
    ShippedClaim(
        "swish(x, beta=0) == x", False, f"{SEED_NOTES}, Swish",
        "σ(0·x) = 1/2, so swish with β = 0 is the linear function x/2, not x.",
        correction="swish(x, beta=0) == x/2",
    ),
    ShippedClaim(
        "limit(swish, inf) == 0", False, f"{SEED_NOTES}, Swish",
        "'Bounded below (i.e. lim_{z→∞} f(z) = 0)': the limit meant is z → -∞; at +∞ swish "
        "grows without bound.",
        correction="limit(swish, -inf) == 0",
    ),
    ShippedClaim(
        "derivative(gelu_tanh)(x) == 0.5*tanh(0.0356774*x**3 + 0.797885*x) + (0.0535161*x**3 + "
        "0.398942*x)*sec(0.0356774*x**3 + 0.797885*x)**2 + 0.5 within 1e-5", False,
        f"{SEED_BLOG}, GELU",
        "The derivative of the tanh approximation has sech², the derivative of tanh, not sec².",
        correction="derivative(gelu_tanh)(x) == 0.5*tanh(0.0356774*x**3 + 0.797885*x) + "
        "(0.0535161*x**3 + 0.398942*x)*sech(0.0356774*x**3 + 0.797885*x)**2 + 0.5 within 1e-5",
    ),
    ShippedClaim(
        "derivative(relu)(x) == 0 for x > 0", False, f"{SEED_BLOG}, Swish (why it works)",
        "'ReLU is also saturated in half of the space near the origin (positive area)': ReLU's "
        "zero-gradient half is the negative one.",
        correction="derivative(relu)(x) == 0 for x < 0",
    ),
    ShippedClaim(
        "not continuous(relu) and not continuous(prelu) and not continuous(rrelu)", False,
        f"{SEED_BLOG}, Short summary",
        "'ReLU, PReLU and RReLU are all step functions': they are continuous and piecewise "
        "linear (class C0, a kink at 0), not steps.",
        correction="continuous(relu) and continuous(prelu) and continuous(rrelu) "
        "and not differentiable(relu)",
    ),
    ShippedClaim(
        "zero_centred(elu)", False, f"{SEED_BLOG}, ELU",
        "ELU pushes the mean activation toward 0 but not to 0: E[elu(z)] ≈ 0.1605 for "
        "z ~ N(0, 1) (ReLU: 0.3989).",
        correction="mean(elu) == 1/sqrt(2*pi) + exp(1/2)*erfc(1/sqrt(2))/2 - 1/2",
    ),
    ShippedClaim(
        "zero_centred(leaky_relu)", False, f"{SEED_BLOG}, LeakyReLU",
        "LeakyReLU is said to solve the non-zero-centred problem (and, two lines later, not to): "
        "E[f(z)] = (1 - a)/sqrt(2π) ≈ 0.395 for a = 0.01.",
        correction="mean(leaky_relu) == 0.99/sqrt(2*pi)",
    ),
    ShippedClaim(
        "derivative(selu)(x) == selu(x) + 1.6733*1.0507 for x <= 0", False, f"{SEED_BLOG}, SELU",
        "The formula is right, but with the printed, rounded α = 1.6733 and λ = 1.0507 it is "
        "off by 3.7e-5 everywhere on x <= 0; it holds with the exact constants (and within 1e-4 "
        "as printed).",
        correction="derivative(selu)(x) == selu(x) + 1.6732632423543772*1.0507009873554805 "
        "for x <= 0 within 1e-12",
    ),
    # --- what the seed texts get right --------------------------------------------------------
    ShippedClaim("tanh(x) == 2*sigmoid(2*x) - 1", True, TEXTBOOK),
    ShippedClaim("tanh(x) == (1 - exp(-2*x))/(1 + exp(-2*x))", True, f"{SEED_BLOG}, Tanh"),
    ShippedClaim("derivative(tanh)(x) == 1 - tanh(x)**2", True, f"{SEED_BLOG}, Tanh",
                 "The seed's end result is right, though its derivation is not."),
    ShippedClaim("derivative(sigmoid)(x) == sigmoid(x)*(1 - sigmoid(x))", True,
                 f"{SEED_BLOG}, Sigmoid"),
    ShippedClaim("0 < derivative(sigmoid)(x) <= 0.25", True, f"{SEED_BLOG}, ReLU section",
                 "σ' ∈ (0, 1/4]: each sigmoid layer multiplies the gradient by at most 1/4."),
    ShippedClaim("0.25**20 == 9.094e-13 within 1e-16", True, f"{SEED_BLOG}, ReLU section",
                 "20 sigmoid layers: the gradient bound 0.25^20 = 9.0949e-13."),
    ShippedClaim("0 < sigmoid(x) < 1", True, f"{SEED_NOTES}, Sigmoid",
                 "The notes say the codomain is [0, 1]; the bounds are never attained: (0, 1)."),
    ShippedClaim("-1 < tanh(x) < 1", True, f"{SEED_BLOG}, Tanh",
                 "The blog says [-1, 1]; the range is the open interval (-1, 1)."),
    ShippedClaim("zero_centred(tanh) and odd(tanh)", True, f"{SEED_BLOG}, Tanh"),
    ShippedClaim("mean(sigmoid) == 1/2", True, f"{SEED_BLOG}, Sigmoid",
                 "Non-zero-centred: σ(x) + σ(-x) = 1 puts the mean at 1/2."),
    ShippedClaim("smooth(sigmoid)", True, f"{SEED_NOTES}, Sigmoid"),
    ShippedClaim("not polynomial(sigmoid) and polynomial(square)", True, f"{SEED_NOTES}, UAT",
                 "Leshno et al. 1993: a continuous activation gives universal approximation iff it "
                 "is not a polynomial."),
    ShippedClaim("odd(tanh)", True, f"{SEED_NOTES}, UAT",
                 "The notes state the theorem for x ↦ W2 σ(W1 x), without the bias b1 it needs: "
                 "with an odd σ such as tanh every such network is odd and cannot approximate x²."),
    ShippedClaim("relu(x) == max(0, x)", True, f"{SEED_NOTES}, ReLU"),
    ShippedClaim("derivative(relu)(x) == 1 for x > 0", True, f"{SEED_NOTES}, ReLU"),
    ShippedClaim("derivative(relu)(x) == 0 at x == 0", True, f"{SEED_NOTES}, ReLU",
                 "A convention: actlab follows PyTorch (ReLU'(0) = 0); the notes pick 1."),
    ShippedClaim("leaky_relu(x) == prelu(x, slope=0.01)", True, f"{SEED_NOTES}, Parametric ReLU",
                 "Leaky ReLU is PReLU with the slope fixed at 0.01."),
    ShippedClaim("derivative(leaky_relu)(x) > 0", True, f"{SEED_BLOG}, LeakyReLU",
                 "No dead region: the slope is 1 or a > 0."),
    ShippedClaim("derivative(elu)(x) > 0 and limit(elu, -inf) == -1", True, f"{SEED_BLOG}, ELU",
                 "No dead ReLU issue, and it saturates to -α for large negative x."),
    ShippedClaim("self_normalizing(selu) and not self_normalizing(elu)", True,
                 f"{SEED_BLOG}, SELU",
                 "Klambauer et al. 2017: (0, 1) is an attracting fixed point of SELU's mean/variance "
                 "map (spectral radius ≈ 0.78); ELU's map has none near it."),
    ShippedClaim("mean(selu) == 0 and var(selu) == 1", True, f"{SEED_BLOG}, SELU"),
    ShippedClaim("derivative(selu)(x) == selu(x) + 1.6733*1.0507 for x <= 0 within 1e-4", True,
                 f"{SEED_BLOG}, SELU", "The seed's SELU derivative, to the precision it prints."),
    ShippedClaim("swish(x) == x*sigmoid(x)", True, f"{SEED_BLOG}, Swish"),
    ShippedClaim("swish(x, beta=2) == x*sigmoid(2*x)", True, f"{SEED_NOTES}, Swish"),
    ShippedClaim("swish(x, beta=1000) == relu(x) within 3e-4", True, f"{SEED_NOTES}, Swish",
                 "β → ∞ gives ReLU: the largest gap is 0.2785/β."),
    ShippedClaim("smooth(swish) and not monotonic(swish) and bounded_below(swish) "
                 "and not bounded_above(swish)", True, f"{SEED_NOTES}, Swish"),
    ShippedClaim("min(swish) == -0.2784645427610738 within 1e-12", True, TEXTBOOK,
                 "At x = -1.2784645 (the root of 1 + x(1 - σ(x)) = 0)."),
    ShippedClaim("gelu(x) == x*(1 + erf(x/sqrt(2)))/2", True, f"{SEED_BLOG}, GELU",
                 "GELU(x) = x P(X <= x) = x Φ(x)."),
    ShippedClaim("gelu(x) == 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3))) within 1e-3", True,
                 f"{SEED_BLOG}, GELU", "The tanh form is an approximation (error < 1e-3), not an "
                 "identity."),
    ShippedClaim("min(gelu) == -0.16997120 within 1e-7", True, TEXTBOOK),
    ShippedClaim("mish(x) >= -0.31", True, f"{SEED_BLOG}, Mish",
                 "'Mish ranges between -0.31 and infinity': its minimum is -0.3088434 at "
                 "x = -1.1924."),
    ShippedClaim("min(mish) == -0.30884 within 1e-5", True, TEXTBOOK),
    ShippedClaim("taylor(mish, 5) == 3*x/5 + 8*x**2/25 - 2*x**3/125 - 86*x**4/1875 - "
                 "7*x**5/18750", True, f"{SEED_BLOG}, Mish"),
    ShippedClaim("derivative(mish)(x) == exp(x)*(4*(x + 1) + 4*exp(2*x) + exp(3*x) + "
                 "exp(x)*(4*x + 6))/(2*exp(x) + exp(2*x) + 2)**2", True, f"{SEED_BLOG}, Mish",
                 "f' = e^x ω/δ² with ω and δ as in the blog."),
    ShippedClaim("derivative(mish)(x) == sech(softplus(x))**2*swish(x) + mish(x)/x for x != 0",
                 True, f"{SEED_NOTES}, Mish", "f' = Δ(x) swish(x) + f(x)/x, Δ = sech²(softplus)."),
    ShippedClaim("smooth(mish) and not monotonic(mish) and bounded_below(mish) "
                 "and not bounded_above(mish)", True, f"{SEED_NOTES}, Mish"),
    # --- independent textbook facts -------------------------------------------------------------
    ShippedClaim("sigmoid(x) + sigmoid(-x) == 1", True, TEXTBOOK),
    ShippedClaim("derivative(softplus)(x) == sigmoid(x)", True, TEXTBOOK),
    ShippedClaim("hardswish(x) == x*relu6(x + 3)/6", True, TEXTBOOK,
                 "Howard et al. 2019 (MobileNetV3)."),
    ShippedClaim("mean(relu) == 1/sqrt(2*pi) and var(relu) == 1/2 - 1/(2*pi)", True, TEXTBOOK),
    ShippedClaim("max(derivative(tanh)) == 1 at x == 0", True, TEXTBOOK),
    ShippedClaim("differentiable(elu, alpha=1) and not differentiable(elu, alpha=0.5)", True,
                 TEXTBOOK, "ELU is C1 only for α = 1: f'(0-) = α, f'(0+) = 1."),
)
