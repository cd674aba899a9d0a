"""The switching figure: where each store's lost customers went and where its new ones came from.

One panel per scenario: a matrix of purchases over the summary window by the
store of the shopper's previous purchase (rows) and the store bought from
(columns), mean over replications with the half-width of its 95% CI in each
cell. Off the diagonal (coloured by size) a row is where a store's lost
customers went, a column where its new customers came from; the diagonal
(grey) is repeat purchases. The flows are :mod:`cxsim.experiments.switching`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxsim.analysis.figures.style import finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _matrix(ax: Axes, flows: pd.DataFrame, order: list[str], labels: dict[str, str], vmax: float) -> None:
    n = len(order)
    mean = np.full((n, n), np.nan)
    half = np.full((n, n), np.nan)
    index = {s: i for i, s in enumerate(order)}
    for r in flows.itertuples(index=False):
        i, j = index[str(r.from_store)], index[str(r.to_store)]
        mean[i, j] = float(r.mean)
        half[i, j] = float(r.ci_high) - float(r.mean)
    off = np.where(np.eye(n, dtype=bool), np.nan, mean)
    ax.imshow(off, cmap="Oranges", vmin=0, vmax=max(vmax, 1.0), aspect="auto")
    diag = np.where(np.eye(n, dtype=bool), 1.0, np.nan)
    ax.imshow(diag, cmap="Greys", vmin=0, vmax=4, aspect="auto")
    for i in range(n):
        for j in range(n):
            if not np.isfinite(mean[i, j]):
                continue
            text = f"{mean[i, j]:,.0f}"
            if np.isfinite(half[i, j]):
                text += f"\n±{half[i, j]:,.0f}"
            dark = i != j and mean[i, j] > 0.6 * vmax
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "#222")
    names = [labels.get(s, s) for s in order]
    ax.set_xticks(range(n), names, rotation=30, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("bought from (won the customer)")
    ax.set_ylabel("previous store (lost the customer)")
    ax.grid(False)


def switching_figure(flows: pd.DataFrame, scenarios: Sequence[str], window_days: int | None = None) -> Figure:
    """Store-to-store flows per scenario.

    ``flows``: :func:`cxsim.experiments.switching.switching_summary` of a comparison.
    """
    import matplotlib.pyplot as plt

    present = [s for s in scenarios if s in set(flows["scenario"])]
    k = max(len(present), 1)
    ncol = min(k, 2)
    nrow = math.ceil(k / ncol)
    order = list(dict.fromkeys(flows["from_store"]))
    labels = dict(zip(flows["from_store"], flows["from_label"], strict=False))
    n = len(order)
    size = 1.0 + 0.95 * n
    fig, axes = plt.subplots(nrow, ncol, figsize=(size * ncol + 1.5, size * nrow + 1.2), squeeze=False)
    switches = flows[flows["kind"] == "switch"]
    vmax = float(switches["mean"].max()) if len(switches) else 1.0
    for ax, scen in zip(axes.flat, present, strict=False):
        _matrix(ax, flows[flows["scenario"] == scen], order, labels, vmax)
        ax.set_title(scen, loc="left")
    for ax in axes.flat[len(present) :]:
        ax.set_visible(False)
    reps = int(flows["n"].max()) if len(flows) else 0
    over = f"last {window_days} days" if window_days else "summary window"
    how = f"mean of {reps} replications ± 95% CI" if reps > 1 else "one run"
    title = f"Where customers switched: purchases by previous store and store ({over}; {how})"
    return finish(fig, title, size=12)
