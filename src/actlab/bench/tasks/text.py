r"""``text``: a small byte-level transformer language model on real text; metric bits per character.

Corpus (``corpus`` setting):

* ``enwiki`` (default): the 106 articles (namespace 0, redirects dropped) of the shortened
  English Wikipedia dump in gensim's test data
  (``gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2``,
  ``pip install gensim``), as raw wikitext: 5.73 M characters, 5.75 M UTF-8 bytes. The package
  folder is found with ``importlib.util.find_spec`` (gensim itself is not imported).
* ``kjv``: the King James Bible from Debian's ``bible-kjv`` (the ``bible`` program prints it).
* any other value: a path to a UTF-8 text file.

Every 10th document (article; for a plain file, every 10th block of 64 kB) is held out as the
test split, and every 10th document shifted by five as the validation split (used for tuning
and for choosing the evaluation step; the test split is read only in the test stage). The
model sees UTF-8 bytes (vocabulary 256) and is evaluated on the first ``eval_bytes`` bytes of a
split in non-overlapping windows of ``ctx`` bytes; bits per character is the summed
cross-entropy in bits over the number of predicted bytes that start a character (bytes that are
not UTF-8 continuation bytes ``10xxxxxx``), so it is a true per-character figure even for
non-ASCII text.

Model: pre-LayerNorm GPT-style decoder (learned positions, causal attention, tied input/output
embedding, GPT-2 initialisation N(0, 0.02²) with residual projections scaled by
1/\sqrt{2·layers}). The feed-forward block is the one place the activation enters:

* elementwise f: ``W_2 f(W_1 x)``, ``W_1: d -> h``, ``W_2: h -> d``, ``h = ffn_mult · d``;
* gated (GLU family, a ⊗ g(b)): ``W_2 (x W ⊗ g(x V))`` with hidden size ``2h/3``, so that the
  three matrices hold as many parameters as the two of the elementwise block (Shazeer 2020,
  "GLU variants improve transformer", arXiv:2002.05202, §2). No biases in the block, as there.
* concatenated (CReLU, ``[f(z), f(-z)]``): hidden size ``2h/3`` too (``d·h' + 2h'·d = 2dh``).

Training: AdamW (β = 0.9, 0.95, no weight decay), linear warm-up over ``warmup`` steps then
cosine decay to 10 % of ``lr``, gradient norm clipped at 1, ``steps`` steps of ``batch`` random
windows (the run's seed draws them and the initial weights).
"""

from __future__ import annotations

import bz2
import importlib.util
import math
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import Task, make_activation, parse_activation, register

__all__ = [
    "ENWIKI",
    "HELD_OUT_EVERY",
    "Block",
    "ByteLM",
    "FeedForward",
    "TextData",
    "available",
    "build",
    "enwiki_articles",
    "ffn_hidden",
    "gensim_file",
    "load",
    "load_corpus"
]

ENWIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
HELD_OUT_EVERY = 10


@dataclass(frozen=True)
class TextData:
    train: torch.Tensor  # uint8 bytes
    val: torch.Tensor  # validation split
    n_chars: int  # characters in the whole corpus
    source: str
    test: torch.Tensor | None = None  # test split


def gensim_file(name: str) -> Path | None:
    spec = importlib.util.find_spec("gensim")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc) / "test" / "test_data" / name
        if p.is_file():
            return p
    return None


def enwiki_articles(path: Path) -> list[str]:
    """Wikitext of the namespace-0, non-redirect pages of a MediaWiki XML dump (.bz2)."""
    out = []
    with bz2.open(path) as f:
        for _, el in ET.iterparse(f, events=("end",)):
            if el.tag.rsplit("}", 1)[-1] != "page":
                continue
            ns, text = el.find("{*}ns"), el.find(".//{*}text")
            body = (text.text or "") if text is not None else ""
            if ns is not None and ns.text == "0" and not body.lstrip().upper().startswith("#REDIRECT"):
                out.append(body)
            el.clear()
    return out


def available(corpus: str = "enwiki") -> str | None:
    if corpus == "enwiki" and gensim_file(ENWIKI) is None:
        return "the Wikipedia text ships with gensim's test data: pip install gensim"
    if corpus == "kjv" and shutil.which("bible") is None:
        return "the King James Bible needs Debian's bible-kjv: apt-get install bible-kjv"
    if corpus not in ("enwiki", "kjv") and not Path(corpus).is_file():
        return f"text corpus file '{corpus}' not found"
    return None


