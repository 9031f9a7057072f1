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
        """The chosen activations (catalog order); ``elementwise``: only the elementwise ones
        (not the stochastic RReLU, nor those built from an elementwise one or of other kinds)."""
        import actlab
        from actlab.composite import RandomizedSpec
        from actlab.spec import ActivationSpec

        chosen = [actlab.get_spec(n).name for n in self.names] if self.names else actlab.names()
        if not elementwise:
            return chosen
        specs = [actlab.get_spec(n) for n in chosen]
        return [s.name for s in specs if isinstance(s, ActivationSpec) and not isinstance(s, RandomizedSpec)]


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
