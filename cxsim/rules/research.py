"""The zero moment of truth: how a shopper with a need gathers information.

Channels: ``NONE`` (buy out of habit), ``ONLINE`` (reviews and price
comparison) and ``VISIT`` (inspect the product in a store). Research shopping
across channels follows Verhoef, Neslin and Vroomen (2007, IJRM 24:129): the
channel chosen for search depends on its perceived benefits for the shopper,
and search and purchase channels are chosen jointly but separately.
"""

from __future__ import annotations

import numpy as np

from cxsim.rules.choice import gumbel_argmax

NONE, ONLINE, VISIT = 0, 1, 2
CHANNELS = ("none", "online", "visit")


def research_utilities(
    *,
    max_loyalty: np.ndarray,
    savvy: np.ndarray,
    recreational: np.ndarray,
    habit: np.ndarray,
    nearest_store_km: np.ndarray,
    touch_feel: float,
    visit_allowed: bool,
    b_none: float,
    b_habit: float,
    b_online: float,
    b_online_savvy: float,
    b_visit: float,
    b_visit_touch: float,
    b_visit_recreational: float,
    b_visit_km: float,
) -> np.ndarray:
    """Utilities of the three research channels, ``(n, 3)``.

    Strong loyalty makes research unnecessary (habitual purchase); digital
    savviness and a digital habit favour online research; touch-and-feel
    categories, recreational motives and a nearby store favour a visit. A
    visit is impossible when walk-in is closed (lockdown) or no store is open.
    """
    n = max_loyalty.shape[0]
    u = np.empty((n, 3), dtype=np.float64)
    u[:, NONE] = b_none + b_habit * max_loyalty
    u[:, ONLINE] = b_online + b_online_savvy * (savvy - 0.5) + habit
    u[:, VISIT] = (
        b_visit
        + b_visit_touch * touch_feel
        + b_visit_recreational * recreational
        - b_visit_km * nearest_store_km
    )
    if not visit_allowed:
        u[:, VISIT] = -np.inf
    else:
        u[~np.isfinite(nearest_store_km), VISIT] = -np.inf
    return u


def choose_channel(rng: np.random.Generator, utilities: np.ndarray) -> np.ndarray:
    """Multinomial-logit draw of a research channel per shopper (int8 codes)."""
    return gumbel_argmax(rng, utilities).astype(np.int8)


def visit_utilities(
    dist_km: np.ndarray,
    loyalty: np.ndarray,
    atmosphere: np.ndarray,
    walk_in_ok: np.ndarray,
    b_km: float,
) -> np.ndarray:
    """Utility of visiting each store for research, ``(n, S)``; -inf where impossible.

    Shoppers browse near home, in stores they like and in pleasant ones.
    ``walk_in_ok`` is ``(n, S)`` (open, has a shop floor, not avoided).
    """
    u = -b_km * dist_km + 2.0 * loyalty + atmosphere[None, :]
    return np.where(walk_in_ok, u, -np.inf)
