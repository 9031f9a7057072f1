"""``actlab report`` says what it is doing while it runs: a line per finished section on stderr
(with the Rich bar naming the sections being computed), only on a terminal; a pipe or a log file
gets none of it. Built here in one process for two activations and two cheap sections."""

from __future__ import annotations

import io
import re

from rich.console import Console

from actlab.report import build as B


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=120, color_system=None), buf


def test_a_terminal_gets_a_line_per_section(tmp_path):
    console, buf = _console(True)
    r = B.build(tmp_path, quick=True, names=["relu", "gelu"], keys=["catalog", "gallery"], jobs=1,
                progress=True, console=console)
    assert r.failed == []
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())  # cursor moves of the live bar
    lines = [line for line in text.splitlines() if line.startswith(("✓", "✗"))]
    # in the order they finish (the heaviest part is scheduled first): one line each
    assert sorted(line.split()[:2] for line in lines) == [["✓", "catalog"], ["✓", "gallery"]]
    assert any("f, f′ and f″ of every activation" in line for line in lines)  # the title, as on the page


def test_a_failing_section_is_marked(tmp_path, monkeypatch):
    import dataclasses

    from actlab.report import sections as S

    def boom(opt, part):
        raise RuntimeError("no")

    monkeypatch.setitem(S.REGISTRY, "catalog", dataclasses.replace(S.REGISTRY["catalog"], compute=boom))
    console, buf = _console(True)
    B.build(tmp_path, quick=True, names=["relu"], keys=["catalog"], jobs=1, progress=True, console=console)
    assert re.search(r"✗ catalog +Catalog — failed", buf.getvalue())


def test_no_terminal_no_progress(tmp_path):
    console, buf = _console(False)
    r = B.build(tmp_path, quick=True, names=["relu"], keys=["catalog"], jobs=1, progress=True,
                console=console)
    assert r.failed == [] and buf.getvalue() == ""
    console, buf = _console(True)
    B.build(tmp_path, quick=True, names=["relu"], keys=["catalog"], jobs=1, progress=False, console=console)
    assert buf.getvalue() == ""
