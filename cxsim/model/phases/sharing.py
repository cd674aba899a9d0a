"""Phase 7 of the day: NPS answers, reviews, word of mouth; the buyers' records and next need."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import learning
from cxsim.model.phases.state import DayState
from cxsim.rules import fulfilment as fulfilment_rules
from cxsim.rules import (
    loyalty,
    word_of_mouth,
)
from cxsim.rules import (
    needs as needs_rules,
)
from cxsim.rules import promotions as promotion_rules
from cxsim.rules.choice import DELIVERY, WALK_IN

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel
    from cxsim.model.towns import Towns


# --------------------------------------------------------------------------- 7. sharing


def sharing(m: DayModel, d: DayState) -> None:
    """NPS answers, online reviews (posted, rated) and word of mouth (heard, retold, believed).

    Then each buyer's habit, records and next need.
    """
    m.today = d.purchases
    if not d.shopping:
        m.nps.add(np.zeros(0, dtype=np.int64), np.zeros(0, bool), np.zeros(0, bool))
        return
    c, p, t = m.spec.behaviour.word_of_mouth, d.purchases, m.towns
    promoter, detractor = word_of_mouth.promoters_detractors(p.ltr)
    m.nps.add(d.sidx, promoter, detractor)
    writes = word_of_mouth.writes_review(t.draws(d.town), p.satisfaction, c)
    learning.post_reviews(m, d, writes)
    pos, neg, talks = learning.spread_word(m, d)
    told = np.zeros(p.ltr.shape[0], dtype=bool)
    told[talks] = True
    counts = {
        "wom_positive": pos.tolist(),
        "wom_negative": neg.tolist(),
        "promoters_talking": _by_town(t, d.town, promoter & told),
        "detractors_talking": _by_town(t, d.town, detractor & told),
        "reviews": _by_town(t, d.town, writes),
        "churn_events": _by_town(t, d.town, p.churned),
    }
    d.counts = [{name: int(values[b]) for name, values in counts.items()} for b in range(t.B)]
    _after_purchase(m, d)


def _by_town(t: Towns, town: np.ndarray | None, mask: np.ndarray) -> list[int]:
    """How many of today's purchases ``mask`` holds in each town."""
    if town is None:
        return [int(np.count_nonzero(mask))]
    out: list[int] = np.bincount(town[mask], minlength=t.B).tolist()
    return out


def _after_purchase(m: DayModel, d: DayState) -> None:
    """Each buyer's digital habit, records of the last purchase, and the day of the next need.

    A returned purchase re-opens the need (:func:`_reopen_returned`).
    """
    a, p = m.shoppers, d.purchases
    shopper = p.shopper
    online = shopper[p.fulfilment != WALK_IN]
    a.habit[online] = loyalty.gain_habit(a.habit.take(online), m.spec.behaviour.loyalty)
    a.last_store[shopper] = p.store
    a.last_fulfilment[shopper] = p.fulfilment
    a.last_purchase[shopper] = d.day
    a.last_showroomed[shopper[p.showroomed]] = d.day
    a.last_webroomed[shopper[p.webroomed]] = d.day
    a.impulse[shopper] = -1
    a.next_need[shopper] = needs_rules.draw_next_need(
        m.towns.draws(d.town), d.day, a.need_interval.take(shopper), d.cond.need_factor
    ) + promotion_rules.held_days(d.due_on, d.day)  # bought early: held until its need's day
    _reopen_returned(m, d)


def _reopen_returned(m: DayModel, d: DayState) -> None:
    """A purchase that comes back leaves the need open: the shopper shops again within days.

    After a return over a store's counter (a walk-in or pick-up purchase, or a
    delivery taken back at a store with cross-channel returns) the shopper
    stands in that store when it shops again (:func:`cxsim.model.phases.research.research`).
    """
    a, p, st = m.shoppers, d.purchases, d.stores
    back = np.flatnonzero(p.returned)
    shopper, store = p.shopper.take(back), p.store.take(back)
    rng = m.towns.draws_for_rows(shopper)
    a.next_need[shopper] = fulfilment_rules.rebuy_day(rng, d.day, back.size, m.spec.behaviour.fulfilment)
    counter = (p.fulfilment.take(back) != DELIVERY) | (st.cross_channel & st.walk_in).take(d.sidx.take(back))
    a.return_store[shopper] = np.where(counter, store, -1)
