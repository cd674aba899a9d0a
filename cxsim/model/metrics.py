"""Metrics: the day's purchases, daily indicators, rolling NPS and the run summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from cxsim.model.registry import names
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.word_of_mouth import net_promoter_score

TIMESERIES_COLUMNS: tuple[str, ...] = names("timeseries")
"""Columns of the ``timeseries`` table, in order (from :mod:`cxsim.model.registry`)."""
STORE_COLUMNS: tuple[str, ...] = names("stores")
"""Columns of the ``stores`` table, in order (from :mod:`cxsim.model.registry`)."""
SUMMARY_METRICS: tuple[str, ...] = names("summary")
"""Numeric columns of the ``summary`` table that analyses can use as outputs (from the registry)."""
STORE_DAY_COLUMNS: tuple[str, ...] = (
    "day",
    "store",
    "label",
    "kind",
    "purchases",
    "revenue",
    "costs",
    "profit",
    "nps",
    "cash",
    "is_open",
)
"""The columns of the ``stores`` table that :func:`store_summary` reads."""


@dataclass
class DayPurchases:
    """One day's purchases, one entry per purchase (all arrays of equal length)."""

    shopper: np.ndarray
    store: np.ndarray
    fulfilment: np.ndarray
    research: np.ndarray
    visited: np.ndarray  # store visited for research, -1 if none
    price: np.ndarray  # price index paid
    late_days: np.ndarray
    misfit: np.ndarray
    returned: np.ndarray
    after_sales: np.ndarray
    experience: np.ndarray
    satisfaction: np.ndarray
    ltr: np.ndarray
    showroomed: np.ndarray
    competitive_showroomed: np.ndarray
    webroomed: np.ndarray
    churned: np.ndarray
    previous_store: np.ndarray
    """The buyer's store before this purchase (its last purchase's), -1 for a first purchase."""

    def __len__(self) -> int:
        return int(self.shopper.shape[0])

    def town(self, lo: int, hi: int, first_shopper: int) -> DayPurchases:
        """The purchases ``lo:hi`` (one town's, in a batch of towns), its shoppers numbered from 0.

        ``first_shopper`` is the town's first row in the stacked shopper arrays.
        """
        part = {f.name: getattr(self, f.name)[lo:hi] for f in fields(self)}
        part["shopper"] = part["shopper"] - first_shopper
        return DayPurchases(**part)

    def frame(self, day: int, store_names: list[str]) -> pd.DataFrame:
        """The purchases as a tidy table (the optional ``purchases`` output)."""
        from cxsim.rules.choice import FULFILMENTS
        from cxsim.rules.research import CHANNELS

        names = np.array(store_names, dtype=object)
        return pd.DataFrame(
            {
                "day": np.full(len(self), day, dtype=np.int32),
                "shopper": self.shopper.astype(np.int64),
                "store": names[self.store],
                "fulfilment": np.array(FULFILMENTS, dtype=object)[self.fulfilment],
                "research": np.array(CHANNELS, dtype=object)[self.research],
                "visited": np.where(self.visited >= 0, names[np.maximum(self.visited, 0)], None),
                "price": self.price,
                "late_days": self.late_days,
                "misfit": self.misfit,
                "returned": self.returned,
                "after_sales": self.after_sales,
                "experience": self.experience,
                "satisfaction": self.satisfaction,
                "recommend": self.ltr,
                "showroomed": self.showroomed,
                "webroomed": self.webroomed,
            }
        )


def _empty_columns() -> dict[str, np.ndarray]:
    kw = {f.name: np.zeros(0) for f in fields(DayPurchases)}
    for name in ("shopper", "store", "fulfilment", "research", "visited", "ltr", "previous_store"):
        kw[name] = np.zeros(0, dtype=np.int64)
    for name in (
        "misfit",
        "returned",
        "after_sales",
        "showroomed",
        "competitive_showroomed",
        "webroomed",
        "churned",
    ):
        kw[name] = np.zeros(0, dtype=bool)
    return kw


