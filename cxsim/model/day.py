"""The day's phases, in the order of the schedule, over one :class:`DayState`.

:meth:`cxsim.model.cxmodel.CXModel.simulate_day` calls them in order:

1. :func:`calendar`: the day's conditions, events taking effect, stores opening the day;
2. :func:`needs`: memories fade overnight; promotions pull needs forward; who needs something;
3. :func:`research`: the research channel, reviews read online, store visits (beliefs updated);
4. :func:`choice`: the choice of store and fulfilment (or postponing);
5. :func:`fulfilment`: crowding, late deliveries, product fit, returns, after-sales needs;
6. :func:`experience`: the experience, satisfaction, beliefs, loyalty, familiarity, avoidance;
7. :func:`sharing`: NPS answers, reviews, word of mouth (beliefs of hearers); then the shopper's
   records and next need
   (the day's purchases become ``model.today``);
8. :func:`stores`: the stores' books, closures and strategy reviews;
9. :func:`collection`: the day's numbers and the data collector.

Each phase reads and writes the model's state (shoppers' arrays, stores) and
the day state; the behavioural rules are the functions of :mod:`cxsim.rules`
they call. Random numbers are drawn in this order, phase by phase, so that a
seed gives the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import events, journeys, learning
from cxsim.model import scenario as sc
from cxsim.model.log import LogEntry
from cxsim.model.metrics import DayPurchases, empty_purchases
from cxsim.model.stores import StoreArrays, rival_market, store_costs
from cxsim.rules import (
    accounts,
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
    fulfilment as fulfilment_rules,
)
from cxsim.rules import (
    needs as needs_rules,
)
from cxsim.rules import (
    research as research_rules,
)
from cxsim.rules.arrays import row_max, row_min
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.strategies import STRATEGIES
from cxsim.rules.town import distances_km

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel

_NO_SHARING = {"wom_positive": 0, "wom_negative": 0, "reviews": 0, "churn_events": 0}


@dataclass
class DayState:
    """Everything one day's phases hand to each other.

    Shopper arrays (``who``, ``channel``...) have one row per shopper with a
    need today; after :func:`choice` they keep only those who bought.
    """

    day: int
    warm: bool
    """A warm-up day: no calendar, no books, nothing recorded."""
    cond: events.DayConditions = field(default_factory=events.DayConditions)
    st: StoreArrays | None = None
    shopping: bool = False
    """Whether anyone has a need today (otherwise the shopping phases rest)."""
    who: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    impulse: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    """Store whose promotion pulled each shopper's need forward, -1 if none."""
    avoided: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    channel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    visited: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    """Store visited for research, -1 if none."""
    encounter: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Service met on the research visit (NaN without one)."""
    store: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    fulfil: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    late: np.ndarray = field(default_factory=lambda: np.zeros(0))
    misfit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    returned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ease: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Ease of returning each purchase."""
    care: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Whether each purchase needs after-sales care."""
    met: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Service met in each purchase."""
    learned: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """What each purchase taught its buyer about the store, ``(n, K)`` (NaN: nothing)."""
    purchases: DayPurchases = field(default_factory=empty_purchases)
    counts: dict[str, int] = field(default_factory=lambda: dict(_NO_SHARING))
    """The day's word of mouth, reviews and churn events."""

    @property
    def stores(self) -> StoreArrays:
        """The stores' attributes of the day (set by :func:`calendar`)."""
        assert self.st is not None, "the calendar phase comes first"
        return self.st


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
    d.shopping = d.who.size > 0


# ------------------------------------------------------------------------- 3. research


def research(m: CXModel, d: DayState) -> None:
    """Each shopper with a need picks a research channel and researches.

    Online research reads reviews of every store; a visit to a store meets its
    service and shows its environment. Both update the shopper's beliefs.
    """
    if not d.shopping:
        return
    a, c, st, who = m.shoppers, m.spec.behaviour.research, d.stores, d.who
    d.avoided = a.avoid_until.take(who, axis=0) > d.day
    open_ok = st.is_open[None, :] & ~d.avoided
    walk_ok = open_ok & st.walk_in & d.cond.walk_in_open
    dist = a.dist_km.take(who, axis=0)
    u = research_rules.research_utilities(
        max_loyalty=row_max(np.where(open_ok, a.loyalty.take(who, axis=0), 0.0)),
        savvy=a.savvy[who],
        recreational=a.recreational[who],
        habit=a.habit[who],
        nearest_store_km=row_min(np.where(walk_ok, dist, np.inf)),
        touch_feel=m.spec.category.touch_feel,
        visit_allowed=d.cond.walk_in_open,
        c=c,
    )
    d.channel = research_rules.choose_channel(m.rng, u)
    learning.read_reviews(m, who[d.channel == research_rules.ONLINE])
    d.visited = np.full(who.size, -1, dtype=np.int32)
    d.encounter = np.full(who.size, np.nan)
    goers = np.flatnonzero(d.channel == research_rules.VISIT)
    if goers.size:
        vu = research_rules.visit_utilities(
            dist[goers], a.loyalty[who[goers]], st.atmosphere, walk_ok[goers], c
        )
        d.visited[goers] = choice_rules.gumbel_argmax(m.rng, vu)
        v = d.visited[goers]
        noise = m.spec.behaviour.experience.service_noise
        d.encounter[goers] = experience_rules.realized_service(m.rng, st.service[v], st.consistency[v], noise)
        learning.learn_from_visit(m, st, who[goers], v, d.encounter[goers])


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
    walk_in, pickup = open_ok & st.walk_in & cond.walk_in_open, open_ok & st.pickup & cond.pickup_open
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


