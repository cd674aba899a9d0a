"""Phases 8 and 9 of the day: the stores' books and strategies; data collection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxsim.model.log import LogEntry
from cxsim.model.phases.state import DayState
from cxsim.model.stores import rival_market, store_costs
from cxsim.rules import (
    accounts,
)
from cxsim.rules.strategies import STRATEGIES

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel


# ---------------------------------------------------------------------------- 8. stores


def stores(m: CXModel, d: DayState) -> None:
    """The stores' books of the day; a store out of cash closes; open stores review their strategy."""
    if d.warm:
        return
    p, ticket = d.purchases, m.spec.category.ticket
    t = accounts.tally(p.store, p.fulfilment, p.price, p.returned, p.after_sales, ticket, len(m.stores))
    costs = accounts.daily_costs(t, ticket, store_costs(m.stores))
    nps, n = m.nps.by_store(), len(p)
    total_revenue = float(t.revenue.sum())
    for s in m.stores:
        i = s.index
        s.book(float(t.revenue[i]), float(costs[i]))
        s.walk_in, s.delivery, s.pickup = int(t.walk_in[i]), int(t.delivery[i]), int(t.pickup[i])
        s.purchases = s.walk_in + s.delivery + s.pickup
        s.returns = int(t.returns[i])
        s.market_share = s.purchases / n if n else 0.0
        s.revenue_share = s.revenue / total_revenue if total_revenue > 0 else 0.0
        s.nps = float(nps[i])
    for s in m.stores:
        if s.is_open and s.cash < 0:
            customers = int((m.shoppers.last_store == s.index).sum())
            s.close(d.day)
            m.log.append(LogEntry(d.day, "closure", s.name, {"customers": customers}))
            continue
        if s.is_open and d.day % s.strategy_every == 0:
            action = STRATEGIES[s.strategy](s, rival_market(s, m.stores, d.day))
            if action is not None:
                data = {"strategy": action.strategy, "attribute": action.attribute, "value": action.value}
                m.log.append(LogEntry(d.day, "strategy", s.name, data))


# ------------------------------------------------------------------------ 9. collection


def collection(m: CXModel, d: DayState) -> None:
    """The day's numbers; the data collector every ``collect_every`` days and on the last."""
    if d.warm:
        return
    m.record_day(d.day, d.purchases, d.counts)
    last = d.day >= m.spec.days
    if d.day % m.spec.collect_every == 0 or last:
        m.datacollector.collect(m)
    if last:
        m.running = False
