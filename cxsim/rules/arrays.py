"""Fast, bitwise-exact replacements for numpy reductions that are slow on shopper arrays.

Per-store shopper state is ``(n, S)`` with a handful of stores: numpy reduces
along such a short last axis one row at a time (about 10 ns per element), and
along the long first axis one row at a time too. The helpers below give the
*same bits* as the numpy expression they replace, working column by column
over blocks of rows that fit in the CPU cache (see docs/PERFORMANCE.md).
"""

from __future__ import annotations

import numpy as np

BLOCK = 65_536
"""Rows per block: a block of a few float32 columns stays in a core's L2 cache."""


def _row_reduce(x: np.ndarray, ufunc: np.ufunc, out: np.ndarray | None) -> np.ndarray:
    n, S = x.shape
    if S == 0:
        raise ValueError(f"zero-size array to reduction operation {ufunc.__name__} which has no identity")
    if out is None:
        out = np.empty(n, dtype=x.dtype)
    for i in range(0, n, BLOCK):
        block, o = x[i : i + BLOCK], out[i : i + BLOCK]
        np.copyto(o, block[:, 0])
        for j in range(1, S):
            ufunc(o, block[:, j], out=o)
    return out


def row_max(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x.max(axis=1)`` of a 2-D array, bit for bit (NaN propagates), about 8x faster."""
    return _row_reduce(x, np.maximum, out)


def row_min(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x.min(axis=1)`` of a 2-D array, bit for bit (NaN propagates), about 8x faster."""
    return _row_reduce(x, np.minimum, out)


def row_max_mean_and_column_means(x: np.ndarray, block: int = 16_384) -> tuple[float, np.ndarray]:
    """``float(row_max(x).mean())`` (bit for bit) and the mean of each column, in one pass over ``x``.

    Replaces ``x.max(axis=1).mean()`` and ``x.mean(axis=0)``: numpy reduces a
    C-ordered ``(n, S)`` array one row at a time for both (about 5-10 ns per
    element), and its float32 running sum for ``mean(axis=0)`` drifts by about
    1e-5 over a million shoppers. Both daily loyalty statistics read every
    shopper's row; reading the array
    once, block by block (a block stays in the CPU cache while its row maxima
    and column sums are taken), instead of once per statistic and once per
    column, saves most of the memory traffic at a million shoppers. Column sums
    are pairwise within a block and added in float64 across blocks
    (relative error about 1e-7). Returns NaNs for an array without rows.
    """
    n, S = x.shape
    if n == 0:
        return float("nan"), np.full(S, np.nan)
    best = np.empty(n, dtype=x.dtype)
    sums = np.zeros(S)
    for i in range(0, n, block):
        rows = x[i : i + block]
        row_max(rows, out=best[i : i + block])
        sums += [float(rows[:, j].sum()) for j in range(S)]
    return float(best.mean()), sums / n


def clip_in_place(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """``np.clip(x, low, high)`` written into ``x`` and returned, without ``np.clip``'s Python layers.

    For the fresh temporaries of the rules (a day's few hundred shoppers, where the
    wrapper costs more than the arithmetic). The same values as ``np.clip``, NaN
    propagating, except the sign of a zero at a bound of 0 (``np.clip`` keeps -0.0,
    this gives +0.0): callers pass values that are never -0.0.
    """
    np.maximum(x, low, out=x)
    out: np.ndarray = np.minimum(x, high, out=x)
    return out
