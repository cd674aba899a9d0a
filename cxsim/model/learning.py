"""The shoppers' beliefs in the day: what they count on when choosing, and what they learn.

Called by the phases of :mod:`cxsim.model.phases`:

* research: :func:`read_reviews` (online researchers read a sample of each store's
  recent reviews) and :func:`learn_from_visit` (a store visit shows its service
  and environment);
* choice: :func:`choice_beliefs` (certainty equivalents of the beliefs) and
  :func:`anticipated` (the experience expected after the choice);
* experience: :func:`purchase_signals` and :func:`learn` (what each purchase taught
  its buyer);
* sharing: :func:`post_reviews` (the reviews written) and :func:`spread_word`
  (word of mouth, retold along the network).

The rules are :mod:`cxsim.rules.beliefs` and :mod:`cxsim.rules.word_of_mouth`; the
equations are in docs/ODD.md (§7.15-7.17).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from cxsim.rules import beliefs, word_of_mouth
from cxsim.rules.beliefs import ATMOSPHERE, OVERALL, SERVICE, K
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.research import ONLINE

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel, DayState
    from cxsim.model.stores import StoreArrays


def own_variance(m: DayModel) -> np.ndarray:
    """Noise variance of one own-experience signal per attribute, ``(K,)`` (read-only)."""
    return _constants(m.spec.behaviour.beliefs, m.spec.behaviour.experience.expectation_rate)[0]


def _floor(m: DayModel) -> np.ndarray:
    """Lowest posterior variance per attribute, ``(K,)`` (read-only)."""
    return _constants(m.spec.behaviour.beliefs, m.spec.behaviour.experience.expectation_rate)[1]


@lru_cache(maxsize=16)
def _constants(c: beliefs.BeliefCoefficients, expectation_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The run's own-signal noise variance and variance floor, computed once per coefficient set.

    The coefficient groups are frozen (hashable); the arrays are made read-only
    because they are shared by every call.
    """
    own: np.ndarray = beliefs.signal_sd(c) ** 2
    floor = beliefs.variance_floor(c, expectation_rate)
    own.flags.writeable = False
    floor.flags.writeable = False
    return own, floor


def _source_noise(m: DayModel, credibility: np.ndarray) -> np.ndarray:
    """Noise variance of what a source tells, per attribute: own variance / ``credibility``.

    ``credibility`` (broadcast against the ``(K,)`` attributes) is a source's credibility
    times the messages it carries; where it is 0 the source tells nothing (infinite noise).
    """
    out: np.ndarray = np.where(credibility > 0, own_variance(m) / np.maximum(credibility, 1e-12), np.inf)
    return out


def learn(m: DayModel, who: np.ndarray, store: np.ndarray, signal: np.ndarray, noise_var: np.ndarray) -> None:
    """Update the beliefs of shoppers ``who`` about stores ``store`` by ``signal`` ``(n, K)``.

    Where the same (shopper, store) appears twice, one update takes effect (the
    last; numpy fancy assignment), as for word of mouth before (docs/ODD.md §8).
    """
    if who.size == 0:
        return
    a = m.shoppers
    pair = who * a.belief_mean.shape[1] + store  # rows of the (shopper, store) views
    means, variances = _pairs(a.belief_mean), _pairs(a.belief_var)
    mean, var = beliefs.update(
        means.take(pair, axis=0), variances.take(pair, axis=0), signal, noise_var, _floor(m)
    )
    means[pair] = mean
    variances[pair] = var


def _pairs(x: np.ndarray) -> np.ndarray:
    """An ``(n, S, K)`` belief array as an ``(n S, K)`` view, one row per (shopper, store).

    Gathering rows of it with ``take`` copies the same values as ``x[who, store]``,
    about four times faster (never a copy: ``copy=False`` raises instead).
    """
    return x.reshape((-1, x.shape[2]), copy=False)


# ------------------------------------------------------------------------- research


def read_reviews(m: DayModel, online: np.ndarray) -> None:
    """Online researchers read ``reviews_read`` recent reviews of every store and update their beliefs.

    The mean of ``n`` reviews' signals is one signal with noise variance
    ``own variance / (review_credibility x n)``.
    """
    bc = m.spec.behaviour.beliefs
    if online.size == 0 or bc.reviews_read == 0:
        return
    town = m.towns.of(online)
    mean, count = m.reviews.read(m.towns, town, online.size, bc.reviews_read)
    credibility = m.towns.coefficients(bc, "beliefs", town).review_credibility  # each reader's town's
    ratio = (credibility[:, None, None] if isinstance(credibility, np.ndarray) else credibility) * count
    noise = _source_noise(m, ratio)
    a = m.shoppers
    new_mean, new_var = beliefs.update(
        a.belief_mean.take(online, axis=0), a.belief_var.take(online, axis=0), mean, noise, _floor(m)
    )
    a.belief_mean[online] = new_mean
    a.belief_var[online] = new_var


def learn_from_visit(
    m: DayModel,
    st: StoreArrays,
    goers: np.ndarray,
    visited: np.ndarray,
    at: np.ndarray,
    encounter: np.ndarray,
) -> None:
    """A research visit shows the store's service (the encounter) and its environment.

    ``visited``: the store (the shopper's column); ``at``: the same store among all towns' stores.
    """
    signal = np.full((goers.size, K), np.nan)
    signal[:, SERVICE] = encounter
    signal[:, ATMOSPHERE] = st.atmosphere.take(at)
    learn(m, goers, visited, signal, own_variance(m)[None, :])


# --------------------------------------------------------------------------- choice


