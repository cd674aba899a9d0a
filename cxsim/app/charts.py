"""The app's charts as Altair specifications (Vega-Lite 5), drawn in the browser by :mod:`cxsim.app.vega`.

Each chart reads named datasets (:data:`~cxsim.app.chart_data.CHART_DATA`)
that the session streams after every step; the spec itself is built once
per session. Altair is pinned to 5.x (``pyproject.toml``, ``app`` extra):
Altair 5 writes Vega-Lite 5 specs, the major that Solara 1.64's offline
asset cache serves (``vega-lite@5``); Altair 6 writes Vega-Lite 6.

No Solara here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any, Final

import altair as alt

from cxsim.app.palette import (
    CHANNEL_COLORS,
    CHANNEL_NAMES,
    JOURNEY_COLORS,
    RATE_COLORS,
    RATE_NAMES,
)
from cxsim.app.session import CHANNEL_WINDOW, RATE_WINDOW, SHARE_WINDOW, TIME_AXIS_MIN_DAYS, Session
from cxsim.model.registry import metric

FONT: Final = "Roboto, Helvetica, Arial, sans-serif"
AUTOSIZE: Final = alt.AutoSizeParams(type="fit-x", contains="padding")
HIDE_AXIS: Final = None
"""``axis=None``: no axis (the map and the journey flow draw their own labels)."""
FONT_SIZE: Final = 16
"""Axis, legend and label text, in px: legible from the back of a 60-seat room on a 1280×720 projector."""
JOURNEY_X: Final = alt.Scale(domain=[-1.0, 2.0], nice=False, zero=False)
"""The flow spans x 0..1; the margins hold the channels' names (16 px, never cut)."""
JOURNEY_Y: Final = alt.Scale(domain=[0, 1], reverse=True, nice=False)


def named(name: str) -> alt.NamedData:
    """A dataset that the session streams into the chart by name."""
    return alt.NamedData(name=name)


def finish(chart: alt.LayerChart, height: int, legend: str = "top") -> dict[str, Any]:
    """A chart as a Vega-Lite dict: full width of its card, the app's fonts and colours."""
    spec: dict[str, Any] = (
        chart.properties(width="container", height=height, autosize=AUTOSIZE)
        .configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=FONT_SIZE,
            titleFontSize=FONT_SIZE,
            titleFontWeight="normal",
            labelLimit=0,
            gridColor="#eceff3",
            domainColor="#9aa5b1",
        )
        .configure_legend(
            labelFontSize=FONT_SIZE,
            titleFontSize=FONT_SIZE,
            orient=legend,
            title=None,
            symbolSize=140,
            labelLimit=0,
            columns=2,
            columnPadding=16,
        )
        .to_dict()
    )
    return spec


def time_scale() -> alt.Scale:
    """Days simulated so far (at least :data:`~cxsim.app.session.TIME_AXIS_MIN_DAYS`), not the horizon.

    The domain is the data's (the rows stream in day by day; the ``events``
    dataset holds only what has begun, cut at today), united with
    ``0..TIME_AXIS_MIN_DAYS`` so that day 0 has an axis.
    """
    return alt.Scale(domain=alt.DomainUnionWith(unionWith=[0, TIME_AXIS_MIN_DAYS]), nice=False, zero=True)


def time_x(days: int, title: str | None = "day") -> alt.X:
    """Days on the x axis, from 0 to today (``days``, the horizon, is kept for the cache key)."""
    return alt.X("day:Q", title=title, scale=time_scale(), axis=alt.Axis(tickMinStep=1))


def event_layers(days: int) -> list[alt.Chart]:
    """Shaded bands for the scenario's events (so far), their names, and a rule at today."""
    x = alt.X("start:Q")  # the scale is the main layer's (time_x): one domain, no conflict
    bands = (
        alt.Chart(named("events"))
        .mark_rect(color="#8a94a6", opacity=0.16)
        .encode(x=x, x2="end", tooltip=[alt.Tooltip("text:N", title="event")])
    )
    names = (
        alt.Chart(named("events"))
        .mark_text(align="left", baseline="top", dx=3, dy=3, fontSize=FONT_SIZE, color="#4a5462", limit=180)
        .encode(x=x, y=alt.value(0), text="short:N")
    )
    today = (
        alt.Chart(named("now")).mark_rule(color="#37474f", strokeDash=[3, 3], opacity=0.6).encode(x="day:Q")
    )
    return [bands, names, today]


def folded(chart: alt.Chart, names: Sequence[str], value: str) -> alt.Chart:
    """Wide rows (one column per series) folded to ``series, value`` rows, with the series' order."""
    return chart.transform_fold(list(names), as_=["series", value]).transform_calculate(
        order=f"indexof({json.dumps(list(names))}, datum.series)"
    )


