"""The types every report section is made of: :class:`Options` (what the whole report is built
for) and :class:`Section` (how one section is computed and drawn), plus :func:`chunks`, which
splits a section's work into parts. The protocol is described in :mod:`actlab.report.sections`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Options", "Section", "chunks"]


@dataclass(frozen=True)
class Options:
    """What the whole report is built for. ``names``: restrict per-activation sections to these
    (None: the whole catalog); ``quick``: smaller grids and fewer runs everywhere."""

    quick: bool = False
    names: tuple[str, ...] | None = None

    def activations(self, elementwise: bool = False) -> list[str]:
        """The chosen activations (catalog order) that the per-activation sections cover: the
        elementwise ones (RReLU included) and those built from one (GLU family, CReLU). With
        ``elementwise``: only the elementwise ones, without RReLU."""
        import actlab
        from actlab.composite import RandomizedSpec, is_composite
        from actlab.spec import ActivationSpec

        chosen = [actlab.get_spec(n) for n in self.names] if self.names else actlab.specs()
        if elementwise:
            return [s.name for s in chosen
                    if isinstance(s, ActivationSpec) and not isinstance(s, RandomizedSpec)]
        return [s.name for s in chosen if isinstance(s, ActivationSpec) or is_composite(s)]


@dataclass(frozen=True)
class Section:
    """One section of the report (see :mod:`actlab.report.sections` for the protocol)."""

    key: str
    title: str
    compute: Callable[[Options, Any], dict[str, Any]]
    render: Callable[[dict[str, Any], Options], Any]
    parts: Callable[[Options], list[Any]] | None = None
    intro: str = ""
    order: float = 100.0
    required: bool = False
    in_quick: bool = True  # False: --quick leaves it out (with a note saying how to get it)
    weight: float = 1.0  # rough worker-seconds of the whole section (--quick, cold cache): the
    # scheduler gives each part weight / parts and starts the heaviest parts first


def chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` dealt round-robin into at most ``n`` non-empty lists (mixes cheap and dear)."""
    n = max(1, min(n, len(items)))
    return [list(items[i::n]) for i in range(n)] if items else []
