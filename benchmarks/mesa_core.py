"""The choice-and-evaluation core, written twice: one Mesa agent per shopper vs cxsim's arrays.

Both versions run the same rules on the same shoppers (drawn by cxsim from the
baseline scenario), stores and days:

1. every day loyalty and familiarity fade (``cxsim.rules.loyalty.fade``);
2. a shopper whose need is due evaluates every (store, fulfilment) alternative
   with the utility of ``cxsim.rules.choice.alternative_utilities`` (price as
   perceived without research, expected service, personalization, loyalty,
   reputation, travel, delivery wait and hassle, the risk of buying unseen,
   digital habit; no crowding, no store visit) and the option of not buying;
3. a multinomial-logit draw (Gumbel-max) picks one; not buying postpones the
   need by a week;
4. a purchase is evaluated: service met (with noise), personalization,
   atmosphere for walk-ins, value for money and mood give the experience;
   disconfirmation, satisfaction, adapted expectation, loyalty update
   (negativity bias) and familiarity growth follow (``cxsim.rules.experience``,
   ``cxsim.rules.loyalty``, ``cxsim.rules.personalization``), and the next need is drawn.

:class:`MesaCore` is what a plain Mesa model looks like: each shopper is a
``mesa.Agent`` whose ``step()`` does all of that in Python for itself.
:func:`vectorized_core` calls cxsim's own rule functions on arrays, as the
model does. Their random streams differ, so they agree in distribution (choice
shares), not draw by draw.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np

from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import load_scenario
from cxsim.model.stores import StoreArrays
from cxsim.rules import choice, experience, loyalty, needs, personalization
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.fulfilment import return_ease
from cxsim.rules.loyalty import LoyaltyCoefficients


@dataclass
class CoreSetup:
    """Shoppers, stores and coefficients shared by both implementations."""

    arrays: dict[str, np.ndarray]
    prices: np.ndarray  # (S, 3)
    available: np.ndarray  # (S, 3)
    ease: np.ndarray  # (S, 3)
    st: StoreArrays
    b: dict[str, float]
    w: dict[str, float]
    behaviour: Any
    """Every behaviour coefficient by its flat name (``loyalty_decay``), for the per-agent code."""
    choice: choice.ChoiceCoefficients
    experience: experience.ExperienceCoefficients
    touch_feel: float
    urgency: float
    ticket: float
    days: int


def make_setup(shoppers: int, days: int, seed: int = 7) -> CoreSetup:
    """Draw the shoppers and stores of the baseline town with cxsim (no warm-up)."""
    spec = load_scenario(
        "baseline", [f"town.shoppers={shoppers}", "warmup_days=0"], days=max(days, 1), seed=seed
    )
    model = CXModel(spec)
    a = model.shoppers
    st = StoreArrays.from_stores(model.stores)
    arrays = {
        "weights": a.weights.copy(),
        "dist_km": a.dist_km.copy(),
        "recreational": a.recreational.copy(),
        "habit": a.habit.copy(),
        "need_interval": a.need_interval.copy(),
        "next_need": np.maximum(a.next_need, 1).astype(np.int32),
        "loyalty": a.loyalty.copy(),
        "expectation": a.expectation.copy(),
        "familiarity": a.familiarity.copy(),
        "reputation": a.reputation.copy(),
    }
    available = np.stack([st.is_open & st.walk_in, st.is_open & st.delivery, st.is_open & st.pickup], axis=1)
    return CoreSetup(
        arrays=arrays,
        prices=np.stack([st.price, st.online_price, st.online_price], axis=1),
        available=available,
        ease=return_ease(st.leniency, st.cross_channel, st.walk_in),
        st=st,
        b={k: float(v) for k, v in spec.behaviour.choice},
        w={("late" if k == "late_per_day" else k): v for k, v in spec.behaviour.experience},
        behaviour=SimpleNamespace(**spec.behaviour.flat()),
        choice=spec.behaviour.choice,
        experience=spec.behaviour.experience,
        touch_feel=spec.category.touch_feel,
        urgency=spec.category.urgency,
        ticket=spec.category.ticket,
        days=days,
    )


# ----------------------------------------------------------------------------- vectorized


def vectorized_core(setup: CoreSetup, seed: int = 1) -> dict[str, Any]:
    """Run the core on arrays with cxsim's rule functions; returns counts and timing."""
    rng = np.random.default_rng(seed)
    A = {k: v.copy() for k, v in setup.arrays.items()}
    st, b, bh = setup.st, setup.b, setup.behaviour
    bh_loyalty = LoyaltyCoefficients(gain=bh.loyalty_gain, loss=bh.loyalty_loss, repeat=bh.loyalty_repeat)
    n, S = A["loyalty"].shape
    counts = np.zeros(S * 3 + 1, dtype=np.int64)
    sum_sat = 0.0
    cpu0, start = time.process_time(), time.perf_counter()
    for day in range(1, setup.days + 1):
        loyalty.fade(A["loyalty"], bh.loyalty_decay)
        loyalty.fade(A["familiarity"], bh.familiarity_decay)
        who = needs.due_today(A["next_need"], day)
        if who.size == 0:
            continue
        m = who.size
        observed = np.zeros((m, S, 3), dtype=bool)
        inspected = np.ones((m, S, 3), dtype=bool)
        inspected[:, :, DELIVERY] = False
        u = choice.alternative_utilities(
            weights=A["weights"][who],
            price_seen=choice.perceived_price(setup.prices[None, :, :], observed, b["price_awareness"]),
            service=np.broadcast_to(st.service, (m, S)),
            personalization=personalization.perceived_personalization(
                st.personalization[None, :], A["familiarity"][who]
            ),
            loyalty=A["loyalty"][who],
            reputation=A["reputation"][who],
            dist_km=A["dist_km"][who],
            crowding=np.zeros(S),
            task_oriented=~A["recreational"][who],
            delivery_days=st.delivery_days,
            inspected=inspected,
            return_ease=setup.ease,
            visited=np.zeros((m, S), dtype=bool),
            habit=A["habit"][who],
            available=np.broadcast_to(setup.available, (m, S, 3)),
            touch_feel=setup.touch_feel,
            urgency=setup.urgency,
            c=setup.choice,
            ticket=setup.ticket,
        )
        alt = choice.gumbel_argmax(rng, u)
        counts += np.bincount(alt, minlength=S * 3 + 1)
        store, fulfil = choice.decode(alt, S)
        bought = store >= 0
        A["next_need"][who[~bought]] = day + 7
        who, store, fulfil = who[bought], store[bought], fulfil[bought].astype(np.int64)
        k = who.size
        if k == 0:
            continue
        in_store = fulfil == WALK_IN
        met = experience.realized_service(rng, st.service[store], st.consistency[store], bh.service_noise)
        e = experience.experience_quality(
            service=met,
            service_share=choice.SERVICE_SHARE[fulfil],
            personalization=personalization.perceived_personalization(
                st.personalization[store], A["familiarity"][who, store]
            ),
            atmosphere=st.atmosphere[store],
            crowd_feel=np.zeros(k),
            in_store=in_store,
            paid_price=setup.prices[store, fulfil],
            late_days=np.zeros(k),
            misfit=np.zeros(k, dtype=bool),
            returned=np.zeros(k, dtype=bool),
            ease=setup.ease[store, fulfil],
            after_sales_needed=np.zeros(k, dtype=bool),
            after_sales=st.after_sales[store],
            inconsistency=np.zeros(k),
            mood=bh.mood_noise * rng.standard_normal(k),
            economy=1.0,
            c=setup.experience,
        )
        expect = A["expectation"][who, store]
        disc = experience.disconfirmation(e, expect)
        sum_sat += float(experience.satisfaction(e, disc, bh.disconfirmation).sum())
        A["expectation"][who, store] = experience.adapt_expectation(expect, e, bh.expectation_rate)
        A["loyalty"][who, store] = loyalty.update_loyalty(A["loyalty"][who, store], disc, bh_loyalty)
        A["familiarity"][who, store] = personalization.grow_familiarity(
            A["familiarity"][who, store], st.personalization[store], bh.familiarity_gain
        )
        A["next_need"][who] = needs.draw_next_need(rng, day, A["need_interval"][who])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return _result("vectorized (cxsim rules on arrays)", counts, sum_sat, seconds, cpu, n, setup.days)


