"""The metric registry: every column of the output tables, once, with its label, unit and averaging.

Tables, ``compare``, reports, figures, ``validate``, ``analyze`` and the app read
names, labels and units from here, so a metric is described in one place.

Units: ``share`` (a fraction 0..1, shown in %, differences in percentage
points), ``score`` (NPS, −100..100), ``ratio`` (a dimensionless number),
``count``, ``money`` (currency units of the scenario), ``index`` (a price or
quality index, 1 = reference), ``days``, ``text``.

Averaging says how a metric over a window is formed from the daily rows:
``rate`` (a ratio of the window's sums, e.g. showrooming = showroomed purchases
/ purchases), ``sum``, ``mean`` (mean of the daily values), ``last`` (the value
on the last day), ``rolling`` (already a trailing window, see ``window``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["share", "score", "ratio", "count", "money", "index", "days", "text", "flag"]
Averaging = Literal["rate", "sum", "mean", "last", "rolling", "none"]
TableName = Literal["timeseries", "stores", "summary", "store_summary"]


@dataclass(frozen=True)
class Metric:
    """One column of an output table."""

    name: str
    label: str
    unit: Unit
    averaging: Averaging = "mean"
    window: str = ""
    """The window a value covers, in words (empty: one day or the moment of collection)."""
    description: str = ""


def _m(*args: str, **kw: str) -> Metric:
    return Metric(*args, **kw)  # type: ignore[arg-type]


_NPS_WINDOW = "trailing nps_window_days (behaviour), pooled over the window's answers"
_SUMMARY_WINDOW = "the run's last summary_window_days days"

TIMESERIES: tuple[Metric, ...] = (
    _m("day", "day", "days", "none"),
    _m("purchases", "purchases", "count", "sum", description="purchases made that day"),
    _m(
        "share_walk_in",
        "walk-in",
        "share",
        "rate",
        description="share of the day's purchases made in a store",
    ),
    _m("share_delivery", "home delivery", "share", "rate"),
    _m("share_pickup", "pick-up in store", "share", "rate"),
    _m("online_share", "online share of purchases", "share", "rate", description="delivery + pick-up"),
    _m(
        "online_revenue_share",
        "online share of revenue",
        "share",
        "rate",
        description="kept revenue (net of returns) of deliveries and pick-ups over all kept revenue",
    ),
    _m(
        "showrooming_rate",
        "showrooming (of purchases)",
        "share",
        "rate",
        description="store visit for research, then home delivery",
    ),
    _m(
        "competitive_showrooming_rate",
        "competitive showrooming",
        "share",
        "rate",
        description="showrooming that ends with another retailer",
    ),
    _m(
        "webrooming_rate",
        "webrooming (of purchases)",
        "share",
        "rate",
        description="online research, then a purchase in a physical store",
    ),
    _m("mean_satisfaction", "mean satisfaction", "ratio", "mean"),
    _m(
        "mean_loyalty",
        "mean highest loyalty",
        "ratio",
        "last",
        description="mean over shoppers of their highest loyalty to any store",
    ),
    _m("nps", "NPS (all stores)", "score", "rolling", _NPS_WINDOW),
    _m("return_rate", "return rate", "share", "rate"),
    _m("churn_events", "shoppers turned away (churn)", "count", "sum"),
    _m("open_stores", "open stores", "count", "last"),
    _m("wom_positive", "positive word of mouth", "count", "sum"),
    _m("wom_negative", "negative word of mouth", "count", "sum"),
    _m("reviews", "reviews written", "count", "sum"),
    _m("revenue", "revenue (all stores)", "money", "sum"),
    _m("events", "events in force", "text", "none"),
)

STORES: tuple[Metric, ...] = (
    _m("day", "day", "days", "none"),
    _m("store", "store", "text", "none"),
    _m("kind", "kind", "text", "none"),
    _m("purchases", "purchases", "count", "sum"),
    _m("revenue", "revenue", "money", "sum"),
    _m("profit", "profit", "money", "sum"),
    _m(
        "costs",
        "costs",
        "money",
        "sum",
        description="goods, shipping, returns, care, running costs of the experience and fixed costs",
    ),
    _m("cash", "cash", "money", "last"),
    _m("market_share", "market share", "share", "rate", description="the store's share of purchases"),
    _m(
        "revenue_share",
        "revenue share",
        "share",
        "rate",
        description="the store's share of the day's kept revenue (net of returns)",
    ),
    _m("nps", "NPS", "score", "rolling", _NPS_WINDOW),
    _m("mean_loyalty", "mean loyalty", "ratio", "last"),
    _m("service_quality", "service quality", "index", "last"),
    _m("price", "price index", "index", "last"),
    _m("is_open", "open", "flag", "last"),
    _m("label", "label", "text", "none"),
    _m("walk_in", "walk-in purchases", "count", "sum"),
    _m("delivery", "home deliveries", "count", "sum"),
    _m("pickup", "pick-ups", "count", "sum"),
    _m("returns", "returns", "count", "sum"),
    _m("personalization", "personalization capability", "index", "last"),
    _m(
        "rating",
        "public rating (stars)",
        "ratio",
        "last",
        description="mean stars (1-5) of all reviews so far",
    ),
    _m("review_count", "reviews so far", "count", "last", description="reviews written since the start"),
)

SUMMARY: tuple[Metric, ...] = (
    *(
        Metric(
            m.name,
            m.label,
            m.unit,
            m.averaging,
            _SUMMARY_WINDOW if m.averaging != "last" else "",
            m.description,
        )
        for m in TIMESERIES
        if m.name not in ("day", "events", "reviews")
    ),
    _m("return_rate_walk_in", "return rate, walk-in", "share", "rate", _SUMMARY_WINDOW),
    _m("return_rate_delivery", "return rate, home delivery", "share", "rate", _SUMMARY_WINDOW),
    _m("return_rate_pickup", "return rate, pick-up", "share", "rate", _SUMMARY_WINDOW),
    _m("wom_ratio", "positive : negative word of mouth", "ratio", "rate", _SUMMARY_WINDOW),
    _m(
        "talk_share_promoters",
        "promoters who told acquaintances",
        "share",
        "rate",
        _SUMMARY_WINDOW,
        "share of the window's purchases by promoters (recommend 9-10) whose buyer passed on word of mouth",
    ),
    _m(
        "talk_share_detractors",
        "detractors who told acquaintances",
        "share",
        "rate",
        _SUMMARY_WINDOW,
        "share of the window's purchases by detractors (recommend 0-6) whose buyer passed on word of mouth",
    ),
    _m(
        "share_shoppers_showroomed",
        "shoppers who showroomed",
        "share",
        "rate",
        _SUMMARY_WINDOW,
        "share of the window's buyers who showroomed at least once",
    ),
    _m(
        "share_shoppers_webroomed",
        "shoppers who webroomed",
        "share",
        "rate",
        _SUMMARY_WINDOW,
        "share of the window's buyers who webroomed at least once",
    ),
    _m("stores_closed", "stores closed", "count", "last"),
)
"""Numeric headline metrics of the ``summary`` table (the NPS here is pooled over the window)."""

STORE_SUMMARY: tuple[Metric, ...] = (
    _m("market_share", "market share", "share", "rate", _SUMMARY_WINDOW, "the store's share of purchases"),
    _m(
        "nps",
        "NPS",
        "score",
        "mean",
        "mean over the run's last summary_window_days days of each day's trailing nps_window_days NPS",
    ),
    _m("cash", "cash at the end", "money", "last", "the last day"),
    _m(
        "revenue_share",
        "revenue share",
        "share",
        "rate",
        _SUMMARY_WINDOW,
        "the store's share of kept revenue (net of returns)",
    ),
    _m("costs", "costs", "money", "sum", _SUMMARY_WINDOW, "all the store's costs over the window"),
    _m("profit", "profit", "money", "sum", _SUMMARY_WINDOW, "revenue minus costs over the window"),
)
"""Per-store values over the summary window (``store_summary`` of compare, the store table of
``cxsim run`` and the reports): one definition per label, its window named."""

TABLES: dict[str, tuple[Metric, ...]] = {
    "timeseries": TIMESERIES,
    "stores": STORES,
    "summary": SUMMARY,
    "store_summary": STORE_SUMMARY,
}


def metric(name: str, table: str = "summary") -> Metric:
    """The registered metric ``name`` of ``table``; KeyError if there is none."""
    for m in TABLES[table]:
        if m.name == name:
            return m
    raise KeyError(f"no metric {name!r} in the {table} table")


def names(table: str) -> tuple[str, ...]:
    """Column names of ``table`` in their fixed order."""
    return tuple(m.name for m in TABLES[table])
