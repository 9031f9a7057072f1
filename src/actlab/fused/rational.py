"""PAU on the fast path: compiled kernels for ``P(x) / (1 + |A(x)|)`` with learned coefficients.

PAU's coefficient vectors (numerator ``a_0..a_m``, shape ``(m + 1,)``; denominator
``b_1..b_n``, shape ``(n,)``) are tensors, so the generic kernels of :mod:`.kernels` (0-d
parameters) cannot serve it. Eagerly its forward is Horner's rule, 2(m + n) small kernels, and
its backward builds every power of x and runs one reduction per coefficient: ~m + n + 10 passes
over memory. Here, as for the other learned parameters (:mod:`.learnable`):

    forward:   (x, num, den)     ->  P(x) / (1 + |A(x)|)                       (one pass)
    backward:  (x, g, num, den)  ->  (g·f'(x), [Σ g·∂f/∂a_j]_j, [Σ g·∂f/∂b_k]_k)   (one pass)

with ``A(x) = Σ_{k=1}^n b_k x^k``, the same maths as the eager path (Horner's rule, the safe
denominator ``1 + |A|``, ``torch.sign(A)`` as d|A|/dA, so 0 at A = 0). ``x`` is flat (any
contiguous shape viewed as 1-d), its size symbolic; the coefficients are kernel inputs in the
compute dtype (half types compute in float32 inside the kernel, the sums too). So there is one
kernel per (m, n, dtype, device), whatever the size of x and the values of the coefficients.

The same conditions as :mod:`.learnable` decide whether a call takes a kernel (mode not "off",
not traced or transformed, contiguous x on CPU/CUDA, coefficients on x's device, no double
backward), and in the default "auto" mode only a kernel compiled already
(``actlab.compile_kernels(model)``) serves; "force" compiles on first use. A kernel that cannot
be compiled is remembered as ``None`` (logged once) and the eager path serves.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch

from ..spec import compute_dtype
from .dispatch import _STATS, _device, _fusable
from .inductor import compile_kernel, compile_many
from .kernels import HINT, cached
from .settings import Settings, settings

__all__ = ["DIRECTIONS", "MAX_KERNELS", "backward", "clear", "compiled", "degrees_in", "forward", "get"]

MAX_KERNELS = 64
DIRECTIONS = ("forward", "backward")
NAME = "pau"  # the statistics key (``actlab.fused.stats()``)

Kernel = Callable[..., torch.Tensor | tuple[torch.Tensor, ...]]
Key = tuple[str, int, int, torch.dtype, str]  # (direction, m, n, dtype of x, device type)

_KERNELS: OrderedDict[Key, Kernel | None] = OrderedDict()


def compiled(direction: str, m: int, n: int, dtype: torch.dtype, device_type: str) -> Kernel | None:
    """The kernel for degrees ``(m, n)`` if compiled already (``None`` otherwise, or if it
    cannot compile)."""
    key = (direction, m, n, dtype, device_type)
    k = _KERNELS.get(key)
    if k is not None:
        _KERNELS.move_to_end(key)
    return k


def get(direction: str, m: int, n: int, dtype: torch.dtype, device: torch.device) -> Kernel | None:
    """The kernel, compiling it now if needed; ``None`` if it cannot be compiled here."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if m < 0 or n < 1:
        raise ValueError(f"PAU degrees must be m >= 0, n >= 1, got m={m}, n={n}")
    return cached(_KERNELS, (direction, m, n, dtype, device.type), MAX_KERNELS,
                  lambda: _build(direction, m, n, dtype, device), f"pau {direction} (m={m}, n={n}, {dtype})")


def clear() -> None:
    """Forget every compiled PAU kernel."""
    _KERNELS.clear()


def degrees_in(what: Any) -> set[tuple[int, int]]:
    """The degrees ``(m, n)`` of the PAUs of ``what``: a model's PAU modules (their coefficient
    shapes), or the default (5, 4) for PAU named (``"pau"``, its spec or a list holding one)."""
    from ..conditioned import RationalSpec
    from ..registry import get_spec

    if what is None:
        return set()
    if isinstance(what, torch.nn.Module):
        found = set()
        for mod in what.modules():
            num, den = getattr(mod, "numerator", None), getattr(mod, "denominator", None)
            if (isinstance(getattr(mod, "spec", None), RationalSpec) and isinstance(num, torch.Tensor)
                    and isinstance(den, torch.Tensor) and num.dim() == 1 and den.dim() == 1
                    and num.numel() >= 1 and den.numel() >= 1):
                found.add((num.numel() - 1, den.numel()))
        return found
    names = [what] if isinstance(what, str) or not hasattr(what, "__iter__") else list(what)
    if any(isinstance(get_spec(w), RationalSpec) for w in names):
        return {(5, 4)}  # the catalog's PAU: a_0..a_5, b_1..b_4
    return set()


# ------------------------------------------------------------------------------------ the maths
def _horner(c: torch.Tensor, count: int, x: torch.Tensor) -> torch.Tensor:
    """``Σ_{i<count} c[i] x^i`` by Horner's rule, as :func:`actlab.conditioned.pau_value`."""
    out = torch.zeros_like(x) + c[count - 1]
    for i in range(count - 2, -1, -1):
        out = out * x + c[i]
    return out


