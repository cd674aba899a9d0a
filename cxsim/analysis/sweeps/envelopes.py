"""Time-series envelopes across the points of a sweep (when the sweep kept the ``timeseries`` table).

For each metric of the timeseries table: each point's mean over replications,
day by day; the envelope is the band from the lowest to the highest point mean of
each day (as EMA Workbench's ``envelopes``), with the mean over points as a line.
Up to :data:`MAX_LINES` points are also drawn one by one, labelled by their
parameter values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cxsim.analysis.figures.style import PALETTE, finish, style
from cxsim.analysis.sweeps.loading import Sweep
from cxsim.analysis.sweeps.plots import (
    _grid,
    fmt_value,
    name_label,
    panel_title,
    replications_note,
    scale,
    unit_label,
)
from cxsim.analysis.sweeps.stats import point_stats
from cxsim.model.registry import TABLES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEFAULT_METRICS = ("online_share", "showrooming_rate", "webrooming_rate", "nps")
"""Drawn when none of the analysed metrics is a timeseries column."""
MAX_LINES = 8


def envelope_metrics(sweep: Sweep, metrics: list[str]) -> list[str]:
    """The analysed metrics that the timeseries table has (else :data:`DEFAULT_METRICS`)."""
    columns = {m.name for m in TABLES["timeseries"] if m.unit not in ("text", "days")}
    chosen = [m for m in metrics if m in columns]
    return chosen or [m for m in DEFAULT_METRICS if m in columns]


def plot_envelopes(sweep: Sweep, metrics: list[str]) -> Figure | None:
    """Envelope of each metric over time across the sweep's points (None without a timeseries table)."""
    if "timeseries" not in sweep.info.get("tables", []) or sweep.timeseries.empty:
        return None
    chosen = envelope_metrics(sweep, metrics)
    stats = point_stats(sweep, chosen, table="timeseries")
    points = sorted(stats["point"].unique())
    design = sweep.design.drop_duplicates("point").set_index("point")
    reps = int(stats["n"].max()) if len(stats) else 0
    with style():
        fig, axes = _grid(len(chosen), 5.6, 3.4)
        handles = []
        for ax, m in zip(axes, chosen, strict=False):
            d = stats[stats["metric"] == m]
            k = scale(m)
            daily = d.groupby("day")["mean"].agg(["min", "max", "mean"]).reset_index()
            ax.fill_between(
                daily["day"], k * daily["min"], k * daily["max"], color=PALETTE[0], alpha=0.18, lw=0
            )
            (mean_line,) = ax.plot(
                daily["day"], k * daily["mean"], color=PALETTE[0], lw=1.8, label="mean of points"
            )
            if len(points) <= MAX_LINES:
                for i, p in enumerate(points):
                    g = d[d["point"] == p]
                    text = ", ".join(
                        f"{name_label(c)} = {fmt_value(design.loc[p, c])}" for c in sweep.parameters
                    )
                    (line,) = ax.plot(
                        g["day"], k * g["mean"], color=PALETTE[(i + 1) % len(PALETTE)], lw=0.9, label=text
                    )
                    if ax is axes[0]:
                        handles.append(line)
            if ax is axes[0]:
                handles.insert(0, mean_line)
            ax.set_title(panel_title(m), loc="left")
            ax.set_ylabel(unit_label(m))
            ax.set_xlabel("day")
        note = replications_note(reps, "")
        title = (
            f"{sweep.name}: over time across {len(points):,} points (band = lowest to highest point; {note})"
        )
        return finish(fig, title, handles=handles, ncol=2, size=12)


def timeseries_points(sweep: Sweep, metrics: list[str]) -> pd.DataFrame:
    """The day-by-day statistics behind :func:`plot_envelopes` (``point_stats`` of the timeseries)."""
    return point_stats(sweep, envelope_metrics(sweep, metrics), table="timeseries")