_EMPTY_COLUMNS = _empty_columns()
"""The columns of a day without purchases, shared by every such day (an empty array holds nothing)."""


def empty_purchases() -> DayPurchases:
    """A day without purchases."""
    return DayPurchases(**_EMPTY_COLUMNS)


def _share(mask: np.ndarray, n: int) -> float:
    return float(mask.sum()) / n if n else 0.0


def channel_shares(p: DayPurchases) -> dict[str, float]:
    """Shares of walk-in, delivery and pick-up (sum to 1 when there are purchases)."""
    n = len(p)
    out = {
        "share_walk_in": _share(p.fulfilment == WALK_IN, n),
        "share_delivery": _share(p.fulfilment == DELIVERY, n),
        "share_pickup": _share(p.fulfilment == PICKUP, n),
    }
    out["online_share"] = out["share_delivery"] + out["share_pickup"]
    return out


def kept_revenue(p: DayPurchases, ticket: float) -> tuple[float, float]:
    """The day's kept revenue (net of returns) in all and online (delivery and pick-up), money units."""
    kept = ticket * p.price * ~p.returned
    return float(kept.sum()), float(kept[p.fulfilment != WALK_IN].sum())


def revenue_share(online: float, total: float) -> float:
    """Online share of kept revenue (0 without revenue)."""
    return online / total if total > 0 else 0.0


def journey_rates(p: DayPurchases) -> dict[str, float]:
    """Showrooming, competitive showrooming and webrooming as shares of purchases."""
    n = len(p)
    return {
        "showrooming_rate": _share(p.showroomed, n),
        "competitive_showrooming_rate": _share(p.competitive_showroomed, n),
        "webrooming_rate": _share(p.webroomed, n),
        "return_rate": _share(p.returned, n),
    }


class RollingNPS:
    """Promoter and detractor counts per store over a trailing window of days.

    A single day's NPS of a small store rests on a handful of answers; NPS as
    firms track it pools a period. ``window`` days are kept in a ring buffer.
    """

    def __init__(self, n_stores: int, window: int) -> None:
        self.counts = np.zeros((window, 3, n_stores), dtype=np.int64)
        self.slot = 0
        self.totals = np.zeros((3, n_stores), dtype=np.int64)
        """``counts`` summed over the window, kept as days enter and leave it (exact: integers)."""

    def add(self, store: np.ndarray, promoter: np.ndarray, detractor: np.ndarray) -> None:
        """Record one day of answers and advance the window."""
        s = self.counts.shape[2]
        self.slot = (self.slot + 1) % self.counts.shape[0]
        day = self.counts[self.slot]
        self.totals -= day
        day[0] = np.bincount(store, weights=promoter, minlength=s)
        day[1] = np.bincount(store, weights=detractor, minlength=s)
        day[2] = np.bincount(store, minlength=s)
        self.totals += day

    def by_store(self) -> np.ndarray:
        """NPS per store over the window (NaN where no answers)."""
        p, d, n = self.totals
        out: np.ndarray = net_promoter_score(p, d, n)
        return out

    def overall(self) -> float:
        """NPS over all stores in the window."""
        p, d, n = self.totals.sum(axis=1)
        return float(net_promoter_score(p, d, n))

    def stores(self, lo: int, hi: int) -> RollingNPS:
        """The window of stores ``lo:hi`` only (one town's, in a batch of towns): a view, kept current."""
        part = RollingNPS.__new__(RollingNPS)
        part.counts = self.counts[:, :, lo:hi]
        part.totals = self.totals[:, lo:hi]
        part.slot = self.slot
        return part


