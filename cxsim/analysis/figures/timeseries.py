"""Figures of a run or a comparison (matplotlib, Agg backend, PNG).

Every figure takes tidy tables with ``scenario`` and ``rep`` columns (a single
run is one scenario with one replication), so the same code draws a run and a
comparison. Lines are means over replications, bands their 95% confidence
intervals; event periods (lockdowns, promotions, recessions, disruptions) are
shaded in the colour of the scenario that has them.

- ``channel_shares.png``: walk-in, home-delivery and pick-up shares over time, and purchases a day;
- ``market_share_nps.png``: market share and NPS by store;
- ``journey_rates.png``: showrooming and webrooming, as shares of purchases and of shoppers;
- ``store_cash.png``: each store's cash over time, closures marked;
- ``journey_flow.png``: research channel → fulfilment → outcome, as customer-experience teams draw it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from cxsim.experiments.compare import Comparison
    from cxsim.experiments.results import RunResult

FIGURES = {
    "channel_shares": "Channel shares over time",
    "market_share_nps": "Market share and NPS by store",
    "journey_rates": "Showrooming and webrooming",
    "store_cash": "Store cash over time",
    "journey_flow": "Customer journeys: research → fulfilment → outcome",
}
"""File stem and title of each figure, in the order a report shows them."""

PALETTE = ("#1f5fa6", "#d4561e", "#2e8b57", "#8e44ad", "#b8860b", "#c0392b", "#117a8b", "#7f8c8d")
SMOOTH_DAYS = 7
RESEARCH_LABELS = {
    "none": "no research\n(habit)",
    "online": "researched\nonline",
    "visit": "visited\na store",
}
FULFILMENT_LABELS = {"walk_in": "walk-in", "delivery": "home\ndelivery", "pickup": "pick-up\nin store"}
OUTCOME_COLOURS = {
    "satisfied": "#2e8b57",
    "disappointed": "#e0a526",
    "returned": "#d4561e",
    "avoids store": "#8b1a1a",
}
RESEARCH_COLOURS = {"none": "#9aa5b1", "online": "#1f5fa6", "visit": "#8e44ad"}


def colours(scenarios: Sequence[str]) -> dict[str, str]:
    """A fixed colour per scenario, in order."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenarios)}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rc = {
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


def _t95(n: np.ndarray) -> np.ndarray:
    from scipy import stats

    n = np.asarray(n, dtype=float)
    out = np.full(n.shape, np.nan)
    ok = n >= 2
    out[ok] = stats.t.ppf(0.975, n[ok] - 1)
    return out


MIN_REPS_FOR_BANDS = 3
"""Time series get a confidence band only from this many replications on (with two, the
t-based band is so wide, t = 12.7, that it hides the lines)."""


def band(
    df: pd.DataFrame, value: str, by: Sequence[str] = ("scenario", "day"), min_reps: int = 2
) -> pd.DataFrame:
    """Mean and 95% CI over replications of ``value`` per ``by`` (columns mean, lo, hi).

    The interval is NaN where fewer than ``min_reps`` replications are available.
    """
    g = df.groupby(list(by), sort=False)[value].agg(["mean", "std", "count"]).reset_index()
    n = g["count"].to_numpy()
    half = np.where(n >= min_reps, _t95(n), np.nan) * g["std"].to_numpy() / np.sqrt(np.maximum(n, 1))
    g["lo"] = g["mean"] - half
    g["hi"] = g["mean"] + half
    return g


def smoothed_shares(ts: pd.DataFrame, window: int = SMOOTH_DAYS) -> pd.DataFrame:
    """Channel shares per replication over a centred ``window``-day window, weighted by purchases."""
    out = []
    for (scen, rep), g in ts.sort_values("day").groupby(["scenario", "rep"], sort=False):
        n = g["purchases"].astype(float)
        roll = n.rolling(window, center=True, min_periods=1).sum().replace(0, np.nan)
        frame = pd.DataFrame({"scenario": scen, "rep": rep, "day": g["day"].to_numpy()})
        for col in ("share_walk_in", "share_delivery", "share_pickup", "online_share"):
            frame[col] = ((g[col] * n).rolling(window, center=True, min_periods=1).sum() / roll).to_numpy()
        frame["purchases"] = n.to_numpy()
        out.append(frame)
    return pd.concat(out, ignore_index=True)


