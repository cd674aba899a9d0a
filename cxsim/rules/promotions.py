"""Promotions that belong to a store: which shoppers a deal reaches and pulls forward.

A promotion does not create needs; it makes shoppers who would need the
category soon consider buying *now*, and *at the promoting store*. Consumers
accelerate purchases in response to a deal, and more so the deeper the deal
(Neslin, Henderson and Quelch 1985, Marketing Science 4(2):147); they hold the
stock they bought early until they would have needed it (Blattberg, Eppen and
Lieberman 1981, J. Marketing 45(1):116), so the weeks after the promotion see
fewer needs: part of a promotion's bump is borrowed from the future (Van
Heerde, Leeflang and Wittink 2000, J. Marketing Research 37:383). Deal-prone
shoppers (a high weight on price) respond most (Bawa and Shoemaker 1987,
J. Marketing 51(4):99).

This module decides only who is *reached* (notices the deal and considers
buying now). Whether a reached shopper buys now at the promoting store or waits
for its need's original day is the choice's (:mod:`cxsim.rules.choice`): the
deal's depth enters there through the price.
"""

from __future__ import annotations

import numpy as np

from cxsim.rules.coefficients import Coefficients, Pos


class PromotionCoefficients(Coefficients):
    """Coefficients of the shoppers' response to promotions (``behaviour.promotions``)."""

    depth: Pos = 0.20
    """Discount at which a deal reaches an average shopper (price weight 1) with
    1 − 1/e ≈ 63% of the promotion's reach scale; a deal twice as deep reaches 86%.
    Stylised: 20% off is a common 'deep' deal in grocery and durables promotions
    (Neslin et al. 1985 find acceleration rising over deals of 10-40% off)."""


def reach_probability(
    discount: float, response: float, price_weight: np.ndarray, c: PromotionCoefficients
) -> np.ndarray:
    r"""Daily probability that a promotion reaches each shopper with a need due soon.

    .. math:: p_i = r\,\bigl(1 - \exp(-\omega_{i,\text{price}}\,\delta / \delta_0)\bigr)

    with ``r`` the promotion's reach scale (``response``), ``δ`` its discount and
    ``δ₀`` the ``depth`` coefficient. ``p`` is 0 without a discount, grows with
    the depth of the discount (Neslin, Henderson and Quelch 1985) and with the
    shopper's deal-proneness, its weight on price (Bawa and Shoemaker 1987), and
    never exceeds ``r``.
    """
    w = np.maximum(np.asarray(price_weight, dtype=float), 0.0)
    out: np.ndarray = response * -np.expm1(-w * (max(discount, 0.0) / c.depth))
    return out


def reached(
    rng: np.random.Generator,
    next_need_day: np.ndarray,
    day: int,
    window_days: int,
    discount: float,
    response: float,
    price_weight: np.ndarray,
    c: PromotionCoefficients,
) -> np.ndarray:
    """Shoppers a promotion reaches today; returns their indices (ascending).

    Only a shopper whose next need falls after today and within
    ``window_days`` can be reached (a need due today or overdue is shopping
    anyway, and sees the deal in the choice's prices); each is reached with
    :func:`reach_probability`. The caller moves the reached shoppers' needs to
    today at the promoting store, remembering the day they were due
    (a shopper who then waits keeps its need on that day).
    """
    soon = np.flatnonzero((next_need_day > day) & (next_need_day <= day + window_days))
    if soon.size == 0 or discount <= 0.0 or response <= 0.0:
        return soon[:0]
    prob = reach_probability(discount, response, price_weight[soon], c)
    return soon[rng.random(soon.size) < prob]


def held_days(due_on: np.ndarray, day: int) -> np.ndarray:
    """Days a purchase made early is held before it is needed (0 for a purchase made when due).

    What a shopper bought early because of a deal it holds until its need's
    original day (Blattberg, Eppen and Lieberman 1981, J. Marketing 45(1):116,
    on households' inventories): its next need is counted from that day, not
    from the purchase, so buying early moves a purchase in time without adding
    one (the post-promotion dip; Van Heerde, Leeflang and Wittink 2000).
    """
    out: np.ndarray = np.maximum(np.asarray(due_on, dtype=np.int64) - day, 0)
    return out
