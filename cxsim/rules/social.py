"""The social network along which word of mouth travels."""

from __future__ import annotations

import numpy as np


def spatial_order(homes: np.ndarray, size_km: float, cells: int = 64) -> np.ndarray:
    """Order shoppers along a snake path over a grid of cells, so neighbours in the order live close."""
    cx = np.minimum((homes[:, 0] / size_km * cells).astype(np.int64), cells - 1)
    cy = np.minimum((homes[:, 1] / size_km * cells).astype(np.int64), cells - 1)
    snake_x = np.where(cy % 2 == 0, cx, cells - 1 - cx)
    return np.lexsort((homes[:, 0], snake_x, cy))


def small_world(
    rng: np.random.Generator, homes: np.ndarray, size_km: float, degree: int, rewire: float
) -> np.ndarray:
    """Acquaintances of each shopper as an ``(n, degree)`` int32 array of shopper indices.

    A Watts–Strogatz small world (Watts and Strogatz 1998, Nature 393:440)
    laid over geography: each shopper knows the ``degree`` shoppers nearest to
    it along a space-filling order of homes (neighbours), and each tie is
    rewired with probability ``rewire`` to a shopper anywhere in town (the
    shortcuts that make word of mouth travel far). Built in O(n) memory, with
    no per-shopper Python objects, so it scales to millions of shoppers.
    """
    n = homes.shape[0]
    if degree == 0 or n < 2:
        return np.zeros((n, 0), dtype=np.int32)
    order = spatial_order(homes, size_km)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    half = max(1, degree // 2)
    offsets = np.concatenate([np.arange(1, half + 1), -np.arange(1, degree - half + 1)])
    pos = (rank[:, None] + offsets[None, :]) % n
    neigh = order[pos]
    shortcut = rng.random(neigh.shape) < rewire
    random_ties = rng.integers(0, n, size=neigh.shape)
    neigh = np.where(shortcut, random_ties, neigh)
    self_tie = neigh == np.arange(n)[:, None]
    neigh[self_tie] = (neigh[self_tie] + 1) % n
    out: np.ndarray = neigh.astype(np.int32)
    return out