def series_color(
    names: Sequence[str], colors: Sequence[str], field: str = "series", columns: int = 2
) -> alt.Color:
    """Colour by series, in the given order and colours (legend in ``columns`` columns: never cut)."""
    return alt.Color(
        f"{field}:N",
        scale=alt.Scale(domain=list(names), range=list(colors)),
        legend=alt.Legend(columns=columns),
    )


def channel_spec(days: int) -> dict[str, Any]:
    """Shares of walk-in, delivery and pick-up over time (rolling window), events shaded."""
    areas = (
        folded(alt.Chart(named("channels")), CHANNEL_NAMES, "share")
        .mark_area(opacity=0.88, interpolate="monotone")
        .encode(
            x=time_x(days),
            y=alt.Y(
                "share:Q",
                stack="zero",
                title=f"share of purchases ({CHANNEL_WINDOW}-day)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=series_color(CHANNEL_NAMES, CHANNEL_COLORS),
            order="order:Q",
            tooltip=[
                alt.Tooltip("day:Q"),
                alt.Tooltip("series:N", title="channel"),
                alt.Tooltip("share:Q", format=".0%"),
            ],
        )
    )
    return finish(alt.layer(areas, *event_layers(days)), 190)


def rates_spec(days: int) -> dict[str, Any]:
    """Showrooming, competitive showrooming and webrooming rates over time."""
    lines = (
        folded(alt.Chart(named("rates")), RATE_NAMES, "rate")
        .mark_line(interpolate="monotone", strokeWidth=2)
        .encode(
            x=time_x(days),
            y=alt.Y(
                "rate:Q",
                title=f"share of purchases ({RATE_WINDOW}-day)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=alt.DomainUnionWith(unionWith=[0, 0.1])),
            ),
            color=series_color(RATE_NAMES, RATE_COLORS, columns=1),
            tooltip=[
                alt.Tooltip("day:Q"),
                alt.Tooltip("series:N", title="journey"),
                alt.Tooltip("rate:Q", format=".1%"),
            ],
        )
    )
    return finish(alt.layer(lines, *event_layers(days)), 190)


def cash_spec(days: int, labels: Sequence[str], colors: Sequence[str]) -> dict[str, Any]:
    """Each store's cash over time (symmetric log scale; a store may close with cash in hand)."""
    cash = metric("cash", "stores").label
    lines = (
        alt.Chart(named("cash"))
        .transform_fold([f"s{i}" for i in range(len(labels))], as_=["key", "cash"])
        .transform_calculate(store=f"{json.dumps(list(labels))}[toNumber(substring(datum.key, 1))]")
        .mark_line(strokeWidth=2)
        .encode(
            x=time_x(days),
            y=alt.Y(
                "cash:Q",
                title=f"{cash} (log scale)",
                scale=alt.Scale(type="symlog", constant=1000, zero=True, nice=False),
                axis=alt.Axis(
                    values=[0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
                    labelExpr="datum.value == 0 ? '0' : format(datum.value, '~s')",
                ),
            ),
            color=series_color(labels, colors, field="store"),
            tooltip=[alt.Tooltip("day:Q"), alt.Tooltip("store:N"), alt.Tooltip("cash:Q", format=",.0f")],
        )
    )
    closures = (
        alt.Chart(named("closures"))
        .mark_rule(color="#b71c1c", strokeDash=[4, 3])
        .encode(x="day:Q", tooltip=[alt.Tooltip("text:N", title="closure")])
    )
    return finish(alt.layer(lines, closures, *event_layers(days)), 190)


def store_axis(labels: Sequence[str]) -> alt.Y:
    """Stores on the y axis, in the scenario's order, all of them (a bar may be missing)."""
    return alt.Y("store:N", title=None, scale=alt.Scale(domain=list(labels)), sort=None)


def _bars(data: str) -> alt.Chart:
    bars: alt.Chart = alt.Chart(named(data)).mark_bar(
        cornerRadiusEnd=2, height=alt.RelativeBandSize(band=0.7)
    )
    return bars


def share_spec(height: int, labels: Sequence[str]) -> dict[str, Any]:
    """Market share by store over the last :data:`SHARE_WINDOW` days (bars)."""
    share = metric("market_share", "stores").label
    y = store_axis(labels)
    bars = _bars("stores").encode(
        y=y,
        x=alt.X(
            "share:Q",
            title=f"{share} ({SHARE_WINDOW} days)",
            axis=alt.Axis(format="%", tickCount=4),
            scale=alt.Scale(domain=[0, 1], nice=False),
        ),
        color=alt.Color("color:N", scale=None),
        tooltip=[
            alt.Tooltip("store:N"),
            alt.Tooltip("share:Q", format=".1%", title=share),
            alt.Tooltip("status:N"),
        ],
    )
    outside = (
        alt.Chart(named("stores"))
        .transform_filter("datum.share < 0.7")
        .mark_text(align="left", dx=4, fontSize=FONT_SIZE, color="#37474f")
        .encode(y=y, x="share:Q", text="share_text:N")
    )
    inside = (
        alt.Chart(named("stores"))
        .transform_filter("datum.share >= 0.7")
        .mark_text(align="right", dx=-4, fontSize=FONT_SIZE, color="#ffffff")
        .encode(y=y, x="share:Q", text="share_text:N")
    )
    return finish(alt.layer(bars, outside, inside), height)


def nps_spec(height: int, labels: Sequence[str]) -> dict[str, Any]:
    """Net Promoter Score by store (rolling, as the model keeps it); no bar where nobody answered."""
    nps = metric("nps", "stores").label
    bars = (
        _bars("stores")
        .transform_filter("datum.nps != null")
        .encode(
            y=store_axis(labels),
            x=alt.X(
                "nps:Q",
                title=f"{nps} (last {SHARE_WINDOW} days)",
                scale=alt.Scale(domain=[-100, 100]),
                axis=alt.Axis(tickCount=5),
            ),
            color=alt.Color("color:N", scale=None),
            tooltip=[alt.Tooltip("store:N"), alt.Tooltip("nps:Q", format="+.0f", title=nps)],
        )
    )
    zero = alt.Chart(alt.InlineData(values=[{"zero": 0}])).mark_rule(color="#607080").encode(x="zero:Q")
    return finish(alt.layer(bars, zero), height)


def journey_spec() -> dict[str, Any]:
    """The customer-journey flow: research channel -> how the purchase was fulfilled."""
    bands = (
        alt.Chart(named("journey_links"))
        .transform_flatten(["t"])
        .transform_calculate(y="datum.a + (datum.b - datum.a) * datum.t * datum.t * (3 - 2 * datum.t)")
        .transform_calculate(y2="datum.y + datum.h")
        .mark_area(opacity=0.7, interpolate="linear")
        .encode(
            x=alt.X("t:Q", scale=JOURNEY_X, axis=HIDE_AXIS),
            y=alt.Y("y:Q", scale=JOURNEY_Y, axis=HIDE_AXIS),
            y2="y2",
            detail="link:N",
            color=series_color(list(JOURNEY_COLORS), list(JOURNEY_COLORS.values()), field="kind"),
            tooltip=[alt.Tooltip("tip:N", title="journey"), alt.Tooltip("kind:N", title="type")],
        )
    )
    nodes = (
        alt.Chart(named("journey_nodes"))
        .mark_rect()
        .encode(
            x=alt.X("x:Q", scale=JOURNEY_X, axis=HIDE_AXIS),
            x2="x2",
            y=alt.Y("y:Q", scale=JOURNEY_Y, axis=HIDE_AXIS),
            y2="y2",
            color=alt.Color("color:N", scale=None),
            tooltip=[alt.Tooltip("label:N", title="channel")],
        )
    )
    labels = [
        alt.Chart(named("journey_nodes"))
        .transform_filter(f"datum.side == '{side}'")
        .transform_calculate(lx=expr)
        .mark_text(fontSize=FONT_SIZE, color="#263238", baseline="middle", align=align)
        .encode(
            x=alt.X("lx:Q", scale=JOURNEY_X, axis=HIDE_AXIS),
            y=alt.Y("ym:Q", scale=JOURNEY_Y, axis=HIDE_AXIS),
            text="label:N",
        )
        for side, expr, align in (
            ("research", "datum.x - 0.02", "right"),
            ("purchase", "datum.x2 + 0.02", "left"),
        )
    ]
    return finish(alt.layer(bands, nodes, *labels), 240)


@functools.lru_cache(maxsize=32)
def _chart_specs(days: int, labels: tuple[str, ...], colors: tuple[str, ...]) -> dict[str, str]:
    bars = 34 * len(labels) + 50
    specs = {
        "channels": channel_spec(days),
        "rates": rates_spec(days),
        "cash": cash_spec(days, labels, colors),
        "shares": share_spec(bars, labels),
        "nps": nps_spec(bars, labels),
        "journeys": journey_spec(),
    }
    return {k: json.dumps(v) for k, v in specs.items()}


def chart_specs(sess: Session) -> dict[str, str]:
    """The Vega-Lite specs of a session's charts, as JSON.

    Cached by what they depend on (horizon, store labels and colours): a
    Reset or a second session of the same preset reuses them (Altair takes
    a few hundred milliseconds to build and validate the six charts).
    """
    return dict(_chart_specs(int(sess.spec.days), tuple(sess.labels), tuple(sess.colors)))
