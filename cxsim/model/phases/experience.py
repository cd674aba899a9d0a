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
from cxsim.rules import (
    research as research_rules,
)
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel


# ------------------------------------------------------------------------ 6. experience


def experience(m: CXModel, d: DayState) -> None:
    """The experience of each purchase and its evaluation.

    Satisfaction (against the belief about the whole experience), what the
    purchase taught the buyer about the store (beliefs), loyalty, the store's familiarity with
    the shopper and, after a very bad experience, avoidance.
    """
    if not d.shopping:
        return
    a, st, who, store = m.shoppers, d.stores, d.who, d.store
    c, lc = m.spec.behaviour.experience, m.spec.behaviour.loyalty
    e, two_channels = _experience_quality(m, d)
    disc = experience_rules.disconfirmation(e, a.belief_mean[who, store, beliefs.OVERALL])
    sat = experience_rules.satisfaction(e, disc, c.disconfirmation)
    d.learned = learning.purchase_signals(m, d, e, two_channels)
    learning.learn(m, who, store, d.learned, beliefs.signal_sd(m.spec.behaviour.beliefs)[None, :] ** 2)
    a.loyalty[who, store] = loyalty.update_loyalty(a.loyalty[who, store], disc, lc)
    a.familiarity[who, store] = personalization.grow_familiarity(
        a.familiarity[who, store], st.personalization[store], lc.familiarity_gain
    )
    churned = loyalty.starts_avoiding(disc, lc)
    a.avoid_until[who[churned], store[churned]] = d.day + lc.avoid_days
    noise = m.spec.behaviour.word_of_mouth.recommend_noise
    ltr = word_of_mouth.likelihood_to_recommend(m.rng, sat, noise)
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
        showroomed=journeys.showroomed(d.channel, d.fulfil),
        competitive_showroomed=journeys.competitive_showroomed(d.channel, d.fulfil, d.visited, store),
        webroomed=journeys.webroomed(d.channel, d.fulfil),
        churned=churned,
    )


def _experience_quality(m: CXModel, d: DayState) -> tuple[np.ndarray, np.ndarray]:
    """Quality of each purchase's whole experience (:func:`cxsim.rules.experience.experience_quality`).

    The service met (kept in ``d.met``), the store, the delivery, the product,
    its return and after-sales care, channel inconsistency and mood. Also
    returns whether each purchase used two channels.
    """
    a, st, rng, c = m.shoppers, d.stores, m.rng, m.spec.behaviour.experience
    who, store, fulfil, visited = d.who, d.store, d.fulfil, d.visited
    delivered, in_store = fulfil == DELIVERY, fulfil == WALK_IN
    met = experience_rules.realized_service(rng, st.service[store], st.consistency[store], c.service_noise)
    met = np.where(in_store & (visited == store), d.encounter, met)
    d.met = met
    omni = st.walk_in[store] & st.delivery[store]
    pickup, webroomed = fulfil == PICKUP, in_store & (d.channel == research_rules.ONLINE)
    two_channels = pickup | webroomed | (delivered & (visited == store))
    familiarity = a.familiarity[who, store]
    e = experience_rules.experience_quality(
        service=met,
        service_share=choice_rules.SERVICE_SHARE[fulfil],
        personalization=personalization.perceived_personalization(st.personalization[store], familiarity),
        atmosphere=st.atmosphere[store],
        crowd_feel=experience_rules.crowding_effect(
            m.crowding[store], a.recreational[who], c.crowding_optimum
        ),
        in_store=in_store,
        paid_price=d.price,
        late_days=d.late,
        misfit=d.misfit,
        returned=d.returned,
        ease=d.ease,
        after_sales_needed=d.care,
        after_sales=st.after_sales[store],
        inconsistency=np.where(omni & two_channels, 1.0 - st.channel_consistency[store], 0.0),
        mood=c.mood_noise * rng.standard_normal(who.size),
        economy=d.cond.economy,
        c=c,
    )
    return e, two_channels
