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
from cxsim.rules.coefficients import Coefficients, NonNeg

NONE, ONLINE, VISIT = 0, 1, 2
CHANNELS = ("none", "online", "visit")


class ResearchCoefficients(Coefficients):
    """Coefficients of the research-channel choice (``behaviour.research``)."""

    none: float = 0.6
    """Utility of buying without research (out of habit)."""
    habit: float = 2.0
    """Extra utility of no research per unit of the shopper's highest loyalty."""
    online: float = -1.3
    """Utility of researching online."""
    online_savvy: float = 3.0
    """Extra utility of online research per unit of digital savviness above 0.5."""
    visit: float = -0.25
    """Utility of visiting a store to inspect the product (calibrated, 0.4.0: showrooming P2;
    -0.45 until 0.3.0)."""
    visit_touch: float = 1.5
    """Extra utility of a visit per unit of the category's touch and feel."""
    visit_recreational: float = 0.8
    """Extra utility of a visit for a recreational shopper."""
    visit_km: NonNeg = 0.25
    """Utility lost per km to the store visited."""


def research_utilities(
    *,
    max_loyalty: np.ndarray,
    savvy: np.ndarray,
    recreational: np.ndarray,
    habit: np.ndarray,
    nearest_store_km: np.ndarray,
    touch_feel: float,
    visit_allowed: bool | np.ndarray,
    c: ResearchCoefficients,
) -> np.ndarray:
    """Utilities of the three research channels, ``(n, 3)``.

    Strong loyalty makes research unnecessary (habitual purchase); digital
    savviness and a digital habit favour online research; touch-and-feel
    categories, recreational motives and a nearby store favour a visit. A
    visit is impossible when walk-in is closed (lockdown) or no store is open
    (``visit_allowed``: for everyone, or per shopper).
    """
    n = max_loyalty.shape[0]
    u = np.empty((n, 3), dtype=np.float64)
    u[:, NONE] = c.none + c.habit * max_loyalty
    u[:, ONLINE] = c.online + c.online_savvy * (savvy - 0.5) + habit
    u[:, VISIT] = (
        c.visit
        + c.visit_touch * touch_feel
        + c.visit_recreational * recreational
        - c.visit_km * nearest_store_km
    )
    if isinstance(visit_allowed, np.ndarray):  # one answer per shopper (towns run together)
        u[~(visit_allowed & np.isfinite(nearest_store_km)), VISIT] = -np.inf
    elif not visit_allowed:
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
    c: ResearchCoefficients,
) -> np.ndarray:
    """Utility of visiting each store for research, ``(n, S)``; -inf where impossible.

    Shoppers browse near home, in stores they like and in pleasant ones.
    ``walk_in_ok`` is ``(n, S)`` (open, has a shop floor, not avoided); ``atmosphere``
    is ``(S,)``, or ``(n, S)`` (each shopper's stores).
    """
    u = -c.visit_km * dist_km + 2.0 * loyalty + atmosphere
    return np.where(walk_in_ok, u, -np.inf)
