"""Figures of a sweep: lines with bands, heatmaps, scatter plots and sensitivity-index bar charts.

They look like ``compare``'s (:mod:`cxsim.analysis.figures.style`): its style, its
palette, registered labels with units on the axes (shares in %), and the
replications in the title ("mean of R replications, band = 95% CI"; bands from
:data:`~cxsim.analysis.figures.style.MIN_REPS_FOR_BANDS` replications on, as there).
Axis limits of the index charts come from the data and their intervals: no bar is cut.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxsim.analysis.figures.style import MIN_REPS_FOR_BANDS, PALETTE, finish, reps_note, style
from cxsim.analysis.sweeps.metrics import is_store_metric, split_store_metric
from cxsim.model.registry import TABLES, Metric

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

UNIT_WORDS = {
    "share": "%",
    "score": "points, −100 to 100",
    "count": "count",
    "money": "currency units",
    "index": "index, 1 = reference",
    "days": "days",
}
"""How each registry unit is named on an axis (ratios and flags have no unit)."""


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the Agg backend (imported when first needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int, width: float = 4.2, height: float = 3.2) -> tuple[Figure, list[Axes]]:
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = pyplot().subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def registered(name: str) -> Metric | None:
    """The registry's entry of a metric (store metrics: their stores-table column), or None."""
    tables: tuple[str, ...] = ("summary", "timeseries", "stores")
    if is_store_metric(name):
        name, tables = split_store_metric(name)[1], ("stores",)
    for table in tables:
        for m in TABLES[table]:
            if m.name == name:
                return m
    return None


def name_label(name: str) -> str:
    """A readable label: a metric's registered label; dotted paths as they are; else without underscores.

    A store metric reads ``chain: market share``.
    """
    m = registered(name)
    if m is not None:
        return f"{split_store_metric(name)[0]}: {m.label}" if is_store_metric(name) else m.label
    dotted = name.replace("__", ".")
    return dotted if "." in dotted else dotted.replace("_", " ")


def scale(name: str) -> float:
    """100 for shares (shown in %), else 1."""
    m = registered(name)
    return 100.0 if m is not None and m.unit == "share" else 1.0


def axis_label(name: str) -> str:
    """The label of a metric with its unit, for an axis: ``online share of purchases (%)``."""
    m = registered(name)
    unit = UNIT_WORDS.get(m.unit, "") if m is not None else ""
    return name_label(name) + (f" ({unit})" if unit else "")


def unit_label(name: str) -> str:
    """The unit of a metric alone, for the y axis under a panel titled with its label (``%``)."""
    m = registered(name)
    return UNIT_WORDS.get(m.unit, "") if m is not None else ""


def panel_title(name: str) -> str:
    """A metric's label, capitalised, for a panel title."""
    text = name_label(name)
    return text[:1].upper() + text[1:]


def replications_note(n: int, what: str = "band") -> str:
    """Compare's words: ``mean of R replications, band = 95% CI`` (or why there is no band)."""
    return reps_note(pd.DataFrame({"scenario": "sweep", "rep": range(max(n, 1))}), what)


def fmt_value(v: object) -> str:
    """A parameter value: floats compactly (``0.9``), anything else as text."""
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


def fmt_number(v: float) -> str:
    """A statistic in three significant digits (thousands separated from 100 on; empty if not finite)."""
    if not np.isfinite(v):
        return ""
    return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"


def plot_lines(stats: pd.DataFrame, x: str, hue: str | None = None, title: str = "") -> Figure:
    """Mean of each metric against parameter ``x`` with its confidence band (one line per ``hue``)."""
    metrics = list(dict.fromkeys(stats["metric"]))
    reps = int(stats["n"].max()) if len(stats) else 0
    with style():
        fig, axes = _grid(len(metrics))
        for ax, m in zip(axes, metrics, strict=False):
            d = stats[stats["metric"] == m]
            k = scale(m)
            groups = [(None, d)] if hue is None else list(d.groupby(hue, sort=True))
            for i, (key, g) in enumerate(groups):
                g = g.groupby(x, as_index=False)[["mean", "ci_low", "ci_high"]].mean().sort_values(x)
                color = PALETTE[i % len(PALETTE)]
                text = None if hue is None else f"{name_label(hue)} = {fmt_value(key)}"
                ax.plot(g[x], k * g["mean"], marker="o", ms=3, color=color, label=text)
                if reps >= MIN_REPS_FOR_BANDS:
                    ax.fill_between(g[x], k * g["ci_low"], k * g["ci_high"], color=color, alpha=0.2, lw=0)
            ax.set_xlabel(name_label(x))
            ax.set_ylabel(unit_label(m))
            ax.set_title(panel_title(m), loc="left")
        if hue is not None:
            axes[0].legend(fontsize="small")
        head = title or "Sweep"
        return finish(fig, f"{head} ({replications_note(reps)})", size=12)


def plot_heatmaps(stats: pd.DataFrame, x: str, y: str, title: str = "") -> Figure:
    """Mean of each metric over a two-parameter grid, one heatmap per metric."""
    metrics = list(dict.fromkeys(stats["metric"]))
    reps = int(stats["n"].max()) if len(stats) else 0
    with style():
        fig, axes = _grid(len(metrics), 4.6, 3.6)
        for ax, m in zip(axes, metrics, strict=False):
            d = stats[stats["metric"] == m].pivot_table(index=y, columns=x, values="mean", aggfunc="mean")
            values = scale(m) * d.to_numpy()
            im = ax.imshow(values, origin="lower", aspect="auto", cmap="Blues")
            ax.grid(False)
            ax.set_xticks(range(d.shape[1]), [f"{v:g}" for v in d.columns], fontsize="small")
            ax.set_yticks(range(d.shape[0]), [f"{v:g}" for v in d.index], fontsize="small")
            ax.set_xlabel(name_label(x))
            ax.set_ylabel(name_label(y))
            ax.set_title(panel_title(m), loc="left")
            if d.size <= 64:
                finite = values[np.isfinite(values)]
                mid = (finite.min() + finite.max()) / 2 if finite.size else 0
                for (i, j), v in np.ndenumerate(values):
                    colour = "k" if v < mid else "w"
                    ax.text(j, i, fmt_number(v), ha="center", va="center", fontsize=7, color=colour)
            fig.colorbar(im, ax=ax, shrink=0.85, label=axis_label(m))
        head = title or "Sweep"
        return finish(fig, f"{head} ({replications_note(reps, '')})", size=12)


def plot_scatter(means: pd.DataFrame, params: list[str], metrics: list[str], title: str = "") -> Figure:
    """Replication mean of each metric (rows) against each parameter (columns)."""
    params, metrics = params[:8], metrics[:6]
    with style():
        fig, axes = pyplot().subplots(
            len(metrics), len(params), figsize=(2.8 * len(params), 2.4 * len(metrics)), squeeze=False
        )
        for i, m in enumerate(metrics):
            for j, p in enumerate(params):
                ax = axes[i, j]
                ax.scatter(means[p], scale(m) * means[m], s=7, alpha=0.6, color=PALETTE[0], lw=0)
                if i == len(metrics) - 1:
                    ax.set_xlabel(name_label(p), fontsize="small")
                if j == 0:
                    ax.set_ylabel(axis_label(m), fontsize="small")
                ax.tick_params(labelsize="x-small")
        return finish(fig, title or "Replication mean of each point", size=12)


def index_limits(low: np.ndarray, high: np.ndarray) -> tuple[float, float]:
    """Axis limits that hold 0, every bar and every interval (never clipped), with a margin."""
    lo = min(0.0, float(np.nanmin(low))) if np.isfinite(low).any() else 0.0
    hi = max(0.0, float(np.nanmax(high))) if np.isfinite(high).any() else 1.0
    pad = 0.06 * ((hi - lo) or 1.0)
    return lo - (pad if lo < 0 else 0.0), hi + pad


