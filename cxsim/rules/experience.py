"""Experience quality and satisfaction (expectation-disconfirmation)."""

from __future__ import annotations

import numpy as np

from cxsim.rules.arrays import clip_in_place
from cxsim.rules.coefficients import Coefficients, NonNeg, Pos, Unit


class ExperienceCoefficients(Coefficients):
    """Weights of the experience's touchpoints and the satisfaction model (``behaviour.experience``)."""

    base: float = 0.85
    """Experience quality of an unremarkable purchase."""
    service: NonNeg = 0.30
    personalization: NonNeg = 0.20
    atmosphere: NonNeg = 0.10
    crowding: NonNeg = 0.15
    crowding_optimum: Pos = 0.6
    """Crowding (walk-ins per capacity) that recreational shoppers enjoy most."""
    value: NonNeg = 0.5
    late_per_day: NonNeg = 0.06
    misfit: NonNeg = 0.15
    return_hassle: NonNeg = 0.12
    after_sales: NonNeg = 0.35
    inconsistency: NonNeg = 0.25
    service_noise: NonNeg = 0.25
    """Spread of the realized service around its quality, at zero consistency."""
    mood_noise: NonNeg = 0.08
    disconfirmation: NonNeg = 0.8
    """Weight of disconfirmation (experience minus expectation) in satisfaction."""
    expectation_rate: Unit = 0.25
    """How far one experience still moves the belief about a store the shopper knows well
    (the floor of the Bayesian gain, :func:`cxsim.rules.beliefs.variance_floor`)."""


def realized_service(
    rng: np.random.Generator, quality: np.ndarray, consistency: np.ndarray, noise: float
) -> np.ndarray:
    """The service a shopper actually meets: quality plus noise, noisier where consistency is low.

    Service is produced in the encounter and varies between encounters
    (heterogeneity in SERVQUAL, Parasuraman, Zeithaml and Berry 1988).
    """
    spread = noise * (1.0 - consistency)
    met = quality + spread * rng.standard_normal(quality.shape[0])
    return clip_in_place(met, 0.0, 1.0)


def crowding(walk_in_store: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Crowding of each store today: walk-in purchases per unit of capacity, ``(S,)``.

    ``walk_in_store`` holds the store of each walk-in purchase of the day;
    ``capacity`` is each store's walk-ins a day before it feels crowded (the
    density of shoppers that the crowding literature relates to the
    experience; Eroglu and Machleit 1990, J. Retailing 66:201).
    """
    out: np.ndarray = np.bincount(walk_in_store, minlength=capacity.shape[0]) / capacity
    return out


def crowding_effect(crowding: np.ndarray, recreational: np.ndarray, optimum: float) -> np.ndarray:
    """How crowding feels: recreational shoppers like some bustle, task-oriented ones none.

    Inverted U for recreational shoppers, peaking at ``optimum``; a plain
    nuisance for task-oriented ones (Eroglu and Machleit 1990, J. Retailing
    66:201; Machleit, Eroglu and Mantel 2000, J. Consumer Psych. 9:29).
    """
    rec = 1.0 - ((crowding - optimum) / optimum) ** 2
    rec = clip_in_place(rec, -1.5, 1.0) * 0.5
    task = -np.minimum(crowding, 3.0)
    return np.where(recreational, rec, task)


def experience_quality(
    *,
    service: np.ndarray,
    service_share: np.ndarray,
    personalization: np.ndarray,
    atmosphere: np.ndarray,
    crowd_feel: np.ndarray,
    in_store: np.ndarray,
    paid_price: np.ndarray,
    late_days: np.ndarray,
    misfit: np.ndarray,
    returned: np.ndarray,
    ease: np.ndarray,
    after_sales_needed: np.ndarray,
    after_sales: np.ndarray,
    inconsistency: np.ndarray,
    mood: np.ndarray,
    economy: float,
    c: ExperienceCoefficients,
) -> np.ndarray:
    """Quality of the whole experience of one purchase, on 0..1.

    The sum of the touchpoints of the customer journey (Lemon and Verhoef
    2016, J. Marketing 80:69): service met (weighted by how much human
    service the fulfilment carries), personalization, atmosphere and crowding
    in the store, value for money, delivery delay, fit, the hassle of a
    return (eased by an easy policy), after-sales care when needed, channel
    inconsistency felt by those who used two channels, mood, and the economy.
    """
    e = (
        c.base
        + c.service * service_share * (service - 0.5)
        + c.personalization * personalization
        + in_store * (c.atmosphere * (atmosphere - 0.5) + c.crowding * crowd_feel)
        + c.value * (1.0 - paid_price)
        - c.late_per_day * late_days
        - c.misfit * misfit
        - c.return_hassle * returned * (1.0 - ease)
        + after_sales_needed * c.after_sales * (after_sales - 0.5)
        - c.inconsistency * inconsistency
        + mood
        + 0.1 * (economy - 1.0)
    )
    return clip_in_place(e, 0.0, 1.0)


def disconfirmation(experience: np.ndarray, expectation: np.ndarray) -> np.ndarray:
    """Experience minus expectation: the core of Oliver's (1980, JMR 17:460) model."""
    out: np.ndarray = experience - expectation
    return out


def satisfaction(experience: np.ndarray, disc: np.ndarray, weight: float) -> np.ndarray:
    """Satisfaction on 0..1: the level of the experience plus weighted disconfirmation.

    Oliver (1980) models satisfaction as an additive function of the
    expectation level and disconfirmation; here the experience itself stands
    for the level.
    """
    sat = experience + weight * disc
    return clip_in_place(sat, 0.0, 1.0)


def adapt_expectation(expectation: np.ndarray, experience: np.ndarray, rate: float) -> np.ndarray:
    """Expectations move toward what was experienced (adaptation level, Helson 1964).

    Constant-gain learning: the model's Bayesian beliefs (:mod:`cxsim.rules.beliefs`)
    behave like this with ``rate`` = ``expectation_rate`` once a store is well known;
    the benchmark's reference core (``benchmarks/mesa_core.py``) uses it directly.
    """
    out: np.ndarray = expectation + rate * (experience - expectation)
    return out