def summary_row(
    ts: pd.DataFrame, daily: pd.DataFrame, stats: dict[str, float], window_days: int
) -> dict[str, float]:
    """Headline metrics over the last ``window_days`` days of the run.

    ``daily`` has one row per simulated day with raw counts (not only the
    collected days), ``stats`` carries shopper-level figures computed by the model.
    """
    last = daily[daily["day"] > daily["day"].max() - window_days]
    n = last["purchases"].sum()

    def rate(col: str) -> float:
        return float(last[col].sum() / n) if n else 0.0

    positive, negative = last["wom_positive"].sum(), last["wom_negative"].sum()
    delivered = last["n_delivery"].sum()
    walked = last["n_walk_in"].sum()
    pick = last["n_pickup"].sum()
    p, d, r = last["promoters"].sum(), last["detractors"].sum(), last["purchases"].sum()
    row = {
        "days": int(daily["day"].max()),
        "window_days": len(last),
        "purchases": int(n),
        "share_walk_in": rate("n_walk_in"),
        "share_delivery": rate("n_delivery"),
        "share_pickup": rate("n_pickup"),
        "online_share": rate("n_delivery") + rate("n_pickup"),
        "online_revenue_share": revenue_share(
            float(last["revenue_online"].sum()), float(last["revenue_kept"].sum())
        ),
        "showrooming_rate": rate("n_showroomed"),
        "competitive_showrooming_rate": rate("n_competitive_showroomed"),
        "webrooming_rate": rate("n_webroomed"),
        "mean_satisfaction": float(last["sum_satisfaction"].sum() / n) if n else float("nan"),
        "nps": float(net_promoter_score(p, d, r)),
        "return_rate": rate("n_returned"),
        "return_rate_walk_in": float(last["returned_walk_in"].sum() / walked) if walked else 0.0,
        "return_rate_delivery": float(last["returned_delivery"].sum() / delivered) if delivered else 0.0,
        "return_rate_pickup": float(last["returned_pickup"].sum() / pick) if pick else 0.0,
        "wom_positive": int(positive),
        "wom_negative": int(negative),
        "wom_ratio": float(positive / negative) if negative else float("nan"),
        "talk_share_promoters": float(last["promoters_talking"].sum() / p) if p else float("nan"),
        "talk_share_detractors": float(last["detractors_talking"].sum() / d) if d else float("nan"),
        "churn_events": int(last["churn_events"].sum()),
        "revenue": float(last["revenue"].sum()),
        "mean_loyalty": float(ts["mean_loyalty"].iloc[-1]),
        "open_stores": int(ts["open_stores"].iloc[-1]),
    }
    row.update(stats)
    return row


def store_summary(stores: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Per store over the last ``window_days`` days: market share, mean NPS, final cash, open.

    Also its revenue share (kept revenue), costs and profit (sums over the window's
    days). ``stores`` has one row per store and day (at least the columns
    :data:`STORE_DAY_COLUMNS`); the model keeps every day of the window for this
    (:meth:`cxsim.model.cxmodel.CXModel.store_summary`), while the ``stores`` table
    holds only the collected days (every ``collect_every`` days), on which the
    sums would miss the others.
    """
    last_day = int(stores["day"].max())
    recent = stores[stores["day"] > last_day - window_days]
    total = recent["purchases"].sum()
    total_revenue = recent["revenue"].sum()
    final = stores[stores["day"] == last_day].set_index("store")
    rows = []
    for name, g in recent.groupby("store", sort=False):
        nps = g["nps"].to_numpy(dtype=float)
        rows.append(
            {
                "store": name,
                "label": str(final.loc[name, "label"]),
                "kind": str(final.loc[name, "kind"]),
                "market_share": float(g["purchases"].sum() / total) if total else 0.0,
                "nps": float(np.nanmean(nps)) if np.isfinite(nps).any() else math.nan,
                "cash": float(final.loc[name, "cash"]),
                "is_open": bool(final.loc[name, "is_open"]),
                "revenue_share": float(g["revenue"].sum() / total_revenue) if total_revenue > 0 else 0.0,
                "costs": float(g["costs"].sum()),
                "profit": float(g["profit"].sum()),
            }
        )
    return pd.DataFrame(rows)
