"""Phases 8 and 9 of the day: the stores' books and strategies; data collection."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model.log import LogEntry
from cxsim.model.phases.state import DayState
from cxsim.model.stores import rival_market
from cxsim.rules import (
    accounts,
)
from cxsim.rules.strategies import STRATEGIES

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel


# ---------------------------------------------------------------------------- 8. stores


def stores(m: DayModel, d: DayState) -> None:
    """The stores' books of the day; a store that expects no future exits; open stores review their strategy.

    A store's research visits cost it staff time; a lockdown relieves its
    ``fixed_cost_relief`` share of the standing costs of stores whose shop
    floor is shut today. The expected profit follows trading days only (an
    owner does not extrapolate a lockdown it knows to be temporary); it is
    first formed over the warm-up, which books nothing else.
    """
    p, ticket, towns = d.purchases, m.spec.category.ticket, m.towns
    t = accounts.tally(d.sidx, p.fulfilment, p.price, p.returned, p.after_sales, ticket, len(m.stores))
    shut = d.stores.walk_in & ~d.walk_open
    relief = np.where(shut, d.cond.fixed_cost_relief, 0.0)
    cache = m.store_cache
    costs = accounts.daily_costs(t, ticket, cache.costs(m.stores, d.visits, relief))
    trading = cache.column(m.stores, "is_open") & ~shut
    if d.warm:
        _expect(m, t.revenue - costs, trading)
        return
    S = towns.S
    sold = [hi - lo for lo, hi in towns.bounds(p.shopper)]  # purchases in each town
    town_revenue = [float(t.revenue[b * S : (b + 1) * S].sum()) for b in range(towns.B)]
    # Python numbers of each store's column, all at once (the same values as float(x[i]), int(x[i]))
    revenue, cost, nps = t.revenue.tolist(), costs.tolist(), m.nps.by_store().tolist()
    walk_in, delivery, pickup, returns = (x.tolist() for x in (t.walk_in, t.delivery, t.pickup, t.returns))
    for s in m.stores:
        i, n, total_revenue = s.flat, sold[s.town], town_revenue[s.town]
        s.book(revenue[i], cost[i])
        s.walk_in, s.delivery, s.pickup = int(walk_in[i]), int(delivery[i]), int(pickup[i])
        s.purchases = s.walk_in + s.delivery + s.pickup
        s.returns = int(returns[i])
        s.market_share = s.purchases / n if n else 0.0
        s.revenue_share = s.revenue / total_revenue if total_revenue > 0 else 0.0
        s.nps = nps[i]
    _expect(m, np.array([s.profit for s in m.stores]), trading)
    gives_up = accounts.exits(
        np.array([s.cash for s in m.stores]),
        np.array([s.expected_profit for s in m.stores]),
        cache.column(m.stores, "exit_horizon_days"),
        cache.column(m.stores, "credit_limit"),
    )
    for s in m.stores:
        town = towns.models[s.town]
        if s.is_open and gives_up[s.flat]:
            rows = slice(s.town * towns.n, (s.town + 1) * towns.n)
            customers = int((m.shoppers.last_store[rows] == s.index).sum())
            s.close(d.day)
            town.log.append(LogEntry(d.day, "closure", s.name, {"customers": customers}))
            continue
        if s.is_open and d.day % s.strategy_every == 0:
            action = STRATEGIES[s.strategy](s, rival_market(s, town.stores, d.day))
            if action is not None:
                data = {"strategy": action.strategy, "attribute": action.attribute, "value": action.value}
                town.log.append(LogEntry(d.day, "strategy", s.name, data))


def _expect(m: DayModel, profit: np.ndarray, trading: np.ndarray) -> None:
    """Trading stores update their expected daily profit with the day's profit."""
    expected = accounts.expected_profit(
        np.array([s.expected_profit for s in m.stores]),
        profit,
        m.store_cache.column(m.stores, "profit_memory_days"),
    )
    for s in m.stores:
        if trading[s.flat]:
            s.expected_profit = float(expected[s.flat])


# ------------------------------------------------------------------------ 9. collection


def collection(m: DayModel, d: DayState) -> None:
    """The day's numbers; the data collector every ``collect_every`` days and on the last."""
    if d.warm:
        return
    t, p = m.towns, d.purchases
    last = d.day >= m.spec.days
    for b, (lo, hi) in enumerate(t.bounds(p.shopper)):
        town = t.models[b]
        town.record_day(d.day, p if t.B == 1 else p.town(lo, hi, b * t.n), d.counts[b])
        if d.day % m.spec.collect_every == 0 or last:
            town.datacollector.collect(town)
        if last:
            town.running = False
