"""Phases 1 and 2 of the day: the calendar (conditions, events, stores opening) and needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import events
from cxsim.model import scenario as sc
from cxsim.model.phases.state import DayState, no_sharing
from cxsim.rules import (
    choice as choice_rules,
)
from cxsim.rules import (
    loyalty,
)
from cxsim.rules import (
    needs as needs_rules,
)
from cxsim.rules import (
    promotions as promotion_rules,
)
from cxsim.rules.town import distances_km

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel


# ------------------------------------------------------------------------- 1. calendar


def calendar(m: DayModel, d: DayState) -> None:
    """The day's conditions; promotions, store entries and attribute changes; stores open the day."""
    d.cond = events.conditions([] if d.warm else m.spec.events, d.day)
    m.conditions = d.cond
    for town in m.towns.models:
        town.conditions = d.cond
    if not d.warm:
        _apply_calendar(m, d)
    for s in m.stores:
        s.reset_day()
        s.adjust_service()
    d.st = m.store_cache.arrays(m.stores)
    d.walk_open, d.pickup_open = _open_counters(m, d)
    d.visits = np.zeros(len(m.stores), dtype=np.int64)
    d.counts = no_sharing(m.towns.B)


def _open_counters(m: DayModel, d: DayState) -> tuple[np.ndarray, np.ndarray]:
    """Stores whose shop floor and pick-up counter work today, ``(S,)`` each.

    Outside a lockdown: every shop floor; pick-up where the store offers it. In
    a lockdown an ``essential`` store keeps its floor (and its pick-up counter)
    open; a closed floor hands over orders only at the kerb, at a ``curbside``
    store, when the lockdown allows pick-up. A shop without click-and-collect
    may offer curbside: it takes orders by phone or online and hands them over
    outside (as many did in 2020), so the pick-up alternative opens for it.
    """
    st, cond = d.stores, d.cond
    essential = m.store_cache.column(m.stores, "essential")
    if cond.walk_in_open:
        return st.walk_in.copy(), st.pickup & cond.pickup_open
    curbside = m.store_cache.column(m.stores, "curbside") & st.walk_in & cond.pickup_open
    walk_open = st.walk_in & essential
    return walk_open, (st.pickup & walk_open) | curbside


def _apply_calendar(m: DayModel, d: DayState) -> None:
    for s in m.stores:
        s.discount = d.cond.discounts.get(s.name, 0.0)
        s.online_discount = d.cond.online_discounts.get(s.name, 0.0)
    t = m.towns
    for ev in d.cond.once:
        i = m.store_names.index(ev.store)
        for b in range(t.B):  # the same event in every town, on its own store and shoppers
            store = m.stores[b * t.S + i]
            if isinstance(ev, sc.StoreEntry):
                store.is_open = True
            else:
                store.set_attribute(ev.attribute, ev.value)
                if ev.attribute in ("x", "y"):
                    xy = np.array([[store.x, store.y]])
                    rows = slice(b * t.n, (b + 1) * t.n)
                    m.shoppers.dist_km[rows, i] = distances_km(m.shoppers.home[rows], xy)[:, 0]
    for town in t.models:
        town.log.extend(events.log_entries(m.spec.events, d.day))


# ---------------------------------------------------------------------------- 2. needs


def needs(m: DayModel, d: DayState) -> None:
    """Overnight fading of memories; promotions reach shoppers with needs due soon; who needs today.

    A shopper a promotion reaches (:func:`cxsim.rules.promotions.reached`) needs
    today, at the promoting store (``impulse``), and remembers the day its need
    was due (``d.due_on``): the choice lets it buy there now or wait until then.
    """
    a, c = m.shoppers, m.spec.behaviour.loyalty
    loyalty.fade(a.loyalty, c.decay)
    loyalty.fade(a.familiarity, c.familiarity_decay)
    loyalty.fade(a.habit, c.habit_decay)
    reached, due_on = [], []
    t = m.towns
    for promo in d.cond.pull_forward:
        store = m.store_names.index(promo.store)
        for b in range(t.B):  # each town's shoppers, from its own stream, in the order of a run alone
            if not d.stores.is_open[b * t.S + store]:
                continue
            rows = slice(b * t.n, (b + 1) * t.n)
            early = (
                promotion_rules.reached(
                    t.generators[b],
                    a.next_need[rows],
                    d.day,
                    promo.pull_forward_days,
                    promo.discount,
                    promo.response,
                    a.weights[rows, choice_rules.W_PRICE],
                    m.spec.behaviour.promotions,
                )
                + b * t.n
            )
            reached.append(early)
            due_on.append(a.next_need[early].astype(np.int64))
            a.next_need[early] = d.day
            a.impulse[early] = store
    d.who = needs_rules.due_today(a.next_need, d.day)
    d.town = t.of(d.who)
    d.impulse = a.impulse.take(d.who)
    d.due_on = np.empty(d.who.size, dtype=np.int64)
    d.due_on.fill(d.day)
    if reached:  # who is ascending (due_today) and holds every shopper reached today
        d.due_on[np.searchsorted(d.who, np.concatenate(reached))] = np.concatenate(due_on)
    d.shopping = d.who.size > 0
