"""Figures of customer journeys: showrooming and webrooming rates, and the alluvial journey flow.

The flow (research channel → fulfilment → outcome) is drawn as customer-experience
teams draw it; its cells are those of :mod:`cxsim.model.journeys`. Showrooming
(a store visit, then home delivery) and webrooming (online research, then a
purchase in a shop) ribbons are drawn in the app's colours for them (cxsim.app.palette
``JOURNEY_COLORS``, repeated here: analysis does not import the app), the other
research → fulfilment ribbons in a pale grey-blue. Labels stay off the ribbons:
the research column's left of its nodes, the outcome column's right of its nodes,
the fulfilment column's inside its (wider, dark) nodes. ``store=`` titles the
flow of one store's purchases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxsim.analysis.figures.stores import scenario_handles
from cxsim.analysis.figures.style import band, colours, finish, reps_note
from cxsim.model.journeys import FULFILMENT, KINDS, OUTCOMES, RESEARCH, journey_kind

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

RESEARCH_LABELS = dict(
    zip(RESEARCH, ("no research\n(habit)", "researched\nonline", "visited\na store"), strict=True)
)
FULFILMENT_LABELS = dict(zip(FULFILMENT, ("walk-in", "home\ndelivery", "pick-up\nin store"), strict=True))
OUTCOME_COLOURS = dict(zip(OUTCOMES, ("#2e8b57", "#e0a526", "#d4561e", "#8b1a1a"), strict=True))
RESEARCH_COLOURS = dict(zip(RESEARCH, ("#9aa5b1", "#1f5fa6", "#8e44ad"), strict=True))
KIND_COLOURS = dict(zip(KINDS, ("#e4572e", "#6a3d9a", "#b9c6d8"), strict=True))
"""Ribbon colour of each named journey, as the app draws them (showrooming, webrooming, other)."""
KIND_ALPHA = {"showrooming": 0.85, "webrooming": 0.85, "other journeys": 0.45}
NODE_WIDTHS = (0.09, 0.36, 0.09)
"""Width of each column's nodes (the fulfilment column holds its labels)."""
OUTCOME_NOTE = (
    "Outcome: satisfied = kept and would recommend or is neutral (7-10); disappointed = kept, "
    "a detractor (0-6); returned = sent back; avoids store = so disappointed that the shopper "
    "now avoids the store for a while."
)
RATE_PANELS = (
    (
        (
            ("showrooming_rate", "showrooming\n(seen in a shop,\nbought online)"),
            ("competitive_showrooming_rate", "competitive\nshowrooming\n(bought elsewhere)"),
            ("webrooming_rate", "webrooming\n(researched online,\nbought in a shop)"),
        ),
        "Share of purchases (%, summary window)",
    ),
    (
        (
            ("share_shoppers_showroomed", "shoppers who\nshowroomed"),
            ("share_shoppers_webroomed", "shoppers who\nwebroomed"),
        ),
        "Share of shoppers who did it at least once (%)",
    ),
)
"""Panels of :func:`journey_rates`: (summary metric, bar label) items and the panel title."""


def _percent_bars(
    ax: Axes, replications: pd.DataFrame, items: Sequence[tuple[str, str]], scenarios: Sequence[str]
) -> None:
    """Vertical bars in % per item, one per scenario, with 95% CI error bars and values."""
    cols = colours(scenarios)
    width = 0.8 / len(scenarios)
    for i, (key, _label) in enumerate(items):
        if key not in replications:
            continue
        b = band(replications, key, by=("scenario",)).set_index("scenario")
        for j, scen in enumerate(scenarios):
            if scen not in b.index:
                continue
            m, lo, hi = (100 * float(b.loc[scen, c]) for c in ("mean", "lo", "hi"))
            x = i - 0.4 + width * (j + 0.5)
            err = None if not np.isfinite(lo) else [[m - lo], [hi - m]]
            ax.bar(x, m, width=width * 0.92, color=cols[scen], yerr=err, capsize=2, ecolor="#333")
            ax.annotate(
                f"{m:.1f}%",
                (x, hi if np.isfinite(hi) else m),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    ax.set_xticks(range(len(items)), [text for _, text in items])
    ax.set_ylabel("%")
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.1)