def event_spans(ts: pd.DataFrame) -> dict[str, list[tuple[str, int, int]]]:
    """Per scenario, the periods each span event is in force: (name, first day, last day).

    Read from the ``events`` column of the scenario's first replication.
    """
    spans: dict[str, list[tuple[str, int, int]]] = {}
    for scen, g in ts.groupby("scenario", sort=False):
        g = g[g["rep"] == g["rep"].min()].sort_values("day")
        found: list[tuple[str, int, int]] = []
        open_: dict[str, int] = {}
        last_day = None
        for day, text in zip(g["day"].to_numpy(), g["events"].fillna("").to_numpy(), strict=True):
            names = {t for t in str(text).split(",") if t}
            for name in list(open_):
                if name not in names:
                    found.append((name, open_.pop(name), int(last_day)))  # type: ignore[arg-type]
            for name in names:
                open_.setdefault(name, int(day))
            last_day = day
        for name, start in open_.items():
            found.append((name, start, int(last_day)))  # type: ignore[arg-type]
        spans[str(scen)] = sorted(found, key=lambda x: x[1])
    return spans


def event_label(name: str, labels: dict[str, str] | None = None) -> str:
    """``promotion:giant`` → ``promotion (OnlineGiant)``, ``delivery_disruption`` → ``delivery disruption``.

    Args:
        name: an entry of the ``events`` column.
        labels: display labels of the stores by name.
    """
    kind, _, store = name.partition(":")
    text = kind.replace("_", " ")
    if store:
        text += f" ({(labels or {}).get(store, store)})"
    return text


