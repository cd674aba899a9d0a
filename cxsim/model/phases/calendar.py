"""Phases 1 and 2 of the day: the calendar (conditions, events, stores opening) and needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import events
from cxsim.model import scenario as sc
from cxsim.model.phases.state import DayState
from cxsim.model.stores import StoreArrays
from cxsim.rules import (
    choice as choice_rules,
)
from cxsim.rules import (
    loyalty,
)
from cxsim.rules import (
    needs as needs_rules,
)
from cxsim.rules.town import distances_km

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel


# ------------------------------------------------------------------------- 1. calendar


def calendar(m: CXModel, d: DayState) -> None:
    """The day's conditions; promotions, store entries and attribute changes; stores open the day."""
    d.cond = events.conditions([] if d.warm else m.spec.events, d.day)
    m.conditions = d.cond
    if not d.warm:
        _apply_calendar(m, d)
    for s in m.stores:
        s.reset_day()
        s.adjust_service()
    d.st = StoreArrays.from_stores(m.stores)
    d.walk_open = d.st.walk_in & d.cond.walk_in_open
    d.pickup_open = d.st.pickup & d.cond.pickup_open
    d.visits = np.zeros(len(m.stores), dtype=np.int64)


def _apply_calendar(m: CXModel, d: DayState) -> None:
    for s in m.stores:
        s.discount = d.cond.discounts.get(s.name, 0.0)
        s.online_discount = d.cond.online_discounts.get(s.name, 0.0)
    for ev in d.cond.once:
        store = m.stores[m.store_names.index(ev.store)]
        if isinstance(ev, sc.StoreEntry):
            store.is_open = True
        else:
            store.set_attribute(ev.attribute, ev.value)
            if ev.attribute in ("x", "y"):
                xy = np.array([[store.x, store.y]])
                m.shoppers.dist_km[:, store.index] = distances_km(m.shoppers.home, xy)[:, 0]
    m.log.extend(events.log_entries(m.spec.events, d.day))


# ---------------------------------------------------------------------------- 2. needs


def needs(m: CXModel, d: DayState) -> None:
    """Overnight, loyalty, familiarity and habit fade; promotions pull needs forward; who needs today."""
    a, c = m.shoppers, m.spec.behaviour.loyalty
    loyalty.fade(a.loyalty, c.decay)
    loyalty.fade(a.familiarity, c.familiarity_decay)
    loyalty.fade(a.habit, c.habit_decay)
    for promo in d.cond.pull_forward:
        early = needs_rules.pull_forward(
            m.rng,
            a.next_need,
            d.day,
            promo.pull_forward_days,
            promo.response,
            a.weights[:, choice_rules.W_PRICE],
        )
        a.next_need[early] = d.day
        a.impulse[early] = m.store_names.index(promo.store)
    d.who = needs_rules.due_today(a.next_need, d.day)
    d.impulse = a.impulse[d.who]
    d.due_on = np.full(d.who.size, d.day, dtype=np.int64)
    d.shopping = d.who.size > 0
