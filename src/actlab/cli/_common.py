"""What every ``actlab`` command shares: the user-error type, parameter parsing and options.

Exit codes: 0 done, 1 the answer is "no" (a bound failed, a verdict was wrong, the doctor found
errors), 2 the input was wrong. Only :class:`UserError` (and the results store's
:class:`~actlab.bench.store.StoreError`: a damaged, foreign or unwritable ``--db``) exits 2, with
one ``error:`` line on stderr; anything else that escapes a command is a bug in actlab and shows
its traceback.

The error policy, in the order a command applies it:

1. every option is checked where it is parsed: numbers (finite, in range: :func:`number`,
   :func:`count`), lists (not empty: :func:`items`), names, shapes, model specs;
2. output paths are checked before any work (:func:`output_file`, :func:`output_dir`: the
   suffix, the folder, a device or a folder where a file goes) and sizes against the memory
   free now (:func:`check_memory`);
3. only then the work; writing its files goes through :func:`writing`, which turns a failed
   write (disk full, read-only folder) into a :class:`UserError` and removes what it left.

A refused command writes nothing.
"""

from __future__ import annotations

import math
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ._output import err

__all__ = ["JsonOpt", "ParamOpt", "RootGroup", "UserError", "activation_names", "aliased", "available_memory",
           "check_memory", "count", "items", "max_jobs", "number", "output_dir", "output_file",
           "parse_params", "split_names", "user_errors", "writing"]


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


def reflow(text: str | None) -> str | None:
    """A docstring as terminal help: the lines of each paragraph joined (the terminal wraps
    them), a paragraph that starts with ``\\b`` kept line by line (examples), and Rich markup
    escaped, so ``[-1, 1]`` or ``[bold]`` in a help text prints as written."""
    import inspect

    from rich.markup import escape

    if not text:
        return text
    paragraphs = []
    for para in inspect.cleandoc(text).split("\n\n"):
        if para.startswith("\b"):
            paragraphs.append("\n".join(line.rstrip() for line in para[2:].strip("\n").splitlines()))
        else:
            paragraphs.append(" ".join(line.strip() for line in para.splitlines() if line.strip()))
    return escape("\n\n".join(p for p in paragraphs if p))


