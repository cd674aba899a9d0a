"""The day state: what one day's phases hand to each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import events
from cxsim.model.metrics import DayPurchases, empty_purchases
from cxsim.model.stores import StoreArrays

if TYPE_CHECKING:
    from cxsim.model.cxmodel import CXModel
    from cxsim.model.ensemble import Ensemble

    # what the day's phases run on: one town, or towns stacked in an ensemble (the same attributes)
    type DayModel = CXModel | Ensemble

_NO_SHARING = {
    "wom_positive": 0,
    "wom_negative": 0,
    "promoters_talking": 0,
    "detractors_talking": 0,
    "reviews": 0,
    "churn_events": 0,
}


def no_sharing(towns: int) -> list[dict[str, int]]:
    """The day's counts of each town when nobody shopped: all zero."""
    return [dict(_NO_SHARING) for _ in range(towns)]


@dataclass
class DayState:
    """Everything one day's phases hand to each other.

    Shopper arrays (``who``, ``channel``...) have one row per shopper with a
    need today; after :func:`choice` they keep only those who bought.
    """

    day: int
    warm: bool
    """A warm-up day: no calendar, no books, nothing recorded."""
    cond: events.DayConditions = field(default_factory=events.DayConditions)
    st: StoreArrays | None = None
    walk_open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Stores whose shop floor takes walk-ins and visits today, ``(S,)`` (set by the calendar)."""
    pickup_open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Stores that hand over pick-up orders today, ``(S,)`` (set by the calendar)."""
    shopping: bool = False
    """Whether anyone has a need today (otherwise the shopping phases rest)."""
    who: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    town: np.ndarray | None = None
    """Town of each row of ``who`` in a batch of towns (:meth:`~cxsim.model.towns.Towns.of`), or ``None``."""
    impulse: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    """Store whose promotion pulled each shopper's need forward, -1 if none."""
    due_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Day each shopper's need was due before a promotion pulled it forward (today otherwise)."""
    avoided: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    channel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    visited: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    """Store visited for research, -1 if none."""
    visits: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Research visits each store received today, ``(S,)`` (buyers or not)."""
    encounter: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Service met on the research visit (NaN without one)."""
    store: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    """Store of each purchase, ``0..S-1`` (the shopper's column)."""
    sidx: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    """Index of each purchase's store among all towns' stores (:meth:`cxsim.model.towns.Towns.flat`)."""
    fulfil: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    late: np.ndarray = field(default_factory=lambda: np.zeros(0))
    misfit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    returned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ease: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Ease of returning each purchase."""
    care: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Whether each purchase needs after-sales care."""
    met: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Service met in each purchase."""
    learned: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """What each purchase taught its buyer about the store, ``(n, K)`` (NaN: nothing)."""
    purchases: DayPurchases = field(default_factory=empty_purchases)
    counts: list[dict[str, int]] = field(default_factory=list)
    """The day's word of mouth, reviews and churn events, per town (none counted: :func:`no_sharing`)."""

    @property
    def stores(self) -> StoreArrays:
        """The stores' attributes of the day (set by :func:`calendar`)."""
        assert self.st is not None, "the calendar phase comes first"
        return self.st
