"""Random-utility choice among (store, fulfilment) alternatives.

Each shopper with a need chooses one alternative, or postpones, by a
multinomial logit (McFadden 1974): utility is a weighted sum of what the
alternative offers plus a Gumbel error, and the shopper takes the best. The
alternatives of store ``s`` are walk-in, home delivery and pick-up in store;
alternative ``s * 3 + f`` is fulfilment ``f`` at store ``s`` and the last
column is "no purchase".
"""

from __future__ import annotations

import numpy as np

from cxsim.rules.coefficients import Coefficients, NonNeg, Unit

WALK_IN, DELIVERY, PICKUP = 0, 1, 2
FULFILMENTS = ("walk_in", "delivery", "pickup")
# shopper weight columns
W_PRICE, W_SERVICE, W_PERSONAL, W_CONVENIENCE, W_REPUTATION, W_LOYALTY = range(6)
WEIGHT_NAMES = ("price", "service", "personalization", "convenience", "reputation", "loyalty")
# how much of a store's human service each fulfilment carries
SERVICE_SHARE = np.array([1.0, 0.4, 0.7])


class ChoiceCoefficients(Coefficients):
    """Utility coefficients of the choice of store and fulfilment (``behaviour.choice``)."""

    price: NonNeg = 10.0
    """Utility lost per unit of price index (10% dearer = -1 for an average shopper)."""
    price_awareness: Unit = 0.5
    """Share of an unresearched alternative's price difference the shopper perceives."""
    service: NonNeg = 2.0
    personalization: NonNeg = 2.0
    convenience: NonNeg = 1.0
    travel_per_km: NonNeg = 0.30
    crowding: NonNeg = 0.8
    delivery_per_day: NonNeg = 0.35
    delivery_hassle: NonNeg = 1.5
    pickup_hassle: NonNeg = 2.0
    loyalty: NonNeg = 2.5
    reputation: NonNeg = 2.0
    unseen_risk: NonNeg = 2.0
    """Utility lost buying a product unseen, at touch_feel = 1."""
    return_ease: NonNeg = 0.5
    """Utility of an easy return policy for products bought unseen."""
    walk_out_effort: NonNeg = 1.0
    """Utility of buying in the store one is standing in, over leaving it."""
    digital_habit: NonNeg = 1.0
    """Utility of ordering online for a shopper with a full digital habit."""
    anticipation: NonNeg = 6.0
    """Utility per unit of experience quality the shopper expects from the touchpoints after
    the choice (store environment, delivery reliability, returns, after-sales care, channel
    consistency; :func:`cxsim.rules.beliefs.anticipated_experience`). 6 makes a unit of
    anticipated experience worth what the service term gives it (service 2.0 per unit of
    service quality, which is worth 0.3 of experience: 2.0 / 0.3 = 6.7), rounded down."""
    no_purchase: float = -4.0
    """Utility of postponing the purchase altogether."""


def gumbel_argmax(rng: np.random.Generator, utilities: np.ndarray) -> np.ndarray:
    """Draw one alternative per row with logit probabilities.

    The index of the maximum of utility plus i.i.d. standard Gumbel noise is
    distributed as the multinomial logit ``exp(u_j) / sum_k exp(u_k)``
    (the Gumbel-max trick); ``-inf`` marks an unavailable alternative.
    """
    noise = rng.gumbel(size=utilities.shape)
    return np.argmax(utilities + noise, axis=-1)


def logit_probabilities(utilities: np.ndarray) -> np.ndarray:
    """Closed-form logit choice probabilities per row (for analysis and tests)."""
    m = np.max(utilities, axis=-1, keepdims=True)
    e = np.exp(utilities - m)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def perceived_price(price: np.ndarray, observed: np.ndarray, awareness: float) -> np.ndarray:
    """Price as the shopper perceives it.

    A price the shopper has seen (by online research, or on the shelf of the
    store it stands in) is known; others are only partly known, shrunk toward
    the reference price 1.0 (limited price knowledge: Dickson and Sawyer 1990,
    J. Marketing 54:42).
    """
    return np.where(observed, price, 1.0 + awareness * (price - 1.0))


