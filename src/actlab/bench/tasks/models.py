"""Models shared by the classification tasks: an MLP, a small 2-D CNN and a small 1-D CNN.

Each nonlinearity is an ``actlab.nn.Activation``, so any activation of the catalog fits: gated
ones (GLU family) get a pre-activation layer twice as wide and return the unit count,
concatenated ones (CReLU) hand twice the units to the next layer. With ``match_params`` (the
default of every task) their hidden width is then shrunk until the model has as many parameters
as the same model with an elementwise activation (:func:`matched_width`), so that a GLU or CReLU
never wins by being bigger. Every activation module is
tagged with ``unit_dim`` (the axis along which its units lie: features for MLPs, channels for
CNNs) so that :func:`actlab.bench.train.unit_stats` can count dead and saturated units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from . import make_activation, width_factors

__all__ = [
    "CLASSIFY_DEFAULTS",
    "INITS",
    "CNN1d",
    "CNN2d",
    "activation_module",
    "classification_tasks",
    "critical_centre",
    "critical_gain",
    "init_weights",
    "matched_width",
    "mlp",
    "n_params"
]

INITS = ("torch", "lecun", "he", "critical", "critical_orthogonal")


def activation_module(label: str, unit_dim: int) -> nn.Module:
    act = make_activation(label, dim=unit_dim)
    act.unit_dim = unit_dim
    return act


def init_weights(model: nn.Module, scheme: str, act: str | None = None) -> None:
    """Re-initialise Linear/Conv weights: ``torch`` keeps PyTorch's default (uniform, variance
    1/(3·fan_in)); ``lecun`` draws N(0, 1/fan_in) (LeCun et al. 1998, what SELU assumes);
    ``he`` N(0, 2/fan_in) (He et al. 2015, what ReLU assumes); ``critical`` N(0, σ_w²/fan_in)
    with σ_w² at the edge of chaos of ``act`` (Schoenholz et al. 2017; its gate for the GLU
    family; :func:`actlab.init.critical_sigma2`) for every layer followed by an activation,
    and LeCun for the read-out, each layer fed by an activation that is not 0 at 0 (sigmoid)
    centred as :mod:`actlab.init` centres it; ``critical_orthogonal`` the same variance on scaled orthogonal
    matrices (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in deep learning
    through dynamical isometry": at the edge of chaos Gaussian weights still spread the
    input-output Jacobian's singular values with depth, orthogonal ones keep a sigmoid net
    near isometry). Biases start at 0, or at the centring offset.

    Init is a declared setting of every task (never a hidden confound): at depth 32 ReLU scored
    0.10 with LeCun and 0.80 with He, so a depth verdict means nothing without its init.
    """
    if scheme not in INITS:
        raise ValueError(f"unknown init '{scheme}'; choose one of {', '.join(INITS)}")
    if scheme == "torch":
        return
    gain = {"lecun": 1.0, "he": 2.0}.get(scheme)
    critical = gain is None
    centre = critical_centre(act or "identity") if critical else 0.0
    if critical:
        gain = critical_gain(act or "identity")
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    for i, m in enumerate(layers):
        readout = i == len(layers) - 1
        g = 1.0 if critical and readout else gain
        fan_in = m.weight[0].numel()
        if scheme == "critical_orthogonal" and not readout:
            # each unit's pre-activation variance σ_w²·q, as with the Gaussian: rows of unit norm
            # where fan_out <= fan_in, orthonormal columns (rows of norm² fan_in/fan_out) otherwise
            fan_out = m.weight.shape[0]
            nn.init.orthogonal_(m.weight, math.sqrt(g * max(1.0, fan_out / fan_in)))
        else:
            nn.init.normal_(m.weight, 0.0, math.sqrt(g / fan_in))
        if m.bias is not None:
            nn.init.zeros_(m.bias)
            if centre and i > 0:  # the input is φ(h): start from φ(h) − φ(0) (actlab.init)
                with torch.no_grad():
                    m.bias.copy_(-centre * m.weight.flatten(1).sum(1))


def critical_gain(act: str) -> float:
    """σ_w² at the edge of chaos (σ_b = 0) for ``act``, centred where :func:`critical_centre` is
    not 0; the gate's (uncentred: a product is 0 at 0) for gated activations."""
    import actlab
    from actlab.init import critical_sigma2

    from . import parse_activation

    name, params = parse_activation(act)
    spec = actlab.get_spec(name)
    if spec.kind == "gated":
        return critical_sigma2(spec.base_name)[0]
    if spec.kind != "elementwise":
        raise ValueError(f"init 'critical' (and 'critical_orthogonal') covers elementwise and gated "
                         f"activations; {name} is {spec.kind}: use init=he or init=lecun for it")
    return critical_sigma2(actlab.get(name, **params), centred=critical_centre(act) != 0)[0]


