"""``cxsim sweep``: run a parameter sweep or sensitivity design; rerun the same command to resume."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer

from cxsim.cli.main import Quiet, console, err_console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.core.errors import InputError
from cxsim.core.progress import progress_enabled
from cxsim.experiments.design import load_experiment
from cxsim.experiments.sweep import SweepError, default_out, run_sweep


def sweep(
    experiment: Annotated[str, typer.Argument(help="Experiment file (or a name under experiments/).")],
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=0, help="Processes (default: all cores; 0: run here)."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786.")
    ] = None,
    scheduler_file: Annotated[
        Path | None, typer.Option(help="Dask scheduler file (dask scheduler --scheduler-file).")
    ] = None,
    local_dask: Annotated[
        bool, typer.Option("--local-dask", help="Start a local Dask cluster of --workers processes.")
    ] = False,
    out: Annotated[str | None, typer.Option(help="Output folder (default: results/<name>).")] = None,
    overwrite: OverwriteOpt = False,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Finished runs per Parquet part.")] = None,
    ensemble: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Towns simulated together per task where runs can share one (default: by size; 1: none).",
        ),
    ] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Also rerun runs recorded as errors.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the experiment and print its size; run nothing.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Run a parameter sweep or sensitivity design; rerun the same command to resume."""
    say = functools.partial(console.print, highlight=False, soft_wrap=True)
    warn = functools.partial(err_console.print, highlight=False, soft_wrap=True)
    exp = load_experiment(experiment)
    if sum(bool(x) for x in (scheduler, scheduler_file, local_dask)) > 1:
        raise InputError(
            "sweep", "--scheduler", "one of --scheduler, --scheduler-file, --local-dask", "several"
        )
    if workers is not None and (scheduler or scheduler_file):
        raise InputError(
            "sweep",
            "--workers",
            "no --workers with a Dask scheduler (its workers are started with the cluster)",
            workers,
        )
    if not quiet:
        say(exp.describe())
    if check:
        return
    bar = progress_enabled(quiet)
    target = out_folder(out) if out is not None else default_out(exp)
    cmd = _resume_command(experiment, out, workers, scheduler, scheduler_file, local_dask)
    try:
        report = run_sweep(
            exp,
            target,
            workers=workers,
            scheduler=scheduler,
            scheduler_file=scheduler_file,
            local_dask=local_dask,
            batch_size=batch_size,
            ensemble=ensemble,
            retry_errors=retry_errors,
            overwrite=overwrite,
            progress=bar,
            log=None if (bar or quiet) else say,
        )
    except SweepError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if report.notes and bar:
        warn("note: this session ran other code than earlier ones: " + "; ".join(report.notes))
    if report.interrupted:
        warn(f"stopped: {report.done:,} of {report.total:,} runs are saved in {target}. Resume with: {cmd}")
        raise typer.Exit(130)
    if not quiet:
        if report.ran == 0:
            say(f"nothing to do: all {report.total:,} runs are in {target}")
        else:
            say(
                f"{report.ran:,} runs ({report.errors:,} errors) in {report.wall_s:,.1f} s "
                f"on {report.executor}; {report.done:,}/{report.total:,} done in {target}",
            )
        if report.complete:
            say(f"analyze with: cxsim analyze {target}")
    if report.errors:
        warn(
            f"{report.errors:,} runs raised: see the `error` column of {target}/runs "
            "(rerun them with --retry-errors)"
        )


def _resume_command(
    experiment: str,
    out: str | None,
    workers: int | None,
    scheduler: str | None,
    scheduler_file: Path | None,
    local_dask: bool,
) -> str:
    parts = ["cxsim", "sweep", experiment]
    if out is not None:
        parts += ["--out", out]
    if workers is not None:
        parts += ["--workers", str(workers)]
    if scheduler:
        parts += ["--scheduler", scheduler]
    if scheduler_file:
        parts += ["--scheduler-file", str(scheduler_file)]
    if local_dask:
        parts.append("--local-dask")
    return " ".join(parts)


def register(app: typer.Typer) -> None:
    """Add ``cxsim sweep`` to the command line."""
    app.command("sweep")(fail_cleanly(sweep))
