"""``torch.nn`` modules for every activation, :func:`replace_activations`, and name lookups.

``actlab.nn.Activation("swish", beta=1.5, learnable=True)`` works for any name; every spec also
has its own class (``actlab.nn.Mish()``, ``actlab.nn.Swish(beta=1.0, learnable=True)``,
``actlab.nn.PReLU(num_parameters=64)``). Classes with a ``torch.nn`` counterpart take that
class's constructor arguments with the same meaning (``actlab.nn.GELU(approximate="tanh")``,
``actlab.nn.ReLU(inplace=True)``; the table is :data:`actlab.compat.TORCH_SIGNATURES`).
``get_act_layer`` and ``ACT2FN`` look activations up by timm's and Hugging Face's names.
The module's forward is one call into the functional API.
"""

from __future__ import annotations

import copy
import difflib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from . import registry
from .autograd import apply_elementwise
from .compat import BY_SPEC, LIBRARY_NAMES, REFUSED_NAMES, TORCH_SIGNATURES, TorchSignature
from .composite import is_composite
from .functional import dispatch
from .kinds import KindSpec
from .spec import (
    ACCEPTED_DTYPES,
    ActivationSpec,
    Spec,
    as_tensor,
    check_input,
    check_representable,
    float32_misfits,
)

# Canonical spellings of the acronyms in activation names, for class names (PyTorch style).
_WORDS = {
    "relu": "ReLU", "relu6": "ReLU6", "prelu": "PReLU", "rrelu": "RReLU", "crelu": "CReLU",
    "elu": "ELU", "selu": "SELU", "celu": "CELU", "gelu": "GELU", "silu": "SiLU", "glu": "GLU",
    "reglu": "ReGLU", "geglu": "GEGLU", "swiglu": "SwiGLU", "isru": "ISRU", "isrlu": "ISRLU",
    "gcu": "GCU", "dyt": "DyT", "xielu": "XIELU", "lisht": "LiSHT", "smelu": "SmeLU",
    "elish": "ELiSH", "tanhexp": "TanhExp", "lecun": "LeCun", "starrelu": "StarReLU",
    "frelu": "FReLU", "pau": "PAU",
}


def class_name(spec_name: str) -> str:
    """The module class name of a catalog entry: ``leaky_relu`` -> ``LeakyReLU``."""
    return "".join(_WORDS.get(w, w[:1].upper() + w[1:]) for w in spec_name.split("_"))


