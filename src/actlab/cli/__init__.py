"""The ``actlab`` command line (Typer + Rich): a root app and one module per command group.

==================  =====================================================================
module              commands
==================  =====================================================================
``catalog``         ``list``, ``show``, ``demo``
``check``           ``check accuracy``
``understand``      ``properties``, ``verify``
``stability``       ``gradflow``, ``meanfield``, ``doctor``, ``selfnorm``
``recommend``       ``recommend``
``report``          ``plot``, ``approx``, ``report``
``serve``           ``serve``
``bench``           ``bench train|results|tasks|quick``, ``bench kernels`` (``kernels``)
==================  =====================================================================

Commands build plain data (dicts, lists of dicts) from the library and hand it to the one output
sink, :mod:`actlab.cli._output`: results to stdout as a Rich table, JSON or plain text;
diagnostics to stderr. Bad input raises :class:`~actlab.cli._common.UserError`, which the root
turns into one ``error:`` line and exit code 2; anything else is a bug and keeps its traceback.

The library never imports this package (tests/test_layers.py checks it).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from . import bench, catalog, check, recommend, report, serve, stability, understand
from ._common import RootGroup, UserError

__all__ = ["UserError", "app", "main"]

app = typer.Typer(
    cls=RootGroup,
    help="actlab: use, verify, understand, compare and choose activation functions.\n\n"
    "Start with `actlab list`, look at one with `actlab show mish`, and check the numerics "
    "against the high-precision oracle with `actlab check accuracy mish`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"actlab {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print actlab's version and exit.",
                                          callback=_print_version, is_eager=True)] = False,
) -> None:
    """actlab: use, verify, understand, compare and choose activation functions."""


# the order of `actlab --help`
for _group in (catalog, understand, stability, recommend, report, serve):
    app.add_typer(_group.app)  # no name: its commands are top-level (`actlab show`)
app.add_typer(check.app, name="check")
app.add_typer(bench.app, name="bench")


def main() -> None:
    app()
