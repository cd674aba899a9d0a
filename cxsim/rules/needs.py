"""When shoppers need something: need arrival and postponement (promotions: :mod:`cxsim.rules.promotions`)."""

from __future__ import annotations

import numpy as np

from cxsim.rules.arrays import clip_in_place

POSTPONE_DAYS = 7
"""Days after which a shopper who chose not to buy feels the need again."""


def draw_next_need(
    rng: np.random.Generator, day: int, mean_interval: np.ndarray, need_factor: float = 1.0
) -> np.ndarray:
    """Day of each shopper's next need, given the mean interval between needs.

    Needs arrive as a Poisson process per shopper (a standard assumption of
    purchase-incidence models, Ehrenberg 1988): the gap is geometric with mean
    ``mean_interval / need_factor`` days, at least one day. ``need_factor`` < 1
    stretches gaps (a recession postpones purchases).
    """
    p = need_factor / np.maximum(mean_interval, 1.0)
    p = clip_in_place(p, 1e-6, 1.0)
    out: np.ndarray = (day + rng.geometric(p)).astype(np.int32)
    return out


def due_today(next_need_day: np.ndarray, day: int) -> np.ndarray:
    """Indices of shoppers whose need arises on or before ``day``."""
    return np.flatnonzero(next_need_day <= day)


def postponed_need_day(day: int) -> int:
    """Day on which a shopper who postponed today's purchase needs again.

    A shopper who took the outside option of the choice (:mod:`cxsim.rules.choice`)
    and whose need did not lapse (:func:`lapses`) reconsiders
    :data:`POSTPONE_DAYS` days later.
    """
    return day + POSTPONE_DAYS


def lapses(rng: np.random.Generator, n: int, probability: float) -> np.ndarray:
    """Which of ``n`` shoppers who took the outside option lose the need, ``(n,)`` bool.

    Not buying in town is often final: the product was bought from a seller
    outside the model, or the shopper decided to do without (deferral often
    ends in no purchase: Greenleaf and Lehmann 1995, J. Consumer Research
    22:186; Dhar 1997, J. Consumer Research 24:215). With ``probability`` the
    need lapses (the shopper's next need is drawn afresh, as after a
    purchase); otherwise the shopper reconsiders (:func:`postponed_need_day`).
    """
    out: np.ndarray = rng.random(n) < probability
    return out
