"""The datasets the map and the charts draw: plain rows built from the session's history (no Solara here).

Every chart reads *named* datasets (:data:`CHART_DATA`); the browser embeds a
chart's spec once and then receives only new rows for those names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from cxsim.analysis import narration
from cxsim.app import classroom
from cxsim.app.palette import CHANNEL_COLORS, CHANNEL_NAMES, RESEARCH_NAMES
from cxsim.model.journeys import journey_kind
from cxsim.model.scenario import Scenario

Rows = list[dict[str, Any]]
"""A dataset: one dict per row, plain JSON values."""

CHART_DATA: dict[str, tuple[str, ...]] = {
    "map": ("frame", "dots", "stores"),
    "channels": ("channels", "events", "now"),
    "rates": ("rates", "events", "now"),
    "shares": ("stores",),
    "nps": ("stores",),
    "cash": ("cash", "closures", "events", "now"),
    "journeys": ("journey_links", "journey_nodes"),
}
"""The named datasets of each chart."""


def chart_json(data: dict[str, Rows]) -> dict[str, str]:
    """Each chart's datasets as compact JSON (NaN is not JSON: none is left in ``data``)."""
    return {
        chart: json.dumps({k: data[k] for k in names}, separators=(",", ":"), allow_nan=False)
        for chart, names in CHART_DATA.items()
    }


def event_rows(spec: Scenario, until: int | None = None) -> Rows:
    """The scenario's calendar as bands on a time axis (words from :mod:`cxsim.analysis.narration`).

    With ``until`` (today), only what has begun, cut at today: time axes span
    the days simulated so far, so a future band would stretch them.
    """
    labels = classroom.labels_of(spec)
    rows = []
    for ev in spec.events:
        start, end = narration.event_span(ev)
        if until is not None:
            if start > until:
                continue
            end = min(end, until)
        rows.append(
            {
                "start": start,
                "end": end,
                "short": narration.event_short(ev, labels),
                "text": narration.event_start_text(ev, labels),
            }
        )
    return rows


def rolling_rows(
    days: Sequence[int],
    counts: Sequence[np.ndarray],
    names: Sequence[str],
    window: int,
    totals: Sequence[np.ndarray] | None = None,
) -> Rows:
    """Rolling shares: for each day, ``sum(counts) / sum(totals)`` over the last ``window`` days.

    Without ``totals`` each count is divided by the sum of the counts (shares
    that add up to 1). Pooling counts over a window, rather than averaging
    daily shares, weighs each purchase equally. Days with no purchases in the
    window are left out.
    """
    if not days:
        return []
    c = np.cumsum(np.vstack([np.zeros(len(names)), np.asarray(counts, dtype=float)]), axis=0)
    if totals is None:
        t_all = c.sum(axis=1)
    else:
        t = np.asarray(totals, dtype=float).sum(axis=1)
        t_all = np.concatenate([[0.0], np.cumsum(t)])
    n = len(days)
    lo = np.maximum(np.arange(1, n + 1) - window, 0)
    hi = np.arange(1, n + 1)
    num = c[hi] - c[lo]
    den = t_all[hi] - t_all[lo]
    rows = []
    for k in range(n):
        if den[k] <= 0:
            continue
        row: dict[str, Any] = {"day": int(days[k])}
        for j, name in enumerate(names):
            row[name] = round(float(num[k, j] / den[k]), 4)
        rows.append(row)
    return rows


def _stack_tops(tot: np.ndarray, scale: float, gap: float) -> np.ndarray:
    """Tops of three stacked bars of heights ``tot * scale``, ``gap`` apart."""
    tops = np.zeros(3)
    y = 0.0
    for k in range(3):
        tops[k] = y
        y += tot[k] * scale + gap
    return tops


def journey_flow(counts: np.ndarray, points: int = 17, gap: float = 0.05) -> dict[str, Rows]:
    """A Sankey diagram of research channel -> fulfilment, as Vega-Lite data.

    ``counts[r, f]`` counts purchases by research channel (none, online
    research, store visit) and fulfilment (walk-in, delivery, pick-up).
    Returns ``journey_nodes`` (one rectangle per channel on each side) and
    ``journey_links`` (one row per flow: its top on the left ``a`` and on
    the right ``b``, its height ``h`` and ``points`` steps ``t`` from x=0 to
    x=1; the chart's transforms draw the band with a smooth step
    ``a + (b - a)(3t² - 2t³)``). The bands are coloured by the kind of journey
    (:func:`cxsim.model.journeys.journey_kind`: showrooming, webrooming, other).
    """
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    nodes: Rows = []
    links: Rows = []
    if total <= 0:
        return {"journey_nodes": nodes, "journey_links": links}
    scale = (1.0 - 2 * gap) / total
    left_tot, right_tot = counts.sum(axis=1), counts.sum(axis=0)
    left_top, right_top = _stack_tops(left_tot, scale, gap), _stack_tops(right_tot, scale, gap)
    for side, names, tops, tot in (
        ("research", RESEARCH_NAMES, left_top, left_tot),
        ("purchase", CHANNEL_NAMES, right_top, right_tot),
    ):
        for k, name in enumerate(names):
            h = tot[k] * scale
            nodes.append(
                {
                    "side": side,
                    "x": -0.04 if side == "research" else 1.0,
                    "x2": 0.0 if side == "research" else 1.04,
                    "y": round(float(tops[k]), 4),
                    "y2": round(float(tops[k] + h), 4),
                    "ym": round(float(tops[k] + h / 2), 4),
                    "label": f"{name} {tot[k] / total:.0%}",
                    "color": "#5f6b7a" if side == "research" else CHANNEL_COLORS[k],
                }
            )
    ts = np.round(np.linspace(0.0, 1.0, points), 4).tolist()
    left_off = left_top.copy()
    right_off = right_top.copy()
    for r in range(3):
        for f in range(3):
            n = counts[r, f]
            if n <= 0:
                continue
            h = n * scale
            a0, b0 = left_off[r], right_off[f]
            left_off[r] += h
            right_off[f] += h
            links.append(
                {
                    "link": f"{r}{f}",
                    "kind": journey_kind(r, f),
                    "tip": f"{RESEARCH_NAMES[r]} → {CHANNEL_NAMES[f]}: {int(n):,} purchases "
                    f"({n / total:.0%})",
                    "a": round(float(a0), 4),
                    "b": round(float(b0), 4),
                    "h": round(float(h), 4),
                    "t": ts,
                }
            )
    return {"journey_nodes": nodes, "journey_links": links}
