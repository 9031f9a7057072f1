"""The one output sink of the ``actlab`` command line.

Results go to stdout in one of three forms: a Rich table (the default), JSON (``--json``) or
plain text (one-line answers, Markdown, CSV). Diagnostics go to stderr: progress bars, "wrote
FILE", warnings and the one-line ``error:`` of a bad input. Commands build plain data (dicts
and lists of dicts) and hand it here; nothing else in ``actlab.cli`` opens a console.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["Cell", "cell", "err", "out"]

Cell = Callable[[Any], str]


def cell(v: Any, digits: int = 3) -> str:
    """A table cell: floats to ``digits`` significant digits, lists joined, None empty."""
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return "" if v is None else str(v)


class Output:
    """Where the command line writes: ``out`` for results (stdout), ``err`` for diagnostics."""

    def __init__(self, stderr: bool = False) -> None:
        width = None if stderr or sys.stdout.isatty() else 220  # pipes and files: wide, no wrap
        self.console = Console(stderr=stderr, width=width)

    # results ----------------------------------------------------------------------------
    def json(self, data: Any) -> None:
        """``data`` as indented JSON (anything JSON cannot hold is written as its ``str``)."""
        self.text(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def text(self, text: str) -> None:
        """Plain text as it is, no markup and no wrapping, ending in a newline."""
        self.console.file.write(text if text.endswith("\n") else text + "\n")

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Rich markup or a renderable (a line of a human-readable answer)."""
        kwargs.setdefault("highlight", False)
        self.console.print(*objects, **kwargs)

    def rule(self, title: str) -> None:
        self.console.rule(title)

    def table(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | Mapping[str, str],
              title: str = "", fmt: Cell = cell, right: Sequence[str] = (),
              overflow: str = "ellipsis") -> None:
        """``rows`` as a Rich table; ``columns`` are row keys (a mapping: key -> header), ``fmt``
        turns a value into its cell, columns named in ``right`` are right-aligned, ``overflow``
        is Rich's for a cell too long for its column ("fold" breaks it over lines)."""
        labels = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
        t = Table(title=title or None)
        for key, label in labels.items():
            t.add_column(label, justify="right" if key in right else "left",
                         overflow=overflow)  # type: ignore[arg-type]
        for r in rows:
            t.add_row(*(fmt(r.get(k)) for k in labels))
        self.console.print(t)

    def rows(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], as_json: bool,
             title: str = "", fmt: Cell = cell) -> None:
        """All of ``rows`` as JSON, or the table of ``columns``: the common ``--json`` switch."""
        if as_json:
            self.json(rows)
        else:
            self.table(rows, columns, title, fmt)

    @staticmethod
    def markdown(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
        def md(v: Any) -> str:
            return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(md(r.get(c)) for c in columns) + " |" for r in rows]
        return "\n".join(lines) + "\n"

    @staticmethod
    def csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()

    # diagnostics (on ``err``) -----------------------------------------------------------
    def note(self, message: str) -> None:
        """One line for the user, not part of the result ("wrote plot.png")."""
        self.console.print(message, highlight=False, soft_wrap=True, markup=False)

    def error(self, message: str) -> None:
        self.console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)

    @contextmanager
    def progress(self, description: str, total: float | None, enabled: bool = True
                 ) -> Iterator[Callable[..., None]]:
        """A transient progress bar; yields ``tick(label=None)``, one step per call (a label
        replaces the description). Only on a terminal: a log file gets no bar and no blank line."""
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=self.console, transient=True,
                      disable=not (enabled and self.console.is_terminal)) as bar:
            task = bar.add_task(description, total=total)

            def tick(label: Any = None) -> None:
                if isinstance(label, str):
                    bar.update(task, advance=1, description=label)
                else:
                    bar.advance(task)

            yield tick


out = Output()
err = Output(stderr=True)
