"""The stores' books: each day's revenue and costs from the day's purchases.

A store earns the ticket times the price index on every purchase it keeps (a
returned purchase is refunded); it pays the cost of the goods (ticket times
``1 - margin``), the cost of each delivery (half of it for a pick-up order,
which still has to be picked and sent to the store), of each return and of
after-sales care (dearer at stores that care more), and, while open, its
fixed costs. Cash below zero closes a store (:mod:`cxsim.model.stores`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN


@dataclass(frozen=True)
class DayTally:
    """One day's purchases counted per store, each ``(S,)``."""

    revenue: np.ndarray
    units: np.ndarray
    """Purchases kept (not returned)."""
    shipped: np.ndarray
    """Deliveries, plus half of each pick-up order."""
    returns: np.ndarray
    care: np.ndarray
    """Purchases that needed after-sales care."""
    walk_in: np.ndarray
    delivery: np.ndarray
    pickup: np.ndarray


@dataclass(frozen=True)
class StoreCosts:
    """Each store's cost parameters, ``(S,)`` arrays (money scaled to the town)."""

    margin: np.ndarray
    delivery_cost: np.ndarray
    return_cost: np.ndarray
    after_sales_cost: np.ndarray
    after_sales: np.ndarray
    """After-sales quality 0..1: better care costs more."""
    fixed_cost: np.ndarray
    is_open: np.ndarray


def tally(
    store: np.ndarray,
    fulfilment: np.ndarray,
    price: np.ndarray,
    returned: np.ndarray,
    after_sales: np.ndarray,
    ticket: float,
    n_stores: int,
) -> DayTally:
    """Count the day's purchases per store (one entry per purchase in every argument)."""

    def per_store(weights: np.ndarray | None = None, mask: np.ndarray | None = None) -> np.ndarray:
        idx = store if mask is None else store[mask]
        w = None if weights is None else (weights if mask is None else weights[mask])
        return np.bincount(idx, weights=w, minlength=n_stores)

    kept = ~returned
    return DayTally(
        revenue=per_store(ticket * price * kept),
        units=per_store(kept.astype(float)),
        shipped=per_store(np.where(fulfilment == DELIVERY, 1.0, 0.0))
        + 0.5 * per_store(np.where(fulfilment == PICKUP, 1.0, 0.0)),
        returns=per_store(returned.astype(float)),
        care=per_store(after_sales.astype(float)),
        walk_in=per_store(mask=fulfilment == WALK_IN),
        delivery=per_store(mask=fulfilment == DELIVERY),
        pickup=per_store(mask=fulfilment == PICKUP),
    )


def daily_costs(t: DayTally, ticket: float, c: StoreCosts) -> np.ndarray:
    """Each store's costs of the day, ``(S,)``: goods, shipping, returns, care and, if open, fixed costs."""
    costs = (
        t.units * ticket * (1.0 - c.margin)
        + t.shipped * c.delivery_cost
        + t.returns * c.return_cost
        + t.care * c.after_sales_cost * (0.5 + c.after_sales)
    )
    out: np.ndarray = np.where(c.is_open, costs + c.fixed_cost, costs)
    return out
