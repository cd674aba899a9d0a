"""``analyze``: a sweep's statistics, sensitivity indices and figures, chosen by its design."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cxsim.analysis.sweeps.envelopes import plot_envelopes
from cxsim.analysis.sweeps.guards import WARNING_COLUMNS, sobol_warnings
from cxsim.analysis.sweeps.loading import Sweep, default_metrics
from cxsim.analysis.sweeps.plots import (
    name_label,
    plot_heatmaps,
    plot_lines,
    plot_morris,
    plot_scatter,
    plot_sobol,
    pyplot,
)
from cxsim.analysis.sweeps.sensitivity import morris_indices, sobol_indices, sobol_samples
from cxsim.analysis.sweeps.stats import point_means, point_stats
from cxsim.core.errors import InputError
from cxsim.core.io import output_dir

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class AnalysisResult:
    """What :func:`analyze` produced: tables by name, figure files, notes and warnings.

    ``warnings`` are the guard-rails of :mod:`.guards` in words (also the
    ``warnings`` table and the ``warning`` column of the Sobol table).
    """

    tables: dict[str, pd.DataFrame]
    figures: list[str]
    notes: list[str]
    warnings: list[str] = field(default_factory=list)


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
        empty = pd.DataFrame(columns=["metric", "parameter", "noise_share"])
        tables["warnings"] = sobol_warnings(empty if idx.empty else idx, sobol_samples(sweep))
        if second is not None:
            tables["sobol_second_order"] = second
        if not idx.empty:
            n = sobol_samples(sweep)
            at_n = "" if n is None else f", N = {n}"
            figs["sobol"] = plot_sobol(
                idx, title=f"{sweep.name}: Sobol indices{at_n} (error bars = 95% bootstrap CI)"
            )
    elif sweep.method == "morris":
        idx = morris_indices(sweep, metrics)
        tables["morris"] = idx
        figs["morris"] = plot_morris(idx, title=f"{sweep.name}: Morris screening (95% CI)")


def analyze(
    sweep: Sweep, metrics: list[str] | None = None, out: Path | None = None, *, overwrite: bool = False
) -> AnalysisResult:
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
    envelopes = plot_envelopes(sweep, metrics)
    if envelopes is not None:
        figs["timeseries"] = envelopes
    try:
        _indices(sweep, metrics, tables, figs)
    except InputError as exc:
        notes.append(f"no sensitivity indices: {exc.found}; {exc.hint}")
    files: list[str] = []
    if out is not None:
        with output_dir(out, "analyze", overwrite=overwrite) as tmp:  # the output-folder rule
            for name, df in tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
            for name, fig in figs.items():
                fig.savefig(tmp / f"{name}.png", dpi=120)
                files.append(str(Path(out) / f"{name}.png"))
    plt = pyplot()
    for fig in figs.values():
        plt.close(fig)
    found = tables.get("warnings", pd.DataFrame(columns=list(WARNING_COLUMNS)))
    return AnalysisResult(tables, files, notes, [_warning_line(r) for _, r in found.iterrows()])


def _warning_line(row: pd.Series) -> str:
    """``online share, stores.giant.price: S1 = 1.436 exceeds 1 ...`` (the design: no prefix)."""
    where = ", ".join(name_label(str(row[c])) for c in ("metric", "parameter") if row[c])
    return f"{where}: {row['warning']}" if where else str(row["warning"])
