"""The cxsim model: a Mesa model of shoppers choosing between retailers, one day per step.

The model orchestrates; the behavioural rules live in their own modules
(``needs``, ``research``, ``choice``, ``fulfilment``, ``experience``,
``loyalty``, ``personalization``, ``word_of_mouth``, ``stores``, ``events``)
as plain functions on numpy arrays. Shopper state is a structure of arrays
(:class:`~cxsim.model.shoppers.ShopperArrays`); stores are Mesa agents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
import pandas as pd

from cxsim.model import events
from cxsim.model.log import LogEntry
from cxsim.model.metrics import (
    STORE_COLUMNS,
    TIMESERIES_COLUMNS,
    DayPurchases,
    RollingNPS,
    channel_shares,
    empty_purchases,
    journey_rates,
    summary_row,
)
from cxsim.model.scenario import Scenario, load_scenario
from cxsim.model.shoppers import Shopper, ShopperArrays, create_shoppers
from cxsim.model.stores import Store, StoreArrays
from cxsim.rules import (
    choice,
    experience,
    fulfilment,
    loyalty,
    needs,
    personalization,
    research,
    word_of_mouth,
)
from cxsim.rules.arrays import row_max, row_max_mean_and_column_means, row_min
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.strategies import STRATEGIES, Market
from cxsim.rules.town import distances_km

CHOICE_KEYS = (
    "price",
    "price_awareness",
    "service",
    "personalization",
    "convenience",
    "travel_per_km",
    "crowding",
    "delivery_per_day",
    "delivery_hassle",
    "pickup_hassle",
    "loyalty",
    "reputation",
    "unseen_risk",
    "return_ease",
    "walk_out_effort",
    "digital_habit",
    "no_purchase",
)
CHUNK = 200_000


def _overrides_from_params(params: dict[str, Any]) -> list[str]:
    """Keyword parameters (as Mesa's ``batch_run`` passes them) as ``--set`` overrides.

    ``stores__giant__price=0.85`` means ``stores.giant.price=0.85``; the short
    names ``shoppers`` and ``size_km`` address the town.
    """
    out = []
    for key, value in params.items():
        path = key.replace("__", ".")
        if key in ("shoppers", "size_km"):
            path = f"town.{key}"
        text = str(value).lower() if isinstance(value, bool) else repr(value)
        if isinstance(value, str):
            text = '"' + value.replace('"', '\\"') + '"'
        out.append(f"{path}={text}")
    return out


class CXModel(mesa.Model):
    """Shoppers, stores and the calendar of one town; ``step()`` simulates one day.

    Args:
        scenario: a :class:`~cxsim.model.scenario.Scenario`, or a scenario name or path.
        rng: seed or numpy Generator (Mesa convention); defaults to the scenario's seed.
        days: overrides the scenario's horizon.
        overrides: ``PATH=VALUE`` strings, as ``cxsim run --set``.
        **params: further overrides as keywords (``stores__giant__price=0.85``),
            so that Mesa's ``batch_run`` can sweep any parameter.
    """

    def __init__(
        self,
        scenario: Scenario | str = "baseline",
        *,
        rng: int | np.random.Generator | None = None,
        days: int | None = None,
        overrides: list[str] | tuple[str, ...] = (),
        **params: Any,
    ) -> None:
        spec = load_scenario(scenario, [*overrides, *_overrides_from_params(params)], days=days)
        seed = spec.seed if rng is None else rng
        if isinstance(seed, int | np.integer):
            spec = spec.model_copy(update={"seed": int(seed)})
        super().__init__(rng=seed)
        self.spec = spec
        self.day = 0
        self.store_names = spec.store_names()
        self.segment_names = list(spec.segments)
        self.log: list[LogEntry] = []
        self._init_stores()
        b = spec.behaviour
        self._b = {k: float(getattr(b, k)) for k in CHOICE_KEYS}
        self._w = {
            "service": b.experience_service,
            "personalization": b.experience_personalization,
            "atmosphere": b.experience_atmosphere,
            "crowding": b.experience_crowding,
            "value": b.experience_value,
            "late": b.experience_late_per_day,
            "misfit": b.experience_misfit,
            "return_hassle": b.experience_return_hassle,
            "after_sales": b.experience_after_sales,
            "inconsistency": b.experience_inconsistency,
        }
        xy = np.array([[s.x, s.y] for s in self.stores])
        self.shoppers: ShopperArrays = create_shoppers(self.rng, spec, xy, 0.75)
        self.crowding = np.zeros(len(self.stores))
        self.nps = RollingNPS(len(self.stores), b.nps_window_days)
        self.conditions = events.DayConditions()
        self.today: DayPurchases = empty_purchases()
        self._daily: list[dict[str, float]] = []
        self._max_loyalty = float("nan")  # mean over shoppers of their highest loyalty, set daily
        self._purchase_frames: list[pd.DataFrame] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={c: _reporter(c) for c in TIMESERIES_COLUMNS},
            agenttype_reporters={Store: {c: c for c in STORE_COLUMNS if c != "day"}},
        )
        for warm_day in range(1 - spec.warmup_days, 1):
            self._simulate_day(warm_day, warm=True)
        self.running = True

    # ------------------------------------------------------------------ set-up
    def _init_stores(self) -> None:
        scale = self.spec.town.shoppers / 1000.0
        self.stores: list[Store] = [
            Store(self, name, st, i, scale) for i, (name, st) in enumerate(self.spec.stores.items())
        ]

    def shopper(self, index: int) -> Shopper:
        """Inspect one shopper (a view onto its row of the arrays)."""
        return Shopper(self, index)

    @property
    def store_labels(self) -> dict[str, str]:
        """Display label of each store by name."""
        return {s.name: s.label for s in self.stores}

    # ------------------------------------------------------------------- the day
    def step(self) -> None:
        """Simulate one day, then collect data (every ``collect_every`` days and on the last)."""
        self.day = int(self.steps)
        self._simulate_day(self.day, warm=False)
        last = self.day >= self.spec.days
        if self.day % self.spec.collect_every == 0 or last:
            self.datacollector.collect(self)
        if last:
            self.running = False

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run the remaining days of the scenario."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.day)

    def _simulate_day(self, day: int, warm: bool) -> None:
        cond = events.conditions([] if warm else self.spec.events, day)
        self.conditions = cond
        if not warm:
            self._apply_calendar(day, cond)
        for s in self.stores:
            s.reset_day()
            s.adjust_service()
        st = StoreArrays.from_stores(self.stores)
        self._fade()
        who, impulse = self._needs(day, cond)
        p, counts = self._shop(day, who, impulse, st, cond)
        self.today = p
        if warm:
            return
        self._book(day, p, st)
        self._record(day, p, counts)

    def _apply_calendar(self, day: int, cond: events.DayConditions) -> None:
        """Promotions, store entries and attribute changes of the day."""
        for s in self.stores:
            s.discount = cond.discounts.get(s.name, 0.0)
            s.online_discount = cond.online_discounts.get(s.name, 0.0)
        for ev in cond.once:
            store = self.stores[self.store_names.index(ev.store)]
            if ev.type == "store_entry":
                store.is_open = True
            else:
                store.set_attribute(ev.attribute, ev.value)
                if ev.attribute in ("x", "y"):
                    xy = np.array([[store.x, store.y]])
                    self.shoppers.dist_km[:, store.index] = distances_km(self.shoppers.home, xy)[:, 0]
        self.log.extend(events.log_entries(self.spec.events, day))

    def _fade(self) -> None:
        b, a = self.spec.behaviour, self.shoppers
        loyalty.fade(a.loyalty, b.loyalty_decay)
        loyalty.fade(a.familiarity, b.familiarity_decay)
        loyalty.fade(a.habit, b.habit_decay)

    def _needs(self, day: int, cond: events.DayConditions) -> tuple[np.ndarray, np.ndarray]:
        a = self.shoppers
        for promo in cond.pull_forward:
            early = needs.pull_forward(
                self.rng,
                a.next_need,
                day,
                promo.pull_forward_days,
                promo.response,
                a.weights[:, choice.W_PRICE],
            )
            a.next_need[early] = day
            a.impulse[early] = self.store_names.index(promo.store)
        who = needs.due_today(a.next_need, day)
        return who, a.impulse[who]

    # ---------------------------------------------------------------- shopping
    def _shop(
        self,
        day: int,
        who: np.ndarray,
        impulse: np.ndarray,
        st: StoreArrays,
        cond: events.DayConditions,
    ) -> tuple[DayPurchases, dict[str, int]]:
        """Research, choice, fulfilment, evaluation and sharing for today's shoppers."""
        a = self.shoppers
        if who.size == 0:
            self.crowding = np.zeros(len(self.stores))
            self.nps.add(np.zeros(0, dtype=np.int64), np.zeros(0, bool), np.zeros(0, bool))
            return empty_purchases(), {
                "wom_positive": 0,
                "wom_negative": 0,
                "reviews": 0,
                "churn_events": 0,
            }
        avoided = a.avoid_until.take(who, axis=0) > day
        open_ok = st.is_open[None, :] & ~avoided
        walk_ok = open_ok & st.walk_in & cond.walk_in_open
        channel, visited, encounter = self._research(who, open_ok, walk_ok, st, cond)
        store, fulfil, price = self._choose(who, channel, visited, encounter, avoided, st, cond)
        bought = store >= 0
        postponed = who[~bought]
        a.next_need[postponed] = day + 7
        who, channel, visited, encounter = (
            who[bought],
            channel[bought],
            visited[bought],
            encounter[bought],
        )
        store, fulfil, price, impulse = (
            store[bought],
            fulfil[bought],
            price[bought],
            impulse[bought],
        )
        walk_ins = np.bincount(store[fulfil == WALK_IN], minlength=len(self.stores))
        self.crowding = walk_ins / np.array([s.capacity for s in self.stores])
        p = self._evaluate(day, who, channel, visited, encounter, store, fulfil, price, impulse, st, cond)
        counts = self._share(day, p)
        self._after_purchase(day, p, cond)
        return p, counts

    def _research(
        self,
        who: np.ndarray,
        open_ok: np.ndarray,
        walk_ok: np.ndarray,
        st: StoreArrays,
        cond: events.DayConditions,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pick a research channel; online research updates reputations, a visit meets service."""
        a, b = self.shoppers, self.spec.behaviour
        dist = a.dist_km.take(who, axis=0)
        nearest = row_min(np.where(walk_ok, dist, np.inf))
        u = research.research_utilities(
            max_loyalty=row_max(np.where(open_ok, a.loyalty.take(who, axis=0), 0.0)),
            savvy=a.savvy[who],
            recreational=a.recreational[who],
            habit=a.habit[who],
            nearest_store_km=nearest,
            touch_feel=self.spec.category.touch_feel,
            visit_allowed=cond.walk_in_open,
            b_none=b.research_none,
            b_habit=b.research_habit,
            b_online=b.research_online,
            b_online_savvy=b.research_online_savvy,
            b_visit=b.research_visit,
            b_visit_touch=b.research_visit_touch,
            b_visit_recreational=b.research_visit_recreational,
            b_visit_km=b.research_visit_km,
        )
        channel = research.choose_channel(self.rng, u)
        online = who[channel == research.ONLINE]
        rep = a.reputation[online]
        a.reputation[online] = rep + b.research_reputation_weight * (st.rating[None, :] - rep)
        visited = np.full(who.size, -1, dtype=np.int32)
        goers = np.flatnonzero(channel == research.VISIT)
        if goers.size:
            vu = research.visit_utilities(
                dist[goers],
                a.loyalty[who[goers]],
                st.atmosphere,
                walk_ok[goers],
                b.research_visit_km,
            )
            visited[goers] = choice.gumbel_argmax(self.rng, vu)
        encounter = np.full(who.size, np.nan)
        if goers.size:
            v = visited[goers]
            encounter[goers] = experience.realized_service(
                self.rng, st.service[v], st.consistency[v], b.service_noise
            )
        return channel, visited, encounter

    def _choose(
        self,
        who: np.ndarray,
        channel: np.ndarray,
        visited: np.ndarray,
        encounter: np.ndarray,
        avoided: np.ndarray,
        st: StoreArrays,
        cond: events.DayConditions,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Logit choice of (store, fulfilment); returns store (-1: postpone), fulfilment, price."""
        a, S = self.shoppers, len(self.stores)
        n = who.size
        vis = np.zeros((n, S), dtype=bool)
        has_visit = visited >= 0
        vis[np.flatnonzero(has_visit), visited[has_visit]] = True
        open_ok = st.is_open[None, :] & ~avoided
        available = np.stack(
            [
                open_ok & st.walk_in & cond.walk_in_open,
                open_ok & st.delivery,
                open_ok & st.pickup & cond.pickup_open,
            ],
            axis=2,
        )
        prices = np.stack([st.price, st.online_price, st.online_price], axis=1)
        observed = np.zeros((n, S, 3), dtype=bool)
        observed[:, :, 1:] = (channel == research.ONLINE)[:, None, None]
        observed[:, :, WALK_IN] |= vis
        b = dict(self._b)
        b["price"] *= cond.price_sensitivity
        seen = choice.perceived_price(prices[None, :, :], observed, b["price_awareness"])
        service = np.broadcast_to(st.service, (n, S)).copy()
        service[vis] = encounter[has_visit]
        inspected = np.ones((n, S, 3), dtype=bool)
        inspected[:, :, DELIVERY] = has_visit[:, None]
        ease = fulfilment.return_ease(st.leniency, st.cross_channel, st.walk_in)
        u = choice.alternative_utilities(
            weights=a.weights.take(who, axis=0),
            price_seen=seen,
            service=service,
            personalization=personalization.perceived_personalization(
                st.personalization[None, :], a.familiarity.take(who, axis=0)
            ),
            loyalty=a.loyalty.take(who, axis=0),
            reputation=a.reputation.take(who, axis=0),
            dist_km=a.dist_km.take(who, axis=0),
            crowding=self.crowding,
            task_oriented=~a.recreational[who],
            delivery_days=st.delivery_days + cond.delivery_extra_days,
            inspected=inspected,
            return_ease=ease,
            visited=vis,
            habit=a.habit[who],
            available=available,
            touch_feel=self.spec.category.touch_feel,
            urgency=self.spec.category.urgency,
            b=b,
        )
        store, fulfil = choice.decode(choice.gumbel_argmax(self.rng, u), S)
        price = np.where(store >= 0, prices[np.maximum(store, 0), np.maximum(fulfil, 0)], 0.0)
        return store, fulfil, price

    def _evaluate(
        self,
        day: int,
        who: np.ndarray,
        channel: np.ndarray,
        visited: np.ndarray,
        encounter: np.ndarray,
        store: np.ndarray,
        fulfil: np.ndarray,
        price: np.ndarray,
        impulse: np.ndarray,
        st: StoreArrays,
        cond: events.DayConditions,
    ) -> DayPurchases:
        """Fulfilment, use and the evaluation of the experience of each purchase."""
        a, b, cat, rng = self.shoppers, self.spec.behaviour, self.spec.category, self.rng
        n = who.size
        delivered = fulfil == DELIVERY
        in_store = fulfil == WALK_IN
        inspected = ~delivered | (visited >= 0)
        late = np.zeros(n)
        if delivered.any():
            rel = st.reliability[store[delivered]] * cond.reliability_factor
            late[delivered] = fulfilment.lateness_days(rng, rel, cond.delivery_extra_days)
        bad_fit = fulfilment.misfit(rng, inspected, cat.touch_feel, cat.misfit_seen, cat.misfit_unseen)
        ease = fulfilment.return_ease(st.leniency, st.cross_channel, st.walk_in)[store, fulfil]
        back = fulfilment.returned(
            rng, bad_fit, cat.base_return_rate, cat.misfit_return, ease, impulse == store, b.impulse_return
        )
        care = fulfilment.needs_after_sales(rng, n, cat.after_sales_need)
        met = experience.realized_service(rng, st.service[store], st.consistency[store], b.service_noise)
        met = np.where(in_store & (visited == store), encounter, met)
        omni = st.walk_in[store] & st.delivery[store]
        two_channels = (
            (fulfil == PICKUP) | (in_store & (channel == research.ONLINE)) | (delivered & (visited == store))
        )
        inconsistency = np.where(omni & two_channels, 1.0 - st.channel_consistency[store], 0.0)
        e = experience.experience_quality(
            base=b.experience_base,
            service=met,
            service_share=choice.SERVICE_SHARE[fulfil],
            personalization=personalization.perceived_personalization(
                st.personalization[store], a.familiarity[who, store]
            ),
            atmosphere=st.atmosphere[store],
            crowd_feel=experience.crowding_effect(
                self.crowding[store], a.recreational[who], b.crowding_optimum
            ),
            in_store=in_store,
            paid_price=price,
            late_days=late,
            misfit=bad_fit,
            returned=back,
            ease=ease,
            after_sales_needed=care,
            after_sales=st.after_sales[store],
            inconsistency=inconsistency,
            mood=b.mood_noise * rng.standard_normal(n),
            economy=cond.economy,
            w=self._w,
        )
        disc = experience.disconfirmation(e, a.expectation[who, store])
        sat = experience.satisfaction(e, disc, b.disconfirmation)
        a.expectation[who, store] = experience.adapt_expectation(
            a.expectation[who, store], e, b.expectation_rate
        )
        a.loyalty[who, store] = loyalty.update_loyalty(
            a.loyalty[who, store], disc, b.loyalty_gain, b.loyalty_loss, b.loyalty_repeat
        )
        a.familiarity[who, store] = personalization.grow_familiarity(
            a.familiarity[who, store], st.personalization[store], b.familiarity_gain
        )
        churned = loyalty.starts_avoiding(disc, b.avoid_threshold)
        a.avoid_until[who[churned], store[churned]] = day + b.avoid_days
        show = (visited >= 0) & delivered
        return DayPurchases(
            shopper=who,
            store=store,
            fulfilment=fulfil,
            research=channel,
            visited=visited,
            price=price,
            late_days=late,
            misfit=bad_fit,
            returned=back,
            after_sales=care,
            experience=e,
            satisfaction=sat,
            ltr=word_of_mouth.likelihood_to_recommend(rng, sat, b.recommend_noise),
            showroomed=show,
            competitive_showroomed=show & (visited != store),
            webroomed=(channel == research.ONLINE) & in_store,
            churned=churned,
        )

    def _share(self, day: int, p: DayPurchases) -> dict[str, int]:
        """NPS answers, online reviews and word of mouth after the day's purchases."""
        a, b = self.shoppers, self.spec.behaviour
        promoter, detractor = word_of_mouth.promoters_detractors(p.ltr)
        self.nps.add(p.store, promoter, detractor)
        writes = word_of_mouth.writes_review(self.rng, p.satisfaction, b.review_base, b.review_extremity)
        ratings = word_of_mouth.update_ratings(
            np.array([s.rating for s in self.stores]),
            p.store[writes],
            p.ltr[writes] / 10.0,
            b.review_rate,
        )
        for s, r in zip(self.stores, ratings, strict=True):
            s.rating = float(r)
        talks = (promoter & (self.rng.random(len(p)) < b.wom_positive)) | (
            detractor & (self.rng.random(len(p)) < b.wom_negative)
        )
        pos, neg = word_of_mouth.spread_word_of_mouth(
            self.rng,
            p.shopper[talks],
            p.store[talks],
            promoter[talks],
            a.acquaintances,
            b.wom_reach,
            a.reputation,
            b.wom_weight,
            b.wom_negative_weight,
        )
        return {
            "wom_positive": pos,
            "wom_negative": neg,
            "reviews": int(writes.sum()),
            "churn_events": int(p.churned.sum()),
        }

    def _after_purchase(self, day: int, p: DayPurchases, cond: events.DayConditions) -> None:
        """Digital habit, last-purchase records and the next need."""
        a, b = self.shoppers, self.spec.behaviour
        online = p.shopper[p.fulfilment != WALK_IN]
        a.habit[online] += b.habit_gain * (1.0 - a.habit[online])
        a.last_store[p.shopper] = p.store
        a.last_fulfilment[p.shopper] = p.fulfilment
        a.last_purchase[p.shopper] = day
        a.last_showroomed[p.shopper[p.showroomed]] = day
        a.last_webroomed[p.shopper[p.webroomed]] = day
        a.impulse[p.shopper] = -1
        a.next_need[p.shopper] = needs.draw_next_need(
            self.rng, day, a.need_interval[p.shopper], cond.need_factor
        )

    # ------------------------------------------------------------------ stores
    def _book(self, day: int, p: DayPurchases, st: StoreArrays) -> None:
        """Accounts, strategy reviews and closures."""
        S, ticket = len(self.stores), self.spec.category.ticket
        kept = ~p.returned

        def per_store(weights: np.ndarray | None = None, mask: np.ndarray | None = None) -> np.ndarray:
            idx = p.store if mask is None else p.store[mask]
            w = None if weights is None else (weights if mask is None else weights[mask])
            return np.bincount(idx, weights=w, minlength=S)

        revenue = per_store(ticket * p.price * kept)
        units = per_store(kept.astype(float))
        shipped = per_store(np.where(p.fulfilment == DELIVERY, 1.0, 0.0)) + 0.5 * per_store(
            np.where(p.fulfilment == PICKUP, 1.0, 0.0)
        )
        returns = per_store(p.returned.astype(float))
        care = per_store(p.after_sales.astype(float))
        n = len(p)
        counts = [per_store(mask=p.fulfilment == f) for f in (WALK_IN, DELIVERY, PICKUP)]
        nps = self.nps.by_store()
        for s in self.stores:
            i = s.index
            costs = (
                units[i] * ticket * (1.0 - s.margin)
                + shipped[i] * s.delivery_cost
                + returns[i] * s.return_cost
                + care[i] * s.after_sales_cost * (0.5 + s.after_sales)
            )
            if s.is_open:
                costs += s.fixed_cost
            s.book(float(revenue[i]), float(costs))
            s.walk_in, s.delivery, s.pickup = (int(c[i]) for c in counts)
            s.purchases = s.walk_in + s.delivery + s.pickup
            s.returns = int(returns[i])
            s.market_share = s.purchases / n if n else 0.0
            s.nps = float(nps[i])
        self._review_strategies(day)

    def _review_strategies(self, day: int) -> None:
        for s in self.stores:
            if s.is_open and s.cash < 0:
                customers = int((self.shoppers.last_store == s.index).sum())
                s.close(day)
                self.log.append(LogEntry(day, "closure", s.name, {"customers": customers}))
                continue
            if s.is_open and day % s.strategy_every == 0:
                rivals = [r.online_price for r in self.stores if r is not s and r.is_open and r.has_delivery]
                market = Market(day, min(rivals, default=s.price), s.market_share)
                action = STRATEGIES[s.strategy](s, market)
                if action is not None:
                    data = {"strategy": action.strategy, "attribute": action.attribute, "value": action.value}
                    self.log.append(LogEntry(day, "strategy", s.name, data))

    # -------------------------------------------------------------- recording
    def _record(self, day: int, p: DayPurchases, counts: dict[str, int]) -> None:
        promoter, detractor = word_of_mouth.promoters_detractors(p.ltr)
        f = p.fulfilment
        self._daily.append(
            {
                "day": day,
                "purchases": len(p),
                "n_walk_in": int((f == WALK_IN).sum()),
                "n_delivery": int((f == DELIVERY).sum()),
                "n_pickup": int((f == PICKUP).sum()),
                "n_showroomed": int(p.showroomed.sum()),
                "n_competitive_showroomed": int(p.competitive_showroomed.sum()),
                "n_webroomed": int(p.webroomed.sum()),
                "n_returned": int(p.returned.sum()),
                "returned_walk_in": int((p.returned & (f == WALK_IN)).sum()),
                "returned_delivery": int((p.returned & (f == DELIVERY)).sum()),
                "returned_pickup": int((p.returned & (f == PICKUP)).sum()),
                "sum_satisfaction": float(p.satisfaction.sum()),
                "promoters": int(promoter.sum()),
                "detractors": int(detractor.sum()),
                "revenue": float(sum(s.revenue for s in self.stores)),
                **counts,
            }
        )
        if self.spec.collect_purchases and len(p):
            self._purchase_frames.append(p.frame(day, self.store_names))
        # both loyalty statistics in one pass over every shopper's row (docs/PERFORMANCE.md)
        self._max_loyalty, by_store = row_max_mean_and_column_means(self.shoppers.loyalty)
        for s in self.stores:
            s.mean_loyalty = float(by_store[s.index])
        self.metrics = self._day_metrics(day, p, counts)

    def _day_metrics(self, day: int, p: DayPurchases, counts: dict[str, int]) -> dict[str, Any]:
        return {
            "day": day,
            "purchases": len(p),
            **channel_shares(p),
            **journey_rates(p),
            "mean_satisfaction": float(p.satisfaction.mean()) if len(p) else float("nan"),
            "mean_loyalty": self._max_loyalty,
            "nps": self.nps.overall(),
            "open_stores": sum(s.is_open for s in self.stores),
            "revenue": self._daily[-1]["revenue"],
            "events": ",".join(self.conditions.active),
            **counts,
        }

    # ----------------------------------------------------------------- tables
    def timeseries(self) -> pd.DataFrame:
        """One row per collected day (DESIGN.md §3 ``timeseries``)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df[list(TIMESERIES_COLUMNS)]

    def store_table(self) -> pd.DataFrame:
        """One row per store per collected day (DESIGN.md §3 ``stores``)."""
        df = self.datacollector.get_agenttype_vars_dataframe(Store).reset_index()
        df = df.rename(columns={"Step": "day"}).drop(columns=["AgentID"])
        df["day"] = df["day"].astype(np.int32)
        return df[list(STORE_COLUMNS)]

    def purchases(self) -> pd.DataFrame | None:
        """One row per purchase, if the scenario collects purchases."""
        if not self.spec.collect_purchases:
            return None
        if not self._purchase_frames:
            return empty_purchases().frame(0, self.store_names).iloc[0:0]
        return pd.concat(self._purchase_frames, ignore_index=True)

    def summary(self) -> dict[str, Any]:
        """Headline metrics over the run's last ``summary_window_days`` days."""
        a = self.shoppers
        window = self.spec.summary_window_days
        start = max(self.day - window, 0)
        active = a.last_purchase > start
        buyers = max(int(active.sum()), 1)
        stats = {
            "share_shoppers_showroomed": float((a.last_showroomed > start).sum() / buyers),
            "share_shoppers_webroomed": float((a.last_webroomed > start).sum() / buyers),
            "stores_closed": sum(not s.is_open and s.closed_on is not None for s in self.stores),
            "shoppers": a.n,
        }
        row = summary_row(self.timeseries(), pd.DataFrame(self._daily), stats, window)
        return {"scenario": self.spec.name, "seed": self.spec.seed, **row}


def _reporter(column: str) -> Callable[[CXModel], Any]:
    def report(model: CXModel) -> Any:
        return model.metrics[column]

    report.__name__ = f"report_{column}"
    return report
