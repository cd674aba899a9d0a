"""Stores: Mesa agents with channels, customer experience, accounts and a strategy rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from cxsim.model import scenario as sc

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel

KINDS = ("physical", "online", "omnichannel")
SCALED = ("fixed_cost", "cash", "capacity")
"""Scenario fields given per 1,000 shoppers, held scaled to the town."""


class Store(mesa.Agent):
    """A retailer. Its attributes are the scenario's :class:`~cxsim.model.scenario.Store` fields.

    Money fields of the scenario are per 1,000 shoppers; the agent holds them
    scaled to the town (``scale`` = shoppers / 1,000).
    """

    def __init__(self, model: CXModel, name: str, spec: sc.Store, index: int, scale: float):
        super().__init__(model)
        self.name = name
        self.index = index
        self.scale = scale
        for field in sc.Store.model_fields:
            setattr(self, field, getattr(spec, field))
        if self.target_service is None:
            self.target_service = self.service_quality
        self.label = spec.label or name
        for field in SCALED:
            setattr(self, field, getattr(self, field) * scale)
        self.is_open = bool(spec.open)
        self.closed_on: int | None = None
        self.rating = 0.75
        self.discount = 0.0
        self.online_discount = 0.0
        self.reset_day()

    @property
    def store(self) -> str:
        """The store's name (the ``store`` column of the tables)."""
        return self.name

    # channels ---------------------------------------------------------------
    @property
    def has_walk_in(self) -> bool:
        """Whether the store has a shop floor."""
        return self.kind != "online"

    @property
    def has_delivery(self) -> bool:
        """Whether the store sells online for home delivery."""
        return self.kind != "physical"

    @property
    def has_pickup(self) -> bool:
        """Whether the store offers buy-online-pick-up-in-store."""
        return self.kind == "omnichannel" and bool(self.bopis)

    @property
    def online_price(self) -> float:
        """Price online: below the shelf price where channels are inconsistent."""
        return self.price * (1.0 - 0.2 * (1.0 - self.channel_consistency))

    # the day ----------------------------------------------------------------
    def reset_day(self) -> None:
        """Zero the day's counters."""
        self.purchases = 0
        self.walk_in = 0
        self.delivery = 0
        self.pickup = 0
        self.returns = 0
        self.revenue = 0.0
        self.profit = 0.0
        self.market_share = 0.0
        self.nps = float("nan")
        self.mean_loyalty = 0.0

    def set_attribute(self, name: str, value: float | int | bool | str) -> None:
        """Change one attribute as a ``set`` event does, in scenario units.

        Money and capacity are given per 1,000 shoppers and scaled to the town;
        a new ``service_quality`` becomes the target too (the new level holds).
        """
        if name in SCALED:
            value = float(value) * self.scale
        setattr(self, name, value)
        if name == "service_quality":
            self.target_service = float(value)

    def adjust_service(self) -> None:
        """Service quality moves slowly toward its target: culture and training take time."""
        assert self.target_service is not None
        self.service_quality += self.service_adjust_rate * (self.target_service - self.service_quality)

    def book(self, revenue: float, costs: float) -> None:
        """Book the day's revenue and costs into profit and cash."""
        self.revenue = revenue
        self.profit = revenue - costs
        self.cash += self.profit

    def close(self, day: int) -> None:
        """Close the store for good: it ran out of money."""
        self.is_open = False
        self.closed_on = day


@dataclass(frozen=True)
class Market:
    """What a store's strategy rule can see of the market."""

    day: int
    lowest_online_price: float
    """Cheapest regular (not promotional) online price among open rivals."""
    own_share: float


def _affordable(store: Store, days_of_costs: float) -> bool:
    return store.cash > days_of_costs * store.fixed_cost


def static(store: Store, market: Market) -> str | None:
    """Change nothing."""
    return None