def critical_centre(act: str) -> float:
    """φ(0) of an elementwise ``act`` (0 for gated ones): critical init centres the layers fed by
    an activation that is not 0 at 0, each bias starting at −φ(0)·Σⱼ W_ij (sigmoid: 1/2; with its
    mean left in, sigmoid's edge of chaos is σ_w² ≈ 103 and a 32-layer net barely trains)."""
    import actlab
    from actlab.init import value_at_zero

    from . import parse_activation

    name, params = parse_activation(act)
    return value_at_zero(actlab.get(name, **params))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def matched_width(make: Callable[[int, str], nn.Module], width: int, act: str) -> int:
    """The hidden width at which ``make(width, act)`` has (closest to) as many parameters as
    ``make(width, "relu")``: ``width`` itself for elementwise activations. Parameter counts grow
    with width, so a bisection over [1, width] finds it."""
    if width_factors(act) == (1, 1):
        return width
    target = n_params(make(width, "relu"))
    lo, hi = 1, width
    while lo < hi:  # the smallest w with params(w) >= target
        mid = (lo + hi) // 2
        if n_params(make(mid, act)) >= target:
            hi = mid
        else:
            lo = mid + 1
    if lo > 1 and abs(n_params(make(lo - 1, act)) - target) < abs(n_params(make(lo, act)) - target):
        lo -= 1
    return lo


def mlp(n_in: int, hidden: Sequence[int], n_out: int, act: str, *, init: str = "torch") -> nn.Sequential:
    """``Linear -> act -> ... -> Linear``; ``len(hidden)`` activation layers."""
    pre, post = width_factors(act)
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h * pre), activation_module(act, -1)]
        width = h * post
    layers.append(nn.Linear(width, n_out))
    model = nn.Sequential(*layers)
    init_weights(model, init, act)
    return model


class CNN2d(nn.Module):
    """Two ``conv3x3 -> act -> maxpool2`` blocks and a linear classifier."""

    def __init__(self, act: str, channels: Sequence[int], side: int, n_out: int) -> None:
        super().__init__()
        pre, post = width_factors(act)
        blocks: list[nn.Module] = []
        width = 1
        for c in channels:
            blocks += [nn.Conv2d(width, c * pre, 3, padding=1), activation_module(act, 1), nn.MaxPool2d(2)]
            width = c * post
            side //= 2
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(width * side * side, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


class CNN1d(nn.Module):
    """The MNIST-1D reference CNN (Greydanus 2020): three strided 1-D convolutions of 25
    channels (kernel 5, 3, 3; stride 2) with the activation after each, then a linear layer."""

    def __init__(self, act: str, length: int, n_out: int, channels: int = 25) -> None:
        super().__init__()
        pre, post = width_factors(act)
        blocks: list[nn.Module] = []
        width = 1
        for k in (5, 3, 3):
            blocks += [nn.Conv1d(width, channels * pre, k, stride=2, padding=1), activation_module(act, 1)]
            width = channels * post
            length = (length + 2 - k) // 2 + 1
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(width * length, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.unsqueeze(1)).flatten(1))


# ------------------------------------------------------------------------ task factory
CLASSIFY_DEFAULTS = {"epochs": 10, "steps": 0, "batch": 64, "lr": 1e-3, "probe": 512, "val_frac": 0.2,
                     "subset": 1.0, "match_params": True, "stage": "test", "protocol": "none"}


def classification_tasks(name: str, *, summary: str, source: str, load, available=None,
                         mlp_hidden: Sequence[int] = (128, 128), cnn: str | None = None,
                         cnn_channels: Sequence[int] = (16, 32), epochs: int = 10, batch: int = 64):
    """Register ``name`` (an MLP) and, if ``cnn`` is "1d"/"2d", ``name-cnn`` on the same data.

    Training settings shared by all of them: Adam, constant learning rate ``lr``, ``epochs``
    passes over the training split in batches of ``batch`` (``steps`` > 0 stops earlier, for
    smoke tests), ``probe`` training examples to count dead/saturated units.
    """
    from . import Task, register

    common = {**CLASSIFY_DEFAULTS, "epochs": epochs, "batch": batch}

    def build_mlp(act: str, cfg, data) -> nn.Module:
        make = lambda w, a: mlp(data.x_train[0].numel(), [w] * cfg["layers"], data.n_classes, a)
        w = matched_width(make, cfg["width"], act) if cfg["match_params"] else cfg["width"]
        return mlp(data.x_train[0].numel(), [w] * cfg["layers"], data.n_classes, act, init=cfg["init"])

    kw = {"available": available} if available else {}
    register(Task(name, "vision", "accuracy", "classify", f"{summary}, MLP", source,
                  {**common, "width": mlp_hidden[0], "layers": len(mlp_hidden), "init": "torch"},
                  load, build_mlp, **kw))
    if cnn is None:
        return

    def build_cnn(act: str, cfg, data) -> nn.Module:
        def make(c: int, a: str) -> nn.Module:
            if cnn == "1d":
                return CNN1d(a, data.x_train.shape[-1], data.n_classes, c)
            return CNN2d(a, [c, 2 * c], data.x_train.shape[-1], data.n_classes)

        c = matched_width(make, cfg["channels"], act) if cfg["match_params"] else cfg["channels"]
        model = make(c, act)
        init_weights(model, cfg["init"], act)
        return model

    register(Task(f"{name}-cnn", "vision", "accuracy", "classify", f"{summary}, small {cnn.upper()} CNN",
                  source, {**common, "channels": 25 if cnn == "1d" else cnn_channels[0], "init": "torch"},
                  lambda cfg: _as_images(load(cfg), cnn), build_cnn, **kw))


def _as_images(data, cnn: str):
    """MLP data are flat vectors; the 2-D CNN wants (N, 1, side, side)."""
    if cnn == "1d":
        return data
    from . import ClassData

    side = math.isqrt(data.x_train.shape[1])
    return ClassData(data.x_train.view(-1, 1, side, side), data.y_train,
                     data.x_test.view(-1, 1, side, side), data.y_test, data.n_classes)
