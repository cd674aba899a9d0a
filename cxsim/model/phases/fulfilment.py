"""Phase 5 of the day: crowding, deliveries, product fit, returns, after-sales needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model.phases.state import DayState
from cxsim.model.stores import StoreArrays
from cxsim.rules import (
    experience as experience_rules,
)
from cxsim.rules import (
    fulfilment as fulfilment_rules,
)
from cxsim.rules.choice import DELIVERY, WALK_IN

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel


# ------------------------------------------------------------------------ 5. fulfilment


def fulfilment(m: DayModel, d: DayState) -> None:
    """Crowding of the shop floors; late deliveries, product fit, returns and after-sales needs.

    A delivery is late when the carrier misses the promised date or the order
    waits in its store's dispatch queue (:func:`cxsim.rules.fulfilment.dispatch_queue`).
    """
    if not d.shopping:
        m.crowding = np.zeros(len(m.stores))
        _dispatch(m, np.zeros(0, dtype=np.int64))
        return
    st, cat, cond, n, t = d.stores, m.spec.category, d.cond, d.who.size, m.towns
    rng = t.draws(d.town)
    m.crowding = experience_rules.crowding(d.sidx[d.fulfil == WALK_IN], st.capacity)
    delivered = d.fulfil == DELIVERY
    inspected = ~delivered | (d.visited >= 0)
    d.late = np.zeros(n)
    shipped_from = d.sidx[delivered]
    queued = _dispatch(m, shipped_from)
    if shipped_from.size:
        rel = st.reliability.take(shipped_from) * cond.reliability_factor
        ship_town = None if d.town is None else d.town[delivered]
        d.late[delivered] = fulfilment_rules.lateness_days(t.draws(ship_town), rel) + queued
    d.misfit = fulfilment_rules.misfit(rng, inspected, cat.touch_feel, cat.misfit_seen, cat.misfit_unseen)
    d.ease = _return_ease(m, st)[d.sidx, d.fulfil]
    impulse_return = m.spec.behaviour.fulfilment.impulse_return
    d.returned = fulfilment_rules.returned(
        rng, d.misfit, cat.base_return_rate, cat.misfit_return, d.ease, d.impulse == d.store, impulse_return
    )
    d.care = fulfilment_rules.needs_after_sales(rng, n, cat.after_sales_need)


def _return_ease(m: DayModel, st: StoreArrays) -> np.ndarray:
    """:func:`cxsim.rules.fulfilment.return_ease` of the stores, ``(S, 3)``, derived once per change."""
    return m.store_cache.derived(
        "return_ease", fulfilment_rules.return_ease, st.leniency, st.cross_channel, st.walk_in
    )


def _all_unlimited(capacity: np.ndarray) -> np.ndarray:
    """Whether every store's dispatch capacity is unlimited (a 0-d bool array)."""
    return np.asarray(np.isposinf(capacity).all())


def _dispatch(m: DayModel, store: np.ndarray) -> np.ndarray:
    """Today's delivery orders join their stores' dispatch queues; returns each order's days of wait.

    A store's ``delivery_capacity`` is per 1,000 shoppers, scaled to the town
    (unlimited when ``None``); its backlog is kept on the store agent. Where
    every store's capacity is unlimited, no order waits and no backlog stays
    (what :func:`cxsim.rules.fulfilment.dispatch_queue` returns then, without computing it).
    """
    capacity = m.store_cache.column(m.stores, "delivery_capacity")
    if m.store_cache.derived("all_unlimited", _all_unlimited, capacity):
        for s in m.stores:
            s.backlog = 0.0
        return np.zeros(store.shape[0])
    backlog = np.array([s.backlog for s in m.stores])
    wait, left = fulfilment_rules.dispatch_queue(backlog, store, capacity)
    for s, b in zip(m.stores, left, strict=True):
        s.backlog = float(b)
    return wait
