"""Loyalty: repeat purchase, the asymmetric pull of disconfirmation, fading and avoidance."""

from __future__ import annotations

import numpy as np


def update_loyalty(
    loyalty: np.ndarray, disc: np.ndarray, gain: float, loss: float, repeat: float
) -> np.ndarray:
    """Loyalty after a purchase, on 0..1.

    A purchase builds habit (``repeat``); positive disconfirmation adds
    ``gain`` per unit, negative takes ``loss`` per unit, with ``loss > gain``:
    losses loom larger (negativity bias, Anderson and Sullivan 1993,
    Marketing Sci. 12:125; Mittal, Ross and Baldasare 1998, J. Marketing 62:33).
    """
    change = repeat * (1.0 - loyalty) + np.where(disc >= 0.0, gain * disc, loss * disc)
    return np.clip(loyalty + change, 0.0, 1.0)


def fade(values: np.ndarray, rate: float) -> None:
    """Daily exponential fading, in place: ``values *= 1 - rate`` (a purchase then adds back)."""
    if rate > 0.0:
        values *= np.float32(1.0 - rate)


def starts_avoiding(disc: np.ndarray, threshold: float) -> np.ndarray:
    """A very bad experience (disconfirmation below ``threshold``) makes a shopper avoid the store.

    Critical incidents drive switching (Keaveney 1995, J. Marketing 59:71).
    """
    return disc < threshold
