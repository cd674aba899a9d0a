"""The town map: where shoppers live and how far they are from each store."""

from __future__ import annotations

import numpy as np


def place_homes(
    rng: np.random.Generator, n: int, size_km: float, centre_share: float, spread_km: float
) -> np.ndarray:
    """Draw home locations: a dense centre plus homes spread over the whole town.

    A mixture of a Gaussian cluster around the town centre and a uniform
    spread is the simplest monocentric city (Alonso 1964): density falls with
    distance from the centre. Returns an ``(n, 2)`` float32 array in km,
    clipped to the square ``[0, size_km]``.
    """
    centre = np.full(2, size_km / 2.0)
    in_centre = rng.random(n) < centre_share
    homes = rng.uniform(0.0, size_km, size=(n, 2))
    k = int(in_centre.sum())
    homes[in_centre] = centre + rng.normal(0.0, spread_km, size=(k, 2))
    return np.clip(homes, 0.0, size_km).astype(np.float32)


def distances_km(homes: np.ndarray, store_xy: np.ndarray) -> np.ndarray:
    """Euclidean home-to-store distance, ``(n_shoppers, n_stores)`` float32, in km."""
    diff = homes[:, None, :] - store_xy[None, :, :].astype(np.float32)
    out: np.ndarray = np.sqrt((diff * diff).sum(axis=2), dtype=np.float32)
    return out