def _shade(
    axes: Sequence[Axes],
    spans: dict[str, list[tuple[str, int, int]]],
    cols: dict[str, str],
    store_labels: dict[str, str],
) -> list[Any]:
    """Shade event periods on every axis; returns legend handles (one per event kind and scenario)."""
    from matplotlib.patches import Patch

    single = len(cols) == 1
    handles: dict[str, Any] = {}
    labelled: set[tuple[str, int]] = set()
    for scen, items in spans.items():
        colour = "#7f7f7f" if single else cols.get(scen, "#7f7f7f")
        for name, start, end in items:
            for ax in axes:
                ax.axvspan(start - 0.5, end + 0.5, color=colour, alpha=0.13, lw=0, zorder=0)
                if end - start < 3:  # a day or two is too thin to see as a shade
                    ax.axvline(start, color=colour, alpha=0.45, lw=2.5, zorder=0)
            if len(cols) > 2 or (name, start) in labelled:
                pass  # many scenarios: the legend names the shades, labels would pile up
            else:
                labelled.add((name, start))
                axes[0].annotate(
                    event_label(name, store_labels),
                    (start, 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, -4),
                    textcoords="offset points",
                    rotation=90,
                    va="top",
                    ha="left",
                    fontsize=7.5,
                    color="#333",
                    bbox={"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1},
                )
            key = event_label(name, store_labels) + ("" if single else f" — {scen}")
            handles.setdefault(key, Patch(facecolor=colour, alpha=0.25, label=key))
    return list(handles.values())


def _milestones(log: pd.DataFrame | None, words: Sequence[str]) -> list[tuple[str, int, str]]:
    """(scenario, day, message) of first-replication log lines containing any of ``words``."""
    if log is None or log.empty:
        return []
    first = log[log["rep"] == log["rep"].min()]
    mask = first["message"].str.contains("|".join(words), regex=True)
    seen: set[tuple[int, str]] = set()
    out = []
    for s, d, m in first.loc[mask, ["scenario", "day", "message"]].to_numpy():
        if (int(d), str(m)) not in seen:  # the same event in several scenarios: mark it once
            seen.add((int(d), str(m)))
            out.append((str(s), int(d), str(m)))
    return out


def _legend_below(fig: Figure, handles: list[Any], ncol: int) -> float:
    """A legend under the panels; returns the share of the figure's height to keep free for it."""
    ncol = max(1, min(len(handles), ncol))
    fig.legend(handles=handles, loc="lower center", ncol=ncol, bbox_to_anchor=(0.5, 0.0))
    rows = math.ceil(len(handles) / ncol)
    return (0.25 + 0.24 * rows) / fig.get_figheight()


def _mark_milestones(
    axes: Sequence[Axes], log: pd.DataFrame | None, cols: dict[str, str], words: Sequence[str]
) -> None:
    """Dotted lines where a store opens (or a channel, or closes), labelled on the first axis."""
    for scen, day, msg in _milestones(log, words):
        for ax in axes:
            ax.axvline(day, color=cols.get(scen, "k"), ls=":", lw=1.2)
        axes[0].annotate(
            msg.split(":")[0],
            (day, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            fontsize=8,
            va="top",
            color=cols.get(scen, "k"),
        )


def _store_labels(stores: pd.DataFrame) -> dict[str, str]:
    return dict(stores.drop_duplicates("store")[["store", "label"]].to_numpy())


def _reps_note(df: pd.DataFrame, what: str = "band") -> str:
    """``mean of 10 replications, band = 95% CI`` (``what``: band, error bar or nothing)."""
    n = int(df.groupby("scenario")["rep"].nunique().max())
    if n <= 1:
        return "one run"
    if what == "band" and n < MIN_REPS_FOR_BANDS:
        return f"mean of {n} replications; bands need at least {MIN_REPS_FOR_BANDS}"
    return f"mean of {n} replications" + (f", {what} = 95% CI" if what else "")


# ------------------------------------------------------------------------------- figures


def channel_shares(
    ts: pd.DataFrame,
    scenarios: Sequence[str],
    *,
    stores: pd.DataFrame | None = None,
    log: pd.DataFrame | None = None,
) -> Figure:
    """Walk-in, home-delivery and pick-up shares of purchases over time, and purchases a day."""
    import matplotlib.pyplot as plt

    cols = colours(scenarios)
    sm = smoothed_shares(ts)
    labels = _store_labels(stores) if stores is not None else {}
    fig, axes = plt.subplots(2, 2, figsize=(13, 7.6), sharex=True)
    panels = [
        ("share_walk_in", "Walk-in (bought in a shop)", True),
        ("share_delivery", "Home delivery", True),
        ("share_pickup", "Pick-up in store (click & collect)", True),
        ("purchases", "Purchases a day (all stores)", False),
    ]
    handles = []
    for ax, (col, title, pct) in zip(axes.flat, panels, strict=True):
        b = band(sm, col, min_reps=MIN_REPS_FOR_BANDS)
        for scen in scenarios:
            g = b[b["scenario"] == scen]
            if g.empty:
                continue
            k = 100.0 if pct else 1.0
            (line,) = ax.plot(g["day"], k * g["mean"], color=cols[scen], lw=1.4, label=scen)
            if g["lo"].notna().any():
                lo = (k * g["lo"]).clip(lower=0)
                hi = (k * g["hi"]).clip(upper=100) if pct else k * g["hi"]
                ax.fill_between(g["day"], lo, hi, color=cols[scen], alpha=0.2, lw=0)
            if ax is axes.flat[0]:
                handles.append(line)
        ax.set_title(title, loc="left")
        ax.set_ylabel("% of purchases" if pct else "purchases per day")
        if pct:
            ax.set_ylim(bottom=0)
    for ax in axes[1]:
        ax.set_xlabel("day")
    handles += _shade(list(axes.flat), event_spans(ts), cols, labels)
    _mark_milestones(list(axes.flat), log, cols, ["opens", "closed"])
    fig.suptitle(
        f"Channel shares over time ({SMOOTH_DAYS}-day average; {_reps_note(ts)})",
        fontsize=13,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    bottom = _legend_below(fig, handles, 4)
    fig.tight_layout(rect=(0, bottom, 1, 0.97))
    return fig


def _grouped_barh(
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


def market_share_nps(store_summary: pd.DataFrame, scenarios: Sequence[str], window_days: int) -> Figure:
    """Market share and NPS by store (mean and 95% CI over replications)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    cols = colours(scenarios)
    order = list(dict.fromkeys(store_summary["store"]))
    labels = _store_labels(store_summary)
    n = len(order)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 2.4 + 0.32 * n * max(len(scenarios), 2)))
    for ax, col, scale, fmt, title in (
        (a1, "market_share", 100.0, "{:.1f}%", f"Market share (% of purchases, last {window_days} days)"),
        (a2, "nps", 1.0, "{:+.0f}", f"Net Promoter Score (−100…+100, last {window_days} days)"),
    ):
        b = band(store_summary.rename(columns={"store": "key"}), col, by=("scenario", "key"))
        _grouped_barh(ax, b, order, [labels[s] for s in order], scenarios, cols, scale, fmt)
        ax.set_title(title, loc="left")
    a1.set_xlim(left=0)
    lo, hi = a2.get_xlim()
    a2.set_xlim(min(lo, 0) - 5, hi + 8)
    a1.set_xlim(right=a1.get_xlim()[1] * 1.12)
    a2.set_yticklabels([])
    handles = [Patch(color=cols[s], label=s) for s in scenarios]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(
        f"Market share and NPS by store ({_reps_note(store_summary, 'error bar')})",
        fontsize=13,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return fig


def journey_rates(replications: pd.DataFrame, scenarios: Sequence[str]) -> Figure:
    """Showrooming and webrooming: shares of purchases and shares of shoppers."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    cols = colours(scenarios)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    panels = (
        (
            a1,
            [
                ("showrooming_rate", "showrooming\n(seen in a shop,\nbought online)"),
                ("competitive_showrooming_rate", "competitive\nshowrooming\n(bought elsewhere)"),
                ("webrooming_rate", "webrooming\n(researched online,\nbought in a shop)"),
            ],
            "Share of purchases (%, summary window)",
        ),
        (
            a2,
            [
                ("share_shoppers_showroomed", "shoppers who\nshowroomed"),
                ("share_shoppers_webroomed", "shoppers who\nwebroomed"),
            ],
            "Share of shoppers who did it at least once (%)",
        ),
    )
    k = len(scenarios)
    width = 0.8 / k
    for ax, items, title in panels:
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
        ax.set_xticks(range(len(items)), [label for _, label in items])
        ax.set_ylabel("%")
        ax.set_title(title, loc="left")
        ax.grid(axis="x", visible=False)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.1)
    handles = [Patch(color=cols[s], label=s) for s in scenarios]
    fig.legend(handles=handles, loc="lower center", ncol=min(k, 6), bbox_to_anchor=(0.5, -0.03))
    fig.suptitle(
        f"Showrooming and webrooming ({_reps_note(replications, 'error bar')})",
        fontsize=13,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return fig


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
    labels = _store_labels(stores)
    ncol = 3
    nrow = math.ceil(len(order) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(13, 3.3 * nrow + 0.9), sharex=True, squeeze=False)
    b = band(
        stores.assign(cash_k=stores["cash"] / 1000.0),
        "cash_k",
        by=("scenario", "store", "day"),
        min_reps=MIN_REPS_FOR_BANDS,
    )
    handles: list[Any] = []
    zero_line = False
    for ax, store in zip(axes.flat, order, strict=False):
        for scen in scenarios:
            g = b[(b["scenario"] == scen) & (b["store"] == store)]
            if g.empty:
                continue
            (line,) = ax.plot(g["day"], g["mean"], color=cols[scen], lw=1.4, label=scen)
            if g["lo"].notna().any():
                ax.fill_between(g["day"], g["lo"], g["hi"], color=cols[scen], alpha=0.2, lw=0)
            if len(handles) < len(scenarios) and scen not in [h.get_label() for h in handles]:
                handles.append(line)
        sub = b[b["store"] == store]
        low = np.nanmin(sub[["mean", "lo"]].to_numpy())
        high = np.nanmax(sub[["mean", "hi"]].to_numpy())
        if low < 0.3 * max(high, 1e-9):  # the store comes near closing: show where it would
            ax.axhline(0, color="#8b1a1a", lw=0.9, ls="--")
            zero_line = True
        ax.set_title(labels[store], loc="left")
        ax.set_ylabel("cash (thousands)")
    closures = stores[~stores["is_open"]].groupby(["scenario", "rep", "store"])["day"].min().reset_index()
    opened = stores[stores["is_open"]].groupby(["scenario", "rep", "store"])["day"].min().reset_index()
    closures = closures.merge(opened, on=["scenario", "rep", "store"], suffixes=("", "_open"))
    closures = closures[closures["day"] > closures["day_open"]]
    for ax, store in zip(axes.flat, order, strict=False):
        sub = closures[closures["store"] == store]
        for scen, g in sub.groupby("scenario"):
            n_reps = stores[stores["scenario"] == scen]["rep"].nunique()
            ax.plot(g["day"], np.zeros(len(g)), "x", color=cols.get(str(scen), "k"), ms=8, mew=2)
            ax.annotate(
                f"closed in {len(g)} of {n_reps} runs"
                if n_reps > 1
                else f"closed on day {int(g['day'].iloc[0])}",
                (float(g["day"].median()), 0),
                xytext=(4, 6),
                textcoords="offset points",
                fontsize=8,
                color=cols.get(str(scen), "k"),
            )
    for ax in axes.flat[len(order) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    _mark_milestones(list(axes.flat[: len(order)]), log, cols, ["opens"])
    extra = []
    if ts is not None:
        extra = _shade([ax for ax in axes.flat[: len(order)]], event_spans(ts), cols, labels)
    handles += extra
    if zero_line:
        handles.append(Line2D([], [], color="#8b1a1a", ls="--", label="no cash left: the store closes"))
    per = f" for a town of {shoppers:,} shoppers" if shoppers else ""
    fig.suptitle(
        f"Store cash (thousands of currency units{per}; {_reps_note(stores)})",
        fontsize=13,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    bottom = _legend_below(fig, handles, 4)
    fig.tight_layout(rect=(0, bottom, 1, 0.96))
    return fig


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


def _alluvial(ax: Axes, flows: pd.DataFrame, title: str) -> None:
    """Three columns of stacked nodes (research, fulfilment, outcome) joined by flow bands."""
    from matplotlib.patches import Rectangle

    total = float(flows["purchases"].sum())
    ax.set_title(title, loc="left", pad=22, fontsize=12)
    ax.set_xlim(-0.35, 2.55)
    ax.set_ylim(-0.04, 1.04)
    ax.axis("off")
    if total <= 0:
        ax.text(0.5, 0.5, "no purchases", ha="center", transform=ax.transAxes)
        return
    stages = [
        ("research", list(RESEARCH_LABELS), RESEARCH_LABELS),
        ("fulfilment", list(FULFILMENT_LABELS), FULFILMENT_LABELS),
        ("outcome", list(OUTCOME_COLOURS), {k: k for k in OUTCOME_COLOURS}),
    ]
    gap = 0.035
    width = 0.09
    pos: dict[tuple[int, str], tuple[float, float]] = {}
    for x, (col, keys, names) in enumerate(stages):
        share = flows.groupby(col)["purchases"].sum().reindex(keys, fill_value=0) / total
        present = [k for k in keys if share[k] > 0]
        scale = 1.0 - gap * (len(present) - 1)
        y = 1.0
        for k in keys:
            h = float(share[k]) * scale
            if h <= 0:
                continue
            pos[(x, k)] = (y - h, y)
            colour = RESEARCH_COLOURS.get(k) if x == 0 else OUTCOME_COLOURS.get(k, "#555")
            if x == 1:
                colour = "#444"
            ax.add_patch(Rectangle((x - width / 2, y - h), width, h, color=colour, zorder=3))
            label = f"{names[k]}  {100 * share[k]:.0f}%"
            if x == 0:
                ax.text(x - width / 2 - 0.02, y - h / 2, label, ha="right", va="center", fontsize=8.5)
            else:
                ax.text(x + width / 2 + 0.02, y - h / 2, label, ha="left", va="center", fontsize=8.5)
            y -= h + gap
    for x, (a, b) in enumerate((("research", "fulfilment"), ("fulfilment", "outcome"))):
        sizes = flows.groupby([a, b])["purchases"].sum() / total
        out_off = {k: pos[(x, k)][1] for (xx, k) in pos if xx == x}
        in_off = {k: pos[(x + 1, k)][1] for (xx, k) in pos if xx == x + 1}
        keys_a = stages[x][1]
        keys_b = stages[x + 1][1]
        scale_a = {k: (pos[(x, k)][1] - pos[(x, k)][0]) for k in keys_a if (x, k) in pos}
        scale_b = {k: (pos[(x + 1, k)][1] - pos[(x + 1, k)][0]) for k in keys_b if (x + 1, k) in pos}
        tot_a = flows.groupby(a)["purchases"].sum() / total
        tot_b = flows.groupby(b)["purchases"].sum() / total
        for ka in keys_a:
            for kb in keys_b:
                v = float(sizes.get((ka, kb), 0.0))
                if v <= 0 or (x, ka) not in pos or (x + 1, kb) not in pos:
                    continue
                ha = v / float(tot_a[ka]) * scale_a[ka]
                hb = v / float(tot_b[kb]) * scale_b[kb]
                y0 = (out_off[ka] - ha, out_off[ka])
                y1 = (in_off[kb] - hb, in_off[kb])
                out_off[ka] -= ha
                in_off[kb] -= hb
                colour = RESEARCH_COLOURS[ka] if x == 0 else OUTCOME_COLOURS[kb]
                _ribbon(ax, x + width / 2, y0, x + 1 - width / 2, y1, color=colour, alpha=0.35, zorder=2)
    for x, name in enumerate(("Research", "Fulfilment", "Outcome")):
        ax.text(x, 1.03, name, ha="center", va="bottom", fontsize=9.5, fontweight="bold")


def journey_flow(journeys: pd.DataFrame, scenarios: Sequence[str], *, note: str = "") -> Figure:
    """Customer-journey flow per scenario: research channel → fulfilment → outcome (mean over runs)."""
    import matplotlib.pyplot as plt

    present = [s for s in scenarios if s in set(journeys["scenario"])]
    k = max(len(present), 1)
    ncol = min(k, 2)
    nrow = math.ceil(k / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.2 * ncol, 5.6 * nrow + 0.8), squeeze=False)
    for ax, scen in zip(axes.flat, present, strict=False):
        flows = journeys[journeys["scenario"] == scen]
        _alluvial(
            ax, flows.groupby(["research", "fulfilment", "outcome"], as_index=False)["purchases"].sum(), scen
        )
    for ax in axes.flat[len(present) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Customer journeys: research → fulfilment → outcome "
        f"(% of purchases in the summary window; {_reps_note(journeys, '')})",
        fontsize=12,
        fontweight="bold",
        x=0.01,
        ha="left",
    )
    text = (
        "Outcome: satisfied = kept and would recommend or is neutral (7-10); disappointed = kept, "
        "a detractor (0-6); returned = sent back; avoids store = so disappointed that the shopper "
        "now avoids the store for a while."
    )
    fig.text(0.01, 0.005, text + (" " + note if note else ""), fontsize=8.5, wrap=True, va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    return fig


# ------------------------------------------------------------------------------- writers


def save(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG and release it."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def draw_all(
    *,
    scenarios: Sequence[str],
    timeseries: pd.DataFrame,
    stores: pd.DataFrame,
    store_summary: pd.DataFrame,
    replications: pd.DataFrame,
    journeys: pd.DataFrame | None,
    log: pd.DataFrame | None,
    folder: Path,
    shoppers: int | None = None,
    journey_note: str = "",
    progress: Callable[[], None] | None = None,
) -> dict[str, Path]:
    """Draw every figure into ``folder``; returns the paths by figure name.

    ``progress`` is called after each figure (for a progress bar).
    """
    window = int(replications["window_days"].max()) if "window_days" in replications else 365
    drawers: dict[str, Callable[[], Figure]] = {
        "channel_shares": lambda: channel_shares(timeseries, scenarios, stores=stores, log=log),
        "market_share_nps": lambda: market_share_nps(store_summary, scenarios, window),
        "journey_rates": lambda: journey_rates(replications, scenarios),
        "store_cash": lambda: store_cash(stores, scenarios, ts=timeseries, log=log, shoppers=shoppers),
    }
    if journeys is not None and not journeys.empty:
        drawers["journey_flow"] = lambda: journey_flow(journeys, scenarios, note=journey_note)
    out: dict[str, Path] = {}
    with _style():
        for name, draw in drawers.items():
            out[name] = save(draw(), folder / f"{name}.png")
            if progress is not None:
                progress()
    return out


def comparison_figures(
    comp: Comparison, folder: str | Path, progress: Callable[[], None] | None = None
) -> dict[str, Path]:
    """Every figure of a comparison, under ``folder``."""
    shoppers = set(comp.meta.get("shoppers", {}).values())
    return draw_all(
        scenarios=comp.scenarios,
        timeseries=comp.timeseries,
        stores=comp.stores,
        store_summary=comp.store_summary,
        replications=comp.replications,
        journeys=comp.journeys,
        log=comp.log,
        folder=Path(folder),
        shoppers=shoppers.pop() if len(shoppers) == 1 else None,
        progress=progress,
    )


def run_tables(result: RunResult) -> dict[str, Any]:
    """A single run's tables in the tidy form of a comparison (one scenario, replication 0)."""
    from cxsim.experiments.compare import store_summary

    name = str(result.summary["scenario"].iloc[0])
    tag = {"scenario": name, "rep": 0}
    window = int(result.summary["window_days"].iloc[0])
    journeys = None
    note = ""
    if result.purchases is not None and len(result.purchases):
        p = result.purchases
        p = p[p["day"] > int(p["day"].max()) - window]
        outcome = np.where(
            p["returned"], "returned", np.where(p["recommend"] <= 6, "disappointed", "satisfied")
        )
        journeys = (
            p.assign(outcome=outcome)
            .groupby(["research", "fulfilment", "outcome"], as_index=False)
            .size()
            .rename(columns={"size": "purchases"})
            .assign(**tag)
        )
        note = "(A single run's purchases table does not record avoidance; `cxsim compare` counts it.)"
    log = pd.DataFrame([{"day": d, "message": m} for d, m in result.log], columns=["day", "message"])
    return {
        "scenarios": [name],
        "timeseries": result.timeseries.assign(**tag),
        "stores": result.stores.assign(**tag),
        "store_summary": store_summary(result.stores, window).assign(**tag),
        "replications": result.summary.assign(rep=0),
        "journeys": journeys,
        "log": log.assign(**tag),
        "shoppers": int(result.summary["shoppers"].iloc[0]) if "shoppers" in result.summary else None,
        "journey_note": note,
    }


def run_figures(
    result: RunResult, folder: str | Path, progress: Callable[[], None] | None = None
) -> dict[str, Path]:
    """Every figure of a single run (the journey flow only if purchases were collected)."""
    return draw_all(folder=Path(folder), progress=progress, **run_tables(result))
