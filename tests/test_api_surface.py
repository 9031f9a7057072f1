"""The visible API: generated stubs match the catalog, real module globals, py.typed, __all__,
--version, lazily importable submodules."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import actlab
from actlab import _stubs
from actlab.cli import app
from actlab.nn import class_name

PACKAGE = Path(actlab.__file__).parent


@pytest.mark.parametrize("filename", sorted(_stubs.STUBS))
def test_stubs_are_what_the_generator_makes_from_the_catalog(filename):
    on_disk = (PACKAGE / filename).read_text()
    assert on_disk == _stubs.STUBS[filename](), (
        f"{filename} is stale: run `python -m actlab._stubs` after changing the catalog"
    )


def _stub_names(filename: str, node_type: type) -> set[str]:
    tree = ast.parse((PACKAGE / filename).read_text())
    return {n.name for n in tree.body if isinstance(n, node_type)}


def test_stubs_declare_every_catalog_entry_and_nothing_else():
    specs = actlab.specs()
    classes = _stub_names("nn.pyi", ast.ClassDef) - {"Activation", "UnknownActivationError"}
    assert classes == {class_name(s.name) for s in specs}
    functions = _stub_names("functional.pyi", ast.FunctionDef)
    assert functions - {"apply", "dispatch", "signature", "__getattr__"} == set(actlab.names())


def test_stub_signatures_are_the_runtime_signatures():
    tree = ast.parse((PACKAGE / "nn.pyi").read_text())
    for node in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name != "Activation"):
        cls = getattr(actlab.nn, node.name)
        if isinstance(cls, type) and issubclass(cls, actlab.nn.Activation):
            (init,) = [f for f in node.body if isinstance(f, ast.FunctionDef)]
            runtime = [p.name for p in inspect.signature(cls.__init__).parameters.values()]
            stub = [a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)]
            stub += [a.arg for a in (init.args.vararg, init.args.kwarg) if a is not None]
            assert sorted(stub) == sorted(runtime), node.name


def test_catalog_names_are_real_module_globals():
    for spec in actlab.specs():
        assert class_name(spec.name) in vars(actlab.nn)
        assert spec.name in vars(actlab.functional)
        fn = vars(actlab.functional)[spec.name]
        assert fn.__module__ == "actlab.functional" and fn.__qualname__ == spec.name
        assert inspect.signature(fn) == actlab.functional.signature(spec)
    assert actlab.nn.Swish1 is actlab.nn.SiLU  # aliases still resolve
    assert actlab.functional.swish1 is actlab.functional.silu
    with pytest.raises(AttributeError, match="Did you mean"):
        actlab.nn.Mihs  # noqa: B018


@pytest.mark.parametrize("module", [actlab, actlab.nn, actlab.functional], ids=lambda m: m.__name__)
def test_all_names_resolve(module):
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_py_typed_ships_with_the_stubs():
    assert (PACKAGE / "py.typed").exists()
    source = PACKAGE.parents[1] / "pyproject.toml"
    if not source.exists():
        pytest.skip("an installed actlab without its source tree")
    pyproject = source.read_text()
    assert '"actlab" = ["py.typed", "*.pyi"]' in pyproject  # installed wheels carry them too


def test_version_option_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"actlab {actlab.__version__}\n"
    assert actlab.__version__.split(".")[0].isdigit()


def test_submodules_load_on_first_access_only():
    code = ("import sys, actlab\n"
            "assert 'actlab.doctor' not in sys.modules and 'actlab.analysis' not in sys.modules\n"
            "assert callable(actlab.doctor.diagnose)\n"
            "assert actlab.compat.LIBRARY_NAMES['swish'] == 'silu'\n"
            "try:\n    actlab.no_such_thing\nexcept AttributeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "has no attribute 'no_such_thing'" in out.stdout


def _public_modules() -> list[Path]:
    def private(p: Path) -> bool:
        return any(part.startswith("_") and part != "__init__.py" for part in p.relative_to(PACKAGE).parts)

    return sorted(p for p in PACKAGE.rglob("*.py") if not private(p))


@pytest.mark.parametrize("path", _public_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_public_module_declares_all(path):
    tree = ast.parse(path.read_text())
    declared = [node for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                and any(isinstance(t, ast.Name) and t.id == "__all__"
                        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
    assert declared, f"{path.relative_to(PACKAGE)} has no __all__"


def test_catalog_functions_are_named_for_tracebacks():
    # a lambda in a spec is renamed <activation>_<field>: a traceback says "in elu_derivative"
    unnamed = []
    for spec in actlab.registry.specs():
        fields = {k: getattr(spec, k, None) for k in ("forward", "derivative", "second_derivative",
                                                      "derivative_from_output", "reference", "native",
                                                      "naive")}
        fields |= {f"d_{p}": fn for p, fn in (getattr(spec, "param_grads", None) or {}).items()}
        unnamed += [f"{spec.name}.{k}" for k, fn in fields.items()
                    if getattr(getattr(fn, "__code__", None), "co_name", None) == "<lambda>"]
    assert not unnamed, unnamed
    elu = actlab.registry.get_spec("elu")
    assert (elu.forward.__name__, elu.param_grads["alpha"].__code__.co_name) == ("elu_forward", "elu_d_alpha")
