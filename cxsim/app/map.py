"""The town map as an Altair specification: shoppers' homes as dots, stores by kind and market share.

Online-only stores stand in an "ONLINE" strip to the right of the town. The
map reads the session's ``frame``, ``dots`` and ``stores`` datasets; the dots
come as one row of columns, which the spec flattens (a tenth of the work of a
thousand row dicts). No Solara here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any, Literal

import altair as alt

from cxsim.app import classroom
from cxsim.app.charts import FONT_SIZE, HIDE_AXIS, finish, named
from cxsim.app.palette import CHANNEL_COLORS, CHANNEL_NAMES, NO_DATA_COLOR
from cxsim.app.session import ONLINE_STRIP_KM, Session
from cxsim.model.registry import metric

ColorBy = Literal["channel", "loyalty"]
"""What the dots' colour shows: the channel of the last purchase, or the store a shopper is most loyal to."""
DOT_COLUMNS = ("i", "x", "y", "g", "r", "f", "s", "d", "l", "lv")
"""The columns of the ``dots`` dataset (see :meth:`cxsim.app.session.Session._dots`)."""
NO_PURCHASE = "no purchase yet"
NO_FAVOURITE = "no favourite yet"


def dot_color(labels: Sequence[str], colors: Sequence[str], color_by: str) -> alt.Color:
    """The dots' colour: by the store they are most loyal to, or by their last purchase's channel."""
    if color_by == "loyalty":
        return alt.Color(
            "loyal:N",
            title="loyal to",
            scale=alt.Scale(domain=[*labels, NO_FAVOURITE], range=[*colors, NO_DATA_COLOR]),
            legend=alt.Legend(orient="bottom", title="most loyal to", columns=3),
        )
    return alt.Color(
        "channel:N",
        scale=alt.Scale(domain=[*CHANNEL_NAMES, NO_PURCHASE], range=[*CHANNEL_COLORS, NO_DATA_COLOR]),
        legend=alt.Legend(orient="bottom", title="last purchase", columns=2),
    )


def dots_layer(
    labels: Sequence[str], segments: Sequence[str], color: alt.Color, x: alt.X, y: alt.Y
) -> alt.Chart:
    """Shoppers' homes, with who they are in the tooltip."""
    channel_names = json.dumps([NO_PURCHASE, *CHANNEL_NAMES])
    store_names = json.dumps([*labels, NO_FAVOURITE])
    segment_names = json.dumps([classroom.pretty_name(g).lower() for g in segments])
    last = (
        "datum.f < 0 ? 'nothing yet' : datum.channel + ' at ' + "
        f"{store_names}[datum.s] + (datum.d > 0 ? ', day ' + datum.d : ', before day 1')"
    )
    loyal = "datum.l < 0 ? 'nobody yet' : datum.loyal + ' (' + format(datum.lv, '.2f') + ')'"
    dots: alt.Chart = (
        alt.Chart(named("dots"))
        .transform_flatten(list(DOT_COLUMNS))
        .transform_calculate(channel=f"{channel_names}[datum.f + 1]")
        .transform_calculate(loyal=f"{store_names}[datum.l < 0 ? {len(labels)} : datum.l]")
        .transform_calculate(segment=f"{segment_names}[datum.g]")
        .transform_calculate(who="'Shopper ' + datum.i")
        .transform_calculate(as_="last purchase", calculate=last)
        .transform_calculate(as_="most loyal to", calculate=loyal)
        .transform_calculate(style="datum.r ? 'shops for pleasure' : 'task-oriented'")
        .mark_circle(size=16, opacity=0.8)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("who:N", title="shopper"),
                alt.Tooltip("segment:N"),
                alt.Tooltip("style:N"),
                alt.Tooltip(field="last purchase", type="nominal"),
                alt.Tooltip(field="most loyal to", type="nominal"),
            ],
        )
    )
    return dots


