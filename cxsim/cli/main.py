"""The ``cxsim`` command line.

Every command turns bad input (:class:`~cxsim.core.errors.InputError`) into one
clear line on stderr and exit status 2, and writes nothing. This module
builds the app, the shared options and the console; each command group is a
module of :mod:`cxsim.cli` (run, compare, report, sweep, analyze, app,
validate, calibrate) that adds its commands with ``register(app)``, in the
order of :data:`COMMAND_MODULES`. Domain modules never import the command line.
"""

from __future__ import annotations

import functools
import importlib
import json
import runpy
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import tomli_w
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cxsim.cli import help_types
from cxsim.cli.failures import OneLineGroup, describe, given_paths, set_debug, tracebacks_shown
from cxsim.core.config import read_toml
from cxsim.core.errors import InputError
from cxsim.core.progress import progress_enabled
from cxsim.model.library import library, use_folders
from cxsim.model.scenario import load_scenario

__all__ = [
    "JourneyStoreOpt",
    "Quiet",
    "ScenariosOpt",
    "SetOpt",
    "app",
    "console",
    "err_console",
    "fail_cleanly",
    "main",
    "progress_enabled",
]

app = typer.Typer(
    name="cxsim",
    help="Agent-based simulation of retail customer experience (Mesa).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineGroup,
)
help_types.install()
console = Console()
err_console = Console(stderr=True)

# Modules that add commands: each defines ``register(app)``. Missing modules are skipped.
COMMAND_MODULES = (
    "cxsim.cli.run",
    "cxsim.cli.compare",
    "cxsim.cli.report",
    "cxsim.cli.sweep",
    "cxsim.cli.analyze",
    "cxsim.cli.app_cmd",
    "cxsim.cli.validate",
    "cxsim.cli.calibrate",
)


@app.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error (also CXSIM_DEBUG=1).")
    ] = False,
) -> None:
    """Agent-based simulation of retail customer experience (Mesa)."""
    set_debug(debug)


def fail_cleanly[F: Callable[..., Any]](func: F) -> F:
    """Report bad input as one line on stderr and exit with status 2 (see :mod:`cxsim.cli.failures`).

    :class:`InputError`, and the failures of libraries on the user's files and values
    (corrupt Parquet or JSON, not UTF-8, out of memory, too deep): one line, exit 2,
    nothing written. With ``--debug`` the traceback is shown instead. Other exceptions
    are bugs and keep their traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # bugs (describe() is None) are re-raised
            if tracebacks_shown() and not isinstance(exc, InputError):
                raise
            text = describe(exc, given_paths(args, kwargs))
            if text is None:
                raise
            if tracebacks_shown():
                traceback.print_exception(exc)
            message = escape(text)  # keep "[low, high]" and the like: not rich markup
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="PATH=VALUE", help="Override one value: PATH=VALUE (repeatable)."),
]


JourneyStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--journey-store",
        help="Draw the journey flow of one store's purchases (its name, e.g. giant).",
        metavar="STORE",
    ),
]
"""``--journey-store`` of compare and report."""


def _scenario_folders(value: list[Path] | None) -> list[Path] | None:
    """Layer the ``--scenarios`` folders over the scenario library (:mod:`cxsim.model.library`)."""
    use_folders(value or [])
    return value


ScenariosOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--scenarios",
        metavar="FOLDER",
        help="A folder of your scenarios, layered over the built-in library (repeatable).",
        callback=_scenario_folders,
        exists=True,
        file_okay=False,
    ),
]


@app.command("scenarios")
@fail_cleanly
def list_scenarios(scenario_folders: ScenariosOpt = None) -> None:
    """List the scenarios (built-in and yours) with their source and one-line description."""
    t = Table(show_header=True, title="scenarios", title_justify="left")
    t.add_column("name")
    t.add_column("source")
    t.add_column("description")
    for entry in library().values():
        source = entry.source.origin
        if source != "built-in":
            source += f" ({entry.source.folder})"
        if entry.replaces:
            source += f", replaces {entry.replaces[-1].origin}"
        try:
            description = str(read_toml(entry.path).get("description", ""))
        except InputError as exc:
            description = f"(cannot be read: {exc.message})"
        t.add_row(entry.name, source, description)
    console.print(t)


@app.command()
@fail_cleanly
def show(
    scenario: Annotated[str, typer.Argument(help="Scenario name or path.")],
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")] = False,
    scenario_folders: ScenariosOpt = None,
) -> None:
    """Print the resolved scenario, after `extends` and overrides."""
    spec = load_scenario(scenario, set_ or [])
    data = spec.to_toml_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(tomli_w.dumps(data), nl=False)


def _register_extensions() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)


def main() -> None:
    """Entry point of the ``cxsim`` command."""
    app()


if __name__ == "__main__":
    # ``python -m cxsim.cli.main``: run the module proper (the command modules import it by name),
    # not this copy, so that each command module is registered once, after it has loaded.
    runpy.run_module("cxsim.cli", run_name="__main__")
elif __name__ == __spec__.name:  # not the copy a worker process imports as ``__mp_main__``
    _register_extensions()
