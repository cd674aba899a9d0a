"""The stores' online reviews: each store's recent reviews, its public rating, and the reviews table.

A review (:func:`cxsim.rules.word_of_mouth.stars`) has a day, a store, a writer,
1-5 stars, the fulfilment of the purchase, and what the writer learned about the
store's touchpoints (:func:`cxsim.rules.beliefs.experience_signals`, with the
whole experience replaced by what the stars say). The public rating is the
cumulative mean of all stars with its count (no recency weighting: platforms
show the plain mean). Online researchers do not read the mean: each reads a
random sample (with replacement) of a store's ``reviews_recent`` most recent
reviews (:meth:`ReviewBoard.read`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxsim.rules.beliefs import K
from cxsim.rules.choice import FULFILMENTS


class ReviewBoard:
    """Every store's recent reviews (ring buffers), rating and count; the reviews table if kept."""

    def __init__(self, n_stores: int, recent: int, keep_rows: bool) -> None:
        self.recent = recent
        self.signals = np.full((n_stores, recent, K), np.nan, dtype=np.float32)
        self._first = np.arange(n_stores)[:, None] * recent
        """Row of each store's first slot in ``signals`` viewed as ``(S recent, K)``, ``(S, 1)``."""
        self.head = np.zeros(n_stores, dtype=np.int64)
        """Reviews written at each store so far (the ring position is ``head % recent``)."""
        self.star_sum = np.zeros(n_stores, dtype=np.int64)
        self.keep_rows = keep_rows
        self._rows: list[pd.DataFrame] = []

    @property
    def count(self) -> np.ndarray:
        """Reviews of each store so far, ``(S,)``."""
        return self.head

    def rating(self) -> np.ndarray:
        """Each store's public rating: the mean of its stars, NaN before its first review."""
        out: np.ndarray = np.where(self.head > 0, self.star_sum / np.maximum(self.head, 1), np.nan)
        return out

    def add(
        self,
        day: int,
        store: np.ndarray,
        shopper: np.ndarray,
        stars: np.ndarray,
        fulfilment: np.ndarray,
        signals: np.ndarray,
        store_names: list[str],
        record: bool = True,
    ) -> None:
        """Post the day's reviews (in purchase order) to the stores' boards (rows kept if ``record``)."""
        if store.size == 0:
            return
        order = np.argsort(store, kind="stable")
        s_sorted = store[order]
        first = np.searchsorted(s_sorted, s_sorted, side="left")
        rank = np.arange(s_sorted.size) - first  # position among the store's reviews today
        slot = (self.head[s_sorted] + rank) % self.recent
        self.signals[s_sorted, slot] = signals[order]
        self.head += np.bincount(store, minlength=self.head.size)
        self.star_sum += np.bincount(store, weights=stars, minlength=self.head.size).astype(np.int64)
        if self.keep_rows and record:
            names = np.array(store_names, dtype=object)
            self._rows.append(
                pd.DataFrame(
                    {
                        "day": np.full(store.size, day, dtype=np.int32),
                        "store": names[store],
                        "shopper": shopper.astype(np.int64),
                        "stars": stars.astype(np.int8),
                        "fulfilment": np.array(FULFILMENTS, dtype=object)[fulfilment],
                    }
                )
            )

    def read(self, rng: np.random.Generator, n: int, per_store: int) -> tuple[np.ndarray, np.ndarray]:
        """What ``n`` researchers read: mean signal and number of signals per store and attribute.

        Each reads ``per_store`` reviews of each store, drawn with replacement
        from its most recent ``recent`` (fewer if it has fewer). Returns
        ``(n, S, K)`` means (NaN where nothing was read) and counts.
        """
        S = self.head.size
        available = np.minimum(self.head, self.recent)
        if n == 0 or per_store == 0 or not available.any():
            return np.full((n, S, K), np.nan), np.zeros((n, S, K))
        u = rng.random((n, S, per_store))
        back = (u * np.maximum(available, 1)[:, None]).astype(np.int64)  # 0 = the newest
        slot = (self.head[:, None] - 1 - back) % self.recent + self._first  # rows of (S recent, K)
        known = self.signals == self.signals  # not NaN, (S, recent, K)
        ring = np.where(known, self.signals, 0.0)
        if not available.all():  # a store without reviews has only NaN in its ring; kept explicit
            known[available == 0] = False
            ring[available == 0] = 0.0
        # The per_store reviews read by a researcher, one after another: (per_store, n, S, K),
        # gathered from the ring with NaN already zeroed, then summed in reading order.
        rows = slot.transpose(2, 0, 1)
        count = known.reshape(-1, K).take(rows, axis=0).sum(axis=0, dtype=np.float64)
        total = ring.reshape(-1, K).take(rows, axis=0).sum(axis=0)
        with np.errstate(invalid="ignore"):
            mean: np.ndarray = total / count  # NaN (0 / 0) where nothing was read
        return mean, count

    def table(self) -> pd.DataFrame | None:
        """One row per review (``day, store, shopper, stars, fulfilment``), if the run keeps them."""
        if not self.keep_rows:
            return None
        if not self._rows:
            return pd.DataFrame(
                {
                    "day": np.zeros(0, np.int32),
                    "store": np.zeros(0, object),
                    "shopper": np.zeros(0, np.int64),
                    "stars": np.zeros(0, np.int8),
                    "fulfilment": np.zeros(0, object),
                }
            )
        return pd.concat(self._rows, ignore_index=True)