def _polish(command: Any) -> None:
    """Help written for the terminal, on ``command`` and everything under it: docstrings
    reflowed (:func:`reflow`), option help escaped, no ``<bool>`` type on a flag."""
    from rich.markup import escape

    if getattr(command, "_actlab_polished", False):
        return
    command._actlab_polished = True
    command.help = reflow(command.help)
    if getattr(command, "short_help", None):
        command.short_help = escape(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = escape(" ".join(param.help.split()))
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # the flag itself says it: no "<bool>" column
    get_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = get_help_option(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _polish(sub)


_UsageError = typer.BadParameter.__mro__[1]  # Typer's own click.UsageError (it vendors click)


class RootGroup(TyperGroup):
    """The root command: turns a :class:`UserError` from any subcommand into exit code 2, and
    makes every help text read well on a terminal (:func:`_polish`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _polish(self)

    def invoke(self, ctx: Any) -> Any:
        from ..bench.store import StoreError

        try:
            return super().invoke(ctx)
        except (UserError, StoreError) as e:
            err.error(str(e))
            raise typer.Exit(2) from None
        except _UsageError as e:  # a command's option that does not parse: one line too
            where = e.ctx.command_path.replace(ctx.command_path, "actlab", 1) if e.ctx else "actlab"
            err.error(f"{' '.join(e.format_message().split())} (see `{where} --help`)")
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
        if not math.isfinite(params[key.strip()]):
            raise UserError(f"--param {key.strip()} must be a finite number, got {value.strip()!r}")
    return params


def activation_names(items: Sequence[str] | None, default: Sequence[str] = ()) -> list[str]:
    """Comma/space separated activation names, resolved (aliases to names); an unknown one is a
    :class:`UserError` with the library's suggestions."""
    import actlab

    with user_errors():
        return [actlab.get_spec(s.strip()).name for item in items or default
                for s in item.split(",") if s.strip()]


def aliased(new: Any, new_option: str, old: Any, old_option: str) -> tuple[Any, str]:
    """One option under its name and its old, hidden one (``--out`` and ``--plot``): the value
    given and the name it was given as (for messages); both at once is a :class:`UserError`."""
    if new is not None and old is not None and new != old:
        raise UserError(f"{old_option} is the old name of {new_option}: give only {new_option}")
    return (old, old_option) if new is None and old is not None else (new, new_option)


def split_names(names: Sequence[str] | None) -> list[str] | None:
    """Positional activations, comma or space separated (``relu,gelu tanh``) -> one name each;
    None stays None (none given); only commas or blanks -> [] (the command says "no activation
    named")."""
    if names is None:
        return None
    return [n.strip() for item in names for n in item.split(",") if n.strip()]


# ----------------------------------------------------------------------------- numbers, lists
def number(option: str, value: float | None, *, gt: float | None = None, ge: float | None = None,
           lt: float | None = None, le: float | None = None) -> float | None:
    """``value`` if it is finite and within the bounds given (None passes: an unset option),
    else a :class:`UserError` naming ``option``, the bounds and what was given."""
    if value is None:
        return None
    bounds = [f"> {gt:g}" if gt is not None else "", f">= {ge:g}" if ge is not None else "",
              f"< {lt:g}" if lt is not None else "", f"<= {le:g}" if le is not None else ""]
    want = " and ".join(b for b in bounds if b)
    ok = (isinstance(value, (int, float)) and math.isfinite(value)
          and (gt is None or value > gt) and (ge is None or value >= ge)
          and (lt is None or value < lt) and (le is None or value <= le))
    if not ok:
        raise UserError(f"{option} must be a finite number{' ' + want if want else ''}, got {value:g}"
                        if isinstance(value, (int, float)) else f"{option} must be a number, got {value!r}")
    return value


def count(option: str, value: int | None, least: int = 1, most: int | None = None) -> int | None:
    """An integer option within ``least``..``most`` (None passes), else a :class:`UserError`."""
    if value is None:
        return None
    if value < least or (most is not None and value > most):
        span = f"between {least} and {most}" if most is not None else f"at least {least}"
        raise UserError(f"{option} must be {span}, got {value}")
    return value


def max_jobs() -> int:
    """The most worker processes a ``--jobs`` may ask for: 4 per core (more only thrashes)."""
    return max(4, 4 * (os.cpu_count() or 1))


def items(text: str | Sequence[str] | None, option: str, example: str) -> list[str]:
    """Comma-separated words (or a list of such strings), none of them empty; an empty list is
    a :class:`UserError` with an ``example`` of what to write."""
    parts = [text] if isinstance(text, str) else list(text or ())
    words = [w.strip() for p in parts for w in p.split(",") if w.strip()]
    if not words:
        raise UserError(f"{option} is empty: name at least one, e.g. {option} {example}")
    return words


# ------------------------------------------------------------------------------------ memory
def available_memory(device: str = "cpu") -> int | None:
    """Bytes that can be allocated now without swapping (Linux ``MemAvailable``, a CUDA device's
    free memory); None where it cannot be read (then nothing is refused for lack of memory)."""
    if device.startswith("cuda"):
        try:
            import torch

            return int(torch.cuda.mem_get_info()[0])
        except Exception:  # no CUDA here: the device check says so
            return None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def check_memory(needed: float, what: str, fix: str, device: str = "cpu") -> None:
    """A :class:`UserError` when ``needed`` bytes (an estimate of the peak) exceed the memory
    free now: refused before the work starts, not a MemoryError (or the OOM killer) later."""
    free = available_memory(device)
    if not math.isfinite(needed):
        raise UserError(f"{what} is too large to allocate: {fix}")
    if free is not None and needed > free:
        raise UserError(f"{what} needs about {_gib(needed)} of memory, {_gib(free)} is free "
                        f"{'on ' + device if device != 'cpu' else 'here'}: {fix}")


# ------------------------------------------------------------------------------ output paths
def _existing_ancestor(path: Path) -> Path:
    p = path.absolute().parent
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_folder(folder: Path, option: str, shown: Path) -> None:
    """Create and remove a file in ``folder``: the permission bits do not tell for root, a
    read-only file system or /proc."""
    if not folder.is_dir():
        raise UserError(f"{option} {shown}: {folder} is not a folder; choose a path in a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".actlab-probe-", dir=folder)
    except OSError as e:
        raise UserError(f"{option} {shown}: cannot write in {folder} ({e.strerror or e}); "
                        "choose a writable folder") from None
    os.close(fd)
    os.unlink(probe)


def output_file(path: Path | str, option: str, suffixes: Sequence[str] = (".png", ".svg", ".pdf")
                ) -> Path:
    """Check an output file before any work: it ends in one of ``suffixes``, is not a folder nor
    a device (``/dev/full``), and its folder (or the nearest one that exists: missing ones are
    created) is writable. Writes nothing."""
    p = Path(path)
    if not str(path).strip():
        raise UserError(f"{option} is empty: give a file name, e.g. {option} out{suffixes[0]}")
    if p.suffix.lower() not in suffixes:
        choices = " or ".join([", ".join(suffixes[:-1]), suffixes[-1]] if len(suffixes) > 1 else suffixes)
        raise UserError(f"{option} must end in {choices}; got {str(path)!r}")
    if p.exists() or p.is_symlink():
        try:
            mode = p.stat().st_mode
        except OSError as e:
            raise UserError(f"{option} {p}: {e.strerror or e}; choose another path") from None
        if stat.S_ISDIR(mode):
            raise UserError(f"{option} {p} is a folder; give a file name inside it, e.g. "
                            f"{p / ('out' + suffixes[0])}")
        if not stat.S_ISREG(mode):
            raise UserError(f"{option} {p} is not a regular file; choose a file path")
    _probe_folder(p.absolute().parent if p.absolute().parent.exists() else _existing_ancestor(p),
                  option, p)
    return p


def output_dir(path: Path | str, option: str) -> Path:
    """Check an output folder before any work: an existing one must be a writable folder; a
    missing one must be creatable (its nearest existing parent writable). Writes nothing."""
    p = Path(path)
    if not str(path).strip():
        raise UserError(f"{option} is empty: give a folder, e.g. {option} out")
    if p.exists():
        _probe_folder(p, option, p)
    else:
        _probe_folder(_existing_ancestor(p / "x"), option, p)
    return p


@contextmanager
def writing(*paths: Path | str, option: str = "--out") -> Iterator[None]:
    """Around the code that writes ``paths`` (files or folders): an ``OSError`` about one of
    them (disk full, read-only, gone) becomes a :class:`UserError`, and whatever did not exist
    before is removed again, so a failed command leaves nothing behind."""
    import shutil

    targets = [Path(p).absolute() for p in paths]
    if not targets:
        yield
        return
    before = {t: t.exists() for t in targets}
    made: list[Path] = []
    for t in targets:  # folders the writer will create on the way
        a = t.parent
        while not a.exists() and a != a.parent:
            made.append(a)
            a = a.parent
    try:
        yield
    except OSError as e:
        name = Path(e.filename).absolute() if isinstance(e.filename, (str, os.PathLike)) else None
        if name is None:  # a write (ENOSPC) names no file: the block writes only targets
            ours = e.errno is not None
        else:
            ours = any(name == t or t in name.parents or name in t.parents for t in targets)
        if not ours:
            raise
        for t in targets:
            if not before[t] and (t.exists() or t.is_symlink()):
                try:
                    shutil.rmtree(t) if t.is_dir() and not t.is_symlink() else t.unlink()
                except OSError:
                    pass
        for d in made:  # innermost first
            try:
                d.rmdir()
            except OSError:
                pass
        shown = name or targets[0]
        raise UserError(f"{option}: cannot write {shown}: {e.strerror or e}; free some space or "
                        "choose another path") from None


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Parameter value as NAME=VALUE; repeat for several."),
]
