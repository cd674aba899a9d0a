"""``cxsim compare``: replications of scenarios side by side, then figures and a report.

Scenarios may be variants written inline (``[NAME=]SCENARIO[+PATH=VALUE...]``, as
arguments or with ``--variant``, see :mod:`cxsim.experiments.variants`);
``--reference NAME`` picks the scenario the differences are taken against;
``--set`` changes every scenario, and the table's title says so; ``--xlsx``
adds ``comparison.xlsx`` (an Excel workbook) to the output folder. A scenario
that differs from the reference only by promotions it adds gets each
promotion's bump decomposed (:mod:`cxsim.experiments.promotions`), automatically.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cxsim.analysis.figures import FIGURES, comparison_figures
from cxsim.analysis.report import write_report, write_workbook
from cxsim.cli.main import JourneyStoreOpt, Quiet, ScenariosOpt, SetOpt, console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.core.io import check_output
from cxsim.core.progress import Tick, progress_bar, progress_enabled
from cxsim.experiments.compare import (
    DEFAULT_SEED,
    Comparison,
    format_diff,
    format_half,
    format_value,
    load_variants,
    run_comparison,
    significant,
)
from cxsim.experiments.compare_format import reps_warning
from cxsim.experiments.promotions import decomposition_text
from cxsim.experiments.variants import SYNTAX, pick_reference, resolve_variants


def rich_table(table: pd.DataFrame, scenarios: list[str], title: str, reference: str | None = None) -> Table:
    """The comparison as a rich table: one column per scenario, mean ± CI and Δ vs the reference."""
    ref = reference if reference is not None else scenarios[0]
    t = Table(title=title, title_justify="left", show_lines=False)
    t.add_column("metric")
    for s in scenarios:
        t.add_column(f"{s}\n(reference)" if s == ref else f"{s}\n(Δ vs {ref}, 95% CI)", justify="right")
    section = None
    for _metric, rows in table.groupby("metric", sort=False):
        rows = rows.set_index("scenario")
        store = rows["store"].iloc[0]
        now = "stores" if isinstance(store, str) and store else "town"
        if section is not None and now != section:
            t.add_section()
        section = now
        cells = [str(rows["label"].iloc[0])]
        for s in scenarios:
            if s not in rows.index:
                cells.append("–")
                continue
            r = rows.loc[s]
            value = f"{format_value(r['mean'], r['unit'])} {format_half(r['ci_high'] - r['mean'], r['unit'])}"
            if s != ref:
                diff = format_diff(r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["unit"])
                if diff:
                    style = "bold" if significant(r) else "dim"
                    value += f"\n[{style}]Δ {diff}[/]"
            cells.append(value)
        t.add_row(*cells)
    return t


def promotion_tables(result: Comparison) -> list[Table]:
    """Where each promotion's bump came from (switching, acceleration, expansion), as rich tables.

    Shown when a compared scenario differs from the reference only by a
    promotion it adds (:func:`cxsim.experiments.promotions.added_promotions`).
    """
    out = []
    for title, rows in decomposition_text(result.promotion_decomposition()):
        t = Table(title=title, title_justify="left")
        t.add_column("source")
        t.add_column("mean [95% CI]", justify="right")
        t.add_column("share of the bump", justify="right")
        for row in rows:
            t.add_row(*row)
        out.append(t)
    return out


def default_out(labels: Sequence[str]) -> Path:
    """``compare-<a>-<b>...`` in the current folder (a variant's ``+``, ``=`` and ``/`` become ``_``)."""
    name = "compare-" + "-".join(re.sub(r"[^\w.-]+", "_", x) for x in labels)
    return Path(name[:120])


def table_title(result: Comparison) -> str:
    """The comparison's title: what is compared, against what, with which ``--set``, how often."""
    m = result.meta
    labels = result.scenarios
    days_text = ", ".join(sorted({f"{d} days" for d in m["days"].values()}))
    shoppers = ", ".join(sorted({f"{n:,}" for n in m["shoppers"].values()}))
    title = " vs ".join(labels)
    if m.get("overrides"):
        title += f" — all scenarios with --set {', '.join(m['overrides'])}"
    return (
        f"{title} — {m['reps']} replications, {days_text}, {shoppers} shoppers, "
        f"root seed {m['root_seed']} (common random numbers); mean ±95% CI; Δ vs {result.reference}"
    )


def variant_lines(result: Comparison) -> list[str]:
    """``cheap_giant = baseline + stores.giant.price=0.81`` for each named inline variant."""
    out = []
    for name, v in result.meta.get("variants", {}).items():
        if v.get("overrides") and not name.startswith(Path(v["scenario"]).stem + "+"):
            out.append(f"{name} = {' + '.join([v['scenario'], *v['overrides']])}")
    return out


def figures_and_report(
    result: Comparison, folder: Path, tick: Tick | None, xlsx: bool = False, journey_store: str | None = None
) -> None:
    """Draw the figures into ``folder/figures`` and write ``folder/report.html`` (and the workbook)."""
    if tick is not None:
        comparison_figures(result, folder / "figures", tick, journey_store)
        write_report(folder, folder / "report.html", data=result)
    if xlsx:
        write_workbook(result, folder / "comparison.xlsx")


def compare(
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(
            help=(
                "Scenarios: names, paths or inline variants such as baseline+stores.giant.price=0.81 "
                "or cheap_giant=baseline+stores.giant.price=0.81; the first is the reference."
            ),
            metavar=f"{SYNTAX}...",
            show_default=False,
        ),
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            "-V",
            help="A variant after the scenarios, e.g. --variant cheap_giant=baseline+stores.giant.price=0.81 "
            "(repeatable).",
            metavar="NAME=SCENARIO+PATH=VALUE",
            show_default=False,
        ),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(help="The scenario differences are taken against (default: the first).", metavar="NAME"),
    ] = None,
    reps: Annotated[
        int, typer.Option(help="Replications per scenario.", min=2, max=100_000, metavar="N")
    ] = 10,
    days: Annotated[
        int | None, typer.Option(help="Days to simulate (default: each scenario's).", min=1, metavar="N")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Parallel processes (default: min(2, cores)).", min=1, max=1024, metavar="N"),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Root seed of the replications' seeds.", min=0, max=2**63 - 1, metavar="N")
    ] = DEFAULT_SEED,
    set_: SetOpt = None,
    scenario_folders: ScenariosOpt = None,
    out: Annotated[
        str | None, typer.Option(help="Output folder (default: compare-<scenarios>).", metavar="FOLDER")
    ] = None,
    overwrite: OverwriteOpt = False,
    figures: Annotated[bool, typer.Option(help="Write figures and report.html.", metavar="")] = True,
    journey_store: JourneyStoreOpt = None,
    xlsx: Annotated[
        bool, typer.Option("--xlsx", help="Also write comparison.xlsx (an Excel workbook).", metavar="")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Run replications of scenarios with common random numbers and compare them with a reference.

    Prints the headline metrics with 95% confidence intervals and the paired
    difference against the reference (the first scenario, or --reference);
    writes comparison.csv/.parquet, switching_flows.csv/.parquet, the
    per-replication tables, figures/ and report.html (and comparison.xlsx).
    A scenario that differs from the reference only by a promotion it adds
    (e.g. baseline singles_day) also gets the promotion's bump decomposed into
    switching from rivals, acceleration and category expansion
    (promotion_decomposition.csv).
    """
    parsed = resolve_variants(scenarios or [], variant or [])
    labels = [v.name for v in parsed]
    pick_reference(labels, reference)
    load_variants(parsed, set_ or [], days)  # fail on bad input before any work
    target = out_folder(out) if out is not None else default_out(labels)
    check_output(target, "compare", overwrite=overwrite)
    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    show = progress_enabled(quiet)
    with progress_bar(reps * len(labels), "compare", show) as tick:
        result = run_comparison(
            scenarios or [],
            variants=variant or [],
            reference=reference,
            reps=reps,
            days=days,
            seed=seed,
            workers=n_workers,
            overrides=set_ or [],
            progress=tick,
        )
    table = rich_table(result.table, labels, table_title(result), result.reference)
    out_console = console
    if not console.is_terminal:  # in a file or a pipe, don't wrap a wide comparison at 80 columns
        out_console = Console(width=max(console.width, 42 + 32 * len(labels)))
    out_console.print(table)
    for promo in promotion_tables(result):
        out_console.print(promo)
    for line in variant_lines(result):
        console.print(f"[dim]{line}[/]", highlight=False)
    warning = reps_warning(reps)
    if warning:
        console.print(f"[yellow]note:[/] {warning}", highlight=False)
    if not quiet:
        console.print(
            f"[dim]Δ: paired difference against {result.reference}; bold where its 95% CI excludes 0. "
            "Rates, shares and NPS over each run's summary window (store NPS: the window's mean of "
            "each day's trailing NPS); cash at the last day.[/]",
            highlight=False,
        )
    with progress_bar(len(FIGURES), "figures", show and figures, unit="fig") as fig_tick:
        also = None
        if figures or xlsx:
            also = functools.partial(
                figures_and_report,
                result,
                tick=fig_tick if figures else None,
                xlsx=xlsx,
                journey_store=journey_store,
            )
        result.save(target, also=also, overwrite=overwrite)
    written = ", ".join(x for x, on in (("report.html", figures), ("comparison.xlsx", xlsx)) if on)
    console.print(f"comparison written to [bold]{target}[/]" + (f" ({written})" if written else ""))


def register(app: typer.Typer) -> None:
    """Add ``cxsim compare`` to the command line."""
    app.command("compare")(fail_cleanly(compare))
