"""When shoppers need something: need arrival and postponement (promotions: :mod:`cxsim.rules.promotions`)."""

from __future__ import annotations

import numpy as np

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
    p = np.clip(need_factor / np.maximum(mean_interval, 1.0), 1e-6, 1.0)
    out: np.ndarray = (day + rng.geometric(p)).astype(np.int32)
    return out


def due_today(next_need_day: np.ndarray, day: int) -> np.ndarray:
    """Indices of shoppers whose need arises on or before ``day``."""
    return np.flatnonzero(next_need_day <= day)


def postponed_need_day(day: int) -> int:
    """Day on which a shopper who postponed today's purchase (chose "no purchase") needs again.

    The need does not go away: a shopper who took the "no purchase"
    alternative of the choice (:mod:`cxsim.rules.choice`) reconsiders
    :data:`POSTPONE_DAYS` days later.
    """
    return day + POSTPONE_DAYS
