"""Stores: Mesa agents with channels, customer experience and accounts.

Their strategy rules live in :mod:`cxsim.rules.strategies`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from cxsim.model import scenario as sc
from cxsim.rules.accounts import Staffing, StoreCosts, running_costs, visit_costs
from cxsim.rules.strategies import Market

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel

KINDS = ("physical", "online", "omnichannel")
SCALED = ("fixed_cost", "cash", "capacity", "credit_limit", "online_channel_cost")
"""Scenario fields given per 1,000 shoppers, held scaled to the town."""


class Store(mesa.Agent):  # type: ignore[misc]  # mesa ships no type information
    """A retailer. Its attributes are the scenario's :class:`~cxsim.model.scenario.Store` fields.

    Money fields of the scenario are per 1,000 shoppers; the agent holds them
    scaled to the town (``scale`` = shoppers / 1,000).
    """

    # the scenario's store fields (set from the spec in __init__; see cxsim.model.scenario.Store)
    kind: str
    x: float
    y: float
    price: float
    service_quality: float
    target_service: float | None
    service_adjust_rate: float
    service_consistency: float
    personalization: float
    atmosphere: float
    capacity: float
    delivery_days: float
    delivery_reliability: float
    delivery_capacity: float | None
    """Per 1,000 shoppers as in the scenario (scaled to the town where the fulfilment phase uses it)."""
    essential: bool
    curbside: bool
    return_leniency: float
    cross_channel_returns: bool
    after_sales: float
    bopis: bool
    channel_consistency: float
    online_price_gap: float
    margin: float
    fixed_cost: float
    wage: float
    service_hours: float
    personalization_hours: float
    after_sales_hours: float
    capacity_hours: float
    visit_minutes: float
    delivery_cost: float
    return_cost: float
    after_sales_cost: float
    cash: float
    credit_limit: float
    exit_horizon_days: int
    profit_memory_days: int
    strategy: str
    strategy_every: int
    strategy_step: float
    online_channel_cost: float

    def __init__(self, model: CXModel, name: str, spec: sc.Store, index: int, scale: float) -> None:
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
        self.expected_profit = 0.0
        """Recent average daily profit on trading days (:func:`cxsim.rules.accounts.expected_profit`)."""
        self.rating = float("nan")
        """Public rating: mean stars (1-5) of all reviews so far, NaN before the first."""
        self.review_count = 0
        self.discount = 0.0
        self.online_discount = 0.0
        self.backlog = 0.0
        """Delivery orders waiting to be dispatched (beyond the daily ``delivery_capacity``)."""
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
        """Price online: ``online_price_gap`` below the shelf price."""
        return self.price * (1.0 - self.online_price_gap)

    @property
    def standing_cost(self) -> float:
        """Fixed plus running costs of a day at the current attributes (scaled to the town)."""
        return self.fixed_cost + float(running_costs(staffing([self]))[0])

    # the day ----------------------------------------------------------------
    def reset_day(self) -> None:
        """Zero the day's counters."""
        self.purchases = 0
        self.walk_in = 0
        self.delivery = 0
        self.pickup = 0
        self.returns = 0
        self.revenue = 0.0
        self.costs = 0.0
        self.profit = 0.0
        self.market_share = 0.0
        self.revenue_share = 0.0
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
        self.costs = costs
        self.profit = revenue - costs
        self.cash += self.profit

    def close(self, day: int) -> None:
        """Close the store for good: its owner gave up (:func:`cxsim.rules.accounts.exits`)."""
        self.is_open = False
        self.closed_on = day


def _column(stores: list[Store], get: Callable[[Store], float], dtype: type = np.float64) -> np.ndarray:
    return np.array([get(s) for s in stores], dtype=dtype)


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
    capacity: np.ndarray
    """Walk-ins a day before the store feels crowded (scaled to the town)."""

    @classmethod
    def from_stores(cls, stores: list[Store]) -> StoreArrays:
        """Snapshot the stores' current attributes."""

        def arr(get: Callable[[Store], float], dtype: type = np.float64) -> np.ndarray:
            return _column(stores, get, dtype)

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
            capacity=arr(lambda s: s.capacity),
        )


def staffing(stores: list[Store]) -> Staffing:
    """The stores' staffing of their experience now (the service target is what they staff for)."""

    def arr(get: Callable[[Store], float], dtype: type = np.float64) -> np.ndarray:
        return _column(stores, get, dtype)

    return Staffing(
        wage=arr(lambda s: s.wage),
        service_hours=arr(lambda s: s.service_hours),
        service=arr(lambda s: s.service_quality if s.target_service is None else s.target_service),
        personalization_hours=arr(lambda s: s.personalization_hours),
        personalization=arr(lambda s: s.personalization),
        after_sales_hours=arr(lambda s: s.after_sales_hours),
        after_sales=arr(lambda s: s.after_sales),
        capacity_hours=arr(lambda s: s.capacity_hours),
        capacity=arr(lambda s: s.capacity),
        floor=arr(lambda s: s.has_walk_in, bool),
        scale=stores[0].scale if stores else 1.0,
    )


def store_costs(stores: list[Store], visits: np.ndarray, relief: np.ndarray) -> StoreCosts:
    """The stores' costs parameters of the day, as arrays for :func:`cxsim.rules.accounts.daily_costs`.

    ``visits``: research visits each store received today; ``relief``: the
    share of each store's standing costs relieved today.
    """

    def arr(get: Callable[[Store], float], dtype: type = np.float64) -> np.ndarray:
        return _column(stores, get, dtype)

    staff = staffing(stores)
    return StoreCosts(
        margin=arr(lambda s: s.margin),
        delivery_cost=arr(lambda s: s.delivery_cost),
        return_cost=arr(lambda s: s.return_cost),
        after_sales_cost=arr(lambda s: s.after_sales_cost),
        after_sales=arr(lambda s: s.after_sales),
        fixed_cost=arr(lambda s: s.fixed_cost),
        running=running_costs(staff),
        visits=visit_costs(
            visits, staff.wage, arr(lambda s: s.visit_minutes), arr(lambda s: s.service_quality)
        ),
        relief=relief,
        is_open=arr(lambda s: s.is_open, bool),
    )


def rival_market(store: Store, stores: list[Store], day: int) -> Market:
    """What ``store``'s strategy rule sees of the market.

    The cheapest regular online price among open rivals (its own price if no
    rival sells online) and its own market share.
    """
    rivals = [r.online_price for r in stores if r is not store and r.is_open and r.has_delivery]
    return Market(day, min(rivals, default=store.price), store.market_share)
