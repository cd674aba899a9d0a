"""Personalization: what a store can do with what it knows about a shopper."""

from __future__ import annotations

import numpy as np


def perceived_personalization(capability: np.ndarray, familiarity: np.ndarray) -> np.ndarray:
    """Personalization felt = store capability x how well the store knows the shopper.

    Personalization needs both the means and the customer knowledge
    (Vesanen 2007, Eur. J. Marketing 41:409).
    """
    out: np.ndarray = capability * familiarity
    return out


def grow_familiarity(familiarity: np.ndarray, capability: np.ndarray, rate: float) -> np.ndarray:
    """Familiarity after a purchase (in the shop or on its website): grows toward 1 with capability."""
    return familiarity + rate * capability * (1.0 - familiarity)
