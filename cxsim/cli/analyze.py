"""``cxsim analyze``: statistics per parameter point, sensitivity indices and figures of a sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cxsim.analysis.sweeps import (
    analyze,
    check_metric_names,
    default_metrics,
    fmt_number,
    fmt_value,
    load_sweep,
    name_label,
)
from cxsim.analysis.sweeps.plots import scale
from cxsim.cli.main import console, err_console, fail_cleanly
from cxsim.cli.output_options import OverwriteOpt, out_folder
from cxsim.core.errors import InputError
from cxsim.core.io import check_output


def run_analyze(
    folder: Annotated[Path, typer.Argument(help="Output folder of `cxsim sweep`.")],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="Metric to analyze (repeatable): a summary column, or stores.<store>.<column> "
            "(e.g. stores.chain.market_share) over the summary window, if the sweep kept the stores table.",
        ),
    ] = None,
    out: Annotated[str | None, typer.Option(help="Where to write (default: FOLDER/analysis).")] = None,
    overwrite: OverwriteOpt = False,
    rows: Annotated[int, typer.Option(help="Points to print per metric.")] = 20,
) -> None:
    """Statistics per parameter point, sensitivity indices and figures of a sweep."""
    sweep = load_sweep(folder)
    metrics = list(metric or default_metrics(sweep))
    if sweep.summary.empty:
        raise InputError(str(folder), "", "at least one successful run", "none")
    check_metric_names(sweep, metrics)
    target = out_folder(out) if out is not None else folder / "analysis"
    check_output(target, "analyze", overwrite=overwrite)
    result = analyze(sweep, metrics, target, overwrite=overwrite)
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False)
    for warning in result.warnings:
        err_console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    if sweep.method in ("sobol", "morris"):
        n_points = result.tables["point_stats"]["point"].nunique()
        console.print(f"statistics of {n_points:,} points in point_stats.csv", highlight=False)
    else:
        print_stats(console, result.tables["point_stats"], sweep.parameters, rows)
    for name in ("sobol", "morris"):
        if name in result.tables:
            print_indices(console, result.tables[name], name)
    console.print(
        f"tables and figures written to [bold]{target}[/]: "
        + ", ".join(sorted(p.name for p in Path(target).iterdir()))
    )


def print_stats(out: Console, stats: pd.DataFrame, params: list[str], rows: int) -> None:
    """Means by point (compact), then the typical 95% CI half-width of each metric."""
    metrics = list(dict.fromkeys(stats["metric"]))
    wide = stats.pivot_table(index=["point", *params], columns="metric", values="mean", sort=True)
    t = Table(title="mean across replications, by point", title_justify="left")
    for p in params:
        t.add_column(name_label(p), justify="right")
    n = stats.groupby("point")["n"].max()
    t.add_column("n", justify="right")
    for m in metrics:
        t.add_column(name_label(m), justify="right")
    for (point, *values), row in list(wide.iterrows())[:rows]:
        cells = [fmt_value(v) for v in values]
        cells.append(str(int(n.loc[point])))
        cells += [fmt_metric(m, row[m]) for m in metrics]
        t.add_row(*cells)
    out.print(t)
    if len(wide) > rows:
        out.print(f"... {len(wide) - rows:,} more points in point_stats.csv", highlight=False)
    half = (stats["ci_high"] - stats["mean"]).groupby(stats["metric"]).median()
    if half.notna().any():
        typical = ", ".join(
            f"{name_label(m)} ±{fmt_metric(m, half[m], difference=True)}"
            for m in metrics
            if np.isfinite(half[m])
        )
        out.print(f"typical 95% CI half-width: {typical} (per point: point_stats.csv)", highlight=False)


def fmt_metric(name: str, value: float, *, difference: bool = False) -> str:
    """A metric's value in its unit: shares in % (differences in percentage points), else 3 digits."""
    if scale(name) == 100 and np.isfinite(value):
        return f"{100 * value:.1f}" + (" pp" if difference else "%")
    return fmt_number(value)


def print_indices(out: Console, idx: pd.DataFrame, kind: str) -> None:
    """Sobol or Morris indices of each metric and parameter, with their 95% CI half-widths."""
    t = Table(title=f"{kind} indices (± 95% CI half-width)", title_justify="left")
    t.add_column("metric")
    t.add_column("parameter")
    cols = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    for c in cols:
        t.add_column(c, justify="right")
    for _, r in idx.iterrows():
        cells = [name_label(r["metric"]), name_label(r["parameter"])]
        for c in cols:
            conf = r.get(f"{c}_conf")
            cells.append(f"{r[c]:.3f}" + (f" ± {conf:.3f}" if conf is not None and np.isfinite(conf) else ""))
        t.add_row(*cells)
    out.print(t)


def register(app: typer.Typer) -> None:
    """Add ``cxsim analyze`` to the command line."""
    app.command("analyze")(fail_cleanly(run_analyze))
