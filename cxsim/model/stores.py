"""Stores: Mesa agents with channels, customer experience and accounts.

Their strategy rules live in :mod:`cxsim.rules.strategies`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any

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
        self._stale: set[str] = set(COLUMNS)
        """Columns of :class:`StoreCache` whose attributes changed since it last gathered them."""
        super().__init__(model)
        self.name = name
        self.index = index
        """The store's column in its shoppers' per-store arrays."""
        self.town = 0
        """Its town's place in a batch of towns (:mod:`cxsim.model.towns`); 0 alone."""
        self.flat = index
        """Its place among all towns' stores (``town S + index``; ``index`` alone)."""
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
        """Snapshot the stores' current attributes (a fresh gathering of :data:`COLUMNS`)."""
        return cls(**_gather(stores, _ARRAY_FIELDS))


_MISSING = object()


def _same(old: Any, new: Any) -> bool:
    """Whether ``new`` is bit for bit the value ``old`` (same type; NaN equals NaN; -0.0 is not 0.0)."""
    if old is new:
        return True
    if type(old) is not type(new):
        return False
    if isinstance(old, float):
        if math.isnan(old):
            return math.isnan(new)
        return old == new and math.copysign(1.0, old) == math.copysign(1.0, new)
    return bool(old == new)


@dataclass(frozen=True)
class _Column:
    get: Callable[[Store], Any]
    reads: tuple[str, ...]
    """Every attribute of the store that ``get`` reads (through properties too)."""
    dtype: type = np.float64


def _attr(name: str, dtype: type = np.float64) -> _Column:
    return _Column(attrgetter(name), (name,), dtype)


COLUMNS: dict[str, _Column] = {
    # StoreArrays
    "price": _Column(lambda s: s.price * (1.0 - s.discount), ("price", "discount")),
    "online_price": _Column(
        lambda s: s.online_price * (1.0 - max(s.discount, s.online_discount)),
        ("price", "online_price_gap", "discount", "online_discount"),
    ),
    "service": _attr("service_quality"),
    "consistency": _attr("service_consistency"),
    "personalization": _attr("personalization"),
    "atmosphere": _attr("atmosphere"),
    "delivery_days": _attr("delivery_days"),
    "reliability": _attr("delivery_reliability"),
    "leniency": _attr("return_leniency"),
    "cross_channel": _attr("cross_channel_returns", bool),
    "after_sales": _attr("after_sales"),
    "channel_consistency": _attr("channel_consistency"),
    "is_open": _attr("is_open", bool),
    "walk_in": _Column(lambda s: s.has_walk_in, ("kind",), bool),
    "delivery": _Column(lambda s: s.has_delivery, ("kind",), bool),
    "pickup": _Column(lambda s: s.has_pickup, ("kind", "bopis"), bool),
    "rating": _attr("rating"),
    "capacity": _attr("capacity"),
    # the rest of the day: lockdowns, choice nests, dispatch, books
    "kind_index": _Column(lambda s: KINDS.index(s.kind), ("kind",), np.int64),
    "essential": _attr("essential", bool),
    "curbside": _attr("curbside", bool),
    "delivery_capacity": _Column(
        lambda s: np.inf if s.delivery_capacity is None else s.delivery_capacity * s.scale,
        ("delivery_capacity", "scale"),
    ),
    "margin": _attr("margin"),
    "delivery_cost": _attr("delivery_cost"),
    "return_cost": _attr("return_cost"),
    "after_sales_cost": _attr("after_sales_cost"),
    "fixed_cost": _attr("fixed_cost"),
    "visit_minutes": _attr("visit_minutes"),
    "wage": _attr("wage"),
    "service_hours": _attr("service_hours"),
    "staffed_service": _Column(
        lambda s: s.service_quality if s.target_service is None else s.target_service,
        ("service_quality", "target_service"),
    ),
    "personalization_hours": _attr("personalization_hours"),
    "after_sales_hours": _attr("after_sales_hours"),
    "capacity_hours": _attr("capacity_hours"),
    "credit_limit": _attr("credit_limit"),
    "exit_horizon_days": _attr("exit_horizon_days"),
    "profit_memory_days": _attr("profit_memory_days"),
}
"""The store attributes the day reads as ``(S,)`` arrays, each with the attributes it reads."""

READERS: dict[str, frozenset[str]] = {
    attr: frozenset(name for name, col in COLUMNS.items() if attr in col.reads)
    for attr in {a for col in COLUMNS.values() for a in col.reads}
}
"""For each store attribute, the columns that read it."""


