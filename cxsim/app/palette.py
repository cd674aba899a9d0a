"""Names, colours and shapes the app's map and charts share (no Solara here).

Channel and journey-rate names are the labels of the metric registry
(:mod:`cxsim.model.registry`), so the app says "home delivery" where the
tables and reports say it; colours and marker shapes are the app's own.
"""

from __future__ import annotations

from typing import Final

from cxsim.model.journeys import KINDS as JOURNEY_KINDS
from cxsim.model.registry import Metric, metric
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.research import CHANNELS as RESEARCH_CHANNELS


def short_label(m: Metric) -> str:
    """A metric's label without its parenthesised qualifier, for legends and headline numbers.

    ``"showrooming (of purchases)"`` becomes ``"showrooming"``: the chart's
    axis or the number's hint already says what it is a share of.
    """
    return m.label.split(" (", 1)[0]


CHANNEL_METRICS: Final = tuple(
    metric(name, "timeseries") for name in ("share_walk_in", "share_delivery", "share_pickup")
)
"""The fulfilment channels' shares, in the order of :mod:`cxsim.rules.choice` (walk-in, delivery, pick-up)."""
assert (WALK_IN, DELIVERY, PICKUP) == (0, 1, 2)
CHANNEL_NAMES: Final = tuple(short_label(m) for m in CHANNEL_METRICS)
CHANNEL_COLORS: Final = ("#2e9e44", "#2f6fb3", "#f28e2b")

RATE_METRICS: Final = tuple(
    metric(name, "timeseries")
    for name in ("showrooming_rate", "competitive_showrooming_rate", "webrooming_rate")
)
"""The journey rates the showrooming/webrooming chart draws."""
RATE_NAMES: Final = tuple(short_label(m) for m in RATE_METRICS)
RATE_COLORS: Final = ("#e4572e", "#f5a25d", "#6a3d9a")

assert RESEARCH_CHANNELS == ("none", "online", "visit")
RESEARCH_NAMES: Final = ("habit, no research", "online research", "store visit")
"""The research channels of :mod:`cxsim.rules.research`, in its order, as the journey flow names them."""

NO_DATA_COLOR: Final = "#c9ced6"
CLOSED_COLOR: Final = "#9e9e9e"
STORE_COLORS: Final = (
    "#D55E00",
    "#0072B2",
    "#009E73",
    "#CC79A7",
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
)
"""Store colours, by the store's index (repeating beyond eight stores): the Okabe–Ito palette
(Okabe & Ito 2008, "Color Universal Design"), distinct for the common colour-vision deficiencies;
ordered so that the first five (the baseline's stores) are the most distinct from each other."""
JOURNEY_COLORS: Final = dict(zip(JOURNEY_KINDS, ("#e4572e", "#6a3d9a", "#b9c6d8"), strict=True))
"""Colours of the journey flow's bands, by the kind of journey (showrooming, webrooming, other)."""
KIND_SHAPES: Final = {"physical": "square", "omnichannel": "diamond", "online": "triangle-up"}
"""Map markers of the store kinds."""