@cache
def load_corpus(corpus: str) -> TextData:
    why = available(corpus)
    if why:
        raise ValueError(why)
    if corpus == "enwiki":
        docs = enwiki_articles(gensim_file(ENWIKI))  # type: ignore[arg-type]
        source = f"gensim test data {ENWIKI}"
    else:
        if corpus == "kjv":
            text = subprocess.run(["bible", "Gen1:1-Rev22:21"], capture_output=True, text=True,
                                  check=True).stdout
            source = "Debian bible-kjv"
        else:
            text = Path(corpus).read_text(encoding="utf-8")
            source = corpus
        docs = [text[i:i + 65536] for i in range(0, len(text), 65536)]
    role = {HELD_OUT_EVERY - 1: "test", HELD_OUT_EVERY // 2 - 1: "val"}
    split = lambda i: role.get(i % HELD_OUT_EVERY, "train")
    part = lambda name: "\n\n".join(d for i, d in enumerate(docs) if split(i) == name)
    as_bytes = lambda s: torch.frombuffer(bytearray(s.encode("utf-8")), dtype=torch.uint8)
    return TextData(as_bytes(part("train")), as_bytes(part("val")), sum(map(len, docs)), source,
                    as_bytes(part("test")))


def load(cfg: Mapping[str, Any]) -> TextData:
    return load_corpus(cfg["corpus"])


# ------------------------------------------------------------------------------------ model
def ffn_hidden(label: str, d_model: int, mult: int) -> int:
    """Hidden units of the feed-forward block: ``mult·d``, or ``round(2·mult·d/3)`` for gated
    activations (three matrices instead of two, same parameter count; Shazeer 2020) and for
    concatenated ones (the down projection reads twice the units)."""
    import actlab

    h = mult * d_model
    if actlab.get_spec(parse_activation(label)[0]).kind in ("gated", "concatenated"):
        return round(2 * h / 3)
    return h


class FeedForward(nn.Module):
    def __init__(self, label: str, d: int, mult: int) -> None:
        super().__init__()
        import actlab

        kind = actlab.get_spec(parse_activation(label)[0]).kind
        h = ffn_hidden(label, d, mult)
        self.up = nn.Linear(d, 2 * h if kind == "gated" else h, bias=False)
        self.act = make_activation(label, dim=-1)
        self.act.unit_dim = -1
        self.down = nn.Linear(2 * h if kind == "concatenated" else h, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.act(self.up(x)))


class Block(nn.Module):
    def __init__(self, label: str, d: int, heads: int, mult: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.ffn = FeedForward(label, d, mult)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.ffn(self.ln2(x))


class ByteLM(nn.Module):
    """Byte-level causal transformer; ``forward(idx) -> logits`` over 256 bytes."""

    def __init__(self, label: str, d: int, layers: int, heads: int, ctx: int, mult: int) -> None:
        super().__init__()
        if d % heads:
            raise ValueError(f"d_model ({d}) must be a multiple of heads ({heads})")
        self.tok = nn.Embedding(256, d)
        self.pos = nn.Parameter(torch.zeros(ctx, d))
        self.blocks = nn.ModuleList(Block(label, d, heads, mult) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("proj.weight", "down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.ln(x) @ self.tok.weight.T


def build(label: str, cfg: Mapping[str, Any], data: Any) -> nn.Module:
    return ByteLM(label, cfg["d_model"], cfg["layers"], cfg["heads"], cfg["ctx"], cfg["ffn_mult"])


register(Task(
    "text", "nlp", "bpc", "lm",
    "byte-level transformer LM on Wikipedia wikitext (5.7 M chars), bits per character held out",
    "gensim test data (pip install gensim)",
    {"corpus": "enwiki", "d_model": 96, "layers": 2, "heads": 4, "ctx": 64, "ffn_mult": 4,
     "batch": 32, "steps": 400, "lr": 2e-3, "warmup": 50, "eval_every": 100, "eval_bytes": 65536,
     "probe": 8, "stage": "test", "protocol": "none"},
    load, build, available=lambda: available("enwiki"),
))
