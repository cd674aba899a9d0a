"""Random-utility choice among (store, fulfilment) alternatives and the outside option.

Each shopper with a need chooses one alternative by a nested logit
(McFadden 1978; Train 2009, ch. 4; nests by store format, González-Benito
2005; sampling in :mod:`cxsim.rules.nesting`): utility is a weighted sum of
what the alternative offers, with price, travel, waiting and hassle in money
(a value of time turns minutes into money), plus a random error. The
alternatives of store ``s`` are walk-in, home delivery and pick-up in store;
alternative ``s * 3 + f`` is fulfilment ``f`` at store ``s`` and the last
column is the outside option: not buying in town now (an out-of-town seller,
or doing without for now).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field

from cxsim.rules.coefficients import Coefficients, NonNeg, Unit

WALK_IN, DELIVERY, PICKUP = 0, 1, 2
FULFILMENTS = ("walk_in", "delivery", "pickup")
# shopper weight columns
W_PRICE, W_SERVICE, W_PERSONAL, W_CONVENIENCE, W_REPUTATION, W_LOYALTY = range(6)
WEIGHT_NAMES = ("price", "service", "personalization", "convenience", "reputation", "loyalty")
# how much of a store's human service each fulfilment carries
SERVICE_SHARE = np.array([1.0, 0.4, 0.7])


Dissimilarity = Annotated[float, Field(gt=0.0, le=1.0)]
"""A nest's dissimilarity coefficient lambda, in (0, 1]; 1 is plain logit (Train 2009, ch. 4)."""

MINUTES_PER_HOUR = 60.0


class ChoiceCoefficients(Coefficients):
    """Utility coefficients of the choice of store and fulfilment (``behaviour.choice``).

    Money terms are in currency units (the ticket's), time terms in minutes turned into money
    by :attr:`value_of_time`; both enter utility through :attr:`money`. At the default ticket
    (80) the defaults give about the utilities of the index-based coefficients of 0.2.x
    (``price`` 10 per index unit = 0.125 x 80).
    """

    removed_keys: ClassVar[dict[str, str]] = {
        "price": "since 0.3.0 price enters in money: behaviour.choice.money (utility per currency "
        "unit, 0.125 = the old 10 per index unit at ticket 80) x category.ticket x (index - 1)",
        "travel_per_km": "since 0.3.0 travel is time in money: behaviour.choice.minutes_per_km "
        "x behaviour.choice.value_of_time",
        "crowding": "since 0.3.0 crowding is time in money: behaviour.choice.crowding_minutes",
        "delivery_per_day": "since 0.3.0 waiting is money: behaviour.choice.wait_per_day "
        "(currency units per day)",
        "delivery_hassle": "since 0.3.0 hassle is time in money: behaviour.choice.delivery_minutes",
        "pickup_hassle": "since 0.3.0 hassle is time in money: behaviour.choice.pickup_minutes",
        "no_purchase": "since 0.3.0 not buying is the outside option: behaviour.choice.outside "
        "(plus outside_budget in a recession; lapse for needs that go away)",
    }

    money: NonNeg = 0.06
    """Utility per currency unit (the marginal utility of money); x category.ticket x (price
    index - 1) for the price, x value of time for time costs. Calibrated (0.4.0) to the
    moderate price elasticity of P7 (Bijmolt, van Heerde and Pieters 2005); 0.125 until 0.3.0."""
    price_awareness: Unit = 0.5
    """Share of an unresearched alternative's price difference the shopper perceives."""
    value_of_time: NonNeg = 15.0
    """Currency units per hour of the shopper's time (about half the gross wage: Small 2012;
    US DOT 2016)."""
    service: NonNeg = 2.0
    personalization: NonNeg = 2.0
    convenience: NonNeg = 1.0
    """Multiplier of every time cost (with the shopper's convenience weight)."""
    minutes_per_km: NonNeg = 8.0
    """Minutes of the trip per km from home to the store (there and back, 15 km/h door to door)."""
    crowding_minutes: NonNeg = 25.0
    """Minutes lost per unit of crowding (walk-ins per capacity) for a recreational shopper
    (x 0.5; a task-oriented one x 1.5)."""
    wait_per_day: NonNeg = 2.8
    """Currency units per day of waiting for a delivery, x (0.5 + urgency); not scaled by the
    ticket (the cost of the need unmet, not of the money tied up)."""
    delivery_minutes: NonNeg = 30.0
    """Hassle of a home delivery, in minutes (being in, the parcel, the packaging); calibrated
    (0.4.0, online share P1); 48 until 0.3.0."""
    pickup_minutes: NonNeg = 64.0
    """Hassle of a pick-up in store beyond the trip, in minutes (the counter, the queue)."""
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
    outside: float = -1.5
    """Utility of the outside option: not buying in town now (an out-of-town seller, or doing
    without for now)."""
    outside_budget: NonNeg = 5.0
    """Utility the outside option gains per unit of budget tightness (a recession's severity):
    tight budgets defer durable purchases (Deleersnyder et al. 2004; Dutt and Padmanabhan 2011)."""
    lapse: Unit = 0.5
    """Probability that a shopper who takes the outside option loses the need (bought out of
    town or did without); otherwise it reconsiders after :data:`cxsim.rules.needs.POSTPONE_DAYS`."""
    holding_per_day: NonNeg = 0.005
    """Share of the ticket a shopper reached by a promotion saves per day it does not buy early
    (holding cost: Blattberg, Eppen and Lieberman 1981); added, in money, to its option to wait."""
    nest_physical: Dissimilarity = 0.5
    """Dissimilarity of the nest of physical stores' alternatives (1 = plain logit)."""
    nest_online: Dissimilarity = 0.2
    """Dissimilarity of the nest of online stores' alternatives (1 = plain logit)."""
    nest_omnichannel: Dissimilarity = 0.7
    """Dissimilarity of the nest of omnichannel stores' alternatives (1 = plain logit); calibrated
    (0.4.0, online share P1: a retailer's own channels are less alike than two shops); 0.5 until 0.3.0."""

    def nest_lambdas(self) -> np.ndarray:
        """The dissimilarities of the nests (physical, online, omnichannel, outside = 1)."""
        return np.array([self.nest_physical, self.nest_online, self.nest_omnichannel, 1.0])


