"""Gated linear units: the input is split in two halves [a, b] along ``dim`` and the output is
a ⊗ g(b), half the size. The gate g is another spec of the catalog, which supplies g, g' and
the oracle; functional.py and autograd.py do the split and the product."""

from __future__ import annotations

import torch.nn.functional as F

from ._define import gated

__all__: list[str] = []  # importing this module registers its activations; nothing else is public

SHAZEER = "Shazeer 2020, GLU variants improve transformer, arXiv:2002.05202"

gated(
    "glu", gate="sigmoid",
    summary="Gated linear unit a ⊗ σ(b): the first half of the input gated by the sigmoid of the "
    "second.",
    citation="Dauphin, Fan, Auli & Grangier 2017, Language modeling with gated convolutional "
    "networks, ICML",
    native=lambda x: F.glu(x, dim=-1),
)

gated(
    "reglu", gate="relu",
    summary="ReGLU a ⊗ max(b, 0): GLU with a ReLU gate.",
    citation=SHAZEER,
)

gated(
    "geglu", gate="gelu",
    summary="GEGLU a ⊗ GELU(b): GLU with a GELU gate (exact, erf form).",
    citation=SHAZEER,
)

gated(
    "swiglu", gate="silu",
    summary="SwiGLU a ⊗ SiLU(b): GLU with a Swish (β = 1) gate, as in PaLM and LLaMA.",
    citation=SHAZEER,
)

gated(
    "bilinear", gate="identity",
    summary="Bilinear a ⊗ b: GLU with no nonlinearity, the product of the two halves.",
    citation=SHAZEER,
)
