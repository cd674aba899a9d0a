"""``cxsim calibrate``: search the free parameters to bring the patterns into their bands."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cxsim.cli.main import Quiet, ScenariosOpt, SetOpt, console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.cli.validate import PatternsOpt
from cxsim.core.errors import InputError
from cxsim.core.io import check_output, check_writable
from cxsim.core.progress import progress_bar, progress_enabled
from cxsim.experiments.calibration import (
    DEFAULT_FILE,
    Evaluation,
    Evaluator,
    calibration_info,
    calibration_note,
    check_settings,
    ranked,
    read_settings,
    scenario_target,
    search,
    validate_command,
    write_calibration,
    write_scenario,
)
from cxsim.experiments.runner import available_cores, open_executor
from cxsim.experiments.validation_patterns import Pattern, load_patterns


def _fmt(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def top_table(history: Sequence[Evaluation], k: int, patterns: Sequence[Pattern]) -> Table:
    """The best ``k`` parameter sets (columns) with the distance to each pattern's band."""
    best = ranked(history)[:k]
    base = next((e for e in history if e.phase == "base"), None)
    shown = [*best, *([base] if base is not None and base not in best else [])]
    t = Table(title=f"best {len(best)} of {len(history)} parameter sets", title_justify="left")
    t.add_column("")
    for i, e in enumerate(shown):
        rank = f"#{i + 1}" if e in best else "base"
        t.add_column(f"{rank}\n{e.phase}" if rank != "base" else "base", justify="right")
    t.add_row("[bold]distance to the bands[/]", *(f"[bold]{e.distance:.3f}[/]" for e in shown))
    for p in patterns:
        name = p.name if len(p.name) <= 40 else p.name[:39] + "…"
        t.add_row(f"  {p.id} {name}", *(f"{e.by_pattern[p.id]:.3f}" for e in shown))
    t.add_section()
    for name in history[0].values if history else []:
        t.add_row(name, *(_fmt(e.values[name]) for e in shown))
    return t


def calibrate(
    params: Annotated[
        Path, typer.Option("--params", help="Free parameters, ranges, patterns, seeds and budget (TOML).")
    ] = DEFAULT_FILE,
    patterns: PatternsOpt = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Calibrate to this pattern id (repeatable).")
    ] = None,
    samples: Annotated[
        int | None, typer.Option(help="Design points (overrides the budget).", min=1, max=1_000_000)
    ] = None,
    refine: Annotated[
        int | None, typer.Option(help="Nelder–Mead evaluations (overrides the budget; 0: none).", min=0)
    ] = None,
    seed: Annotated[
        list[int] | None,
        typer.Option("--seed", help="A seed of the fixed seed set (repeatable).", min=0, max=2**63 - 1),
    ] = None,
    workers: Annotated[int, typer.Option(help="Parallel processes (0: one per core).", min=0, max=1024)] = 0,
    set_: SetOpt = None,
    scenario_folders: ScenariosOpt = None,
    days: Annotated[int | None, typer.Option(help="Override every scenario's horizon.", min=1)] = None,
    top: Annotated[int, typer.Option(help="How many of the best parameter sets to show.", min=1)] = 5,
    out: Annotated[str, typer.Option(help="Write every evaluation here.")] = "calibration/results",
    overwrite: OverwriteOpt = False,
    write_scenario_: Annotated[
        str | None,
        typer.Option(
            "--write-scenario", help="Write the best set as scenarios/NAME.toml (or a path ending in .toml)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing scenario file.")] = False,
    quiet: Quiet = False,
) -> None:
    """Search the free parameters to bring the patterns into their bands (docs/VALIDATION.md).

    A Latin hypercube (or Sobol) design over the declared ranges, then Nelder–Mead from
    its best point, every evaluation on the same seeds. Prints the best parameter sets
    with the distance to each pattern's band; writes every evaluation to --out and, with
    --write-scenario, the best set as a scenario that extends the base.
    """
    started = time.time()
    settings = read_settings(params)
    settings.overrides = list(set_ or [])
    settings.days = days
    if samples is not None:
        settings.budget.samples = samples
    if refine is not None:
        settings.budget.refine = refine
    if seed:
        settings.seeds = list(dict.fromkeys(seed))
    chosen = load_patterns(patterns or (), list(only or settings.pattern_ids))
    check_settings(settings)
    folder = out_folder(out)
    check_output(folder, "calibrate", overwrite=overwrite)
    target = scenario_target(write_scenario_) if write_scenario_ else None
    if target is not None:
        if target.exists() and not force:
            raise InputError("--write-scenario", str(target), "a new scenario file (or --force)", "it exists")
        check_writable(target.parent)
    evaluator = Evaluator(settings, chosen, workers or None)
    per_point = evaluator.runs_per_point()
    total = per_point * (1 + settings.budget.samples + settings.budget.refine)
    processes = workers or available_cores()
    with (
        open_executor(processes if processes > 1 else 0) as backend,  # one pool for the whole search
        progress_bar(total, "calibrate", progress_enabled(quiet)) as tick,
    ):
        evaluator.backend, evaluator.progress = backend, tick
        history = search(settings, evaluator, None if quiet else lambda m: console.print(m, highlight=False))
    best = ranked(history)[0]
    info = calibration_info(
        settings,
        params,
        chosen,
        history,
        runs_per_evaluation=per_point,
        seconds=round(time.time() - started, 1),
    )
    note = calibration_note(settings, info, best)
    write_calibration(folder, settings, history, info, note, overwrite=overwrite)
    console.print(top_table(history, top, chosen))
    verdict = (
        "every chosen pattern is inside its band" if best.distance == 0 else "some patterns stay outside"
    )
    console.print(f"best distance {best.distance:.4f}: {verdict}; evaluations written to [bold]{folder}[/]")
    console.print(f"validate these values with: {validate_command(best, settings)}", highlight=False)
    if target is not None:
        write_scenario(settings, best, target, note)
        console.print(f"scenario written to [bold]{target}[/]")


def register(app: typer.Typer) -> None:
    """Add ``cxsim calibrate`` to the command line."""
    app.command("calibrate")(fail_cleanly(calibrate))
