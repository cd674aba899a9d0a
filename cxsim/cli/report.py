"""``cxsim report``: write a self-contained report of a run or a comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxsim.analysis.figures import FIGURES
from cxsim.analysis.report import folder_kind, write_report
from cxsim.cli.main import JourneyStoreOpt, Quiet, console, fail_cleanly
from cxsim.cli.output_options import out_folder
from cxsim.core.errors import InputError
from cxsim.core.io import output_files
from cxsim.core.progress import progress_bar, progress_enabled


def report(
    folder: Annotated[
        Path,
        typer.Argument(help="A folder written by `cxsim run --out` or `cxsim compare`.", metavar="FOLDER"),
    ],
    out: Annotated[
        str | None,
        typer.Option(help="Report file (default: report.html or report.md in FOLDER).", metavar="FILE"),
    ] = None,
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="Markdown with PNG figures instead of one HTML file.", metavar=""),
    ] = False,
    journey_store: JourneyStoreOpt = None,
    quiet: Quiet = False,
) -> None:
    """Write a self-contained report of a run or a comparison, to send to a colleague.

    The report gives what was simulated, the key findings, what happened (the
    log: events, strategy moves, closures), the headline numbers with 95%
    intervals, where customers switched between stores (a comparison), the
    figures and how the numbers were made.
    """
    folder_kind(folder)
    target = out_folder(out) if out is not None else folder / ("report.md" if markdown else "report.html")
    if target.exists() and target.is_dir():
        raise InputError("--out", str(target), "a file path for the report", "a folder")
    # the report (and, in Markdown, its figures/) is added to the folder: each file new or cxsim's
    with (
        progress_bar(len(FIGURES), "figures", progress_enabled(quiet), unit="fig") as tick,
        output_files(target.parent, target.name) as tmp,
    ):
        write_report(
            folder,
            tmp / target.name,
            fmt="markdown" if markdown else "html",
            progress=tick,
            journey_store=journey_store,
        )
    if not quiet:
        console.print(f"report written to [bold]{target}[/]")


def register(app: typer.Typer) -> None:
    """Add ``cxsim report`` to the command line."""
    app.command("report")(fail_cleanly(report))
