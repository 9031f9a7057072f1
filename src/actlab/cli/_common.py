"""What every ``actlab`` command shares: the user-error type, parameter parsing and options.

Exit codes: 0 done, 1 the answer is "no" (a bound failed, a verdict was wrong, the doctor found
errors), 2 the input was wrong. Only :class:`UserError` exits 2 (with one ``error:`` line on
stderr); anything else that escapes a command is a bug in actlab and shows its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ._output import err

__all__ = ["JsonOpt", "ParamOpt", "RootGroup", "UserError", "activation_names", "parse_params",
           "user_errors"]


class UserError(Exception):
    """Bad input on the command line: the message says what was wrong and what to write."""


@contextmanager
def user_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Treat the library's rejection of what the user typed as a :class:`UserError`.

    The library raises ``ValueError`` (by default the only kind caught) for a bad value and
    ``TypeError`` for an unknown parameter; wrap only the calls that check the user's input,
    so a ``ValueError`` or ``TypeError`` anywhere else stays a bug with its traceback.
    """
    caught = kinds or (ValueError,)
    try:
        yield
    except caught as e:
        raise UserError(str(e)) from e


class RootGroup(TyperGroup):
    """The root command: turns a :class:`UserError` from any subcommand into exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as e:
            err.error(str(e))
            raise typer.Exit(2) from None


def parse_params(items: Sequence[str] | None) -> dict[str, float]:
    """``["beta=1.5", ...]`` -> ``{"beta": 1.5}``; :class:`UserError` saying the expected form."""
    params: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            params[key.strip()] = float(value)
        except ValueError:
            raise UserError(
                f"--param expects NAME=VALUE with a number, e.g. --param beta=1.5; got {item!r}"
            ) from None
    return params


def activation_names(items: Sequence[str] | None, default: Sequence[str] = ()) -> list[str]:
    """Comma/space separated activation names, resolved (aliases to names); an unknown one is a
    :class:`UserError` with the library's suggestions."""
    import actlab

    with user_errors():
        return [actlab.get_spec(s.strip()).name for item in items or default
                for s in item.split(",") if s.strip()]


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Parameter value as NAME=VALUE; repeat for several."),
]