NESTS = ("physical", "online", "omnichannel", "outside")
"""The nests of the choice: the store formats (``Store.kind``) and the outside option alone."""
OUTSIDE_NEST = 3


def alternative_nests(kind: np.ndarray) -> np.ndarray:
    """Nest of every column, ``(3S + 1,)``: a store's alternatives in its format's nest.

    ``kind`` is each store's format as an index of :data:`NESTS` (0 physical, 1 online,
    2 omnichannel); the outside option is alone in nest 3.
    """
    out: np.ndarray = np.append(np.repeat(np.asarray(kind, dtype=np.int64), 3), OUTSIDE_NEST)
    return out


def gumbel_argmax(rng: np.random.Generator, utilities: np.ndarray) -> np.ndarray:
    """Draw one alternative per row with logit probabilities.

    The index of the maximum of utility plus i.i.d. standard Gumbel noise is
    distributed as the multinomial logit ``exp(u_j) / sum_k exp(u_k)``
    (the Gumbel-max trick); ``-inf`` marks an unavailable alternative.
    """
    noise = rng.gumbel(size=utilities.shape)
    noise += utilities
    out: np.ndarray = noise.argmax(axis=-1)
    return out


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


def outside_utility(
    c: ChoiceCoefficients,
    n: int,
    *,
    budget: float = 0.0,
    ticket: float = 80.0,
    early_days: np.ndarray | None = None,
) -> np.ndarray:
    """Utility of the outside option, ``(n,)``: not buying in town now.

    A constant (out-of-town sellers, doing without) raised by tight budgets:
    in a recession households defer durable purchases (Deleersnyder, Dekimpe,
    Sarvary and Parker 2004, Quant. Marketing and Economics 2:347; Dutt and
    Padmanabhan 2011, Marketing Science 30:491), ``outside_budget`` per unit of
    ``budget`` (the recession's severity). For a shopper reached by a promotion
    (``early_days`` > 0: days its need was pulled forward) waiting also saves
    the cost of holding the product early (Blattberg, Eppen and Lieberman 1981,
    J. Marketing 45(1):116): ``money x holding_per_day x ticket`` per day.
    """
    out = np.full(n, c.outside + c.outside_budget * budget, dtype=np.float64)
    if early_days is not None:
        out += c.money * c.holding_per_day * ticket * np.maximum(early_days, 0)
    return out


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
    ticket: float = 80.0,
    price_sensitivity: float = 1.0,
    anticipated: np.ndarray | None = None,
    outside: np.ndarray | None = None,
) -> np.ndarray:
    """Utility of every (store, fulfilment) alternative and of the outside option.

    Shapes: ``n`` shoppers, ``S`` stores. ``weights`` is ``(n, 6)``;
    ``price_seen``, ``inspected``, ``available`` are ``(n, S, 3)``;
    ``personalization`` (capability x familiarity), ``loyalty``,
    ``reputation``, ``dist_km``, ``visited`` and ``service`` (as the shopper
    expects it, or met it in the store it visited) are ``(n, S)``;
    ``crowding`` is ``(S,)`` (or ``(n, S)``: each shopper's stores); ``delivery_days``
    (the wait expected) is ``(S,)`` or ``(n, S)``; ``return_ease`` is ``(S, 3)`` or
    ``(n, S, 3)``; ``habit`` and
    ``task_oriented`` are ``(n,)``; ``anticipated`` (optional, ``(n, S, 3)``) is the
    experience expected from the touchpoints after the choice, worth
    ``c.anticipation`` per unit; ``outside`` (optional, ``(n,)``) the utility of
    the outside option (default :func:`outside_utility` in normal times). The
    model passes beliefs (certainty equivalents) for service, personalization
    capability, reputation, return ease and the anticipated experience, never
    the stores' true attributes.

    Utility = - price + service + personalization - travel / crowding /
    delivery wait and hassle + loyalty + reputation - risk of buying unseen
    (eased by a lenient return policy) + effort of walking out of the store
    one stands in + digital habit for online orders. Price is money:
    ``money x ticket x (index - 1)``; travel, crowding and hassle are minutes
    valued at ``value_of_time`` (Small 2012, Economics of Transportation 1:2;
    US DOT 2016: about half the wage), waiting is ``wait_per_day`` currency
    units a day; every time cost is multiplied by ``money`` and the shopper's
    convenience weight. ``price_sensitivity`` scales the money coefficient of
    the price paid (a recession makes shoppers watch prices; time keeps its
    utility, so the value of time in money falls). Returns ``(n, S*3 + 1)``,
    ``-inf`` where unavailable.
    """
    n, S = loyalty.shape
    w = weights
    u = np.empty((n, S, 3), dtype=np.float64)
    price = c.money * price_sensitivity * ticket
    u[:] = -price * w[:, W_PRICE, None, None] * (price_seen - 1.0)
    u += c.service * w[:, W_SERVICE, None, None] * (service[:, :, None] * SERVICE_SHARE)
    u += (c.personalization * w[:, W_PERSONAL, None] * personalization)[:, :, None]
    u += (
        c.loyalty * w[:, W_LOYALTY, None] * loyalty
        + c.reputation * w[:, W_REPUTATION, None] * (reputation - 0.5)
    )[:, :, None]
    conv = (c.money * c.convenience) * w[:, W_CONVENIENCE, None]
    per_minute = c.value_of_time / MINUTES_PER_HOUR
    crowd_minutes = c.crowding_minutes * crowding * (0.5 + task_oriented[:, None])
    trip = c.minutes_per_km * dist_km
    u[:, :, WALK_IN] -= conv * (per_minute * (trip + crowd_minutes))
    wait = c.wait_per_day * (0.5 + urgency) * delivery_days.reshape(-1, S) + per_minute * c.delivery_minutes
    u[:, :, DELIVERY] -= conv * wait
    u[:, :, PICKUP] -= conv * (per_minute * (0.6 * trip + c.pickup_minutes))
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
    out[:, -1] = outside_utility(c, n, ticket=ticket) if outside is None else outside
    return out


def decode(choice: np.ndarray, n_stores: int) -> tuple[np.ndarray, np.ndarray]:
    """Split chosen alternative indices into (store, fulfilment); -1, -1 for the outside option."""
    store, fulfil = np.divmod(choice, 3)
    none = choice == n_stores * 3
    if none.any():
        store[none] = -1
        fulfil[none] = -1
    return store.astype(np.int32), fulfil.astype(np.int8)
