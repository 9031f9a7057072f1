"""What every actlab command shares: parameter parsing and the error-to-exit-code wrapper."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

import typer
from rich.console import Console

err = Console(stderr=True)


def parse_params(items: Sequence[str] | None) -> dict[str, float]:
    """``["beta=1.5", ...]`` -> ``{"beta": 1.5}``; ``ValueError`` saying the expected form."""
    params: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            params[key.strip()] = float(value)
        except ValueError:
            raise ValueError(
                f"--param expects NAME=VALUE with a number, e.g. --param beta=1.5; got {item!r}"
            ) from None
    return params


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's ValueError/TypeError into one line on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError) as e:
            err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper
