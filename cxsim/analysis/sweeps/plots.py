"""Figures of a sweep: lines with bands, heatmaps, scatter plots and sensitivity-index bar charts."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxsim.analysis.figures.style import finish
from cxsim.model.registry import TABLES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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


def name_label(name: str) -> str:
    """A readable label: a metric's registered label; dotted paths as they are; else without underscores."""
    for table in ("summary", "stores", "timeseries"):
        for m in TABLES[table]:
            if m.name == name:
                return m.label
    dotted = name.replace("__", ".")
    return dotted if "." in dotted else dotted.replace("_", " ")


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
    fig, axes = _grid(len(metrics))
    cmap = pyplot().get_cmap("viridis")
    for ax, m in zip(axes, metrics, strict=False):
        d = stats[stats["metric"] == m]
        groups = [(None, d)] if hue is None else list(d.groupby(hue, sort=True))
        for k, (key, g) in enumerate(groups):
            g = g.groupby(x, as_index=False)[["mean", "ci_low", "ci_high"]].mean().sort_values(x)
            color = cmap(k / max(len(groups) - 1, 1)) if hue is not None else "tab:blue"
            text = None if hue is None else f"{name_label(hue)} = {fmt_value(key)}"
            ax.plot(g[x], g["mean"], marker="o", ms=3, color=color, label=text)
            ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=color, alpha=0.2, lw=0)
        ax.set_xlabel(name_label(x))
        ax.set_title(name_label(m))
        ax.grid(alpha=0.3)
    if hue is not None:
        axes[0].legend(fontsize="small", title=None)
    return finish(fig, title or "mean and 95% CI across replications", size=12)


def plot_heatmaps(stats: pd.DataFrame, x: str, y: str, title: str = "") -> Figure:
    """Mean of each metric over a two-parameter grid, one heatmap per metric."""
    metrics = list(dict.fromkeys(stats["metric"]))
    fig, axes = _grid(len(metrics), 4.6, 3.6)
    for ax, m in zip(axes, metrics, strict=False):
        d = stats[stats["metric"] == m].pivot_table(index=y, columns=x, values="mean", aggfunc="mean")
        values = d.to_numpy()
        im = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(d.shape[1]), [f"{v:g}" for v in d.columns], fontsize="small")
        ax.set_yticks(range(d.shape[0]), [f"{v:g}" for v in d.index], fontsize="small")
        ax.set_xlabel(name_label(x))
        ax.set_ylabel(name_label(y))
        ax.set_title(name_label(m))
        if d.size <= 64:
            finite = values[np.isfinite(values)]
            mid = (finite.min() + finite.max()) / 2 if finite.size else 0
            for (i, j), v in np.ndenumerate(values):
                colour = "w" if v < mid else "k"
                ax.text(j, i, fmt_number(v), ha="center", va="center", fontsize=7, color=colour)
        fig.colorbar(im, ax=ax, shrink=0.85)
    return finish(fig, title or "mean across replications", size=12)


def plot_scatter(means: pd.DataFrame, params: list[str], metrics: list[str], title: str = "") -> Figure:
    """Replication mean of each metric (rows) against each parameter (columns)."""
    params, metrics = params[:8], metrics[:6]
    fig, axes = pyplot().subplots(
        len(metrics), len(params), figsize=(2.6 * len(params), 2.2 * len(metrics)), squeeze=False
    )
    for i, m in enumerate(metrics):
        for j, p in enumerate(params):
            ax = axes[i, j]
            ax.scatter(means[p], means[m], s=6, alpha=0.6)
            if i == len(metrics) - 1:
                ax.set_xlabel(name_label(p), fontsize="small")
            if j == 0:
                ax.set_ylabel(name_label(m), fontsize="small")
            ax.tick_params(labelsize="x-small")
    return finish(fig, title or "replication mean of each point", size=12)


def _index_bars(
    indices: pd.DataFrame,
    title: str,
    draw: Callable[[Axes, pd.DataFrame, np.ndarray], None],
    titled: Callable[[str, pd.DataFrame], str],
) -> Figure:
    """One panel per metric of index bars over the parameters, drawn by ``draw(ax, d, pos)``."""
    metrics = list(dict.fromkeys(indices["metric"]))
    fig, axes = _grid(len(metrics), 4.6, 3.4)
    for ax, m in zip(axes, metrics, strict=False):
        d = indices[indices["metric"] == m]
        pos = np.arange(len(d))
        draw(ax, d, pos)
        labels = [name_label(p) for p in d["parameter"]]
        ax.set_xticks(pos, labels, rotation=35, ha="right", fontsize="small")
        ax.set_title(titled(m, d))
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize="small")
    return finish(fig, title, size=12)


def plot_sobol(indices: pd.DataFrame, title: str = "") -> Figure:
    """First-order and total Sobol indices with confidence intervals, one panel per metric."""

    def draw(ax: Axes, d: pd.DataFrame, pos: np.ndarray) -> None:
        ax.bar(pos - 0.2, d["S1"], 0.4, yerr=d["S1_conf"], capsize=2, label="first order S1")
        ax.bar(pos + 0.2, d["ST"], 0.4, yerr=d["ST_conf"], capsize=2, label="total ST")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylim(min(-0.05, float((d["S1"] - d["S1_conf"]).min()) - 0.05), 1.05)

    def titled(m: str, d: pd.DataFrame) -> str:
        noise = d["noise_share"].iloc[0]
        return name_label(m) + ("" if not np.isfinite(noise) else f" (noise {noise:.0%})")

    return _index_bars(indices, title or "Sobol indices (95% bootstrap CI)", draw, titled)


def plot_morris(indices: pd.DataFrame, title: str = "") -> Figure:
    """Morris μ* with confidence intervals (bars) and σ (dots), one panel per metric."""

    def draw(ax: Axes, d: pd.DataFrame, pos: np.ndarray) -> None:
        ax.bar(pos, d["mu_star"], 0.6, yerr=d["mu_star_conf"], capsize=2, label="μ*")
        ax.plot(pos, d["sigma"], "o", color="tab:red", label="σ")

    return _index_bars(
        indices, title or "Morris elementary effects (95% bootstrap CI)", draw, lambda m, _d: name_label(m)
    )