# ------------------------------------------------------------------------ 5. fulfilment


def fulfilment(m: CXModel, d: DayState) -> None:
    """Crowding of the shop floors; late deliveries, product fit, returns and after-sales needs."""
    if not d.shopping:
        m.crowding = np.zeros(len(m.stores))
        return
    st, cat, cond, rng, n = d.stores, m.spec.category, d.cond, m.rng, d.who.size
    m.crowding = experience_rules.crowding(d.store[d.fulfil == WALK_IN], st.capacity)
    delivered = d.fulfil == DELIVERY
    inspected = ~delivered | (d.visited >= 0)
    d.late = np.zeros(n)
    if delivered.any():
        rel = st.reliability[d.store[delivered]] * cond.reliability_factor
        d.late[delivered] = fulfilment_rules.lateness_days(rng, rel, cond.delivery_extra_days)
    d.misfit = fulfilment_rules.misfit(rng, inspected, cat.touch_feel, cat.misfit_seen, cat.misfit_unseen)
    d.ease = fulfilment_rules.return_ease(st.leniency, st.cross_channel, st.walk_in)[d.store, d.fulfil]
    impulse_return = m.spec.behaviour.fulfilment.impulse_return
    d.returned = fulfilment_rules.returned(
        rng, d.misfit, cat.base_return_rate, cat.misfit_return, d.ease, d.impulse == d.store, impulse_return
    )
    d.care = fulfilment_rules.needs_after_sales(rng, n, cat.after_sales_need)


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


# --------------------------------------------------------------------------- 7. sharing


def sharing(m: CXModel, d: DayState) -> None:
    """NPS answers, online reviews (posted, rated) and word of mouth (heard, retold, believed).

    Then each buyer's habit, records and next need.
    """
    m.today = d.purchases
    if not d.shopping:
        m.nps.add(np.zeros(0, dtype=np.int64), np.zeros(0, bool), np.zeros(0, bool))
        return
    c, p = m.spec.behaviour.word_of_mouth, d.purchases
    promoter, detractor = word_of_mouth.promoters_detractors(p.ltr)
    m.nps.add(p.store, promoter, detractor)
    writes = word_of_mouth.writes_review(m.rng, p.satisfaction, c)
    learning.post_reviews(m, d, writes)
    pos, neg = learning.spread_word(m, d)
    d.counts = {
        "wom_positive": pos,
        "wom_negative": neg,
        "reviews": int(writes.sum()),
        "churn_events": int(p.churned.sum()),
    }
    _after_purchase(m, d)


def _after_purchase(m: CXModel, d: DayState) -> None:
    """Each buyer's digital habit, records of the last purchase, and the day of the next need."""
    a, p = m.shoppers, d.purchases
    online = p.shopper[p.fulfilment != WALK_IN]
    a.habit[online] = loyalty.gain_habit(a.habit[online], m.spec.behaviour.loyalty)
    a.last_store[p.shopper] = p.store
    a.last_fulfilment[p.shopper] = p.fulfilment
    a.last_purchase[p.shopper] = d.day
    a.last_showroomed[p.shopper[p.showroomed]] = d.day
    a.last_webroomed[p.shopper[p.webroomed]] = d.day
    a.impulse[p.shopper] = -1
    a.next_need[p.shopper] = needs_rules.draw_next_need(
        m.rng, d.day, a.need_interval[p.shopper], d.cond.need_factor
    )


# ---------------------------------------------------------------------------- 8. stores


def stores(m: CXModel, d: DayState) -> None:
    """The stores' books of the day; a store out of cash closes; open stores review their strategy."""
    if d.warm:
        return
    p, ticket = d.purchases, m.spec.category.ticket
    t = accounts.tally(p.store, p.fulfilment, p.price, p.returned, p.after_sales, ticket, len(m.stores))
    costs = accounts.daily_costs(t, ticket, store_costs(m.stores))
    nps, n = m.nps.by_store(), len(p)
    for s in m.stores:
        i = s.index
        s.book(float(t.revenue[i]), float(costs[i]))
        s.walk_in, s.delivery, s.pickup = int(t.walk_in[i]), int(t.delivery[i]), int(t.pickup[i])
        s.purchases = s.walk_in + s.delivery + s.pickup
        s.returns = int(t.returns[i])
        s.market_share = s.purchases / n if n else 0.0
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