def store_tooltip() -> list[alt.Tooltip]:
    """What hovering over a store tells (labels from the metric registry)."""

    def label(name: str) -> str:
        return metric(name, "stores").label

    return [
        alt.Tooltip("store:N"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("status:N"),
        alt.Tooltip("channels:N"),
        alt.Tooltip("share:Q", format=".1%", title=label("market_share")),
        alt.Tooltip("nps:Q", format="+.0f", title=label("nps")),
        alt.Tooltip("price:Q", format=".2f", title=label("price")),
        alt.Tooltip("service:Q", format=".2f", title="service"),
        alt.Tooltip("personalization:Q", format=".2f", title="personalization"),
        alt.Tooltip("cash:Q", format=",.0f", title=label("cash")),
    ]


def store_layers(x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """Stores: a marker by kind sized by market share, a ✕ when closed, and the name with its share."""
    stores = alt.Chart(named("stores"))
    markers = stores.mark_point(filled=True, stroke="#263238", strokeWidth=1.5, opacity=1).encode(
        x=x,
        y=y,
        shape=alt.Shape("shape:N", scale=None),
        size=alt.Size("size:Q", scale=None),
        fill=alt.Fill("color:N", scale=None),
        tooltip=store_tooltip(),
    )
    closed = stores.mark_text(fontSize=22, fontWeight="bold", color="#b71c1c").encode(x=x, y=y, text="mark:N")
    halo = stores.mark_text(
        fontSize=FONT_SIZE,
        fontWeight="bold",
        baseline="top",
        dy=14,
        color="#263238",
        stroke="#ffffff",
        strokeWidth=3,
        strokeOpacity=0.85,
    ).encode(x=x, y=y, text="name:N")
    name = stores.mark_text(fontSize=FONT_SIZE, fontWeight="bold", baseline="top", dy=14).encode(
        x=x, y=y, text="name:N", color=alt.value("#263238")
    )
    return [markers, closed, halo, name]


def map_spec(
    size_km: float,
    labels: Sequence[str],
    colors: Sequence[str],
    segments: Sequence[str],
    color_by: str,
    height: int = 440,
    online: bool = True,
) -> dict[str, Any]:
    """The town map: shoppers' homes as dots, stores by kind and market share, online stores to the right."""
    width_km = size_km + (ONLINE_STRIP_KM + 0.9 if online else 0.3)
    x_scale = alt.Scale(domain=[-0.3, width_km], nice=False, zero=False)
    y_scale = alt.Scale(domain=[-0.3, size_km + 0.3], nice=False, zero=False)

    def x(field: str) -> alt.X:
        return alt.X(f"{field}:Q", scale=x_scale, axis=HIDE_AXIS)

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", scale=y_scale, axis=HIDE_AXIS)

    frame = (
        alt.Chart(named("frame"))
        .mark_rect(cornerRadius=6)
        .encode(x=x("x"), x2="x2", y=y("y"), y2="y2", fill=alt.Fill("fill:N", scale=None))
    )
    online_title = (
        alt.Chart(named("frame"))
        .transform_filter("datum.kind == 'online'")
        .mark_text(fontSize=FONT_SIZE, fontWeight="bold", color="#7986cb", dy=14)
        .encode(x=x("cx"), y=y("y2"), text="text:N")
    )
    dots = dots_layer(labels, segments, dot_color(labels, colors, color_by), x("x"), y("y"))
    layers = alt.layer(frame, online_title, dots, *store_layers(x("x"), y("y")))
    return finish(layers, height, legend="bottom")


@functools.lru_cache(maxsize=32)
def _map_json(
    size_km: float,
    labels: tuple[str, ...],
    colors: tuple[str, ...],
    segments: tuple[str, ...],
    color_by: str,
    online: bool,
    height: int,
) -> str:
    return json.dumps(map_spec(size_km, labels, colors, segments, color_by, height=height, online=online))


def town_map_spec(sess: Session, color_by: str, height: int = 440) -> str:
    """The Vega-Lite spec of a session's map, as JSON (cached by what it depends on)."""
    return _map_json(
        float(sess.spec.town.size_km),
        tuple(sess.labels),
        tuple(sess.colors),
        tuple(sess.model.segment_names),
        color_by,
        sess.has_online_stores,
        height,
    )
