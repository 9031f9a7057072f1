"""``torch.nn`` modules for every activation, and :func:`replace_activations`.

``actlab.nn.Activation("swish", beta=1.5, learnable=True)`` works for any name; every spec also
has its own class (``actlab.nn.Mish()``, ``actlab.nn.Swish(beta=1.0, learnable=True)``,
``actlab.nn.PReLU(num_channels=64)``). The module's forward is one call into the functional API.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from . import registry
from .functional import apply
from .spec import ActivationSpec

# Canonical spellings of the acronyms in activation names, for class names (PyTorch style).
_WORDS = {
    "relu": "ReLU", "relu6": "ReLU6", "prelu": "PReLU", "rrelu": "RReLU", "crelu": "CReLU",
    "elu": "ELU", "selu": "SELU", "celu": "CELU", "gelu": "GELU", "silu": "SiLU", "glu": "GLU",
    "reglu": "ReGLU", "geglu": "GEGLU", "swiglu": "SwiGLU", "isru": "ISRU", "isrlu": "ISRLU",
    "gcu": "GCU", "dyt": "DyT", "xielu": "XIELU", "lisht": "LiSHT", "smelu": "SmeLU",
    "elish": "ELiSH", "tanhexp": "TanhExp", "lecun": "LeCun", "starrelu": "StarReLU",
}


def class_name(spec_name: str) -> str:
    return "".join(_WORDS.get(w, w[:1].upper() + w[1:]) for w in spec_name.split("_"))


class Activation(nn.Module):
    """Any activation of the catalog as a module.

    Args:
        name: activation name or alias (``actlab list`` shows them).
        learnable: ``True`` trains every learnable parameter, ``False`` none, or a list of
            names. Default: the spec's choice (PReLU's slope is learned, Swish's beta is not).
        num_channels: one value per channel for channel-wise learnable parameters (as PReLU's
            ``num_parameters``); channels are along the spec's ``channel_dim``.
        dim: the dimension that gated activations split and concatenated ones extend.
        **params: parameter values; defaults from the spec.

    Shape: input ``(*)``, output the same shape (gated: half along ``dim``; concatenated:
    double along ``dim``).
    """

    def __init__(
        self,
        name: str | ActivationSpec,
        *,
        learnable: bool | Iterable[str] | None = None,
        num_channels: int = 1,
        dim: int = -1,
        **params: Any,
    ) -> None:
        super().__init__()
        self.spec = registry.get_spec(name)
        values = self.spec.resolve(params)
        self.learned = self._learned_names(learnable)
        if num_channels < 1:
            raise ValueError(f"num_channels must be >= 1, got {num_channels}")
        self.num_channels, self.dim = num_channels, dim
        self.fixed: dict[str, float] = {}
        for p in self.spec.params:
            if p.name in self.learned:
                shape = (num_channels,) if p.channelwise and num_channels > 1 else ()
                self.register_parameter(p.name, nn.Parameter(torch.full(shape, float(values[p.name]))))
            else:
                self.fixed[p.name] = values[p.name]

    def _learned_names(self, learnable: bool | Iterable[str] | None) -> tuple[str, ...]:
        allowed = [p.name for p in self.spec.params if p.learnable]
        if learnable is None:
            learnable = self.spec.learn_by_default
        if learnable is True or learnable is False:
            return tuple(allowed) if learnable else ()
        names = tuple(learnable)
        bad = [n for n in names if n not in allowed]
        if bad:
            raise ValueError(
                f"{self.spec.name}: {bad} cannot be learned; learnable parameters: {allowed or 'none'}"
            )
        return names

    def _value(self, name: str, x: torch.Tensor) -> Any:
        if name in self.fixed:
            return self.fixed[name]
        value = getattr(self, name)
        if value.dim() == 1 and x.dim() > 1:  # per-channel: broadcast along the channel dim
            shape = [1] * x.dim()
            shape[self.spec.channel_dim] = -1
            value = value.view(shape)
        return value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        params = {n: self._value(n, x) for n in self.spec.param_names}
        return apply(self.spec, x, params, dim=self.dim, training=self.training)

    def extra_repr(self) -> str:
        parts = [f"{k}={v:g}" for k, v in self.fixed.items()]
        for n in self.learned:
            value = getattr(self, n)
            parts.append(f"{n}={value.item():g} (learned)" if value.dim() == 0
                         else f"{n}=learned[{value.numel()}]")
        if self.spec.kind in ("gated", "concatenated"):
            parts.append(f"dim={self.dim}")
        if type(self) is Activation:
            parts.insert(0, repr(self.spec.name))
        return ", ".join(parts)


def _module_class(spec: ActivationSpec) -> type[Activation]:
    def __init__(self: Activation, *args: float, **kwargs: Any) -> None:
        if len(args) > len(spec.params):
            raise TypeError(
                f"{class_name(spec.name)} takes at most {len(spec.params)} positional "
                f"parameter(s) ({', '.join(spec.param_names) or 'none'}), got {len(args)}"
            )
        kwargs.update(zip(spec.param_names, args))
        Activation.__init__(self, spec, **kwargs)

    doc = spec.doc() + "\n\nModule options: learnable, num_channels, dim (see actlab.nn.Activation)."
    return type(class_name(spec.name), (Activation,), {"__init__": __init__, "__doc__": doc,
                                                       "__module__": __name__})


_CLASSES: dict[str, type[Activation]] = {}


def _classes() -> dict[str, type[Activation]]:
    if not _CLASSES:
        for spec in registry.specs():
            _CLASSES[class_name(spec.name)] = _module_class(spec)
    return _CLASSES


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    classes = _classes()
    if name in classes:
        return classes[name]
    try:  # an alias such as "Swish1" or a lower-case name
        return classes[class_name(registry.get_spec(name).name)]
    except ValueError as e:
        raise AttributeError(f"actlab.nn has no module '{name}': {e}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_classes()])


ModuleFactory = nn.Module | type | str | Callable[[], nn.Module]


def _matches(module: nn.Module, old: type | str) -> bool:
    if isinstance(old, type):
        return isinstance(module, old)
    if type(module).__name__.lower() == old.lower():
        return True
    try:  # torch.nn.GELU matches "gelu", an actlab SiLU matches "silu" or its aliases, ...
        wanted = registry.get_spec(old).name
        if isinstance(module, Activation):
            return module.spec.name == wanted
        return registry.get_spec(type(module).__name__).name == wanted
    except ValueError:
        return False


def _build(new: ModuleFactory) -> nn.Module:
    if isinstance(new, nn.Module):
        return copy.deepcopy(new)
    if isinstance(new, str):
        return Activation(new)
    return new()


def replace_activations(model: nn.Module, old: type | str, new: ModuleFactory) -> int:
    """Swap every activation module of ``model`` matching ``old`` for a fresh ``new``.

    Args:
        model: any ``nn.Module``; changed in place.
        old: a module class (``torch.nn.ReLU``) or a name (``"relu"``, ``"ReLU"``, an alias).
        new: a module (deep-copied per replacement), a class or factory called with no
            arguments, or an activation name.

    Returns:
        How many modules were replaced.
    """
    if isinstance(old, str) and not hasattr(nn, old):
        registry.get_spec(old)  # an unknown name fails here, with suggestions
    count = 0
    for name, child in model.named_children():
        if _matches(child, old):
            setattr(model, name, _build(new))
            count += 1
        else:
            count += replace_activations(child, old, new)
    return count
