"""Fulfilment and use: late deliveries, product fit, returns and after-sales care."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from cxsim.rules.arrays import clip_in_place
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.coefficients import Coefficients, Unit


class FulfilmentCoefficients(Coefficients):
    """Coefficients of fulfilment and use (``behaviour.fulfilment``)."""

    impulse_return: Unit = 0.10
    """Extra return probability of a purchase pulled forward by a promotion and bought
    at the promoting store (an impulse buy; not at stores the shopper went to instead)."""
    rebuy_days: Annotated[float, Field(ge=1.0, le=365.0)] = 7.0
    """Mean days from a purchase that comes back to the shopper's next try (the return
    made and the need still open; geometric, at least one day). An assumption: return
    windows run 14 to 30 days and most returns come early."""


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


def lateness_days(rng: np.random.Generator, reliability: np.ndarray) -> np.ndarray:
    """Days a delivery arrives late against its promised date (0 when on time).

    A delivery misses its promised date with probability ``1 - reliability``
    and is then late by a geometric(0.5) number of days (1, 2, ...; mean 2). The
    extra days a delivery disruption announces are part of the promise (the
    wait the shopper chose), not lateness: only the drop in reliability makes
    deliveries late.
    """
    late = rng.random(reliability.shape[0]) >= reliability
    out: np.ndarray = np.where(late, rng.geometric(0.5, size=reliability.shape[0]), 0.0)  # float64
    return out


def dispatch_queue(
    backlog: np.ndarray, store: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Days each of today's delivery orders waits to be dispatched, and each store's backlog after today.

    Each store dispatches at most ``capacity`` orders a day (``(S,)``, ``inf``:
    unlimited), first come first served: the orders already waiting
    (``backlog``, ``(S,)``) go first, then today's in the order given
    (``store``: the store of each order). The ``k``-th of today's orders at a
    store (from 0) waits ``floor((backlog + k) / capacity)`` days, the backlog
    over the dispatch rate (Little 1961, Operations Research 9:383); the
    backlog left is ``max(backlog + orders - capacity, 0)``. The wait comes on
    top of the promised delivery time: it is lateness, which shoppers feel and
    learn as unreliability (fulfilment failures lower later purchasing: Rao,
    Griffis and Goldsby 2011, J. Operations Management 29:692).
    """
    S = backlog.shape[0]
    orders = np.bincount(store, minlength=S)
    order = np.argsort(store, kind="stable")
    first = np.concatenate(([0], np.cumsum(orders)[:-1]))
    rank = np.empty(store.shape[0], dtype=np.float64)
    rank[order] = np.arange(store.shape[0]) - first[store[order]]
    wait = np.floor((backlog[store] + rank) / capacity[store])
    return wait, np.maximum(backlog + orders - capacity, 0.0)


def rebuy_day(rng: np.random.Generator, day: int, n: int, c: FulfilmentCoefficients) -> np.ndarray:
    """Day on which a shopper whose purchase comes back needs the product again.

    A return leaves the need unmet: the shopper shops again (perhaps
    elsewhere, perhaps not in town at all) after the return, a geometric
    number of days with mean ``rebuy_days`` (at least one).
    """
    out: np.ndarray = (day + rng.geometric(1.0 / c.rebuy_days, size=n)).astype(np.int32)
    return out


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
    return rng.random(misfit_mask.shape[0]) < clip_in_place(p, 0.0, 1.0)


def needs_after_sales(rng: np.random.Generator, n: int, probability: float) -> np.ndarray:
    """Whether each purchase needs after-sales care (installation, repair, advice)."""
    return rng.random(n) < probability
