"""Failures a user can cause, as one line on stderr and exit status 2 (a traceback only with ``--debug``).

Three kinds of failure reach the command line:

- bad input found by cxsim (:class:`~cxsim.core.errors.InputError`): its own one-line message;
- bad input found by a library while it reads or works on the user's files and
  values (:func:`describe`): a corrupt Parquet file (pyarrow), a corrupt JSON
  file, a file that is not UTF-8 text, an operating-system error on a named
  file, a run too big for memory (MemoryError, with the machine's memory and
  what the process used), an input nested too deeply (RecursionError). The file
  is found in the traceback (the reader's ``path``; for JSON the file whose text
  failed to parse), so the message names it;
- usage errors of the command line itself (an unknown option, a missing
  argument, a value of the wrong type): Click's usage box becomes one line,
  ``error: <message> (see cxsim COMMAND --help)``, exit 2 (:class:`OneLineGroup`).

Every other exception is a bug of cxsim and keeps its traceback. ``cxsim --debug
COMMAND`` (or ``CXSIM_DEBUG=1``) shows the traceback of every failure.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from cxsim.core.errors import InputError

_CLICK: Any = sys.modules[typer.BadParameter.__module__]
"""Click's exceptions as typer uses them (typer vendors Click; ``click`` itself is another copy)."""

_debug = [os.environ.get("CXSIM_DEBUG", "") not in ("", "0")]


def set_debug(on: bool) -> None:
    """Show tracebacks (``--debug``)."""
    _debug[0] = on or os.environ.get("CXSIM_DEBUG", "") not in ("", "0")


def tracebacks_shown() -> bool:
    """Whether tracebacks are shown."""
    return _debug[0]


def _first_sentence(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _paths_in_traceback(exc: BaseException) -> list[Path]:
    """Paths held by the frames of ``exc``'s traceback, innermost first."""
    found: list[Path] = []
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        for name, value in frame.f_locals.items():
            if isinstance(value, os.PathLike):
                found.append(Path(os.fspath(value)))
            elif isinstance(value, str) and name in ("path", "source", "filename", "file") and value:
                found.append(Path(value))
    return list(reversed(found))


def _parquet_file(exc: BaseException) -> str | None:
    for path in _paths_in_traceback(exc):
        if path.suffix == ".parquet" and path.is_file():
            return str(path)
    return None


def _file_holding(exc: BaseException, content: str | bytes) -> str | None:
    """The file whose content failed: a path in the traceback, or a file in a folder there."""
    raw = content.encode() if isinstance(content, str) else content
    seen: set[Path] = set()
    for path in _paths_in_traceback(exc):
        candidates = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate in seen or not candidate.is_file():
                continue
            seen.add(candidate)
            try:
                if candidate.stat().st_size == len(raw) and candidate.read_bytes() == raw:
                    return str(candidate)
            except OSError:
                continue
    return None


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def _memory_message() -> str:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    try:
        total: int | None = int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        total = None
    of = f" of this machine's {_gb(total)}" if total else ""
    return (
        f"out of memory: expected a run that fits in memory, found one that needed more than "
        f"the {_gb(peak)} it had used{of} (fewer shoppers, stores, days or replications)"
    )


def describe(exc: BaseException, where: Sequence[str] = ()) -> str | None:
    """The one-line message of a failure the user caused, or None for a bug of cxsim.

    Args:
        exc: the exception.
        where: the paths the command was given, named when the failing file cannot be found.
    """
    if isinstance(exc, InputError):
        return exc.message
    fallback = ", ".join(where) or "input"
    if isinstance(exc, MemoryError):
        return _memory_message()
    if isinstance(exc, RecursionError):
        return f"{fallback}: expected input nested less deeply, found one too deep to process"
    if isinstance(exc, UnicodeDecodeError):
        file = _file_holding(exc, exc.object) if isinstance(exc.object, bytes) else None
        return f"{file or fallback}: expected UTF-8 text, found byte {exc.start}: {exc.reason}"
    if isinstance(exc, json.JSONDecodeError):
        file = _file_holding(exc, exc.doc) or fallback
        where_in = f"{exc.msg}: line {exc.lineno} column {exc.colno}"
        return f"{file}: expected valid JSON, found a corrupt file ({where_in})"
    if type(exc).__module__.startswith("pyarrow"):
        file = _parquet_file(exc) or fallback
        return f"{file}: expected a readable Parquet file, found a corrupt one ({_first_sentence(str(exc))})"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: expected a file or folder cxsim can use, found: {exc.strerror or exc}"
    return None


def given_paths(args: Sequence[Any], kwargs: dict[str, Any]) -> list[str]:
    """The arguments of a command that are paths of existing files or folders (for messages)."""
    out: list[str] = []
    for value in [*args, *kwargs.values()]:
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str | os.PathLike) and str(item) and Path(item).exists():
                out.append(str(item))
    return out


class OneLineGroup(TyperGroup):
    """The command group of ``cxsim``: a usage error is one line and exit 2, not Click's box."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; in standalone mode, usage errors become one line (exit 2)."""
        call = {"args": args, "prog_name": prog_name, "complete_var": complete_var, **extra}
        if not standalone_mode:
            return super().main(standalone_mode=False, windows_expand_args=windows_expand_args, **call)
        try:
            code = super().main(standalone_mode=False, windows_expand_args=windows_expand_args, **call)
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        except _CLICK.NoArgsIsHelpError as exc:  # `cxsim` alone: the help, as before
            exc.show()
            sys.exit(exc.exit_code)
        except _CLICK.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            command = ctx.command_path if ctx is not None else "cxsim"
            message = _first_sentence(exc.format_message(), 400)
            print(f"error: {message} (see {command} --help)", file=sys.stderr)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)
