"""The kinds that hold weights: FReLU (a spatial condition), Dynamic ReLU (an input-conditioned
piecewise-linear function) and PAU (a learnable rational function).

Each is a :class:`~actlab.kinds.KindSpec` whose tensor arguments (:class:`~actlab.kinds.Weight`)
an ``actlab.nn`` module creates and learns; ``actlab.functional.<name>`` takes them as keywords.
FReLU and Dynamic ReLU are compositions of torch ops (convolution, batch norm, linear layers, a
maximum) whose autograd is torch's; PAU has its own Function with the analytic derivatives in x
and in every coefficient, and an analytic ``jvp``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from .fused import differentiated, rational
from .kinds import KindSpec, check_dim
from .spec import Kind, compute_dtype

__all__ = ["DynamicSpec", "FunnelSpec", "RationalSpec", "pau_function"]


def _values(spec: KindSpec, values: tuple[Any, ...]) -> dict[str, Any]:
    named = dict(zip(spec.argument_names, values))
    spec.required(named)
    return named


def _shape_error(spec: KindSpec, name: str, got: torch.Tensor, want: tuple[int, ...], why: str,
                 channels: int | None = None) -> ValueError:
    fix = f", or build the module with num_channels={channels}" if channels else ""
    return ValueError(f"{spec.name}: '{name}' has shape {tuple(got.shape)}, but {why} it needs {want}; "
                      f"pass one of that shape{fix}")


# ----------------------------------------------------------------------------------------- FReLU
@dataclass(frozen=True, eq=False, kw_only=True)
class FunnelSpec(KindSpec):
    """FReLU: ``max(x, T(x))`` on images (N, C, H, W), T a depthwise k×k convolution followed by
    batch norm (when its statistics or affine weights are given)."""

    kind: ClassVar[Kind] = "funnel"
    takes_dim: ClassVar[bool] = False
    takes_training: ClassVar[bool] = True
    needs_channels: ClassVar[bool] = True

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        v = _values(self, values)
        weight = v["weight"]
        if x.dim() != 4:
            raise ValueError(f"{self.name}: takes images shaped (N, C, H, W), got a {x.dim()}-d tensor "
                             f"{tuple(x.shape)}; reshape it (e.g. x[None] for one image)")
        c = x.shape[1]
        k = weight.shape[-1] if weight.dim() == 4 else 0
        if weight.dim() != 4 or tuple(weight.shape) != (c, 1, k, k) or k % 2 == 0:
            raise _shape_error(self, "weight", weight, (c, 1, 3, 3),
                               f"for {c} input channels (a depthwise odd k×k kernel)", c)
        for name in ("bn_weight", "bn_bias", "running_mean", "running_var"):
            if v[name] is not None and tuple(v[name].shape) != (c,):
                raise _shape_error(self, name, v[name], (c,), f"for {c} channels", c)
        dtype = compute_dtype(x.dtype)
        xc = x.to(dtype)
        t = F.conv2d(xc, weight.to(dtype), None, padding=k // 2, groups=c)
        mean, var = v["running_mean"], v["running_var"]
        if (mean is None) != (var is None):
            raise ValueError(f"{self.name}: give both running_mean and running_var, or neither")
        if mean is not None and (mean.dtype != dtype or var.dtype != dtype):
            raise TypeError(
                f"{self.name}: the running statistics are {str(mean.dtype).replace('torch.', '')} but a "
                f"{str(x.dtype).replace('torch.', '')} input computes in {str(dtype).replace('torch.', '')} "
                f"(they are updated in place, so not cast); build the module with that dtype or call "
                f".to({dtype!s}) on it"
            )
        bn_w, bn_b = v["bn_weight"], v["bn_bias"]
        if mean is not None or bn_w is not None or bn_b is not None:
            t = F.batch_norm(t, mean, var, None if bn_w is None else bn_w.to(dtype),
                             None if bn_b is None else bn_b.to(dtype), training or mean is None, 0.1, 1e-5)
        return torch.maximum(xc, t).to(x.dtype)


# --------------------------------------------------------------------------------- Dynamic ReLU
@dataclass(frozen=True, eq=False, kw_only=True)
class DynamicSpec(KindSpec):
    """DY-ReLU-B: per sample and channel c, ``y_c = max_k (a_c^k x_c + b_c^k)`` with the 2K
    coefficients of each channel computed from the input by a small hypernetwork
    (global average pool → linear → ReLU → linear → 2σ(·) − 1), around a ReLU:
    ``a^k = α^k + λ_a Δa^k`` (α¹ = 1, α^(k>1) = 0), ``b^k = λ_b Δb^k``."""

    kind: ClassVar[Kind] = "dynamic"
    needs_channels: ClassVar[bool] = True

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = 1,
              training: bool = False) -> torch.Tensor:
        v = _values(self, values)
        check_dim(self, x, dim)
        d = dim % x.dim()
        if x.dim() < 2 or d == 0:
            raise ValueError(f"{self.name}: needs a batch dim 0 and channels along dim={dim} (not 0), got "
                             f"shape {tuple(x.shape)}; pass dim=1 for (N, C, ...) or dim=-1 for (N, ..., C)")
        c, pieces = x.shape[d], v["pieces"]
        w1, b1, w2, b2 = v["fc1_weight"], v["fc1_bias"], v["fc2_weight"], v["fc2_bias"]
        hidden = w1.shape[0] if w1.dim() == 2 else 0
        coefficients = 2 * pieces * c
        for name, t, want in (("fc1_weight", w1, (hidden, c)), ("fc1_bias", b1, (hidden,)),
                              ("fc2_weight", w2, (coefficients, hidden)), ("fc2_bias", b2, (coefficients,))):
            if tuple(t.shape) != want or hidden == 0:
                raise _shape_error(self, name, t, want, f"for {c} channels and pieces={pieces}", c)
        dtype = compute_dtype(x.dtype)
        xm = x.to(dtype).movedim(d, 1)  # (N, C, ...)
        context = xm.mean(dim=tuple(range(2, xm.dim()))) if xm.dim() > 2 else xm
        hid = F.relu(F.linear(context, w1.to(dtype), b1.to(dtype)))
        theta = 2 * torch.sigmoid(F.linear(hid, w2.to(dtype), b2.to(dtype))) - 1
        theta = theta.view(x.shape[0], c, 2 * pieces)
        alpha = torch.zeros(pieces, dtype=dtype, device=x.device)
        alpha[0] = 1.0
        a = alpha + v["lambda_a"] * theta[..., :pieces]
        b = v["lambda_b"] * theta[..., pieces:]
        shape = (x.shape[0], c, *([1] * (xm.dim() - 2)), pieces)
        y = (xm.unsqueeze(-1) * a.view(shape) + b.view(shape)).amax(-1)
        return y.movedim(1, d).to(x.dtype)


# ------------------------------------------------------------------------------------------ PAU
@dataclass(frozen=True, eq=False, kw_only=True)
class RationalSpec(KindSpec):
    """PAU: ``P(x) / (1 + |Σ_{k=1}^n b_k x^k|)`` with ``P(x) = Σ_{j=0}^m a_j x^j``, elementwise in x,
    its coefficients shared by all elements (one set per module). Eager calls take compiled
    kernels where :mod:`actlab.fused.rational` allows (the forward, and a backward writing the
    gradients of x and of every coefficient in one pass)."""

    kind: ClassVar[Kind] = "rational"
    takes_dim: ClassVar[bool] = False

    def apply(self, x: torch.Tensor, values: tuple[Any, ...] = (), dim: int = -1,
              training: bool = False) -> torch.Tensor:
        v = _values(self, values)
        num, den = v["numerator"], v["denominator"]
        if num.dim() != 1 or num.numel() == 0:
            raise _shape_error(self, "numerator", num, (6,), "as a_0..a_m (m = 5 by default)")
        if den.dim() != 1 or den.numel() == 0:
            raise _shape_error(self, "denominator", den, (4,), "as b_1..b_n (n = 4 by default)")
        if torch.compiler.is_compiling():
            return _PAU_COMPILED.apply(x, num, den)
        if not torch._C._are_functorch_transforms_active() and not differentiated(x, (num, den)):
            return _pau_forward(x, num, den)  # inference: no Function
        return _PAU.apply(x, num, den)


def _powers(x: torch.Tensor, n: int) -> list[torch.Tensor]:
    out = [torch.ones_like(x), x]
    while len(out) <= n:
        out.append(out[-1] * x)
    return out[: n + 1]


def _pau_parts(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> dict[str, Any]:
    """P, P', A = Σ b_k x^k, A', Q = 1 + |A| and the powers of x, in differentiable torch ops."""
    m, n = num.numel() - 1, den.numel()
    pw = _powers(x, max(m, n))
    p = sum(num[j] * pw[j] for j in range(m + 1))
    dp = sum(j * num[j] * pw[j - 1] for j in range(1, m + 1)) if m else torch.zeros_like(x)
    a = sum((den[k - 1] * pw[k] for k in range(2, n + 1)), den[0] * pw[1])
    da = sum((k * den[k - 1] * pw[k - 1] for k in range(2, n + 1)), den[0] * pw[0])
    return {"pw": pw, "p": p, "dp": dp, "s": torch.sign(a), "da": da, "q": 1 + a.abs()}


def pau_value(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """P(x) / (1 + |A(x)|), by Horner's rule (in the dtype of x)."""
    p = torch.zeros_like(x) + num[-1]
    for c in num.flip(0)[1:]:
        p = p * x + c
    a = torch.zeros_like(x) + den[-1]
    for c in den.flip(0)[1:]:
        a = a * x + c
    return p / (1 + (a * x).abs())


