"""What shoppers believe about each store's customer experience, and how they learn it.

Each shopper holds, per store, a belief about ``K`` attributes of the experience
(:data:`ATTRIBUTES`): the whole experience (what stars rate and what satisfaction
is measured against), the service encounter, personalization capability, the
store environment, delivery reliability (the chance a delivery is on time),
the ease of returning a purchase made in the store (or picked up) and of
returning a delivered one (which differ by the cross-channel returns policy),
after-sales care and channel consistency, all on 0..1. A belief is
a normal distribution: mean ``m`` and variance ``v``.

Learning is Bayesian normal learning (Erdem and Keane 1996, Marketing Science
15:1): a signal ``y`` with noise variance ``s2`` moves the mean by the Kalman gain
``g = v / (v + s2)`` and shrinks the variance to ``v s2 / (v + s2)``. Signals come
from the shopper's own experience (noise variance ``own_sd**2``; a delivery's
on-time outcome ``delivery_sd**2``), from reviews read during online research and
from word of mouth heard; a source of credibility ``c`` (0..1) has noise variance
``own variance / c``, and an average of ``n`` signals ``/ n`` more. The posterior
variance never falls below the floor at which one own experience still moves the
mean by ``experience.expectation_rate`` (the steady state of a Kalman filter whose
attributes can change: without it a well-known store's change would go unnoticed
for ever; with it the mean behaves like adaptive expectations, Helson 1964, once
the shopper knows the store).

Choice values an uncertain attribute at its certainty equivalent ``m - r v``
(``r`` = ``risk_aversion``): Erdem and Keane's risk-averse utility, whose
expectation subtracts ``r`` times the variance, so that an unknown store carries
a risk premium a known one does not.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from cxsim.rules.arrays import BLOCK, clip_in_place
from cxsim.rules.coefficients import Coefficients, NonNeg, Pos, Unit

ATTRIBUTES = (
    "overall",
    "service",
    "personalization",
    "atmosphere",
    "reliability",
    "returns",
    "returns_delivered",
    "after_sales",
    "consistency",
)
"""The attributes of a belief, in the order of the last axis of the belief arrays."""
OVERALL, SERVICE, PERSONALIZATION, ATMOSPHERE, RELIABILITY, RETURNS, RETURNS_DELIVERED = range(7)
AFTER_SALES, CONSISTENCY = 7, 8
K = len(ATTRIBUTES)
MEAN_LATE_DAYS = 2.0
"""Mean days a late delivery is late (geometric(0.5), :func:`cxsim.rules.fulfilment.lateness_days`)."""


class BeliefCoefficients(Coefficients):
    """Priors, signal noise and risk aversion of the shoppers' beliefs (``behaviour.beliefs``)."""

    prior_sd: Pos = 0.15
    """Standard deviation of the prior about a store one knows nothing about."""
    hunch_sd: NonNeg = 0.10
    """Spread of individual prior means around the population prior (one hunch per shopper and store)."""
    own_sd: Pos = 0.10
    """Noise of one's own experience of a touchpoint (and of the whole experience)."""
    delivery_sd: Pos = 0.5
    """Noise of one delivery's on-time outcome as a signal of reliability (a coin flip's sd)."""
    review_credibility: Unit = 0.25
    """Weight of a stranger's review relative to one's own experience (precision ratio)."""
    reviews_read: Annotated[int, Field(ge=0, le=100)] = 10
    """Reviews of each store an online researcher reads (0: reading reviews is off)."""
    reviews_recent: Annotated[int, Field(ge=1, le=1000)] = 50
    """The most recent reviews of a store that researchers read from (sampled with replacement)."""
    risk_aversion: NonNeg = 2.0
    """Utility of an attribute is valued at mean - risk_aversion x variance (Erdem and Keane 1996)."""


def signal_sd(c: BeliefCoefficients) -> np.ndarray:
    """Noise sd of one own-experience signal of each attribute, ``(K,)``."""
    sd = np.full(K, c.own_sd)
    sd[RELIABILITY] = c.delivery_sd
    return sd


def variance_floor(c: BeliefCoefficients, expectation_rate: float) -> np.ndarray:
    """Lowest posterior variance per attribute, ``(K,)``: one own experience keeps gain ``expectation_rate``.

    ``g = f / (f + s2)`` solved for ``f``: ``f = g s2 / (1 - g)``, capped at the
    prior variance (learning never makes a shopper less sure; for delivery
    reliability, whose single signal is a noisy coin flip, the cap binds and
    one delivery moves the belief by ``prior / (prior + delivery_sd**2)``).
    """
    g = min(expectation_rate, 0.999)
    out: np.ndarray = np.minimum(g * signal_sd(c) ** 2 / (1.0 - g), c.prior_sd**2)
    return out


