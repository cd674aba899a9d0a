"""Fulfilment and use: late deliveries, product fit, returns and after-sales care."""

from __future__ import annotations

import numpy as np

from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.coefficients import Coefficients, Unit


class FulfilmentCoefficients(Coefficients):
    """Coefficients of fulfilment and use (``behaviour.fulfilment``)."""

    impulse_return: Unit = 0.10
    """Extra return probability of a purchase pulled forward by a promotion and bought
    at the promoting store (an impulse buy; not at stores the shopper went to instead)."""


def return_ease(leniency: np.ndarray, cross_channel: np.ndarray, has_store: np.ndarray) -> np.ndarray:
    """How easy it is to return a purchase, ``(S, 3)`` by fulfilment, 0..1.

    In-store purchases go back over the counter; delivered ones go back by
    post, unless the retailer accepts cross-channel returns at a store
    (Bell, Gallino and Moreno 2014, MIT Sloan Mgmt Review 56:45).
    """
    ease = np.empty((leniency.shape[0], 3))
    ease[:, WALK_IN] = leniency
    ease[:, PICKUP] = leniency
    by_post = 0.7 * leniency
    ease[:, DELIVERY] = np.where(cross_channel & has_store, np.maximum(by_post, leniency), by_post)
    return ease


def lateness_days(rng: np.random.Generator, reliability: np.ndarray, extra_days: float) -> np.ndarray:
    """Days a delivery arrives late (0 when on time).

    A delivery misses its promised date with probability ``1 - reliability``
    and is then late by a geometric(0.5) number of days (1, 2, ...; mean 2); a disruption adds
    ``extra_days`` to every delivery.
    """
    late = rng.random(reliability.shape[0]) >= reliability
    days = np.where(late, rng.geometric(0.5, size=reliability.shape[0]), 0).astype(np.float64)
    return days + extra_days


def misfit(
    rng: np.random.Generator,
    inspected: np.ndarray,
    touch_feel: float,
    misfit_seen: float,
    misfit_unseen: float,
) -> np.ndarray:
    """Whether the product turns out not to fit the shopper's needs.

    A product inspected before purchase rarely disappoints; one bought unseen
    misfits in proportion to how much the category relies on touch and feel
    (the "non-digital attributes" of Lal and Sarvary 1999, Marketing Sci. 18:485).
    """
    p = np.where(inspected, misfit_seen, misfit_seen + touch_feel * misfit_unseen)
    return rng.random(inspected.shape[0]) < p


def returned(
    rng: np.random.Generator,
    misfit_mask: np.ndarray,
    base_rate: float,
    misfit_return: float,
    ease: np.ndarray,
    impulse: np.ndarray,
    impulse_return: float,
) -> np.ndarray:
    """Whether the purchase comes back.

    Fitting products come back at the category's base rate, misfits much more
    often; an easy return policy raises both (lenient policies increase
    returns: Janakiraman, Syrdal and Freling 2016, J. Retailing 92:226);
    impulse purchases pulled forward by a promotion come back more often.
    """
    scale = 0.6 + 0.8 * ease
    p = base_rate * scale + misfit_mask * misfit_return * scale + impulse * impulse_return
    return rng.random(misfit_mask.shape[0]) < np.clip(p, 0.0, 1.0)


def needs_after_sales(rng: np.random.Generator, n: int, probability: float) -> np.ndarray:
    """Whether each purchase needs after-sales care (installation, repair, advice)."""
    return rng.random(n) < probability
