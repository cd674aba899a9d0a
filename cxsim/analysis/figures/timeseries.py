"""Figures over time: channel shares (with events shaded and milestones marked).

Event periods (lockdowns, promotions, recessions, disruptions) are shaded in
the colour of the scenario that has them; from the typed log (its ``kind``
column), dotted lines mark a store opening, closing or opening an online
channel, triangles at the top of a panel a strategy move (a price cut, an
investment step), diamonds a store change of the calendar (a ``set`` event).
:func:`shade_events` and :func:`mark_log` also serve the store cash figure,
where each store's panel shows its own moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SMOOTH_DAYS = 7
SHARES = ("share_walk_in", "share_delivery", "share_pickup", "online_share")


def smoothed_shares(ts: pd.DataFrame, window: int = SMOOTH_DAYS) -> pd.DataFrame:
    """Channel shares per replication over a centred ``window``-day window, weighted by purchases."""
    out = []
    for (scen, rep), g in ts.sort_values("day").groupby(["scenario", "rep"], sort=False):
        n = g["purchases"].astype(float)
        roll = n.rolling(window, center=True, min_periods=1).sum().replace(0, np.nan)
        frame = pd.DataFrame({"scenario": scen, "rep": rep, "day": g["day"].to_numpy()})
        for col in SHARES:
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
        last_day = 0
        for day, text in zip(g["day"].to_numpy(), g["events"].fillna("").to_numpy(), strict=True):
            names = {t for t in str(text).split(",") if t}
            for name in list(open_):
                if name not in names:
                    found.append((name, open_.pop(name), last_day))
            for name in names:
                open_.setdefault(name, int(day))
            last_day = int(day)
        for name, start in open_.items():
            found.append((name, start, last_day))
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


def _label_day(ax: Axes, day: int, text: str, offset: tuple[float, float], **style: Any) -> None:
    """Write ``text`` at the top of the axis at ``day``, shifted by ``offset`` points."""
    ax.annotate(
        text,
        (day, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=offset,
        textcoords="offset points",
        va="top",
        **style,
    )


def shade_events(
    axes: Sequence[Axes],
    spans: dict[str, list[tuple[str, int, int]]],
    cols: dict[str, str],
    labels: dict[str, str],
) -> list[Artist]:
    """Shade event periods on every axis; returns legend handles (one per event kind and scenario)."""
    from matplotlib.patches import Patch

    single = len(cols) == 1
    handles: dict[str, Artist] = {}
    labelled: set[tuple[str, int]] = set()
    for scen, items in spans.items():
        colour = "#7f7f7f" if single else cols.get(scen, "#7f7f7f")
        for name, start, end in items:
            for ax in axes:
                ax.axvspan(start - 0.5, end + 0.5, color=colour, alpha=0.13, lw=0, zorder=0)
                if end - start < 3:  # a day or two is too thin to see as a shade
                    ax.axvline(start, color=colour, alpha=0.45, lw=2.5, zorder=0)
            # many scenarios: the legend names the shades, labels would pile up
            if len(cols) <= 2 and (name, start) not in labelled:
                labelled.add((name, start))
                _label_day(
                    axes[0],
                    start,
                    event_label(name, labels),
                    (2, -4),
                    rotation=90,
                    ha="left",
                    fontsize=7.5,
                    color="#333",
                    bbox={"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1},
                )
            key = event_label(name, labels) + ("" if single else f" — {scen}")
            handles.setdefault(key, Patch(facecolor=colour, alpha=0.25, label=key))
    return list(handles.values())


def milestones(log: pd.DataFrame | None, words: Sequence[str]) -> list[tuple[str, int, str]]:
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


MILESTONE_KINDS = ("closure", "store_entry")
"""Log kinds drawn as dotted lines (with ``open_online`` strategy moves)."""
POINT_MARKS = {"strategy": ("v", "strategy move"), "set": ("D", "store change (calendar)")}
"""Log kinds drawn as markers at the top of a panel: marker and legend text."""


def log_marks(log: pd.DataFrame | None) -> pd.DataFrame:
    """The first replication's log entries to mark on time figures, one row per (day, message).

    Columns ``scenario``, ``day``, ``store``, ``mark`` (``line`` or a :data:`POINT_MARKS`
    kind) and ``message``. A log without ``kind`` (an earlier folder) gives lines
    for openings and closures only.
    """
    cols = ["scenario", "day", "store", "mark", "message"]
    if log is None or log.empty:
        return pd.DataFrame(columns=cols)
    first = log[log["rep"] == log["rep"].min()]
    if "kind" not in first:
        lines = first[first["message"].str.contains("opens|closed", regex=True)]
        return lines.assign(store=None, mark="line")[cols].drop_duplicates(["day", "message"])
    online = first["message"].str.contains(" opens ", regex=False)
    is_line = first["kind"].isin(MILESTONE_KINDS) | ((first["kind"] == "strategy") & online)
    mark = np.where(is_line, "line", first["kind"].to_numpy())
    out = first.assign(mark=mark)
    out = out[(out["mark"] == "line") | out["mark"].isin(list(POINT_MARKS))]
    return out[cols].drop_duplicates(["day", "message"])


def mark_log(
    axes: Sequence[Axes],
    log: pd.DataFrame | None,
    cols: dict[str, str],
    stores: Sequence[str | None] | None = None,
) -> list[Artist]:
    """Mark openings, closures, strategy moves and store changes on every axis; legend handles.

    With ``stores`` (one per axis), an axis shows only its store's entries.
    """
    from matplotlib.lines import Line2D

    marks = log_marks(log)
    used: set[str] = set()
    for i, ax in enumerate(axes):
        own = stores[i] if stores is not None and i < len(stores) else None
        sub = marks if own is None else marks[marks["store"] == own]
        for scen, day, _store, mark, msg in sub.to_numpy():
            colour = cols.get(str(scen), "k")
            if mark == "line":
                ax.axvline(int(day), color=colour, ls=":", lw=1.2)
                if i == 0 or own is not None:
                    _label_day(ax, int(day), str(msg).split(":")[0], (3, -3), fontsize=8, color=colour)
                used.add("line")
            else:
                ax.plot(
                    [int(day)],
                    [0.985],
                    marker=POINT_MARKS[str(mark)][0],
                    color=colour,
                    ms=6,
                    ls="none",
                    transform=ax.get_xaxis_transform(),
                    clip_on=False,
                    zorder=4,
                )
                used.add(str(mark))
    handles: list[Artist] = []
    if "line" in used:
        handles.append(Line2D([], [], color="#555", ls=":", label="a store opens, closes or goes online"))
    for kind, (marker, text) in POINT_MARKS.items():
        if kind in used:
            handles.append(Line2D([], [], color="#555", marker=marker, ls="none", label=text))
    return handles


def mark_milestones(
    axes: Sequence[Axes], log: pd.DataFrame | None, cols: dict[str, str], words: Sequence[str]
) -> None:
    """Dotted lines where a store opens (or a channel, or closes), labelled on the first axis."""
    for scen, day, msg in milestones(log, words):
        for ax in axes:
            ax.axvline(day, color=cols.get(scen, "k"), ls=":", lw=1.2)
        _label_day(axes[0], day, msg.split(":")[0], (3, -3), fontsize=8, color=cols.get(scen, "k"))


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
    labels = store_labels(stores) if stores is not None else {}
    fig, axes = plt.subplots(2, 2, figsize=(13, 7.6), sharex=True)
    panels = [
        ("share_walk_in", f"{label('share_walk_in', 'timeseries')} (bought in a shop)", True),
        ("share_delivery", label("share_delivery", "timeseries"), True),
        ("share_pickup", f"{label('share_pickup', 'timeseries')} (click & collect)", True),
        ("purchases", f"{label('purchases', 'timeseries')} a day (all stores)", False),
    ]
    handles: list[Artist] = []
    for ax, (col, title, pct) in zip(axes.flat, panels, strict=True):
        b = band(sm, col, min_reps=MIN_REPS_FOR_BANDS)
        k = 100.0 if pct else 1.0
        for scen in scenarios:
            g = b[b["scenario"] == scen]
            if g.empty:
                continue
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
    handles += shade_events(list(axes.flat), event_spans(ts), cols, labels)
    handles += mark_log(list(axes.flat), log, cols)
    title = f"Channel shares over time ({SMOOTH_DAYS}-day average; {reps_note(ts)})"
    return finish(fig, title, handles=handles, top=0.97)
