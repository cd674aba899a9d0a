"""Phase 4 of the day: the choice of store and fulfilment, or postponing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import learning
from cxsim.model.phases.state import DayState
from cxsim.rules import (
    beliefs,
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
    from cxsim.model.cxmodel import CXModel


# --------------------------------------------------------------------------- 4. choice


def choice(m: CXModel, d: DayState) -> None:
    """Logit choice of (store, fulfilment) or postponing; postponers need again a week later."""
    if not d.shopping:
        return
    st, who = d.stores, d.who
    prices = np.stack([st.price, st.online_price, st.online_price], axis=1)
    u = _utilities(m, d, prices)
    store, fulfil = choice_rules.decode(choice_rules.gumbel_argmax(m.rng, u), len(m.stores))
    price = np.where(store >= 0, prices[np.maximum(store, 0), np.maximum(fulfil, 0)], 0.0)
    bought = store >= 0
    m.shoppers.next_need[who[~bought]] = needs_rules.postponed_need_day(d.day)
    d.who, d.channel, d.visited, d.encounter = (
        who[bought],
        d.channel[bought],
        d.visited[bought],
        d.encounter[bought],
    )
    d.store, d.fulfil, d.price, d.impulse = store[bought], fulfil[bought], price[bought], d.impulse[bought]


def _utilities(m: CXModel, d: DayState, prices: np.ndarray) -> np.ndarray:
    """Utility of every alternative for today's shoppers, given what each knows and believes.

    A shopper knows the online prices after researching online and the shelf
    price of the store it visited; it has inspected the product unless it buys
    for delivery without a visit. The experience it expects (service,
    personalization, the store, delivery, returns, after-sales, consistency, the
    whole) comes from its beliefs, never from the stores' true attributes.
    """
    a, st, cond, who = m.shoppers, d.stores, d.cond, d.who
    n, S = who.size, len(m.stores)
    vis = np.zeros((n, S), dtype=bool)
    has_visit = d.visited >= 0
    vis[np.flatnonzero(has_visit), d.visited[has_visit]] = True
    open_ok = st.is_open[None, :] & ~d.avoided
    walk_in, pickup = open_ok & d.walk_open, open_ok & d.pickup_open
    available = np.stack([walk_in, open_ok & st.delivery, pickup], axis=2)
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
        price_seen=choice_rules.perceived_price(prices[None, :, :], observed, c.price_awareness),
        service=ce[:, :, beliefs.SERVICE],
        personalization=personalization.perceived_personalization(
            ce[:, :, beliefs.PERSONALIZATION], familiarity
        ),
        loyalty=a.loyalty.take(who, axis=0),
        reputation=ce[:, :, beliefs.OVERALL],
        dist_km=a.dist_km.take(who, axis=0),
        crowding=m.crowding,
        task_oriented=~a.recreational[who],
        delivery_days=st.delivery_days[None, :] + cond.delivery_extra_days + late,
        inspected=inspected,
        return_ease=beliefs.return_ease(ce),
        visited=vis,
        habit=a.habit[who],
        available=available,
        touch_feel=m.spec.category.touch_feel,
        urgency=m.spec.category.urgency,
        c=c,
        price_sensitivity=cond.price_sensitivity,
        anticipated=learning.anticipated(m, d, ce, vis),
    )
