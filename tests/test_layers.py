"""The package's layers: the library is imported by report/ and web/, all of them by cli/, and
never the other way round (read from the source with ast, so lazy imports count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import actlab

PACKAGE = Path(actlab.__file__).parent
TOP = ("actlab.cli", "actlab.report", "actlab.web")  # what the library must not import


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (function bodies too), as absolute names."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}  # `from . import cli` is a module
    return found


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_relative_imports_resolve_to_absolute_names():
    imports = _imports(PACKAGE / "report" / "sections.py")
    assert "actlab.numerics.accuracy" in imports and not any(i.startswith("..") for i in imports)


def test_nothing_outside_cli_imports_the_cli():
    bad = sorted(f"{m} imports {i}" for m, deps in _graph().items() if not _inside(m, "actlab.cli")
                 for i in deps if _inside(i, "actlab.cli"))
    assert not bad, bad


def test_the_library_imports_neither_report_web_nor_cli():
    bad = sorted(f"{m} imports {i}" for m, deps in _graph().items()
                 if not any(_inside(m, t) for t in TOP)
                 for i in deps if any(_inside(i, t) for t in TOP))
    assert not bad, bad


def test_report_and_web_do_not_import_each_other_both_ways():
    graph = _graph()

    def uses(a: str, b: str) -> bool:
        return any(_inside(i, b) for m, deps in graph.items() if _inside(m, a) for i in deps)

    assert not (uses("actlab.report", "actlab.web") and uses("actlab.web", "actlab.report"))