def journey_rates(replications: pd.DataFrame, scenarios: Sequence[str]) -> Figure:
    """Showrooming and webrooming: shares of purchases and shares of shoppers."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    for ax, (items, title) in zip(axes, RATE_PANELS, strict=True):
        _percent_bars(ax, replications, items, scenarios)
        ax.set_title(title, loc="left")
    title = f"Showrooming and webrooming ({reps_note(replications, 'error bar')})"
    return finish(fig, title, handles=scenario_handles(scenarios), ncol=6)


def _ribbon(
    ax: Axes, x0: float, y0: tuple[float, float], x1: float, y1: tuple[float, float], **kw: Any
) -> None:
    """A flow band from (x0, y0 bottom..top) to (x1, y1 bottom..top) with S-curved edges."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    xm = (x0 + x1) / 2
    verts = [
        (x0, y0[0]),
        (xm, y0[0]),
        (xm, y1[0]),
        (x1, y1[0]),
        (x1, y1[1]),
        (xm, y1[1]),
        (xm, y0[1]),
        (x0, y0[1]),
        (x0, y0[0]),
    ]
    codes = [MPath.MOVETO, *[MPath.CURVE4] * 3, MPath.LINETO, *[MPath.CURVE4] * 3, MPath.CLOSEPOLY]
    ax.add_patch(PathPatch(MPath(verts, codes), lw=0, **kw))


STAGES: tuple[tuple[str, tuple[str, ...], dict[str, str]], ...] = (
    ("research", RESEARCH, RESEARCH_LABELS),
    ("fulfilment", FULFILMENT, FULFILMENT_LABELS),
    ("outcome", OUTCOMES, {k: k for k in OUTCOMES}),
)
"""The alluvial's columns: table column, its values in order, their labels."""


def _nodes(
    ax: Axes, flows: pd.DataFrame, total: float, gap: float
) -> dict[tuple[int, str], tuple[float, float]]:
    """Draw each column's stacked nodes with labels (off the ribbons); returns each node's (bottom, top)."""
    from matplotlib.patches import Rectangle

    pos: dict[tuple[int, str], tuple[float, float]] = {}
    for x, (col, keys, names) in enumerate(STAGES):
        share = flows.groupby(col)["purchases"].sum().reindex(list(keys), fill_value=0) / total
        scale = 1.0 - gap * (int((share > 0).sum()) - 1)
        y = 1.0
        for k in keys:
            h = float(share[k]) * scale
            if h <= 0:
                continue
            pos[(x, k)] = (y - h, y)
            width = NODE_WIDTHS[x]
            colour = (RESEARCH_COLOURS.get(k), "#3b4450", OUTCOME_COLOURS.get(k, "#555"))[x]
            ax.add_patch(Rectangle((x - width / 2, y - h), width, h, color=colour, zorder=3))
            text = f"{names[k]}  {100 * share[k]:.0f}%"
            if x == 1:  # inside the node: the space right of it is the ribbons'
                one_line = text.replace("\n", " ")
                small = h < 0.07
                ax.text(
                    x,
                    y - h / 2,
                    one_line if small else text,
                    ha="center",
                    va="center",
                    fontsize=7 if small else 8.5,
                    color="white",
                    fontweight="bold",
                    zorder=4,
                )
            else:
                side = -1 if x == 0 else 1
                ax.text(
                    x + side * (width / 2 + 0.02),
                    y - h / 2,
                    text,
                    ha="right" if x == 0 else "left",
                    va="center",
                    fontsize=8.5,
                )
            y -= h + gap
    return pos


