"""``cxsim compare``: replications of scenarios side by side, then figures and a report."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cxsim.analysis.figures import FIGURES, comparison_figures
from cxsim.analysis.report import write_report
from cxsim.cli.main import Quiet, ScenariosOpt, SetOpt, console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.core.io import check_output
from cxsim.core.progress import Tick, progress_bar, progress_enabled
from cxsim.experiments.compare import (
    DEFAULT_SEED,
    Comparison,
    format_diff,
    format_half,
    format_value,
    resolve_labels,
    run_comparison,
    significant,
)
from cxsim.model.scenario import load_scenario


def rich_table(table: pd.DataFrame, scenarios: list[str], title: str) -> Table:
    """The comparison as a rich table: one column per scenario, mean ± CI and Δ vs the first."""
    t = Table(title=title, title_justify="left", show_lines=False)
    t.add_column("metric")
    for i, s in enumerate(scenarios):
        t.add_column(s if i == 0 else f"{s}\n(Δ vs {scenarios[0]}, 95% CI)", justify="right")
    section = None
    for _metric, rows in table.groupby("metric", sort=False):
        rows = rows.set_index("scenario")
        store = rows["store"].iloc[0]
        now = "stores" if isinstance(store, str) and store else "town"
        if section is not None and now != section:
            t.add_section()
        section = now
        cells = [str(rows["label"].iloc[0])]
        for i, s in enumerate(scenarios):
            if s not in rows.index:
                cells.append("–")
                continue
            r = rows.loc[s]
            value = f"{format_value(r['mean'], r['unit'])} {format_half(r['ci_high'] - r['mean'], r['unit'])}"
            if i > 0:
                diff = format_diff(r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["unit"])
                if diff:
                    style = "bold" if significant(r) else "dim"
                    value += f"\n[{style}]Δ {diff}[/]"
            cells.append(value)
        t.add_row(*cells)
    return t


def default_out(labels: Sequence[str]) -> Path:
    """``compare-<a>-<b>...`` in the current folder."""
    name = "compare-" + "-".join(labels)
    return Path(name[:120])


def figures_and_report(result: Comparison, folder: Path, tick: Tick) -> None:
    """Draw the comparison's figures into ``folder/figures`` and write ``folder/report.html``."""
    comparison_figures(result, folder / "figures", tick)
    write_report(folder, folder / "report.html", data=result)


def compare(
    scenarios: Annotated[
        list[str], typer.Argument(help="Scenarios (names or paths); the first is the reference.")
    ],
    reps: Annotated[int, typer.Option(help="Replications per scenario.", min=2)] = 10,
    days: Annotated[
        int | None, typer.Option(help="Days to simulate (default: each scenario's).", min=1)
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Parallel processes (default: min(2, cores)).", min=1)
    ] = None,
    seed: Annotated[int, typer.Option(help="Root seed of the replications' seeds.", min=0)] = DEFAULT_SEED,
    set_: SetOpt = None,
    scenario_folders: ScenariosOpt = None,
    out: Annotated[str | None, typer.Option(help="Output folder (default: compare-<scenarios>).")] = None,
    overwrite: OverwriteOpt = False,
    figures: Annotated[bool, typer.Option(help="Write figures and report.html.")] = True,
    quiet: Quiet = False,
) -> None:
    """Run replications of scenarios with common random numbers and compare them with the first.

    Prints the headline metrics with 95% confidence intervals and the paired
    difference against the first scenario; writes comparison.csv/.parquet,
    the per-replication tables, figures/ and report.html.
    """
    labels = resolve_labels(scenarios)
    for name in scenarios:  # fail on bad input before any work
        load_scenario(name, set_ or [], days=days)
    target = out_folder(out) if out is not None else default_out(labels)
    check_output(target, "compare", overwrite=overwrite)
    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    show = progress_enabled(quiet)
    with progress_bar(reps * len(scenarios), "compare", show) as tick:
        result = run_comparison(
            scenarios, reps=reps, days=days, seed=seed, workers=n_workers, overrides=set_ or [], progress=tick
        )
    days_text = ", ".join(sorted({f"{d} days" for d in result.meta["days"].values()}))
    shoppers = ", ".join(sorted({f"{n:,}" for n in result.meta["shoppers"].values()}))
    title = (
        f"{' vs '.join(labels)} — {reps} replications, {days_text}, {shoppers} shoppers, "
        f"root seed {seed} (common random numbers); mean ±95% CI"
    )
    table = rich_table(result.table, labels, title)
    out_console = console
    if not console.is_terminal:  # in a file or a pipe, don't wrap a wide comparison at 80 columns
        out_console = Console(width=max(console.width, 34 + 27 * len(labels)))
    out_console.print(table)
    if not quiet:
        console.print(
            "[dim]Δ: paired difference against the first scenario; bold where its 95% CI excludes 0. "
            "Rates over each run's summary window; cash at the last day.[/]"
        )
    with progress_bar(len(FIGURES), "figures", show and figures, unit="fig") as fig_tick:
        also = functools.partial(figures_and_report, result, tick=fig_tick) if figures else None
        result.save(target, also=also, overwrite=overwrite)
    console.print(f"comparison written to [bold]{target}[/]" + (" (report.html)" if figures else ""))


def register(app: typer.Typer) -> None:
    """Add ``cxsim compare`` to the command line."""
    app.command("compare")(fail_cleanly(compare))
