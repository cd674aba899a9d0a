"""Stores' strategy rules: how a retailer reacts to the market every ``strategy_every`` days.

Each rule looks at the store (through the small :class:`StrategyStore`
protocol, which the model's store agent satisfies) and at what it can see of
the market (:class:`Market`), may change the store's attributes, and returns a
:class:`StrategyAction` saying what it changed, or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class StrategyStore(Protocol):
    """What a strategy rule reads and changes of a store (money scaled to the town)."""

    kind: str
    price: float
    margin: float
    cash: float
    fixed_cost: float
    target_service: float | None
    personalization: float
    bopis: bool
    cross_channel_returns: bool
    strategy_step: float
    online_channel_cost: float
    """Extra fixed cost a day of an online channel (scaled to the town)."""

    @property
    def standing_cost(self) -> float:
        """Fixed plus running costs of a day at the current attributes (scaled to the town)."""
        ...


@dataclass(frozen=True)
class Market:
    """What a store's strategy rule can see of the market."""

    day: int
    lowest_online_price: float
    """Cheapest regular (not promotional) online price among open rivals."""
    own_share: float


@dataclass(frozen=True)
class StrategyAction:
    """What a strategy rule did: the attribute it changed and the attribute's new value."""

    strategy: str
    attribute: str
    value: float | str


def _affordable(store: StrategyStore, days_of_costs: float) -> bool:
    return store.cash > days_of_costs * store.standing_cost


def static(store: StrategyStore, market: Market) -> StrategyAction | None:
    """Change nothing."""
    return None


def price_match(store: StrategyStore, market: Market) -> StrategyAction | None:
    """Cut prices toward the cheapest online offer, never below cost plus 5%.

    A common answer to showrooming (Mehra, Kumar and Raju 2018, Mgmt Sci. 64:3076).
    """
    floor = (1.0 - store.margin) * 1.05
    target = max(floor, market.lowest_online_price * 1.02)
    if store.price <= target + 1e-9:
        return None
    store.price = max(target, store.price - store.strategy_step)
    return StrategyAction("price_match", "price", store.price)


def invest_service(store: StrategyStore, market: Market) -> StrategyAction | None:
    """Train and staff for better service: raise the service target by one step.

    Its cost is the running cost of the higher target (more advisor hours,
    :func:`cxsim.rules.accounts.running_costs`), paid every day from now on.
    """
    assert store.target_service is not None
    if store.target_service >= 1.0 or not _affordable(store, 60):
        return None
    store.target_service = min(1.0, store.target_service + store.strategy_step)
    return StrategyAction("invest_service", "target_service", store.target_service)


def invest_personalization(store: StrategyStore, market: Market) -> StrategyAction | None:
    """Invest in customer knowledge and clienteling: personalization capability up one step.

    Its cost is the running cost of the higher capability (clienteling hours), paid every day from now on.
    """
    if store.personalization >= 1.0 or not _affordable(store, 60):
        return None
    store.personalization = min(1.0, store.personalization + store.strategy_step)
    return StrategyAction("invest_personalization", "personalization", store.personalization)


def open_online(store: StrategyStore, market: Market) -> StrategyAction | None:
    """A physical store opens an online channel with pick-up in store and cross-channel returns."""
    if store.kind != "physical" or not _affordable(store, 90):
        return None
    store.kind = "omnichannel"
    store.bopis = True
    store.cross_channel_returns = True
    store.fixed_cost += store.online_channel_cost
    return StrategyAction("open_online", "kind", "omnichannel")


Strategy = Callable[[StrategyStore, Market], StrategyAction | None]
STRATEGIES: dict[str, Strategy] = {
    "static": static,
    "price_match": price_match,
    "invest_service": invest_service,
    "invest_personalization": invest_personalization,
    "open_online": open_online,
}
