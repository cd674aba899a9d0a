"""Phase 6 of the day: the experience and its evaluation (satisfaction, beliefs, loyalty)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import journeys, learning
from cxsim.model.metrics import DayPurchases
from cxsim.model.phases.state import DayState
from cxsim.rules import (
    beliefs,
    loyalty,
    personalization,
    word_of_mouth,
)
from cxsim.rules import (
    choice as choice_rules,
)
from cxsim.rules import (
    experience as experience_rules,
)
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel


# ------------------------------------------------------------------------ 6. experience


def experience(m: DayModel, d: DayState) -> None:
    """The experience of each purchase and its evaluation.

    Satisfaction (against the belief about the whole experience), what the
    purchase taught the buyer about the store (beliefs), loyalty, the store's familiarity with
    the shopper and, after a very bad experience, avoidance.
    """
    if not d.shopping:
        return
    a, st, who, store = m.shoppers, d.stores, d.who, d.store
    c, lc = m.spec.behaviour.experience, m.spec.behaviour.loyalty
    # (shopper, store) cells of the (n, S) arrays, as flat indices: the same cells as [who, store]
    pair = who * a.loyalty.shape[1] + store
    loyalty_cells, familiarity_cells = _cells(a.loyalty), _cells(a.familiarity)
    familiarity = familiarity_cells.take(pair)
    e, two_channels, webroomed = _experience_quality(m, d, familiarity)
    expectation = _cells(a.belief_mean).take(pair * a.belief_mean.shape[2] + beliefs.OVERALL)
    disc = experience_rules.disconfirmation(e, expectation)
    sat = experience_rules.satisfaction(e, disc, c.disconfirmation)
    d.learned = learning.purchase_signals(m, d, e, two_channels)
    learning.learn(m, who, store, d.learned, learning.own_variance(m)[None, :])
    loyalty_cells[pair] = loyalty.update_loyalty(loyalty_cells.take(pair), disc, lc)
    familiarity_cells[pair] = personalization.grow_familiarity(
        familiarity, st.personalization.take(d.sidx), lc.familiarity_gain
    )
    churned = loyalty.starts_avoiding(disc, lc)
    if churned.any():
        _cells(a.avoid_until)[pair[churned]] = d.day + lc.avoid_days
    noise = m.spec.behaviour.word_of_mouth.recommend_noise
    ltr = word_of_mouth.likelihood_to_recommend(m.towns.draws(d.town), sat, noise)
    showroomed = journeys.showroomed(d.channel, d.fulfil)
    d.purchases = DayPurchases(
        shopper=who,
        store=store,
        fulfilment=d.fulfil,
        research=d.channel,
        visited=d.visited,
        price=d.price,
        late_days=d.late,
        misfit=d.misfit,
        returned=d.returned,
        after_sales=d.care,
        experience=e,
        satisfaction=sat,
        ltr=ltr,
        showroomed=showroomed,
        competitive_showroomed=journeys.competitive_showroomed(d.channel, d.fulfil, d.visited, store),
        webroomed=webroomed,
        churned=churned,
        previous_store=a.last_store.take(who),  # not yet this purchase's (the sharing phase records it)
    )


def _cells(x: np.ndarray) -> np.ndarray:
    """A shopper array as a flat view (never a copy: ``copy=False`` raises instead), one entry per cell."""
    return x.reshape(-1, copy=False)


def _experience_quality(
    m: DayModel, d: DayState, familiarity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quality of each purchase's whole experience (:func:`cxsim.rules.experience.experience_quality`).

    The service met (kept in ``d.met``), the store, the delivery, the product,
    its return and after-sales care, channel inconsistency and mood
    (``familiarity``: the store's with each buyer). Also returns whether each
    purchase used two channels and whether it was webroomed (:func:`cxsim.model.journeys.webroomed`:
    researched online, bought in the shop).
    """
    a, st, rng, c = m.shoppers, d.stores, m.towns.draws(d.town), m.spec.behaviour.experience
    who, store, fulfil, visited, at = d.who, d.store, d.fulfil, d.visited, d.sidx
    delivered, in_store, at_visited = fulfil == DELIVERY, fulfil == WALK_IN, visited == store
    met = experience_rules.realized_service(
        rng, st.service.take(at), st.consistency.take(at), c.service_noise
    )
    met = np.where(in_store & at_visited, d.encounter, met)
    d.met = met
    omni = (st.walk_in & st.delivery).take(at)
    pickup, webroomed = fulfil == PICKUP, journeys.webroomed(d.channel, fulfil)
    two_channels = pickup | webroomed | (delivered & at_visited)
    e = experience_rules.experience_quality(
        service=met,
        service_share=choice_rules.SERVICE_SHARE.take(fulfil),
        personalization=personalization.perceived_personalization(st.personalization.take(at), familiarity),
        atmosphere=st.atmosphere.take(at),
        crowd_feel=experience_rules.crowding_effect(
            m.crowding.take(at), a.recreational.take(who), c.crowding_optimum
        ),
        in_store=in_store,
        paid_price=d.price,
        late_days=d.late,
        misfit=d.misfit,
        returned=d.returned,
        ease=d.ease,
        after_sales_needed=d.care,
        after_sales=st.after_sales.take(at),
        inconsistency=np.where(omni & two_channels, 1.0 - st.channel_consistency.take(at), 0.0),
        mood=c.mood_noise * rng.standard_normal(who.size),
        economy=d.cond.economy,
        c=c,
    )
    return e, two_channels, webroomed