def _alluvial(ax: Axes, flows: pd.DataFrame, title: str) -> None:
    """Three columns of stacked nodes (research, fulfilment, outcome) joined by flow bands."""
    total = float(flows["purchases"].sum())
    ax.set_title(title, loc="left", pad=22, fontsize=12)
    ax.set_xlim(-0.35, 2.55)
    ax.set_ylim(-0.04, 1.04)
    ax.axis("off")
    if total <= 0:
        ax.text(0.5, 0.5, "no purchases", ha="center", transform=ax.transAxes)
        return
    pos = _nodes(ax, flows, total, gap=0.035)
    for x in range(len(STAGES) - 1):
        a, keys_a, _ = STAGES[x]
        b, keys_b, _ = STAGES[x + 1]
        sizes = flows.groupby([a, b])["purchases"].sum() / total
        tot_a = flows.groupby(a)["purchases"].sum() / total
        tot_b = flows.groupby(b)["purchases"].sum() / total
        out_off = {k: top for (xx, k), (_, top) in pos.items() if xx == x}
        in_off = {k: top for (xx, k), (_, top) in pos.items() if xx == x + 1}
        for ka in keys_a:
            for kb in keys_b:
                v = float(sizes.get((ka, kb), 0.0))
                if v <= 0 or (x, ka) not in pos or (x + 1, kb) not in pos:
                    continue
                ha = v / float(tot_a[ka]) * (pos[(x, ka)][1] - pos[(x, ka)][0])
                hb = v / float(tot_b[kb]) * (pos[(x + 1, kb)][1] - pos[(x + 1, kb)][0])
                y0 = (out_off[ka] - ha, out_off[ka])
                y1 = (in_off[kb] - hb, in_off[kb])
                out_off[ka] -= ha
                in_off[kb] -= hb
                if x == 0:
                    kind = journey_kind(RESEARCH.index(ka), FULFILMENT.index(kb))
                    colour, alpha = KIND_COLOURS[kind], KIND_ALPHA[kind]
                else:
                    colour, alpha = OUTCOME_COLOURS[kb], 0.35
                x0, x1 = x + NODE_WIDTHS[x] / 2, x + 1 - NODE_WIDTHS[x + 1] / 2
                _ribbon(ax, x0, y0, x1, y1, color=colour, alpha=alpha, zorder=2)
    for x, name in enumerate(("Research", "Fulfilment", "Outcome")):
        ax.text(x, 1.03, name, ha="center", va="bottom", fontsize=9.5, fontweight="bold")


def journey_flow(
    journeys: pd.DataFrame, scenarios: Sequence[str], *, note: str = "", store: str | None = None
) -> Figure:
    """Customer-journey flow per scenario: research channel → fulfilment → outcome (mean over runs).

    ``store`` (a display label) says in the title that ``journeys`` are one store's purchases.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    present = [s for s in scenarios if s in set(journeys["scenario"])]
    k = max(len(present), 1)
    ncol = min(k, 2)
    nrow = math.ceil(k / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.2 * ncol, 5.6 * nrow + 0.8), squeeze=False)
    for ax, scen in zip(axes.flat, present, strict=False):
        flows = journeys[journeys["scenario"] == scen]
        cells = flows.groupby(["research", "fulfilment", "outcome"], as_index=False)["purchases"].sum()
        _alluvial(ax, cells, scen)
    for ax in axes.flat[len(present) :]:
        ax.set_visible(False)
    text = OUTCOME_NOTE + (" " + note if note else "")
    fig.text(0.01, 0.005, text, fontsize=8.5, wrap=True, va="bottom")
    whose = f"{store}'s purchases" if store else "purchases"
    title = (
        "Customer journeys: research → fulfilment → outcome "
        f"(% of {whose} in the summary window; {reps_note(journeys, '')})"
    )
    handles = [
        Patch(color=KIND_COLOURS[k], alpha=KIND_ALPHA[k], label=text)
        for k, text in zip(
            KINDS,
            (
                "showrooming (store visit → home delivery)",
                "webrooming (online research → walk-in)",
                "other journeys",
            ),
            strict=True,
        )
    ]
    return finish(fig, title, handles=handles, bottom=0.05, size=12)