# ----------------------------------------------------------------------------- Mesa, per agent


class ShopperAgent(mesa.Agent):
    """One shopper as a Mesa agent: its state as Python floats, its rules in ``step()``."""

    def __init__(self, model: MesaCore, i: int, A: dict[str, np.ndarray]) -> None:
        super().__init__(model)
        w = A["weights"][i]
        self.w_price, self.w_service, self.w_pers, self.w_conv, self.w_rep, self.w_loy = map(float, w)
        self.dist = [float(x) for x in A["dist_km"][i]]
        self.recreational = bool(A["recreational"][i])
        self.habit = float(A["habit"][i])
        self.need_interval = float(A["need_interval"][i])
        self.next_need = int(A["next_need"][i])
        self.loyalty = [float(x) for x in A["loyalty"][i]]
        self.expectation = [float(x) for x in A["expectation"][i]]
        self.familiarity = [float(x) for x in A["familiarity"][i]]
        self.reputation = [float(x) for x in A["reputation"][i]]

    def utilities(self) -> list[tuple[float, int, int]]:
        """(utility, store, fulfilment) of every available alternative; store -1 = not buying."""
        m: MesaCore = self.model  # type: ignore[assignment]
        b = m.b
        conv = b["money"] * b["convenience"] * self.w_conv  # time costs in money (value of time)
        minute = b["value_of_time"] / 60.0
        out = []
        for s in range(m.n_stores):
            common = (
                b["personalization"] * self.w_pers * (m.capability[s] * self.familiarity[s])
                + b["loyalty"] * self.w_loy * self.loyalty[s]
                + b["reputation"] * self.w_rep * (self.reputation[s] - 0.5)
            )
            for f in (WALK_IN, DELIVERY, PICKUP):
                if not m.available[s][f]:
                    continue
                seen = 1.0 + b["price_awareness"] * (m.prices[s][f] - 1.0)
                u = -b["money"] * m.ticket * self.w_price * (seen - 1.0)
                u += b["service"] * self.w_service * (m.service[s] * m.service_share[f])
                u += common
                if f == WALK_IN:
                    u -= conv * minute * (b["minutes_per_km"] * self.dist[s])  # no crowding in the core
                elif f == DELIVERY:
                    wait = (
                        b["wait_per_day"] * (0.5 + m.urgency) * m.delivery_days[s]
                        + minute * b["delivery_minutes"]
                    )
                    u -= conv * wait
                    u -= b["unseen_risk"] * m.touch_feel - b["return_ease"] * m.ease[s][f]
                    u += b["digital_habit"] * self.habit
                else:
                    u -= conv * minute * (0.6 * b["minutes_per_km"] * self.dist[s] + b["pickup_minutes"])
                    u += 0.5 * b["digital_habit"] * self.habit
                out.append((u, s, f))
        out.append((b["outside"], -1, -1))  # the outside option in normal times (no lapse in the core)
        return out

    def step(self) -> None:
        """One day of this shopper: fade, and if a need is due choose, buy and evaluate."""
        m: MesaCore = self.model  # type: ignore[assignment]
        self.loyalty = [x * m.keep_loyalty for x in self.loyalty]
        self.familiarity = [x * m.keep_familiarity for x in self.familiarity]
        if self.next_need > m.day:
            return
        rnd = m.random
        best, store, fulfil = -math.inf, -1, -1
        for u, s, f in self.utilities():
            g = u - math.log(-math.log(1.0 - rnd.random()))  # Gumbel-max = logit draw
            if g > best:
                best, store, fulfil = g, s, f
        m.counts[store * 3 + fulfil if store >= 0 else m.n_stores * 3] += 1
        if store < 0:
            self.next_need = m.day + 7
            return
        bh, w = m.behaviour, m.w
        spread = bh.service_noise * (1.0 - m.consistency[store])
        met = min(1.0, max(0.0, m.service[store] + spread * rnd.gauss(0.0, 1.0)))
        e = (
            bh.experience_base
            + w["service"] * m.service_share[fulfil] * (met - 0.5)
            + w["personalization"] * m.capability[store] * self.familiarity[store]
            + (w["atmosphere"] * (m.atmosphere[store] - 0.5) if fulfil == WALK_IN else 0.0)
            + w["value"] * (1.0 - m.prices[store][fulfil])
            + bh.mood_noise * rnd.gauss(0.0, 1.0)
        )
        e = min(1.0, max(0.0, e))
        disc = e - self.expectation[store]
        m.sum_satisfaction += min(1.0, max(0.0, e + bh.disconfirmation * disc))
        self.expectation[store] += bh.expectation_rate * (e - self.expectation[store])
        old = self.loyalty[store]
        change = bh.loyalty_repeat * (1.0 - old) + (bh.loyalty_gain if disc >= 0 else bh.loyalty_loss) * disc
        self.loyalty[store] = min(1.0, max(0.0, old + change))
        fam = self.familiarity[store]
        self.familiarity[store] = fam + bh.familiarity_gain * m.capability[store] * (1.0 - fam)
        p = min(1.0, max(1e-6, 1.0 / max(self.need_interval, 1.0)))
        gap = 1 if p >= 1.0 else 1 + int(math.log(1.0 - rnd.random()) / math.log(1.0 - p))
        self.next_need = m.day + gap