def _cast(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> tuple[torch.Tensor, ...]:
    dtype = compute_dtype(x.dtype)
    return x.to(dtype), num.to(dtype), den.to(dtype)


def _pau_forward(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """The value: the compiled kernel where :mod:`actlab.fused.rational` says one serves, else
    Horner's rule eagerly."""
    y = rational.forward(x, num, den)
    return pau_value(*_cast(x, num, den)).to(x.dtype) if y is None else y


def _pau_function(forward_mode: bool) -> type[torch.autograd.Function]:
    # forward_mode: the Function of eager calls and torch.func (kernels where fused.rational
    # allows: never under a transform); else the one dynamo traces (eager maths only)
    class Fn(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
            if forward_mode:
                return _pau_forward(x, num, den)
            return pau_value(*_cast(x, num, den)).to(x.dtype)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
            ctx.save_for_backward(*inputs)
            if forward_mode:
                ctx.save_for_forward(*inputs)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            x, num, den = ctx.saved_tensors
            fast = rational.backward(x, grad, num, den) if forward_mode else None
            if fast is not None:  # one kernel pass: g·f'(x) and every coefficient's sum
                return tuple(t if need else None for t, need in zip(fast, ctx.needs_input_grad))
            xc, nc, dc = _cast(x, num, den)
            r = _pau_parts(xc, nc, dc)
            g = grad.to(xc.dtype)
            dq = r["s"] / (r["q"] * r["q"])  # d(1/Q)/dA · (−1)
            gx = gn = gd = None
            if ctx.needs_input_grad[0]:
                gx = (g * (r["dp"] / r["q"] - r["p"] * dq * r["da"])).to(x.dtype)
            if ctx.needs_input_grad[1]:
                gq = g / r["q"]
                gn = torch.stack([(gq * r["pw"][j]).sum() for j in range(num.numel())]).to(num.dtype)
            if ctx.needs_input_grad[2]:
                gp = -g * r["p"] * dq
                gd = torch.stack([(gp * r["pw"][k]).sum() for k in range(1, den.numel() + 1)]).to(den.dtype)
            return gx, gn, gd

    if forward_mode:
        def jvp(ctx: Any, x_t: torch.Tensor | None, num_t: torch.Tensor | None,
                den_t: torch.Tensor | None) -> torch.Tensor:
            x, num, den = ctx.saved_tensors
            xc, nc, dc = _cast(x, num, den)
            r = _pau_parts(xc, nc, dc)
            dq = r["s"] / (r["q"] * r["q"])
            out = torch.zeros_like(xc)
            if x_t is not None:
                out = out + x_t.to(xc.dtype) * (r["dp"] / r["q"] - r["p"] * dq * r["da"])
            if num_t is not None:
                out = out + sum(num_t[j].to(xc.dtype) * r["pw"][j] for j in range(num.numel())) / r["q"]
            if den_t is not None:
                out = out - r["p"] * dq * sum(den_t[k - 1].to(xc.dtype) * r["pw"][k]
                                               for k in range(1, den.numel() + 1))
            return out.to(x.dtype)

        setattr(Fn, "jvp", staticmethod(jvp))  # noqa: B010 - only the forward-mode twin has one

    Fn.__name__ = Fn.__qualname__ = f"pau_{'transform' if forward_mode else 'compiled'}_function"
    return Fn


_PAU = _pau_function(True)
_PAU_COMPILED = _pau_function(False)


def pau_function() -> type[torch.autograd.Function]:
    """The PAU autograd Function: ``apply(x, numerator, denominator)``."""
    return _PAU


def linear_init(fan_in: int) -> Any:
    """``nn.Linear``'s default initialisation of a weight or bias with ``fan_in`` inputs."""
    bound = 1 / max(fan_in, 1) ** 0.5

    def init(t: torch.Tensor, _: Mapping[str, Any]) -> None:
        with torch.no_grad():
            t.uniform_(-bound, bound)

    return init