class _Watched:
    """A store attribute that cached columns read: a new value marks those columns stale.

    A data descriptor on :class:`Store` (the value lives in the instance's
    ``__dict__`` under the same name), so that every write is seen, whoever
    makes it, and writes of the day's other attributes cost nothing extra.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns = READERS[name]

    def __get__(self, obj: Store | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Store, value: Any) -> None:
        values = obj.__dict__
        if not _same(values.get(self.name, _MISSING), value):
            obj._stale.update(self.columns)
        values[self.name] = value


for _name in READERS:
    setattr(Store, _name, _Watched(_name))

_ARRAY_FIELDS = tuple(f.name for f in fields(StoreArrays))


class StoreCache:
    """The stores' attributes as arrays, gathered again only when an attribute they read changes.

    Gathering ~40 attributes of every store into arrays each day was a fixed
    cost of the day that a small town does not amortize (docs/PERFORMANCE.md).
    A store marks the columns that read an attribute stale whenever the
    attribute takes a new value, whoever sets it:
    events, strategies, closures, discounts, service moving toward its target,
    entries, ratings, the app (:class:`_Watched`). The arrays handed out are read-only and never
    change; a stale column is gathered afresh. ``tests/model/test_store_cache.py``
    checks them against :meth:`StoreArrays.from_stores` over every built-in scenario.
    """

    def __init__(self) -> None:
        self._stores: list[Store] | None = None
        self._n = -1
        self._cols: dict[str, np.ndarray] = {}
        self._derived: dict[str, tuple[tuple[np.ndarray, ...], np.ndarray]] = {}

    def _refresh(self, stores: list[Store]) -> None:
        if stores is not self._stores or len(stores) != self._n:
            self._stores, self._n = stores, len(stores)
            stale: set[str] = set(COLUMNS)
        else:
            stale = set()
            for s in stores:
                stale |= s._stale
            if not stale:
                return
        for name in stale:
            col = COLUMNS[name]
            values = _column(stores, col.get, col.dtype)
            values.flags.writeable = False
            self._cols[name] = values
        for s in stores:
            s._stale.clear()

    def column(self, stores: list[Store], name: str) -> np.ndarray:
        """The stores' current values of column ``name`` of :data:`COLUMNS` (read-only)."""
        self._refresh(stores)
        return self._cols[name]

    def arrays(self, stores: list[Store]) -> StoreArrays:
        """The stores' current attributes, as :meth:`StoreArrays.from_stores` gathers them."""
        self._refresh(stores)
        return StoreArrays(**{name: self._cols[name] for name in _ARRAY_FIELDS})

    def derived(self, name: str, derive: Callable[..., np.ndarray], *columns: np.ndarray) -> np.ndarray:
        """``derive(*columns)``, derived again only when one of ``columns`` is a new array.

        For arrays computed from the cache's columns (which never change: a changed
        attribute gives a new array), such as the choice's price of every alternative;
        ``name`` tells them apart. The result is read-only; from a writable column (which
        could change in place) it is derived afresh every time and not kept.
        """
        held = self._derived.get(name)
        if held is not None and len(held[0]) == len(columns) and all(map(operator.is_, held[0], columns)):
            return held[1]
        out = derive(*columns)
        if not any(column.flags.writeable for column in columns):  # a writable column may change in place
            out.flags.writeable = False
            self._derived[name] = (columns, out)
        return out

    def costs(self, stores: list[Store], visits: np.ndarray, relief: np.ndarray) -> StoreCosts:
        """The stores' costs of the day, as :func:`store_costs` gathers them."""
        self._refresh(stores)
        return _costs(self._cols, _scale(stores), visits, relief)


def _gather(stores: list[Store], names: Iterable[str]) -> dict[str, np.ndarray]:
    """A fresh gathering of the columns ``names`` of :data:`COLUMNS`."""
    return {name: _column(stores, COLUMNS[name].get, COLUMNS[name].dtype) for name in names}


def _scale(stores: list[Store]) -> float:
    return stores[0].scale if stores else 1.0


_STAFFING = {
    "wage": "wage",
    "service_hours": "service_hours",
    "service": "staffed_service",
    "personalization_hours": "personalization_hours",
    "personalization": "personalization",
    "after_sales_hours": "after_sales_hours",
    "after_sales": "after_sales",
    "capacity_hours": "capacity_hours",
    "capacity": "capacity",
    "floor": "walk_in",
}
"""The fields of :class:`~cxsim.rules.accounts.Staffing` -> the columns that hold them."""


def _staffing(c: Mapping[str, np.ndarray], scale: float) -> Staffing:
    return Staffing(**{field: c[column] for field, column in _STAFFING.items()}, scale=scale)


def _costs(c: Mapping[str, np.ndarray], scale: float, visits: np.ndarray, relief: np.ndarray) -> StoreCosts:
    staff = _staffing(c, scale)
    return StoreCosts(
        margin=c["margin"],
        delivery_cost=c["delivery_cost"],
        return_cost=c["return_cost"],
        after_sales_cost=c["after_sales_cost"],
        after_sales=c["after_sales"],
        fixed_cost=c["fixed_cost"],
        running=running_costs(staff),
        visits=visit_costs(visits, staff.wage, c["visit_minutes"], c["service"]),
        relief=relief,
        is_open=c["is_open"],
    )


def staffing(stores: list[Store]) -> Staffing:
    """The stores' staffing of their experience now (the service target is what they staff for)."""
    return _staffing(_gather(stores, _STAFFING.values()), _scale(stores))


def store_costs(stores: list[Store], visits: np.ndarray, relief: np.ndarray) -> StoreCosts:
    """The stores' costs parameters of the day, as arrays for :func:`cxsim.rules.accounts.daily_costs`.

    A fresh gathering (the day reads them through :meth:`StoreCache.costs`).
    ``visits``: research visits each store received today; ``relief``: the
    share of each store's standing costs relieved today.
    """
    return _costs(_gather(stores, COLUMNS), _scale(stores), visits, relief)


def rival_market(store: Store, stores: list[Store], day: int) -> Market:
    """What ``store``'s strategy rule sees of the market.

    The cheapest regular online price among open rivals (its own price if no
    rival sells online) and its own market share.
    """
    rivals = [r.online_price for r in stores if r is not store and r.is_open and r.has_delivery]
    return Market(day, min(rivals, default=store.price), store.market_share)