def population_prior(
    *,
    experience_base: float,
    service: np.ndarray,
    personalization: np.ndarray,
    atmosphere: np.ndarray,
    reliability: np.ndarray,
    leniency: np.ndarray,
    delivered_return_ease: np.ndarray,
    after_sales: np.ndarray,
    channel_consistency: np.ndarray,
    walk_in: np.ndarray,
    delivery: np.ndarray,
) -> np.ndarray:
    """Prior mean of each attribute for a store one knows nothing about, ``(K,)``.

    The category's norm: the mean of the town's stores (those with a shop floor
    for the store environment, those that deliver for reliability and for the
    ease of returning a delivered purchase, ``delivered_return_ease``), and the
    experience of an unremarkable purchase for the whole experience. Erdem and
    Keane (1996) start every brand's belief at a common prior mean.
    """

    def mean(x: np.ndarray, where: np.ndarray) -> float:
        return float(x[where].mean()) if where.any() else float(x.mean())

    every = np.ones(service.shape[0], dtype=bool)
    return np.array(
        [
            experience_base,
            mean(service, every),
            mean(personalization, every),
            mean(atmosphere, walk_in),
            mean(reliability, delivery),
            mean(leniency, walk_in),
            mean(delivered_return_ease, delivery),
            mean(after_sales, every),
            mean(channel_consistency, walk_in & delivery),
        ]
    )


def initial_beliefs(
    rng: np.random.Generator, n: int, n_stores: int, prior: np.ndarray, c: BeliefCoefficients
) -> tuple[np.ndarray, np.ndarray]:
    """Every shopper's prior about every store: ``(n, S, K)`` means and variances (float32).

    Drawn in blocks of :data:`BLOCK` shoppers: the generator's standard normals come
    out in the same sequence as from one draw of ``(n, S, K)`` (the same numbers and
    the same state after), and the float64 temporaries stay the size of a block
    instead of three times the town's beliefs (10.8 GB at 10,000,000 shoppers).
    """
    mean = np.empty((n, n_stores, K), dtype=np.float32)
    for start in range(0, n, BLOCK):
        rows = min(BLOCK, n - start)
        hunch = c.hunch_sd * rng.standard_normal((rows, n_stores, K))
        mean[start : start + rows] = np.clip(prior[None, None, :] + hunch, 0.0, 1.0)
    var = np.full((n, n_stores, K), c.prior_sd**2, dtype=np.float32)
    return mean, var