def _horner_derivative(c: torch.Tensor, count: int, x: torch.Tensor) -> torch.Tensor:
    """``d/dx Σ_{i<count} c[i] x^i = Σ_{1<=i<count} i c[i] x^(i-1)``."""
    if count < 2:
        return torch.zeros_like(x)
    out = torch.zeros_like(x) + (count - 1) * c[count - 1]
    for i in range(count - 2, 0, -1):
        out = out * x + i * c[i]
    return out


def _forward(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor, m: int, n: int) -> torch.Tensor:
    xc = x.to(num.dtype)
    p = _horner(num, m + 1, xc)
    a = _horner(den, n, xc) * xc  # A(x) = x · Σ b_{k+1} x^k
    return (p / (1 + a.abs())).to(x.dtype)


def _backward(x: torch.Tensor, g: torch.Tensor, num: torch.Tensor, den: torch.Tensor, m: int,
              n: int) -> tuple[torch.Tensor, ...]:
    xc, gc = x.to(num.dtype), g.to(num.dtype)
    p, dp = _horner(num, m + 1, xc), _horner_derivative(num, m + 1, xc)
    a = _horner(den, n, xc) * xc
    # A'(x) = Σ k b_k x^(k-1): Horner on (1·b_1, 2·b_2, ...)
    da = torch.zeros_like(xc) + n * den[n - 1]
    for k in range(n - 1, 0, -1):
        da = da * xc + k * den[k - 1]
    q = 1 + a.abs()
    dq = torch.sign(a) / (q * q)  # -d(1/Q)/dA
    grad_x = (gc * (dp / q - p * dq * da)).to(x.dtype)
    gq, gp = gc / q, -gc * p * dq
    grad_num, grad_den, pw = [gq.sum()], [], xc
    for j in range(1, max(m, n) + 1):  # x^j once for both: Σ g/Q·x^j (j <= m), Σ gp·x^j (j <= n)
        if j <= m:
            grad_num.append((gq * pw).sum())
        if j <= n:
            grad_den.append((gp * pw).sum())
        pw = pw * xc
    return (grad_x, torch.stack(grad_num), torch.stack(grad_den))


def _build(direction: str, m: int, n: int, dtype: torch.dtype, device: torch.device) -> Kernel:
    cdt = compute_dtype(dtype)
    # distinct example sizes: equal sizes would share one symbol (x's size tied to num's)
    size = HINT + m + n  # at HINT-like sizes (kernels.HINT: what inductor's choices assume)
    x = torch.rand(size, dtype=dtype, device=device)
    num = torch.rand(m + 1, dtype=cdt, device=device)
    den = torch.rand(n, dtype=cdt, device=device)
    name = f"pau_{direction}_{m}_{n}"
    if direction == "forward":
        def forward_fn(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
            return _forward(x, num, den, m, n)

        return compile_kernel(forward_fn, (x, num, den), name)

    def backward_fn(x: torch.Tensor, g: torch.Tensor, num: torch.Tensor,
                    den: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return _backward(x, g, num, den, m, n)

    return compile_many(backward_fn, (x, torch.rand_like(x), num, den), name)


# -------------------------------------------------------------------------------------- calls
def _active(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> Settings | None:
    if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return None
    s = settings()
    if s.mode == "off" or not _device(x) or not _fusable(x, s):
        return None
    if num.device != x.device or den.device != x.device or num.dim() != 1 or den.dim() != 1:
        return None
    if num.numel() < 1 or den.numel() < 1:
        return None
    return s


def _kernel(direction: str, x: torch.Tensor, num: torch.Tensor, den: torch.Tensor,
            s: Settings) -> Kernel | None:
    m, n = num.numel() - 1, den.numel()
    if s.mode == "force":
        return get(direction, m, n, x.dtype, x.device)
    return compiled(direction, m, n, x.dtype, _device(x))


def _coefficients(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    cdt = compute_dtype(x.dtype)
    return num.detach().to(cdt).contiguous(), den.detach().to(cdt).contiguous()


def forward(x: torch.Tensor, num: torch.Tensor, den: torch.Tensor) -> torch.Tensor | None:
    """PAU's value at ``x`` (in x's dtype) by the compiled kernel, or ``None``: take the eager
    path."""
    s = _active(x, num, den)
    if s is None:
        return None
    k = _kernel("forward", x, num, den, s)
    if k is None:
        return None
    y = k(x.detach().view(-1), *_coefficients(x, num, den))
    _STATS[NAME, "forward", "fused"] += 1
    assert isinstance(y, torch.Tensor)
    return y.view(x.shape)


def backward(x: torch.Tensor, grad: torch.Tensor, num: torch.Tensor,
             den: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """``(g·f'(x), Σ g·∂f/∂a (num's dtype), Σ g·∂f/∂b (den's dtype))`` in one kernel pass, or
    ``None``: take the eager path (also when a graph is being built: double backward)."""
    s = _active(x, num, den)
    if s is None or torch.is_grad_enabled():
        return None
    if grad.shape != x.shape or grad.dtype != x.dtype or grad.device != x.device:
        return None
    k = _kernel("backward", x, num, den, s)
    if k is None:
        return None
    g = grad.detach() if grad.is_contiguous() else grad.detach().contiguous()
    out = k(x.detach().view(-1), g.view(-1), *_coefficients(x, num, den))
    assert isinstance(out, tuple)
    grad_x, grad_num, grad_den = out
    _STATS[NAME, "backward", "fused"] += 1
    return grad_x.view(x.shape), grad_num.to(num.dtype), grad_den.to(den.dtype)