class MesaCore(mesa.Model):
    """A plain Mesa model of the core: one :class:`ShopperAgent` per shopper."""

    def __init__(self, setup: CoreSetup, seed: int = 1) -> None:
        super().__init__(rng=seed)
        st = setup.st
        self.b, self.w, self.behaviour = setup.b, setup.w, setup.behaviour
        self.n_stores = int(st.price.shape[0])
        self.prices = setup.prices.tolist()
        self.available = setup.available.tolist()
        self.ease = setup.ease.tolist()
        self.service = st.service.tolist()
        self.consistency = st.consistency.tolist()
        self.capability = st.personalization.tolist()
        self.atmosphere = st.atmosphere.tolist()
        self.delivery_days = st.delivery_days.tolist()
        self.service_share = choice.SERVICE_SHARE.tolist()
        self.touch_feel, self.urgency, self.ticket = setup.touch_feel, setup.urgency, setup.ticket
        self.keep_loyalty = 1.0 - setup.behaviour.loyalty_decay
        self.keep_familiarity = 1.0 - setup.behaviour.familiarity_decay
        self.counts = [0] * (self.n_stores * 3 + 1)
        self.sum_satisfaction = 0.0
        self.day = 0
        A = setup.arrays
        for i in range(A["loyalty"].shape[0]):
            ShopperAgent(self, i, A)

    def step(self) -> None:
        """One day: every shopper agent steps."""
        self.day += 1
        self.agents.do("step")