def update(
    mean: np.ndarray, var: np.ndarray, signal: np.ndarray, noise_var: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bayesian normal update of beliefs by signals (Erdem and Keane 1996).

    ``signal`` is NaN where nothing was learned about an attribute (the belief
    stays); ``noise_var`` is the signal's noise variance (``inf`` also means
    nothing learned). Mean moves by the gain ``v / (v + s2)`` toward the signal
    (clipped to 0..1); variance becomes ``max(v s2 / (v + s2), floor)``.
    """
    has = np.isfinite(noise_var) & (signal == signal)  # signal == signal: not NaN
    s2 = np.where(has, noise_var, 1.0)
    m, v = mean.astype(np.float64), var.astype(np.float64)  # converted once, not per operation
    total = v + s2
    gain = np.where(has, v / total, 0.0)
    y = clip_in_place(np.where(has, signal, 0.0), 0.0, 1.0)
    new_mean = m + gain * (y - m)
    new_var = np.where(has, np.maximum(v * s2 / total, floor), v)
    return new_mean.astype(np.float32), new_var.astype(np.float32)


def certainty_equivalent(mean: np.ndarray, var: np.ndarray, risk_aversion: float) -> np.ndarray:
    """What a risk-averse shopper counts on: ``mean - risk_aversion x variance`` (Erdem and Keane 1996)."""
    out: np.ndarray = mean - risk_aversion * var
    return out


_NOISE_OF = np.array([PERSONALIZATION, ATMOSPHERE, RELIABILITY, RETURNS, RETURNS, AFTER_SALES, CONSISTENCY])
"""The noise draw (column of the ``(n, K)`` draw) added to each attribute from personalization on
(reliability's is overwritten: an on-time outcome is known exactly; both returns use the same draw)."""


def experience_signals(
    *,
    rng: np.random.Generator,
    experience: np.ndarray,
    service_met: np.ndarray,
    personalization: np.ndarray,
    atmosphere: np.ndarray,
    in_store: np.ndarray,
    delivered: np.ndarray,
    on_time: np.ndarray,
    returned: np.ndarray,
    ease: np.ndarray,
    after_sales_needed: np.ndarray,
    after_sales: np.ndarray,
    two_channels: np.ndarray,
    consistency: np.ndarray,
    c: BeliefCoefficients,
) -> np.ndarray:
    """What one purchase taught its buyer about the store, ``(n, K)``; NaN where nothing.

    The whole experience and the service met always; the store's
    personalization capability always (sensed with noise ``own_sd``); the store
    environment on a walk-in; reliability on a delivery (1 on time, 0 late);
    return ease on a return; after-sales care when it was needed; channel
    consistency when two of the store's channels were used. A return teaches
    the ease of returning a delivered purchase or one made in the store (or
    picked up), by how it was bought.
    """
    n = experience.shape[0]
    noise = c.own_sd * rng.standard_normal((n, K))
    sensed = np.empty((K, n))  # one row per attribute, transposed at the end
    sensed[OVERALL] = experience
    sensed[SERVICE] = service_met
    sensed[PERSONALIZATION] = personalization
    sensed[ATMOSPHERE] = atmosphere
    sensed[RETURNS] = ease
    sensed[RETURNS_DELIVERED] = ease
    sensed[AFTER_SALES] = after_sales
    sensed[CONSISTENCY] = consistency
    sensed[RELIABILITY] = 0.0  # set before the noise (never uninitialized memory), overwritten below
    noisy = sensed[PERSONALIZATION:]
    noisy += noise.T[_NOISE_OF]
    sensed[RELIABILITY] = on_time  # no noise: the delivery was on time or not
    known = np.empty((K, n), dtype=bool)
    known[:ATMOSPHERE] = True  # the whole experience, the service met, personalization
    known[ATMOSPHERE] = in_store
    known[RELIABILITY] = delivered
    known[RETURNS] = returned > delivered  # returned and not delivered
    known[RETURNS_DELIVERED] = returned & delivered
    known[AFTER_SALES] = after_sales_needed
    known[CONSISTENCY] = two_channels
    out = np.where(known, sensed, np.nan)
    return np.ascontiguousarray(clip_in_place(out, 0.0, 1.0).T)


_RETURN_OF = np.array([RETURNS, RETURNS_DELIVERED, RETURNS])
"""The return-ease attribute of each fulfilment (walk-in, delivery, pick-up)."""


def return_ease(ce: np.ndarray) -> np.ndarray:
    """Believed ease of returning by fulfilment, ``(n, S, 3)``: walk-in and pick-up vs delivery."""
    out: np.ndarray = ce.take(_RETURN_OF, axis=2)
    return out


def anticipated_experience(
    *,
    ce: np.ndarray,
    two_channels: np.ndarray,
    omni: np.ndarray,
    return_probability: np.ndarray,
    after_sales_need: float,
    atmosphere_weight: float,
    late_weight: float,
    return_weight: float,
    after_sales_weight: float,
    inconsistency_weight: float,
) -> np.ndarray:
    """The experience a shopper expects from the touchpoints after the choice, ``(n, S, 3)``.

    Each term is the term of :func:`cxsim.rules.experience.experience_quality`
    with the believed (certainty-equivalent) attribute ``ce`` ``(n, S, K)`` in
    place of the true one and the event's probability in place of the event:
    the store environment on a walk-in; the expected days late of a delivery
    (``(1 - reliability) x 2``); the hassle of a return times its probability
    ``return_probability`` ``(3,)``; after-sales care times the chance of
    needing it; channel inconsistency where the alternative uses two of an
    omnichannel store's channels (``two_channels`` ``(n, S, 3)``, ``omni`` ``(S,)`` or ``(n, S)``).
    A shopper who expects a better journey chooses it (anticipated
    satisfaction; Lemon and Verhoef 2016, J. Marketing 80:69).
    """
    n, S, _ = ce.shape
    out = np.zeros((n, S, 3))
    walk_in, delivery = out[:, :, 0], out[:, :, 1]  # views
    walk_in += atmosphere_weight * (ce[:, :, ATMOSPHERE] - 0.5)
    delivery -= late_weight * MEAN_LATE_DAYS * (1.0 - ce[:, :, RELIABILITY])
    out -= return_weight * return_probability[None, None, :] * (1.0 - return_ease(ce))
    out += (after_sales_need * after_sales_weight * (ce[:, :, AFTER_SALES] - 0.5))[:, :, None]
    inconsistency = (1.0 - ce[:, :, CONSISTENCY, None]) * (two_channels & omni[..., None])
    out -= inconsistency_weight * inconsistency
    return out
