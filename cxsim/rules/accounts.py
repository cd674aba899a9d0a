"""The stores' books: each day's revenue and costs, the running costs of the experience, exit.

A store earns the ticket times the price index on every purchase it keeps (a
returned purchase is refunded); it pays the cost of the goods (ticket times
``1 - margin``), the cost of each delivery (half of it for a pick-up order,
which still has to be picked and sent to the store), of each return and of
after-sales care (dearer at stores that care more), the staff time of each
research visit it receives, and, while open, its standing costs: fixed costs
(rent, overheads) plus the **running costs of its experience** (staff hours ×
wage for its service, personalization, after-sales capability and the
throughput of its shop floor, :func:`running_costs`), of which a lockdown may
relieve a share while its shop floor is shut. A store exits when its expected
profit over a horizon says it cannot go on (:func:`exits`), not on the first
day its cash is negative.

Staffing and sales: store labour drives sales and service, and understaffing
loses sales (Fisher, Krishnan and Netessine 2006, "Retail store execution",
Wharton working paper; Ton 2014, *The Good Jobs Strategy*); a better
experience is therefore bought with staff hours, here priced at a loaded
hourly wage (BLS OEWS 2023, retail salespersons 41-2031, plus employer costs
of about 30% of compensation, BLS Employer Costs for Employee Compensation).
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
class Staffing:
    """Each store's staffing of its experience, ``(S,)`` arrays.

    Hours are per day per 1,000 shoppers at an attribute of 1.0 (``capacity_hours``:
    per unit of capacity, which is itself scaled to the town); ``scale`` is
    shoppers / 1,000.
    """

    wage: np.ndarray
    """Loaded cost of one staff hour (currency units)."""
    service_hours: np.ndarray
    service: np.ndarray
    """The service level staffed for (the store's service target)."""
    personalization_hours: np.ndarray
    personalization: np.ndarray
    after_sales_hours: np.ndarray
    after_sales: np.ndarray
    capacity_hours: np.ndarray
    capacity: np.ndarray
    """Walk-ins a day before crowding, scaled to the town."""
    floor: np.ndarray
    """Whether the store has a shop floor (capacity costs only there)."""
    scale: float


def running_costs(s: Staffing) -> np.ndarray:
    """Running cost of each store's experience per day, ``(S,)``, scaled to the town.

    ``wage × (scale × (h_service·service + h_pers·personalization + h_care·after_sales)
    + h_capacity·capacity·floor)``: advisors on the floor in proportion to the
    service level (Ton 2014), clienteling and customer-data work in proportion
    to personalization, a help desk and technicians in proportion to
    after-sales capability, and till and stock staff in proportion to the
    throughput the shop floor is built for.
    """
    hours = s.scale * (
        s.service_hours * s.service
        + s.personalization_hours * s.personalization
        + s.after_sales_hours * s.after_sales
    ) + np.where(s.floor, s.capacity_hours * s.capacity, 0.0)
    out: np.ndarray = s.wage * hours
    return out


def visit_costs(visits: np.ndarray, wage: np.ndarray, minutes: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Staff time of the day's research visits, ``(S,)``: ``visits × wage × minutes/60 × service``.

    A shopper who comes to see and ask takes an advisor's time whether or not
    it buys (store traffic drives the labour a store needs: Perdikaki, Kesavan
    and Swaminathan 2012, M&SOM 14:145); better service spends more of it on
    each visitor. Showroomers who buy elsewhere leave the store the cost only.
    """
    out: np.ndarray = visits * wage * (minutes / 60.0) * service
    return out


@dataclass(frozen=True)
class StoreCosts:
    """Each store's cost parameters of the day, ``(S,)`` arrays (money scaled to the town)."""

    margin: np.ndarray
    delivery_cost: np.ndarray
    return_cost: np.ndarray
    after_sales_cost: np.ndarray
    after_sales: np.ndarray
    """After-sales quality 0..1: better care costs more."""
    fixed_cost: np.ndarray
    running: np.ndarray
    """Running costs of the experience (:func:`running_costs`)."""
    visits: np.ndarray
    """Staff time of the day's research visits (:func:`visit_costs`)."""
    relief: np.ndarray
    """Share of the standing costs (fixed + running) relieved today (a lockdown's support)."""
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
    """Count the day's purchases per store (one entry per purchase in every argument).

    Counts by store and fulfilment come from one ``bincount`` of ``(store, fulfilment)``
    cells; the float counts (shipped, units, returns, care) are exact integers, as
    summing weights of 1.0 gives them.
    """
    kept = ~returned
    by_fulfilment = np.bincount(store * 3 + fulfilment, minlength=3 * n_stores).reshape(n_stores, 3)
    return DayTally(
        revenue=np.bincount(store, weights=ticket * price * kept, minlength=n_stores),
        units=np.bincount(store, weights=kept, minlength=n_stores),
        shipped=by_fulfilment[:, DELIVERY] + 0.5 * by_fulfilment[:, PICKUP],
        returns=np.bincount(store, weights=returned, minlength=n_stores),
        care=np.bincount(store, weights=after_sales, minlength=n_stores),
        walk_in=by_fulfilment[:, WALK_IN],
        delivery=by_fulfilment[:, DELIVERY],
        pickup=by_fulfilment[:, PICKUP],
    )


def daily_costs(t: DayTally, ticket: float, c: StoreCosts) -> np.ndarray:
    """Each store's costs of the day, ``(S,)``.

    Goods, shipping, returns, care and research visits; and, if open, the
    standing costs (fixed + running) less the day's relief share.
    """
    costs = (
        t.units * ticket * (1.0 - c.margin)
        + t.shipped * c.delivery_cost
        + t.returns * c.return_cost
        + t.care * c.after_sales_cost * (0.5 + c.after_sales)
        + c.visits
    )
    standing = (c.fixed_cost + c.running) * (1.0 - c.relief)
    out: np.ndarray = np.where(c.is_open, costs + standing, costs)
    return out


def expected_profit(previous: np.ndarray, profit: np.ndarray, memory_days: np.ndarray) -> np.ndarray:
    """The recent average daily profit: an exponentially weighted mean with a memory of ``memory_days``.

    ``E_t = E_{t-1} + (π_t − E_{t-1}) / memory_days`` (adaptive expectations).
    """
    out: np.ndarray = previous + (profit - previous) / memory_days
    return out


def exits(
    cash: np.ndarray, expected: np.ndarray, horizon_days: np.ndarray, credit_limit: np.ndarray
) -> np.ndarray:
    """Stores that give up today, ``(S,)`` bool.

    A store closes when its cash plus ``horizon_days`` of its expected daily
    profit is negative (it expects to be insolvent within the horizon), or when
    its cash falls below its credit line. A store with negative cash that
    expects to earn it back stays (the option value of staying in business
    under sunk costs: exit only when losses are expected to persist, Dixit 1989,
    J. Political Economy 97:620); one that keeps losing exits before its cash
    runs out.
    """
    out: np.ndarray = (cash + horizon_days * expected < 0.0) | (cash < -credit_limit)
    return out
