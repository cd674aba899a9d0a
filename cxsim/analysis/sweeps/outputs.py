"""``analyze``: a sweep's statistics, sensitivity indices and figures, chosen by its design."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cxsim.analysis.sweeps.loading import Sweep, default_metrics
from cxsim.analysis.sweeps.plots import (
    plot_heatmaps,
    plot_lines,
    plot_morris,
    plot_scatter,
    plot_sobol,
    pyplot,
)
from cxsim.analysis.sweeps.sensitivity import morris_indices, sobol_indices
from cxsim.analysis.sweeps.stats import point_means, point_stats
from cxsim.core.errors import InputError
from cxsim.core.io import atomic_dir

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class AnalysisResult:
    """What :func:`analyze` produced: tables by name and figure files."""

    tables: dict[str, pd.DataFrame]
    figures: list[str]
    notes: list[str]


def _grid_figures(sweep: Sweep, stats: pd.DataFrame) -> dict[str, Figure]:
    """Lines for one parameter; lines and heatmaps for two; one panel per parameter for more."""
    params = sweep.parameters
    varying = [p for p in params if stats[p].nunique() > 1] or params[:1]
    if len(varying) == 1:
        return {"lines": plot_lines(stats, varying[0], title=sweep.name)}
    if len(varying) == 2:
        x, y = varying
        return {
            "lines": plot_lines(stats, x, hue=y, title=sweep.name),
            "heatmap": plot_heatmaps(stats, x, y, title=sweep.name),
        }
    title = f"{sweep.name}: mean over other parameters"
    return {f"main_effect_{p}": plot_lines(stats, p, title=title) for p in varying}


def _indices(
    sweep: Sweep, metrics: list[str], tables: dict[str, pd.DataFrame], figs: dict[str, Figure]
) -> None:
    """Add Sobol or Morris indices (tables and bar chart) of a sobol or morris design."""
    if sweep.method == "sobol":
        idx, second = sobol_indices(sweep, metrics)
        tables["sobol"] = idx
        if second is not None:
            tables["sobol_second_order"] = second
        if not idx.empty:
            figs["sobol"] = plot_sobol(idx, title=f"{sweep.name}: Sobol indices (95% CI)")
    elif sweep.method == "morris":
        idx = morris_indices(sweep, metrics)
        tables["morris"] = idx
        figs["morris"] = plot_morris(idx, title=f"{sweep.name}: Morris screening (95% CI)")


def analyze(sweep: Sweep, metrics: list[str] | None = None, out: Path | None = None) -> AnalysisResult:
    """Statistics, sensitivity indices and figures of a sweep; written to ``out`` if given.

    Figures depend on the design: lines with bands for one parameter; lines
    and heatmaps for a two-parameter grid; one panel per parameter for larger
    grids; scatter plots for random and Latin hypercube designs; bar charts of
    the indices for Sobol and Morris designs.
    """
    metrics = metrics or default_metrics(sweep)
    notes: list[str] = []
    if not sweep.complete:
        notes.append(f"{len(sweep.runs):,} of {len(sweep.design):,} runs finished; using those")
    if not sweep.errors.empty:
        notes.append(f"{len(sweep.errors):,} runs raised and are left out (see the runs table)")
    stats = point_stats(sweep, metrics)
    tables: dict[str, pd.DataFrame] = {"point_stats": stats}
    figs: dict[str, Figure] = {}
    if sweep.method == "grid" and not stats.empty:
        figs.update(_grid_figures(sweep, stats))
    elif not stats.empty:
        means = point_means(sweep, metrics).dropna()
        figs["scatter"] = plot_scatter(means, sweep.parameters, metrics, title=sweep.name)
    try:
        _indices(sweep, metrics, tables, figs)
    except InputError as exc:
        notes.append(f"no sensitivity indices: {exc.found}; {exc.hint}")
    files: list[str] = []
    if out is not None:
        with atomic_dir(out) as tmp:
            for name, df in tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
            for name, fig in figs.items():
                fig.savefig(tmp / f"{name}.png", dpi=120)
                files.append(str(Path(out) / f"{name}.png"))
    plt = pyplot()
    for fig in figs.values():
        plt.close(fig)
    return AnalysisResult(tables, files, notes)
