"""Phase 4 of the day: the choice of store and fulfilment, or the outside option."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import learning
from cxsim.model.phases.state import DayState
from cxsim.rules import (
    beliefs,
    nesting,
    personalization,
)
from cxsim.rules import (
    choice as choice_rules,
)
from cxsim.rules import (
    needs as needs_rules,
)
from cxsim.rules import (
    research as research_rules,
)
from cxsim.rules.choice import DELIVERY, WALK_IN

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel
    from cxsim.model.towns import Towns


# --------------------------------------------------------------------------- 4. choice


def choice(m: DayModel, d: DayState) -> None:
    """Nested-logit choice of (store, fulfilment) or the outside option.

    A shopper who takes the outside option loses its need with probability
    ``behaviour.choice.lapse`` (its next need drawn afresh) or reconsiders a
    week later; a shopper reached by a promotion chooses only among the
    promoting store's alternatives or waiting, and one who waits keeps its need
    on the day it was due (its promotion forgotten).
    """
    if not d.shopping:
        return
    st, who, c, S = d.stores, d.who, m.spec.behaviour.choice, m.towns.S
    cache = m.store_cache
    prices = cache.derived("alternative_prices", _alternative_prices, st.price, st.online_price)
    nests = cache.derived(  # the kinds of one town's stores (the same in every town of a batch)
        "alternative_nests",
        lambda kinds: choice_rules.alternative_nests(kinds[:S]),
        cache.column(m.stores, "kind_index"),
    )
    u = _utilities(m, d, prices)
    pick = nesting.nested_logit_draw(m.towns.draws(d.town), u, nests, c.nest_lambdas())
    bought = pick < S * 3  # not the outside option (the last column)
    _outside(m, d, ~bought)
    keep = np.flatnonzero(bought)
    pick = pick.take(keep)
    d.who, d.channel, d.visited, d.encounter = (
        who.take(keep),
        d.channel.take(keep),
        d.visited.take(keep),
        d.encounter.take(keep),
    )
    d.town = None if d.town is None else d.town.take(keep)
    d.store, d.fulfil = choice_rules.decode(pick, S)
    d.sidx = m.towns.flat(d.town, d.store)
    # the price of each pick: the alternative (store, fulfilment) of the buyer's own town
    d.price = prices.reshape(-1).take(pick if d.town is None else d.town * (S * 3) + pick)
    d.impulse, d.due_on = d.impulse.take(keep), d.due_on.take(keep)


def _alternative_prices(price: np.ndarray, online_price: np.ndarray) -> np.ndarray:
    """Price of every alternative, ``(S, 3)``: the shelf price walk-in, the online price otherwise."""
    out: np.ndarray = np.stack([price, online_price, online_price], axis=1)
    return out


def _rows3(t: Towns, prices: np.ndarray, town: np.ndarray | None) -> np.ndarray:
    """The ``(B S, 3)`` prices of every alternative as ``(1, S, 3)`` (one town) or each row's town's."""
    if town is None:
        return prices[None, :, :]
    out: np.ndarray = prices.reshape(t.B, t.S, 3).take(town, axis=0)
    return out


def _outside(m: DayModel, d: DayState, out: np.ndarray) -> None:
    """Shoppers who took the outside option: a reached one waits, others lapse or postpone."""
    a, c = m.shoppers, m.spec.behaviour.choice
    reached = d.impulse >= 0
    wait = out & reached
    waiting = d.who[wait]
    if waiting.size:
        a.next_need[waiting] = np.maximum(d.due_on[wait], d.day + 1)
        a.impulse[waiting] = -1
    rest = d.who[out & ~reached]
    if rest.size == 0:
        return
    t = m.towns
    gone = needs_rules.lapses(t.draws_for_rows(rest), rest.size, c.lapse)
    a.next_need[rest] = needs_rules.postponed_need_day(d.day)
    lapsed = rest[gone]
    if lapsed.size:
        a.next_need[lapsed] = needs_rules.draw_next_need(
            t.draws_for_rows(lapsed), d.day, a.need_interval[lapsed], d.cond.need_factor
        )


def _utilities(m: DayModel, d: DayState, prices: np.ndarray) -> np.ndarray:
    """Utility of every alternative for today's shoppers, given what each knows and believes.

    A shopper knows the online prices after researching online and the shelf
    price of the store it visited; it has inspected the product unless it buys
    for delivery without a visit. The experience it expects (service,
    personalization, the store, delivery, returns, after-sales, consistency, the
    whole) comes from its beliefs, never from the stores' true attributes.
    """
    a, st, cond, who, t, town = m.shoppers, d.stores, d.cond, d.who, m.towns, d.town
    n, S = who.size, t.S
    vis = d.visited[:, None] == np.arange(S)  # -1: no visit
    has_visit = d.visited >= 0
    open_ok = t.rows(st.is_open, town) & ~d.avoided
    reached = d.impulse >= 0
    if reached.any():  # a promotion reached them: its store, or wait
        open_ok = open_ok & (~reached[:, None] | (np.arange(S)[None, :] == d.impulse[:, None]))
    walk_in, pickup = open_ok & t.rows(d.walk_open, town), open_ok & t.rows(d.pickup_open, town)
    available = np.stack([walk_in, open_ok & t.rows(st.delivery, town), pickup], axis=2)
    ticket = m.spec.category.ticket
    early = np.where(reached, d.due_on - d.day, 0)
    observed = np.zeros((n, S, 3), dtype=bool)
    observed[:, :, 1:] = (d.channel == research_rules.ONLINE)[:, None, None]
    observed[:, :, WALK_IN] |= vis
    c = m.spec.behaviour.choice
    ce = learning.choice_beliefs(m, who)
    inspected = np.ones((n, S, 3), dtype=bool)
    inspected[:, :, DELIVERY] = has_visit[:, None]
    familiarity = a.familiarity.take(who, axis=0)
    late = beliefs.MEAN_LATE_DAYS * (1.0 - ce[:, :, beliefs.RELIABILITY])
    return choice_rules.alternative_utilities(
        weights=a.weights.take(who, axis=0),
        price_seen=choice_rules.perceived_price(_rows3(t, prices, town), observed, c.price_awareness),
        service=ce[:, :, beliefs.SERVICE],
        personalization=personalization.perceived_personalization(
            ce[:, :, beliefs.PERSONALIZATION], familiarity
        ),
        loyalty=a.loyalty.take(who, axis=0),
        reputation=ce[:, :, beliefs.OVERALL],
        dist_km=a.dist_km.take(who, axis=0),
        crowding=m.crowding if town is None else t.rows(m.crowding, town),
        task_oriented=~a.recreational[who],
        delivery_days=t.rows(st.delivery_days, town) + cond.delivery_extra_days + late,
        inspected=inspected,
        return_ease=beliefs.return_ease(ce),
        visited=vis,
        habit=a.habit[who],
        available=available,
        touch_feel=m.spec.category.touch_feel,
        urgency=m.spec.category.urgency,
        c=c,
        ticket=ticket,
        price_sensitivity=cond.price_sensitivity,
        anticipated=learning.anticipated(m, d, ce, vis),
        outside=choice_rules.outside_utility(c, n, budget=cond.budget, ticket=ticket, early_days=early),
    )