def _index_bars(
    indices: pd.DataFrame,
    title: str,
    draw: Callable[[Axes, pd.DataFrame, np.ndarray], None],
    titled: Callable[[str, pd.DataFrame], str],
) -> Figure:
    """One panel per metric of index bars over the parameters, drawn by ``draw(ax, d, pos)``."""
    metrics = list(dict.fromkeys(indices["metric"]))
    with style():
        fig, axes = _grid(len(metrics), 4.6, 3.4)
        for ax, m in zip(axes, metrics, strict=False):
            d = indices[indices["metric"] == m]
            pos = np.arange(len(d))
            draw(ax, d, pos)
            labels = [name_label(p) for p in d["parameter"]]
            ax.set_xticks(pos, labels, rotation=35, ha="right", fontsize="small")
            ax.set_title(titled(m, d), loc="left")
            ax.grid(axis="x", visible=False)
        axes[0].legend(fontsize="small")
        return finish(fig, title, size=12)


def plot_sobol(indices: pd.DataFrame, title: str = "") -> Figure:
    """First-order and total Sobol indices with confidence intervals, one panel per metric.

    The y axis spans every bar and interval (an estimate above 1 or below 0 shows as
    it is, with the impossible region beyond 1 marked), so nothing is clipped.
    """

    def draw(ax: Axes, d: pd.DataFrame, pos: np.ndarray) -> None:
        ax.bar(
            pos - 0.2, d["S1"], 0.4, yerr=d["S1_conf"], capsize=2, color=PALETTE[0], label="first order S1"
        )
        ax.bar(pos + 0.2, d["ST"], 0.4, yerr=d["ST_conf"], capsize=2, color=PALETTE[1], label="total ST")
        ax.axhline(0, color="k", lw=0.5)
        low = np.concatenate([d["S1"] - d["S1_conf"], d["ST"] - d["ST_conf"]]).astype(float)
        high = np.concatenate([d["S1"] + d["S1_conf"], d["ST"] + d["ST_conf"]]).astype(float)
        lo, hi = index_limits(low, high)
        if hi > 1:
            ax.axhspan(1, hi, color="#c0392b", alpha=0.08, lw=0)
            ax.axhline(1, color="#c0392b", lw=0.8, ls="--")
        ax.set_ylim(lo, hi)
        ax.set_ylabel("share of variance")

    def titled(m: str, d: pd.DataFrame) -> str:
        noise = d["noise_share"].iloc[0]
        return panel_title(m) + ("" if not np.isfinite(noise) else f" (noise {noise:.0%})")

    return _index_bars(indices, title or "Sobol indices (error bars = 95% bootstrap CI)", draw, titled)


def plot_morris(indices: pd.DataFrame, title: str = "") -> Figure:
    """Morris μ* with confidence intervals (bars) and σ (dots), one panel per metric."""

    def draw(ax: Axes, d: pd.DataFrame, pos: np.ndarray) -> None:
        m = str(d["metric"].iloc[0])
        k = scale(m)
        ax.bar(
            pos, k * d["mu_star"], 0.6, yerr=k * d["mu_star_conf"], capsize=2, color=PALETTE[0], label="μ*"
        )
        ax.plot(pos, k * d["sigma"], "o", color=PALETTE[1], label="σ")
        high = np.concatenate([k * (d["mu_star"] + d["mu_star_conf"]), k * d["sigma"]]).astype(float)
        ax.set_ylim(*index_limits(np.zeros(1), high))
        ax.set_ylabel("elementary effect" + (" (percentage points)" if k == 100 else ""))

    return _index_bars(
        indices,
        title or "Morris elementary effects (error bars = 95% bootstrap CI)",
        draw,
        lambda m, _d: panel_title(m),
    )
