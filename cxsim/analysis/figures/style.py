"""What every figure shares: the list of figures, colours, the style, bands, notes, the finishing touch.

Every figure takes tidy tables with ``scenario`` and ``rep`` columns (a single
run is one scenario with one replication). Lines are means over replications,
bands their 95% confidence intervals (:func:`cxsim.core.stats.ci_half_width`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxsim.core.stats import ci_half_width
from cxsim.model.registry import metric

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

FIGURES = {
    "channel_shares": "Channel shares over time",
    "market_share_nps": "Market share and NPS by store",
    "journey_rates": "Showrooming and webrooming",
    "store_cash": "Store cash over time",
    "journey_flow": "Customer journeys: research → fulfilment → outcome",
    "switching": "Where customers switched between stores",
}
"""File stem and title of each figure, in the order a report shows them."""

PALETTE = ("#1f5fa6", "#d4561e", "#2e8b57", "#8e44ad", "#b8860b", "#c0392b", "#117a8b", "#7f8c8d")
MIN_REPS_FOR_BANDS = 3
"""Time series get a confidence band only from this many replications on (with two, the
t-based band is so wide, t = 12.7, that it hides the lines)."""


def colours(scenarios: Sequence[str]) -> dict[str, str]:
    """A fixed colour per scenario, in order."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenarios)}


def label(name: str, table: str = "summary") -> str:
    """The registered label of a metric, capitalised for a panel title (``Home delivery``)."""
    text = metric(name, table).label
    return text[:1].upper() + text[1:]


@contextmanager
def style() -> Iterator[None]:
    """Matplotlib (Agg backend) with the figures' look, for the block."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rc: dict[Any, Any] = {
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
    }
    with plt.rc_context(rc):
        yield


def band(
    df: pd.DataFrame, value: str, by: Sequence[str] = ("scenario", "day"), min_reps: int = 2
) -> pd.DataFrame:
    """Mean and 95% CI over replications of ``value`` per ``by`` (columns mean, lo, hi).

    The interval is NaN where fewer than ``min_reps`` replications are available.
    """
    g = df.groupby(list(by), sort=False)[value].agg(["mean", "std", "count"]).reset_index()
    n = g["count"].to_numpy()
    half = np.where(n >= min_reps, ci_half_width(g["std"].to_numpy(), n), np.nan)
    g["lo"] = g["mean"] - half
    g["hi"] = g["mean"] + half
    return g


def store_labels(stores: pd.DataFrame) -> dict[str, str]:
    """Display label of each store by name, from a table with ``store`` and ``label`` columns."""
    return dict(stores.drop_duplicates("store")[["store", "label"]].to_numpy())


def reps_note(df: pd.DataFrame, what: str = "band") -> str:
    """``mean of 10 replications, band = 95% CI`` (``what``: band, error bar or nothing)."""
    n = int(df.groupby("scenario")["rep"].nunique().max())
    if n <= 1:
        return "one run"
    if what == "band" and n < MIN_REPS_FOR_BANDS:
        return f"mean of {n} replications; bands need at least {MIN_REPS_FOR_BANDS}"
    return f"mean of {n} replications" + (f", {what} = 95% CI" if what else "")


def finish(
    fig: Figure,
    title: str,
    *,
    handles: Sequence[Artist] = (),
    ncol: int = 4,
    top: float = 0.95,
    bottom: float = 0.0,
    size: float = 13,
) -> Figure:
    """Title the figure (bold, left), put the legend of ``handles`` under the panels and lay it out.

    ``bottom`` keeps a share of the height free below the legend (for a note);
    ``top`` is where the panels end under the title.
    """
    fig.suptitle(title, fontsize=size, fontweight="bold", x=0.01, ha="left")
    if handles:
        ncol = max(1, min(len(handles), ncol))
        fig.legend(handles=list(handles), loc="lower center", ncol=ncol, bbox_to_anchor=(0.5, bottom))
        bottom += (0.25 + 0.24 * math.ceil(len(handles) / ncol)) / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, top))
    return fig


def save(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG and release it."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