class Activation(nn.Module):
    """Any activation of the catalog as a module.

    Args:
        name: activation name or alias (``actlab list`` shows them).
        learnable: ``True`` trains every learnable parameter, ``False`` none, or a list of
            names. Default: the spec's choice (PReLU's slope is learned, Swish's beta is not).
        num_channels: one value per channel for channel-wise learnable parameters (as PReLU's
            ``num_parameters``); channels are along the spec's ``channel_dim``.
        dim: the dimension that gated activations split and concatenated ones extend, that
            softmax normalises and Maxout groups (default -1; Dynamic ReLU's channels: 1).
        inplace: write the result into the input and return it, as torch's ``inplace=True``,
            when autograd records nothing (no grad mode, or neither the input nor a learned
            parameter requires grad). When autograd records the call, the result is a new tensor
            and the input is left unchanged: actlab's backward needs the input, so overwriting
            it would make backward fail, and torch's in-place gradient is not silently imitated.
            The value is computed into a temporary first, so it saves no memory.
        device, dtype: where and in which dtype learned parameters are created.
        **params: parameter values; defaults from the spec.

    Kinds with tensor arguments (:mod:`actlab.kinds`: FReLU's kernel, Dynamic ReLU's
    hypernetwork, PAU's coefficients) hold them as ``nn.Parameter`` (running statistics as
    buffers), shaped from ``num_channels`` and the kind's options, initialised as in the paper.

    Shape: input ``(*)``, output the same shape (gated: half along ``dim``; concatenated:
    double along ``dim``; Maxout: divided by ``pieces`` along ``dim``).
    """

    def __init__(
        self,
        name: str | Spec,
        *,
        learnable: bool | Iterable[str] | None = None,
        num_channels: int = 1,
        dim: int | None = None,
        inplace: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.spec = registry.get_spec(name)
        values = self.spec.resolve(params)
        self.learned = self._learned_names(learnable)
        if isinstance(num_channels, bool) or not isinstance(num_channels, int) or num_channels < 1:
            raise ValueError(f"{self.spec.name}: num_channels must be an int >= 1, got {num_channels!r}")
        if not isinstance(inplace, bool):
            raise TypeError(f"{self.spec.name}: inplace must be True or False, got {inplace!r}")
        if inplace and _reshapes(self.spec):
            raise ValueError(
                f"{self.spec.name}: inplace=True is impossible for a {self.spec.kind} activation "
                f"(not elementwise: its output has another shape than its input, or each output "
                f"depends on many inputs); drop inplace"
            )
        if dim is None:
            dim = self.spec.default_dim if isinstance(self.spec, KindSpec) else -1
        self.num_channels, self.dim, self.inplace = num_channels, dim, inplace
        self.fixed: dict[str, Any] = {}
        self.tensors: tuple[str, ...] = ()  # a kind's weights, held here
        if isinstance(self.spec, KindSpec):
            self._make_weights(values, device, dtype)
        for p in self.spec.params:
            if p.name in self.learned:
                shape = (num_channels,) if p.channelwise and num_channels > 1 else ()
                value = torch.full(shape, float(values[p.name]), device=device, dtype=dtype)
                self.register_parameter(p.name, nn.Parameter(value))
            else:
                self.fixed[p.name] = values[p.name]
        self._misfits = bool(float32_misfits(self.spec.params, self.fixed))
        if type(self.spec) is ActivationSpec and not self.learned and not self._misfits:
            values = tuple(self.fixed[n] for n in self.spec.argument_names)
            self._values = self.spec.default_values if values == self.spec.default_values else values

    def _make_weights(self, values: dict[str, Any], device: Any, dtype: torch.dtype | None) -> None:
        spec = self.spec
        assert isinstance(spec, KindSpec)
        settings = {"num_channels": self.num_channels, **spec.settings(values)}
        for w in spec.weights:
            t = torch.empty(w.shape(settings), device=device, dtype=dtype)
            w.init(t, settings)
            if w.buffer:
                self.register_buffer(w.name, t)
            else:
                self.register_parameter(w.name, nn.Parameter(t))
            values.pop(w.name, None)
        for o in spec.options:
            if o.module_only:  # shapes the weights only
                setattr(self, o.name, values.pop(o.name))
            else:
                self.fixed[o.name] = values.pop(o.name)
        self.tensors = tuple(w.name for w in spec.weights)

    def _learned_names(self, learnable: bool | Iterable[str] | None) -> tuple[str, ...]:
        allowed = [p.name for p in self.spec.params if p.learnable]
        if learnable is None:
            learnable = self.spec.learn_by_default
        if learnable is True or learnable is False:
            return tuple(allowed) if learnable else ()
        names = (learnable,) if isinstance(learnable, str) else tuple(learnable)
        bad = [n for n in names if n not in allowed]
        if bad:
            raise ValueError(
                f"{self.spec.name}: {bad} cannot be learned; learnable parameters: {allowed or 'none'}"
            )
        return names

    def _value(self, name: str, x: torch.Tensor) -> Any:
        if name in self.fixed:
            return self.fixed[name]
        if name in self.tensors:
            return getattr(self, name)
        value = getattr(self, name)
        if value.dim() == 1 and x.dim() > 1:  # per-channel: broadcast along the channel dim
            channels = x.shape[self.spec.channel_dim]
            if channels != value.numel():
                raise ValueError(
                    f"{self.spec.name}: has {value.numel()} values of '{name}' (num_channels="
                    f"{value.numel()}) but the input has {channels} channels along dim "
                    f"{self.spec.channel_dim} (shape {tuple(x.shape)}); build it with "
                    f"num_channels={channels}"
                )
            shape = [1] * x.dim()
            shape[self.spec.channel_dim] = -1
            value = value.view(shape)
        return value

    # an elementwise module with fixed values: its argument values (the spec's own tuple at the
    # defaults), so that a forward costs no per-call work before torch's op (a 4K-element ReLU
    # costs 1 µs); None for the others (a class default: modules pickled before it existed)
    _values: tuple[Any, ...] | None = None
    _misfits = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = self._values
        if values is not None and type(x) is torch.Tensor and x.dtype in ACCEPTED_DTYPES:
            out = apply_elementwise(self.spec, x, values)  # type: ignore[arg-type]  # nothing to check
        else:
            if not isinstance(x, torch.Tensor):  # a NumPy array: computed as a tensor, returned as NumPy
                t, _ = as_tensor(self.spec.name, x)
                return self.forward(t).detach().numpy()
            check_input(self.spec.name, x)
            if self._misfits:  # a fixed value float32 cannot hold: float64 input only
                check_representable(self.spec.name, self.spec.params, self.fixed, x.dtype)
            values = tuple(self._value(n, x) for n in self.spec.argument_names)
            out = dispatch(self.spec, x, values, self.dim, self.training)
        if self.inplace and not out.requires_grad:  # nothing recorded: torch's in-place contract
            return x.copy_(out)
        return out

    def extra_repr(self) -> str:
        parts = []
        signature = BY_SPEC.get(getattr(type(self), "_spec_name", ""))
        for arg, choices in (signature.variants.items() if signature else ()):
            parts += [f"{arg}={value!r}" for value, name in choices.items()
                      if name == self.spec.name and name != signature.spec]
        parts += [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in self.fixed.items()]
        parts += [f"{o.name}={getattr(self, o.name)!r}" for o in getattr(self.spec, "options", ())
                  if o.module_only]
        if isinstance(self.spec, KindSpec) and self.spec.needs_channels:
            parts.append(f"num_channels={self.num_channels}")
        for n in self.learned:
            value = getattr(self, n)
            parts.append(f"{n}={value.item():g} (learned)" if value.dim() == 0
                         else f"{n}=learned[{value.numel()}]")
        if is_composite(self.spec) or (isinstance(self.spec, KindSpec) and self.spec.takes_dim):
            parts.append(f"dim={self.dim}")
        if self.inplace:
            parts.append("inplace=True")
        if type(self) is Activation:
            parts.insert(0, repr(self.spec.name))
        return ", ".join(parts)


# --------------------------------------------------------------------- one class per catalog entry
_P = inspect.Parameter
#: module options: (default, annotation); which ones a class takes depends on its spec
_OPTIONS: dict[str, tuple[Any, str]] = {
    "learnable": (None, "bool | Iterable[str] | None"),
    "num_channels": (1, "int"),
    "dim": (-1, "int"),
    "inplace": (False, "bool"),
    "device": (None, "torch.device | str | None"),
    "dtype": (None, "torch.dtype | None"),
}
# annotations of torch arguments that are neither a spec parameter nor an option
_TORCH_ANNOTATIONS = {"approximate": "str", "threshold": "float", "min_value": "float | None",
                      "max_value": "float | None", "num_parameters": "int", "init": "float"}


def _reshapes(spec: Spec) -> bool:
    """Whether ``spec`` is not elementwise (a composite or a kind of its own): no ``inplace``."""
    return is_composite(spec) or isinstance(spec, KindSpec)


def _options(spec: Spec) -> list[str]:
    """The module options that mean something for ``spec`` (a kind's own options come first)."""
    learnable = any(p.learnable for p in spec.params)
    kind = spec if isinstance(spec, KindSpec) else None
    weights = bool(kind and kind.weights)
    return [o.name for o in (kind.options if kind else ())] + [o for o, wanted in (
        ("learnable", learnable),
        ("num_channels", any(p.channelwise for p in spec.params) or bool(kind and kind.needs_channels)),
        ("dim", is_composite(spec) or bool(kind and kind.takes_dim)),
        ("inplace", not _reshapes(spec)),
        ("device", learnable or weights),
        ("dtype", learnable or weights),
    ) if wanted]


def _option_argument(spec: Spec, name: str) -> tuple[Any, str]:
    """(default, annotation) of a module option, or of a kind's own option."""
    for o in getattr(spec, "options", ()):
        if o.name == name:
            return o.default, o.annotation
    if name == "dim" and isinstance(spec, KindSpec):
        return spec.default_dim, "int"
    return _OPTIONS[name]


def _argument(spec: Spec, torch_sig: TorchSignature | None, name: str) -> tuple[Any, str]:
    """(default, annotation) of one constructor argument."""
    target = torch_sig.renames.get(name, name) if torch_sig else name
    if torch_sig and name in torch_sig.defaults:
        default = torch_sig.defaults[name]
    elif target in spec.param_names:
        default = spec.defaults[target]
    else:
        default = _OPTIONS[target][0]
    if name in _TORCH_ANNOTATIONS:
        return default, _TORCH_ANNOTATIONS[name]
    annotation = "float" if target in spec.param_names else _OPTIONS[target][1]
    if default is None and "None" not in annotation:  # torch's "not given" (Softmax's dim)
        annotation += " | None"
    return default, annotation


def init_signature(spec: Spec) -> inspect.Signature:
    """The constructor signature of ``spec``'s module class (with ``self``).

    With a torch counterpart: torch's arguments in torch's order and defaults, then actlab's
    options as keywords. Otherwise: the spec's parameters, then the options. The runtime
    classes and the generated ``nn.pyi`` both come from here.
    """
    torch_sig = BY_SPEC.get(spec.name)
    params = [_P("self", _P.POSITIONAL_OR_KEYWORD)]
    if torch_sig and torch_sig.ignore_args:  # torch.nn.Identity(*args, **kwargs): all ignored
        params += [_P("args", _P.VAR_POSITIONAL, annotation="Any"),
                   _P("kwargs", _P.VAR_KEYWORD, annotation="Any")]
        return inspect.Signature(params, return_annotation="None")
    positional = torch_sig.args if torch_sig else spec.param_names
    for name in positional:
        default, annotation = _argument(spec, torch_sig, name)
        params.append(_P(name, _P.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation))
    for name in _options(spec):
        if name in positional:
            continue
        default, annotation = _option_argument(spec, name)
        if torch_sig and name in torch_sig.renames.values():  # e.g. PReLU's num_channels alias
            default, annotation = None, f"{annotation} | None"
        params.append(_P(name, _P.KEYWORD_ONLY, default=default, annotation=annotation))
    return inspect.Signature(params, return_annotation="None")


def _constructor_arguments(
    spec: Spec, signature: inspect.Signature, arguments: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Translate bound constructor arguments into (catalog name, ``Activation`` keywords)."""
    torch_sig = BY_SPEC.get(spec.name)
    name, kwargs = spec.name, {}
    for arg, value in arguments.items():
        if value is None and signature.parameters[arg].default is None:
            continue  # an optional spelling left out (Hardtanh's min_value, PReLU's num_channels)
        if torch_sig and arg in torch_sig.variants:
            choices = torch_sig.variants[arg]
            if value not in choices:
                raise ValueError(
                    f"{class_name(spec.name)}: {arg}={value!r} is not supported; "
                    f"use one of {', '.join(map(repr, choices))} (as torch.nn.{torch_sig.torch_class})"
                )
            name = choices[value]
        elif torch_sig and arg in torch_sig.checks:
            torch_sig.checks[arg](value)
        else:
            kwargs[torch_sig.renames.get(arg, arg) if torch_sig else arg] = value
    return name, kwargs


def _module_class(spec: Spec) -> type[Activation]:
    signature = init_signature(spec)
    torch_sig = BY_SPEC.get(spec.name)
    cls_name = class_name(spec.name)

    def __init__(self: Activation, *args: Any, **kwargs: Any) -> None:
        if torch_sig is not None and torch_sig.ignore_args:
            Activation.__init__(self, spec)
            return
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as e:
            plain = [p.replace(annotation=p.empty) for p in list(signature.parameters.values())[1:]]
            shown = str(signature.replace(parameters=plain, return_annotation=inspect.Signature.empty))
            raise TypeError(f"{cls_name}: {e}; it takes {shown}") from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments["self"]
        name, options = _constructor_arguments(spec, signature, arguments)
        Activation.__init__(self, name, **options)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls_name}.__init__"
    doc = spec.doc() + "\n\nModule options: " + ", ".join(_options(spec) or ["none"])
    doc += " (see actlab.nn.Activation)."
    if torch_sig is not None:
        doc += (f"\n\nTakes torch.nn.{torch_sig.torch_class}'s arguments with the same meaning "
                f"and defaults; see actlab.compat.TORCH_SIGNATURES.")
        if spec.name == "softplus":
            doc += (" threshold: accepted for compatibility from 20 up. actlab computes the exact "
                    "softplus everywhere; where torch switches to x (beta*x > threshold) the two "
                    "differ by less than e^-threshold/beta, below float32 rounding from 20 up. A "
                    "smaller threshold is refused (it is another function).")
    return type(cls_name, (Activation,), {
        "__init__": __init__, "__doc__": doc, "__module__": __name__, "__qualname__": cls_name,
        "_spec_name": spec.name,
    })


# Every catalog entry is a real module-level class (pickle finds it by qualified name; static
# tools read nn.pyi, which ``python -m actlab._stubs`` generates from the same specs).
_CLASSES: dict[str, type[Activation]] = {}
for _spec in registry.specs():
    _CLASSES[class_name(_spec.name)] = globals()[class_name(_spec.name)] = _module_class(_spec)
del _spec


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:  # an alias such as "Swish1" or a lower-case name
        return _CLASSES[class_name(registry.get_spec(name).name)]
    except ValueError as e:
        raise AttributeError(f"actlab.nn has no module '{name}': {e}") from None


def __dir__() -> list[str]:
    return sorted(globals())


# ------------------------------------------------------------------------- replace_activations
ModuleFactory = nn.Module | type | str | Callable[[], nn.Module] | None


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


def _torch_signature(module: nn.Module) -> TorchSignature | None:
    """The table entry of ``module``'s class if it is exactly a torch.nn activation class."""
    torch_sig = TORCH_SIGNATURES.get(type(module).__name__)
    if torch_sig is None or getattr(nn, torch_sig.torch_class, None) is not type(module):
        return None  # a subclass may override forward: its math is unknown
    return torch_sig


def from_torch(module: nn.Module) -> Activation:
    """The actlab module computing exactly what the ``torch.nn`` activation ``module`` computes.

    Its constructor arguments carry over (GELU's ``approximate``, LeakyReLU's slope, ELU's alpha,
    Softplus's beta, ...), PReLU's weights are copied (and stay trainable or frozen as they
    were), and so does train/eval mode. A module with no exact actlab equivalent raises.
    """
    torch_sig = _torch_signature(module)
    if torch_sig is None:
        known = ", ".join(sorted(TORCH_SIGNATURES))
        raise ValueError(
            f"{type(module).__module__}.{type(module).__qualname__} has no exact actlab equivalent "
            f"(actlab maps these torch.nn classes exactly: {known}); pass `new` explicitly "
            f"to swap it for another activation on purpose"
        )
    kwargs: dict[str, Any] = {a: getattr(module, a) for a in torch_sig.args if hasattr(module, a)}
    tensors = {name: getattr(module, name) for name in torch_sig.weights}
    for t in tensors.values():  # PReLU's weight: created where and as torch's is
        kwargs.update(device=t.device, dtype=t.dtype)
    new = _CLASSES[class_name(torch_sig.spec)](**kwargs)
    with torch.no_grad():
        for torch_name, ours in torch_sig.weights.items():
            source, target = tensors[torch_name], getattr(new, ours)
            target.copy_(source.detach().reshape(target.shape))
            target.requires_grad_(source.requires_grad)
    return new.train(module.training)


def _counterpart(new: ModuleFactory, module: nn.Module) -> bool:
    """Whether ``new`` names the actlab counterpart of the torch module ``module``'s class."""
    torch_sig = _torch_signature(module)
    if torch_sig is None:
        return False
    if isinstance(new, str):
        try:
            return registry.get_spec(new).name == torch_sig.spec
        except ValueError:
            return False
    return isinstance(new, type) and getattr(new, "_spec_name", None) == torch_sig.spec


def _build(new: ModuleFactory, old_module: nn.Module) -> nn.Module:
    if new is None or _counterpart(new, old_module):
        return from_torch(old_module)
    if isinstance(new, nn.Module):
        return copy.deepcopy(new)
    if isinstance(new, str):
        return Activation(new)
    return new()


def replace_activations(model: nn.Module, old: type | str, new: ModuleFactory = None) -> int:
    """Swap every activation module of ``model`` matching ``old`` for ``new``.

    Args:
        model: any ``nn.Module``; changed in place (only if every replacement can be built).
        old: a module class (``torch.nn.ReLU``) or a name (``"relu"``, ``"ReLU"``, an alias).
        new: ``None`` (default): each matched torch module becomes the actlab module with
            exactly the same math, variant, arguments and weights included (:func:`from_torch`;
            ``nn.GELU(approximate="tanh")`` -> gelu_tanh, LeakyReLU's slope, PReLU's weights),
            or a clear error where actlab has no exact equivalent. The same happens when
            ``new`` names the torch module's counterpart (``"gelu"`` or ``actlab.nn.GELU`` for
            an ``nn.GELU``): a tanh GELU never silently becomes the exact one. Any other
            ``new`` swaps on purpose: a module (deep-copied per replacement), a class or factory
            called with no arguments, or an activation name.

    Returns:
        How many modules were replaced.
    """
    if isinstance(old, str) and not hasattr(nn, old):
        registry.get_spec(old)  # an unknown name fails here, with suggestions
    targets: list[tuple[nn.Module, str, nn.Module]] = []

    def collect(parent: nn.Module) -> None:
        for name, child in parent.named_children():
            if _matches(child, old):
                if new is None and isinstance(child, Activation):
                    continue  # already actlab's
                targets.append((parent, name, _build(new, child)))
            else:
                collect(child)

    collect(model)  # build every replacement first: a refusal leaves the model unchanged
    for parent, name, module in targets:
        setattr(parent, name, module)
    return len(targets)


# ------------------------------------------------------------------ timm / Hugging Face lookups
class UnknownActivationError(KeyError, ValueError):
    """An activation name that is not known, or known to have no exact actlab equivalent.

    A ``KeyError`` (as ``ACT2FN[name]`` raises in Hugging Face) and a ``ValueError`` (as
    actlab's other lookups raise).
    """

    def __str__(self) -> str:  # KeyError's own str() would quote the whole message
        return str(self.args[0])


def _normal(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _lookup(name: str) -> type[Activation]:
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}")
    key = _normal(name)
    if key in REFUSED_NAMES:
        raise UnknownActivationError(f"'{name}' has no exact actlab equivalent: {REFUSED_NAMES[key]}.")
    try:
        spec = registry.get_spec(LIBRARY_NAMES.get(key, key))
    except ValueError:
        close = difflib.get_close_matches(key, list(activation_names()), n=5, cutoff=0.6)
        close += [n for n in registry.suggestions(key) if n not in close]
        hint = f" Did you mean: {', '.join(close[:5])}?" if close else ""
        raise UnknownActivationError(
            f"unknown activation '{name}'.{hint} actlab.nn.activation_names() lists the "
            f"{len(activation_names())} names it accepts (actlab's, timm's and Hugging Face's)."
        ) from None
    return _CLASSES[class_name(spec.name)]


def activation_names() -> list[str]:
    """Every name ``get_act_layer``/``ACT2FN`` accept: catalog names, aliases, timm/HF names."""
    names = {n for s in registry.specs() for n in (s.name, *s.aliases)} | set(LIBRARY_NAMES)
    return sorted(names - set(REFUSED_NAMES))


def get_act_layer(name: str | type | Callable[..., nn.Module] | None) -> Any:
    """The module class for an activation name, as timm's ``get_act_layer``.

    ``get_act_layer("swiglu")`` is ``actlab.nn.SwiGLU``; ``"swish"`` and ``"silu"`` are
    ``actlab.nn.SiLU``, ``"gelu_new"`` and ``"gelu_pytorch_tanh"`` ``actlab.nn.GeluTanh``, ...:
    every name maps to the catalog entry computing exactly the same function (see
    :data:`actlab.compat.LIBRARY_NAMES`). ``None`` gives ``None`` and a class or callable is
    returned unchanged, as in timm. An unknown name, or one with no exact equivalent (e.g.
    Hugging Face's ``laplace``), raises :class:`UnknownActivationError` naming close names.
    """
    if name is None or isinstance(name, type) or callable(name):
        return name
    return _lookup(name)


class _ActivationNames(Mapping[str, nn.Module]):
    """``ACT2FN[name]``: a new module instance per lookup, as Hugging Face's ``ACT2FN``."""

    def __getitem__(self, name: str) -> nn.Module:
        return _lookup(name)()

    def __contains__(self, name: object) -> bool:
        try:
            _lookup(name)  # type: ignore[arg-type]
        except (UnknownActivationError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(activation_names())

    def __len__(self) -> int:
        return len(activation_names())

    def __repr__(self) -> str:
        return f"ACT2FN({len(self)} names; actlab.nn.activation_names() lists them)"


ACT2FN: Mapping[str, nn.Module] = _ActivationNames()

__all__ = [
    "ACT2FN", "Activation", "ModuleFactory", "UnknownActivationError", "activation_names",
    "class_name", "from_torch", "get_act_layer", "init_signature", "replace_activations", *_CLASSES,
]