def mesa_core(setup: CoreSetup, seed: int = 1) -> dict[str, Any]:
    """Run the per-agent Mesa version; returns counts and timing (agent creation not timed)."""
    model = MesaCore(setup, seed)
    cpu0, start = time.process_time(), time.perf_counter()
    for _ in range(setup.days):
        model.step()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    n = setup.arrays["loyalty"].shape[0]
    return _result(
        "Mesa, one Agent per shopper",
        np.array(model.counts),
        model.sum_satisfaction,
        seconds,
        cpu,
        n,
        setup.days,
    )


def _result(
    name: str, counts: np.ndarray, sum_sat: float, seconds: float, cpu: float, n: int, days: int
) -> dict[str, Any]:
    decisions = int(counts.sum())
    purchases = int(decisions - counts[-1])
    return {
        "implementation": name,
        "shoppers": n,
        "days": days,
        "seconds": seconds,
        "cpu_s": cpu,
        "shopper_days_per_s": n * days / seconds if seconds > 0 else float("inf"),
        "decisions": decisions,
        "purchases": purchases,
        "shares": (counts / max(decisions, 1)).tolist(),
        "mean_satisfaction": sum_sat / purchases if purchases else float("nan"),
    }


def agreement(vec: dict[str, Any], per_agent: dict[str, Any]) -> dict[str, float]:
    """How far apart the two versions' choice shares are (largest gap, in shares and in standard errors)."""
    p, q = np.array(vec["shares"]), np.array(per_agent["shares"])
    n1, n2 = vec["decisions"], per_agent["decisions"]
    pooled = (p * n1 + q * n2) / max(n1 + n2, 1)
    se = np.sqrt(pooled * (1 - pooled) * (1 / max(n1, 1) + 1 / max(n2, 1)))
    z = np.abs(p - q) / np.where(se > 0, se, np.inf)
    return {
        "max_share_gap": float(np.max(np.abs(p - q))),
        "max_z": float(np.max(z)),
        "satisfaction_gap": float(abs(vec["mean_satisfaction"] - per_agent["mean_satisfaction"])),
    }


def compare(shoppers: int, days: int, repeats: int = 1, seed: int = 7) -> dict[str, Any]:
    """Both versions on the same shoppers, stores and days; the median time of ``repeats``."""
    setup = make_setup(shoppers, days, seed)
    vec_runs = [vectorized_core(setup, seed=1 + r) for r in range(max(repeats, 1))]
    mesa_runs = [
        mesa_core(setup, seed=1 + r) for r in range(max(1, repeats if shoppers * days <= 10**6 else 1))
    ]
    vec = sorted(vec_runs, key=lambda r: r["seconds"])[len(vec_runs) // 2]
    per_agent = sorted(mesa_runs, key=lambda r: r["seconds"])[len(mesa_runs) // 2]
    return {
        "shoppers": shoppers,
        "days": days,
        "vectorized": vec,
        "mesa": per_agent,
        "speedup": per_agent["seconds"] / vec["seconds"],
        "cpu_speedup": per_agent["cpu_s"] / vec["cpu_s"] if vec["cpu_s"] > 0 else float("nan"),
        "agreement": agreement(vec, per_agent),
    }