def price_match(store: Store, market: Market) -> str | None:
    """Cut prices toward the cheapest online offer, never below cost plus 5%.

    A common answer to showrooming (Mehra, Kumar and Raju 2018, Mgmt Sci. 64:3076).
    """
    floor = (1.0 - store.margin) * 1.05
    target = max(floor, market.lowest_online_price * 1.02)
    if store.price <= target + 1e-9:
        return None
    store.price = max(target, store.price - store.strategy_step)
    return f"{store.label} cuts its price index to {store.price:.2f}"


def invest_service(store: Store, market: Market) -> str | None:
    """Train staff: raise the service target by one step, paying more every day from now on."""
    assert store.target_service is not None
    if store.target_service >= 1.0 or not _affordable(store, 60):
        return None
    store.target_service = min(1.0, store.target_service + store.strategy_step)
    store.fixed_cost += store.strategy_cost * store.scale
    return f"{store.label} invests in service (target {store.target_service:.2f})"


def invest_personalization(store: Store, market: Market) -> str | None:
    """Invest in customer knowledge and clienteling: personalization capability up one step."""
    if store.personalization >= 1.0 or not _affordable(store, 60):
        return None
    store.personalization = min(1.0, store.personalization + store.strategy_step)
    store.fixed_cost += store.strategy_cost * store.scale
    return f"{store.label} invests in personalization ({store.personalization:.2f})"


def open_online(store: Store, market: Market) -> str | None:
    """A physical store opens an online channel with pick-up in store and cross-channel returns."""
    if store.kind != "physical" or not _affordable(store, 90):
        return None
    store.kind = "omnichannel"
    store.bopis = True
    store.cross_channel_returns = True
    store.fixed_cost += 5.0 * store.strategy_cost * store.scale
    return f"{store.label} opens an online channel with pick-up in store"


STRATEGIES: dict[str, Callable[[Store, Market], str | None]] = {
    "static": static,
    "price_match": price_match,
    "invest_service": invest_service,
    "invest_personalization": invest_personalization,
    "open_online": open_online,
}


@dataclass
class StoreArrays:
    """The stores' attributes as arrays, indexed like the shoppers' per-store columns."""

    price: np.ndarray
    online_price: np.ndarray
    service: np.ndarray
    consistency: np.ndarray
    personalization: np.ndarray
    atmosphere: np.ndarray
    delivery_days: np.ndarray
    reliability: np.ndarray
    leniency: np.ndarray
    cross_channel: np.ndarray
    after_sales: np.ndarray
    channel_consistency: np.ndarray
    is_open: np.ndarray
    walk_in: np.ndarray
    delivery: np.ndarray
    pickup: np.ndarray
    rating: np.ndarray

    @classmethod
    def from_stores(cls, stores: list[Store]) -> StoreArrays:
        """Snapshot the stores' current attributes."""

        def arr(get: Callable[[Store], float], dtype: type = np.float64) -> np.ndarray:
            return np.array([get(s) for s in stores], dtype=dtype)

        return cls(
            price=arr(lambda s: s.price * (1.0 - s.discount)),
            online_price=arr(lambda s: s.online_price * (1.0 - max(s.discount, s.online_discount))),
            service=arr(lambda s: s.service_quality),
            consistency=arr(lambda s: s.service_consistency),
            personalization=arr(lambda s: s.personalization),
            atmosphere=arr(lambda s: s.atmosphere),
            delivery_days=arr(lambda s: s.delivery_days),
            reliability=arr(lambda s: s.delivery_reliability),
            leniency=arr(lambda s: s.return_leniency),
            cross_channel=arr(lambda s: s.cross_channel_returns, bool),
            after_sales=arr(lambda s: s.after_sales),
            channel_consistency=arr(lambda s: s.channel_consistency),
            is_open=arr(lambda s: s.is_open, bool),
            walk_in=arr(lambda s: s.has_walk_in, bool),
            delivery=arr(lambda s: s.has_delivery, bool),
            pickup=arr(lambda s: s.has_pickup, bool),
            rating=arr(lambda s: s.rating),
        )
