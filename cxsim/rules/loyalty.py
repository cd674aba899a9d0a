"""Loyalty: repeat purchase, the asymmetric pull of disconfirmation, fading and avoidance."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from cxsim.rules.arrays import clip_in_place
from cxsim.rules.coefficients import Coefficients, NonNeg, Unit


class LoyaltyCoefficients(Coefficients):
    """Loyalty, avoidance, familiarity and digital habit (``behaviour.loyalty``)."""

    gain: NonNeg = 0.5
    """Loyalty gained per unit of positive disconfirmation."""
    loss: NonNeg = 1.2
    """Loss per unit of negative disconfirmation (> gain: negativity bias)."""
    repeat: NonNeg = 0.12
    """Loyalty gained by a purchase itself (habit of returning)."""
    decay: Unit = 0.0025
    """Daily fading of loyalty without visits."""
    avoid_threshold: float = -0.30
    """Disconfirmation below which a shopper avoids the store."""
    avoid_days: Annotated[int, Field(ge=0)] = 120
    """Days a shopper avoids a store after a very bad experience."""
    familiarity_gain: Unit = 0.25
    """How fast a store gets to know a customer, per purchase, at full personalization capability."""
    familiarity_decay: Unit = 0.003
    """Daily fading of the store's knowledge of a customer."""
    habit_gain: Unit = 0.15
    """Digital habit gained by an online order."""
    habit_decay: Unit = 0.002
    """Daily fading of the digital habit."""


def update_loyalty(loyalty: np.ndarray, disc: np.ndarray, c: LoyaltyCoefficients) -> np.ndarray:
    """Loyalty after a purchase, on 0..1.

    A purchase builds habit (``repeat``); positive disconfirmation adds
    ``gain`` per unit, negative takes ``loss`` per unit, with ``loss > gain``:
    losses loom larger (negativity bias, Anderson and Sullivan 1993,
    Marketing Sci. 12:125; Mittal, Ross and Baldasare 1998, J. Marketing 62:33).
    """
    change = c.repeat * (1.0 - loyalty) + np.where(disc >= 0.0, c.gain * disc, c.loss * disc)
    new = loyalty + change
    return clip_in_place(new, 0.0, 1.0)


def fade(values: np.ndarray, rate: float) -> None:
    """Daily exponential fading, in place: ``values *= 1 - rate`` (a purchase then adds back)."""
    if rate > 0.0:
        values *= np.float32(1.0 - rate)


def starts_avoiding(disc: np.ndarray, c: LoyaltyCoefficients) -> np.ndarray:
    """A very bad experience (disconfirmation below ``avoid_threshold``) makes a shopper avoid the store.

    Critical incidents drive switching (Keaveney 1995, J. Marketing 59:71).
    The shopper avoids the store for ``avoid_days``.
    """
    return disc < c.avoid_threshold


def gain_habit(habit: np.ndarray, c: LoyaltyCoefficients) -> np.ndarray:
    """Digital habit after an online order (delivery or pick-up): grows toward 1 by ``habit_gain``.

    Repeated use of a channel in a stable context builds a habit of using it
    (Verhoef, Neslin and Vroomen 2007, IJRM 24:129, on channel lock-in); the
    habit fades daily by ``habit_decay`` (:func:`fade`), so that online orders
    made in a lockdown leave a lasting but fading mark.
    """
    return habit + c.habit_gain * (1.0 - habit)
