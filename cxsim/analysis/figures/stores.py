"""Figures by store: market share and NPS (bars with error bars), and each store's cash over time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxsim.analysis.figures.style import (
    MIN_REPS_FOR_BANDS,
    band,
    colours,
    finish,
    label,
    reps_note,
    store_labels,
)
from cxsim.analysis.figures.timeseries import event_spans, mark_log, shade_events

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def grouped_barh(
    ax: Axes,
    data: pd.DataFrame,
    rows: Sequence[str],
    row_labels: Sequence[str],
    scenarios: Sequence[str],
    cols: dict[str, str],
    scale: float,
    fmt: str,
) -> None:
    """Horizontal bars per row, one per scenario, with 95% CI error bars and values."""
    k = len(scenarios)
    height = 0.8 / k
    for j, scen in enumerate(scenarios):
        for i, row in enumerate(rows):
            r = data[(data["scenario"] == scen) & (data["key"] == row)]
            if r.empty or not np.isfinite(r["mean"].iloc[0]):
                continue
            y = i - 0.4 + height * (j + 0.5)
            m, lo, hi = (float(r[c].iloc[0]) * scale for c in ("mean", "lo", "hi"))
            err = None if not np.isfinite(lo) else [[m - lo], [hi - m]]
            ax.barh(y, m, height=height * 0.92, color=cols[scen], xerr=err, capsize=2, ecolor="#333")
            edge = hi if np.isfinite(hi) else m
            x = max(edge, 0) if m >= 0 else min(lo if np.isfinite(lo) else m, 0)
            ax.annotate(
                fmt.format(m),
                (x, y),
                xytext=(3 if m >= 0 else -3, 0),
                textcoords="offset points",
                va="center",
                ha="left" if m >= 0 else "right",
                fontsize=8,
            )
    ax.set_yticks(range(len(rows)), row_labels)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.axvline(0, color="#333", lw=0.8)


def scenario_handles(scenarios: Sequence[str]) -> list[Artist]:
    """Legend patches, one per scenario in its colour."""
    from matplotlib.patches import Patch

    cols = colours(scenarios)
    return [Patch(color=cols[s], label=s) for s in scenarios]


def market_share_nps(store_summary: pd.DataFrame, scenarios: Sequence[str], window_days: int) -> Figure:
    """Market share and NPS by store (mean and 95% CI over replications)."""
    import matplotlib.pyplot as plt

    cols = colours(scenarios)
    order = list(dict.fromkeys(store_summary["store"]))
    labels = store_labels(store_summary)
    n = len(order)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 2.4 + 0.32 * n * max(len(scenarios), 2)))
    share = label("market_share", "stores")
    for ax, col, scale, fmt, title in (
        (a1, "market_share", 100.0, "{:.1f}%", f"{share} (% of purchases, last {window_days} days)"),
        (a2, "nps", 1.0, "{:+.0f}", f"Net Promoter Score (−100…+100; mean over the last {window_days} days)"),
    ):
        b = band(store_summary.rename(columns={"store": "key"}), col, by=("scenario", "key"))
        grouped_barh(ax, b, order, [labels[s] for s in order], scenarios, cols, scale, fmt)
        ax.set_title(title, loc="left")
    a1.set_xlim(left=0)
    lo, hi = a2.get_xlim()
    a2.set_xlim(min(lo, 0) - 5, hi + 8)
    a1.set_xlim(right=a1.get_xlim()[1] * 1.12)
    a2.set_yticklabels([])
    title = f"Market share and NPS by store ({reps_note(store_summary, 'error bar')})"
    return finish(fig, title, handles=scenario_handles(scenarios), ncol=6)


def _closures(stores: pd.DataFrame) -> pd.DataFrame:
    """(scenario, rep, store, day) of each closure of a store that had been open."""
    shut = stores[~stores["is_open"]].groupby(["scenario", "rep", "store"])["day"].min().reset_index()
    opened = stores[stores["is_open"]].groupby(["scenario", "rep", "store"])["day"].min().reset_index()
    shut = shut.merge(opened, on=["scenario", "rep", "store"], suffixes=("", "_open"))
    return shut[shut["day"] > shut["day_open"]]


def _mark_closures(
    axes: Sequence[Axes], order: Sequence[str], stores: pd.DataFrame, cols: dict[str, str]
) -> None:
    """A cross on the zero line where a store closed: in how many runs, or on which day."""
    closures = _closures(stores)
    for ax, store in zip(axes, order, strict=False):
        sub = closures[closures["store"] == store]
        for scen, g in sub.groupby("scenario"):
            n_reps = stores[stores["scenario"] == scen]["rep"].nunique()
            colour = cols.get(str(scen), "k")
            ax.plot(g["day"], np.zeros(len(g)), "x", color=colour, ms=8, mew=2)
            ax.annotate(
                f"closed in {len(g)} of {n_reps} runs"
                if n_reps > 1
                else f"closed on day {int(g['day'].iloc[0])}",
                (float(g["day"].median()), 0),
                xytext=(4, 6),
                textcoords="offset points",
                fontsize=8,
                color=colour,
            )


def store_cash(
    stores: pd.DataFrame,
    scenarios: Sequence[str],
    *,
    ts: pd.DataFrame | None = None,
    log: pd.DataFrame | None = None,
    shoppers: int | None = None,
) -> Figure:
    """Each store's cash over time (one panel per store), closures marked."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    cols = colours(scenarios)
    order = list(dict.fromkeys(stores["store"]))
    labels = store_labels(stores)
    ncol = 3
    nrow = math.ceil(len(order) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(13, 3.3 * nrow + 0.9), sharex=True, squeeze=False)
    b = band(
        stores.assign(cash_k=stores["cash"] / 1000.0),
        "cash_k",
        by=("scenario", "store", "day"),
        min_reps=MIN_REPS_FOR_BANDS,
    )
    handles: list[Artist] = []
    zero_line = False
    for ax, store in zip(axes.flat, order, strict=False):
        for scen in scenarios:
            g = b[(b["scenario"] == scen) & (b["store"] == store)]
            if g.empty:
                continue
            (line,) = ax.plot(g["day"], g["mean"], color=cols[scen], lw=1.4, label=scen)
            if g["lo"].notna().any():
                ax.fill_between(g["day"], g["lo"], g["hi"], color=cols[scen], alpha=0.2, lw=0)
            if scen not in [h.get_label() for h in handles]:
                handles.append(line)
        sub = b[b["store"] == store]
        low = np.nanmin(sub[["mean", "lo"]].to_numpy())
        high = np.nanmax(sub[["mean", "hi"]].to_numpy())
        if low < 0.3 * max(high, 1e-9):  # the store comes near zero cash: show the zero line
            ax.axhline(0, color="#8b1a1a", lw=0.9, ls="--")
            zero_line = True
        ax.set_title(labels[store], loc="left")
        ax.set_ylabel(f"{label('cash', 'stores').lower()} (thousands)")
    shown = list(axes.flat[: len(order)])
    _mark_closures(shown, order, stores, cols)
    for ax in axes.flat[len(order) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    if ts is not None:
        handles += shade_events(shown, event_spans(ts), cols, labels)
    handles += mark_log(shown, log, cols, stores=order)
    if zero_line:
        handles.append(Line2D([], [], color="#8b1a1a", ls="--", label="zero cash"))
    per = f" for a town of {shoppers:,} shoppers" if shoppers else ""
    title = f"Store cash (thousands of currency units{per}; {reps_note(stores)})"
    return finish(fig, title, handles=handles, top=0.96)