def alternative_utilities(
    *,
    weights: np.ndarray,
    price_seen: np.ndarray,
    service: np.ndarray,
    personalization: np.ndarray,
    loyalty: np.ndarray,
    reputation: np.ndarray,
    dist_km: np.ndarray,
    crowding: np.ndarray,
    task_oriented: np.ndarray,
    delivery_days: np.ndarray,
    inspected: np.ndarray,
    return_ease: np.ndarray,
    visited: np.ndarray,
    habit: np.ndarray,
    available: np.ndarray,
    touch_feel: float,
    urgency: float,
    c: ChoiceCoefficients,
    price_sensitivity: float = 1.0,
    anticipated: np.ndarray | None = None,
) -> np.ndarray:
    """Utility of every (store, fulfilment) alternative and of not buying.

    Shapes: ``n`` shoppers, ``S`` stores. ``weights`` is ``(n, 6)``;
    ``price_seen``, ``inspected``, ``available`` are ``(n, S, 3)``;
    ``personalization`` (capability x familiarity), ``loyalty``,
    ``reputation``, ``dist_km``, ``visited`` and ``service`` (as the shopper
    expects it, or met it in the store it visited) are ``(n, S)``;
    ``crowding`` is ``(S,)``; ``delivery_days`` (the wait expected) is ``(S,)`` or
    ``(n, S)``; ``return_ease`` is ``(S, 3)`` or ``(n, S, 3)``; ``habit`` and
    ``task_oriented`` are ``(n,)``; ``anticipated`` (optional, ``(n, S, 3)``) is the
    experience expected from the touchpoints after the choice, worth
    ``c.anticipation`` per unit. The model passes beliefs (certainty equivalents)
    for service, personalization capability, reputation, return ease and the
    anticipated experience, never the stores' true attributes.

    Utility = - price + service + personalization - travel / crowding /
    delivery wait and hassle + loyalty + reputation - risk of buying unseen
    (eased by a lenient return policy) + effort of walking out of the store
    one stands in + digital habit for online orders. ``price_sensitivity``
    scales the price coefficient (a recession makes shoppers watch prices).
    Returns ``(n, S*3 + 1)``, ``-inf`` where unavailable.
    """
    n, S = loyalty.shape
    w = weights
    u = np.empty((n, S, 3), dtype=np.float64)
    price = c.price * price_sensitivity
    u[:] = -price * w[:, W_PRICE, None, None] * (price_seen - 1.0)
    u += c.service * w[:, W_SERVICE, None, None] * (service[:, :, None] * SERVICE_SHARE)
    u += (c.personalization * w[:, W_PERSONAL, None] * personalization)[:, :, None]
    u += (
        c.loyalty * w[:, W_LOYALTY, None] * loyalty
        + c.reputation * w[:, W_REPUTATION, None] * (reputation - 0.5)
    )[:, :, None]
    conv = c.convenience * w[:, W_CONVENIENCE, None]
    crowd_cost = c.crowding * crowding[None, :] * (0.5 + task_oriented[:, None])
    u[:, :, WALK_IN] -= conv * (c.travel_per_km * dist_km + crowd_cost)
    wait = c.delivery_per_day * (0.5 + urgency) * delivery_days.reshape(-1, S) + c.delivery_hassle
    u[:, :, DELIVERY] -= conv * wait
    u[:, :, PICKUP] -= conv * (0.6 * c.travel_per_km * dist_km + c.pickup_hassle)
    unseen = c.unseen_risk * touch_feel - c.return_ease * return_ease
    u -= np.where(inspected, 0.0, unseen)
    u[:, :, WALK_IN] += c.walk_out_effort * visited
    u[:, :, PICKUP] += 0.5 * c.walk_out_effort * visited
    u[:, :, DELIVERY] += c.digital_habit * habit[:, None]
    u[:, :, PICKUP] += 0.5 * c.digital_habit * habit[:, None]
    if anticipated is not None:
        u += c.anticipation * anticipated
    u = np.where(available, u, -np.inf)
    out = np.empty((n, S * 3 + 1), dtype=np.float64)
    out[:, :-1] = u.reshape(n, S * 3)
    out[:, -1] = c.no_purchase
    return out


def decode(choice: np.ndarray, n_stores: int) -> tuple[np.ndarray, np.ndarray]:
    """Split chosen alternative indices into (store, fulfilment); -1, -1 for no purchase."""
    none = choice == n_stores * 3
    store = np.where(none, -1, choice // 3)
    fulfil = np.where(none, -1, choice % 3)
    return store.astype(np.int32), fulfil.astype(np.int8)
