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


def test_a_report_run_leaves_stderr_empty_off_a_terminal(tmp_path):
    """The whole command in a fresh interpreter with two worker processes (spawned, shut down at
    the end): off a terminal, stderr stays empty (no progress, no "Exception ignored ..."
    line from a finaliser at exit); the one result line is on stdout."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONWARNINGS": "default"}  # ResourceWarnings would show here too
    env.pop("FORCE_COLOR", None)
    run = subprocess.run([sys.executable, "-m", "actlab.cli", "report", "relu,gelu", "--quick", "--sections",
                          "catalog,gallery", "--jobs", "2", "--out", str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.startswith(f"wrote {tmp_path / 'report.html'}") and "2/2 sections ok" in run.stdout


def test_nothing_the_analyses_run_arms_a_signal_timer():
    """The "Exception ignored" traceback an earlier report printed came from SIGALRM time limits
    on SymPy steps: the alarm could fire inside a garbage-collector callback, where the raised
    timeout can only be printed and ignored. The analyses now bound SymPy by operation counts;
    no module of actlab may arm an interval timer or install a SIGALRM handler again."""
    import ast
    from pathlib import Path

    import actlab

    found = []
    for path in Path(actlab.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("setitimer", "alarm", "SIGALRM"):
                found.append(f"{path.name}:{node.lineno} {node.attr}")
    assert found == []
