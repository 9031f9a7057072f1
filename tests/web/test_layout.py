"""The explorer's modules: each small and saying one thing, ``actlab.web.server`` the one import.

Every module under ``actlab/web`` has a docstring and ``__all__`` whose names resolve, and stays
under 600 lines (the project's rule, issue 13); ``server`` wires the pieces and re-exports their
names, so ``from actlab.web.server import X`` keeps working; no piece imports ``server`` back.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import actlab.web
from actlab.web import server

WEB = Path(actlab.web.__file__).parent
MODULES = sorted(m.name for m in pkgutil.iter_modules([str(WEB)]))
MAX_LINES = 600


def test_the_pieces_are_there():
    assert {"analyses", "errors", "guards", "payloads", "protocol", "request", "server"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_each_module_is_small_documented_and_says_what_it_exports(name):
    module = importlib.import_module(f"actlab.web.{name}")
    lines = (WEB / f"{name}.py").read_text().count("\n")
    assert lines <= MAX_LINES, f"actlab/web/{name}.py has {lines} lines: split it (issue 13)"
    assert module.__doc__ and module.__doc__.strip()
    assert len(module.__all__) == len(set(module.__all__))
    for export in module.__all__:
        assert getattr(module, export) is not None, export


@pytest.mark.parametrize("name", [m for m in MODULES if m != "server"])
def test_the_pieces_do_not_import_the_server(name):
    tree = ast.parse((WEB / f"{name}.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert not {"server", "actlab.web.server"} & imported


def test_server_re_exports_the_pieces_names():
    """What the pieces export is importable from ``actlab.web.server``, as the same objects."""
    for name in MODULES:
        if name in ("server", "formula"):
            continue
        module = importlib.import_module(f"actlab.web.{name}")
        for export in module.__all__:
            if export in server.__all__:
                assert getattr(server, export) is getattr(module, export), f"{name}.{export}"
    for export in ("serve", "create_app", "uvicorn_config", "isolate_analyses", "curve_payload",
                   "ApiError", "MAX_HEADER_BYTES", "REQUEST_TIMEOUT_S", "default_allowed_hosts"):
        assert export in server.__all__


@pytest.mark.parametrize("path", sorted((WEB / "static").glob("*.js")), ids=lambda p: p.name)
def test_each_script_is_a_small_module_saying_what_it_is(path):
    """The page's scripts are ES modules (index.html loads app.js as one), each under 600 lines
    and opening with a comment saying what it holds; every relative import names a file there."""
    text = path.read_text()
    lines = text.count("\n")
    assert lines <= MAX_LINES, f"static/{path.name} has {lines} lines: split it (issue 13)"
    assert text.startswith("// actlab explorer"), path.name
    for target in re.findall(r'from "\./([\w.]+)"', text):
        assert (path.parent / target).is_file(), (path.name, target)
    index = (WEB / "static" / "index.html").read_text()
    assert '<script type="module" src="/static/app.js"></script>' in index