def choice_beliefs(m: DayModel, who: np.ndarray) -> np.ndarray:
    """Certainty equivalents of today's shoppers' beliefs, ``(n, S, K)``."""
    a = m.shoppers
    r = m.spec.behaviour.beliefs.risk_aversion
    return beliefs.certainty_equivalent(a.belief_mean.take(who, axis=0), a.belief_var.take(who, axis=0), r)


def anticipated(m: DayModel, d: DayState, ce: np.ndarray, visited: np.ndarray) -> np.ndarray:
    """Experience expected from the touchpoints after the choice, ``(n, S, 3)`` (beliefs, not truth)."""
    st, cat, c = d.stores, m.spec.category, m.spec.behaviour.experience
    n, S = visited.shape
    two = np.zeros((n, S, 3), dtype=bool)
    two[:, :, PICKUP] = True
    two[:, :, WALK_IN] = (d.channel == ONLINE)[:, None]  # online research, then the shop floor
    two[:, :, DELIVERY] = visited
    seen = cat.base_return_rate + cat.misfit_seen * cat.misfit_return
    unseen = cat.base_return_rate + (cat.misfit_seen + cat.touch_feel * cat.misfit_unseen) * cat.misfit_return
    return beliefs.anticipated_experience(
        ce=ce,
        two_channels=two,
        omni=m.towns.rows(st.walk_in & st.delivery, d.town),
        return_probability=np.array([seen, unseen, seen]),
        after_sales_need=cat.after_sales_need,
        atmosphere_weight=c.atmosphere,
        late_weight=c.late_per_day,
        return_weight=c.return_hassle,
        after_sales_weight=c.after_sales,
        inconsistency_weight=c.inconsistency,
    )


# ----------------------------------------------------------------------- experience


def purchase_signals(
    m: DayModel, d: DayState, experience: np.ndarray, two_channels: np.ndarray
) -> np.ndarray:
    """What each of today's purchases taught its buyer, ``(n, K)`` (NaN: nothing)."""
    st, store, fulfil, at = d.stores, d.store, d.fulfil, d.sidx
    delivered, in_store = fulfil == DELIVERY, fulfil == WALK_IN
    signal = beliefs.experience_signals(
        rng=m.towns.draws(d.town),
        experience=experience,
        service_met=d.met,
        personalization=st.personalization.take(at),
        atmosphere=st.atmosphere.take(at),
        in_store=in_store,
        delivered=delivered,
        on_time=d.late <= 0.0,
        returned=d.returned,
        ease=d.ease,
        after_sales_needed=d.care,
        after_sales=st.after_sales.take(at),
        two_channels=two_channels & (st.walk_in & st.delivery).take(at),
        consistency=st.channel_consistency.take(at),
        c=m.spec.behaviour.beliefs,
    )
    again = in_store & (d.visited == store)  # the research visit already showed these
    signal[again, SERVICE] = np.nan
    signal[again, ATMOSPHERE] = np.nan
    return signal


# -------------------------------------------------------------------------- sharing


def post_reviews(m: DayModel, d: DayState, writes: np.ndarray) -> None:
    """The reviews written today go on the stores' boards; ratings and counts follow."""
    p, rows = d.purchases, np.flatnonzero(writes)
    star = word_of_mouth.stars(p.ltr.take(rows))
    signal = d.learned.take(rows, axis=0)  # a copy
    signal[:, OVERALL] = word_of_mouth.star_signal(star)
    m.reviews.add(
        d.day,
        d.sidx.take(rows),
        p.shopper.take(rows),
        star,
        p.fulfilment.take(rows),
        signal,
        not d.warm,
    )
    rating, count = m.reviews.rating().tolist(), m.reviews.count.tolist()
    for s in m.stores:
        s.rating = float(rating[s.flat])
        s.review_count = int(count[s.flat])


def spread_word(m: DayModel, d: DayState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word of mouth: who talks, who hears (retold along the network), what hearers learn.

    A story carries the teller's satisfaction (its valence and strength) as a
    signal of the whole experience, and what the teller learned about the
    touchpoints. Returns the day's positive and negative messages per town and the
    purchases whose buyer told acquaintances (indices into ``d.purchases``).
    """
    c, p, a, t = m.spec.behaviour.word_of_mouth, d.purchases, m.shoppers, m.towns
    propensity, strength = word_of_mouth.talk_propensity(
        p.satisfaction, t.coefficients(c, "word_of_mouth", d.town)
    )
    talks = np.flatnonzero(word_of_mouth.tells_acquaintances(t.draws(d.town), propensity))
    rng = t.generators[0] if t.B == 1 else t.draws_for_rows
    hearers, story, hop = word_of_mouth.spread_word_of_mouth(
        rng, p.shopper[talks], strength[talks], a.acquaintances, c
    )
    if hearers.size == 0:
        return np.zeros(t.B, dtype=np.int64), np.zeros(t.B, dtype=np.int64), talks
    told = talks[story]
    satisfaction = p.satisfaction.take(told)
    content = d.learned.take(told, axis=0)  # a copy
    content[:, OVERALL] = satisfaction
    town = None if d.town is None else d.town.take(told)  # each message's town (its teller's)
    ratio = word_of_mouth.message_credibility(
        strength.take(told), hop, t.coefficients(c, "word_of_mouth", town)
    )
    noise = _source_noise(m, ratio[:, None])
    learn(m, hearers, p.store.take(told), content, noise)
    good = satisfaction >= c.neutral
    if t.B == 1:
        positive = int(good.sum())
        return np.array([positive]), np.array([hearers.size - positive]), talks
    town = hearers // t.n  # each message counts in its hearer's town
    positive_by_town = np.bincount(town[good], minlength=t.B)
    return positive_by_town, np.bincount(town, minlength=t.B) - positive_by_town, talks
