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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxsim.rules.beliefs import K
from cxsim.rules.choice import FULFILMENTS

if TYPE_CHECKING:
    from cxsim.model.towns import Towns


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
        self._rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        """Each recorded day's reviews: day, store, writer, stars, fulfilment."""

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
        record: bool = True,
    ) -> None:
        """Post the day's reviews (in purchase order) to the stores' boards (rows kept if ``record``).

        ``store`` indexes the board's stores (all towns' stores, in a batch of towns).
        """
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
            self._rows.append(
                (day, store.copy(), shopper.astype(np.int64), stars.astype(np.int8), fulfilment.copy())
            )

    def read(
        self, towns: Towns, town: np.ndarray | None, n: int, per_store: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """What ``n`` researchers read: mean signal and number of signals per store and attribute.

        Each reads ``per_store`` reviews of each of its town's stores, drawn with
        replacement from its most recent ``recent`` (fewer if it has fewer);
        ``town``: each researcher's town (:meth:`~cxsim.model.towns.Towns.of`). A
        town whose stores have no review yet draws nothing. Returns ``(n, S, K)``
        means (NaN where nothing was read) and counts.
        """
        S = towns.S
        available = np.minimum(self.head, self.recent)
        if town is not None:  # the researchers of towns with some review read; the others learn nothing
            some = available.reshape(towns.B, S).any(axis=1).take(town)
            if not some.all():
                means, counts = np.full((n, S, K), np.nan), np.zeros((n, S, K))
                readers = np.flatnonzero(some)
                if readers.size:
                    part = self.read(towns, town.take(readers), readers.size, per_store)
                    means[readers], counts[readers] = part
                return means, counts
        if n == 0 or per_store == 0 or not available.any():
            return np.full((n, S, K), np.nan), np.zeros((n, S, K))
        u = towns.draws(town).random((n, S, per_store))
        # each researcher's town's stores: their availability, heads and first rows of the ring
        avail, head = towns.rows(np.maximum(available, 1), town), towns.rows(self.head, town)
        back = (u * avail[:, :, None]).astype(np.int64)  # 0 = the newest
        first = towns.rows(self._first[:, 0], town)[:, :, None]
        slot = (head[:, :, None] - 1 - back) % self.recent + first  # rows of (all stores x recent, K)
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

    def table(self, store_names: list[str], town: int = 0, shoppers: int = 0) -> pd.DataFrame | None:
        """One row per review (``day, store, shopper, stars, fulfilment``), if the run keeps them.

        In a batch of towns: town ``town``'s reviews, its stores named by ``store_names`` and
        its shoppers (``shoppers`` per town) numbered from 0.
        """
        if not self.keep_rows:
            return None
        S = len(store_names)
        names = np.array(store_names, dtype=object)
        frames = []
        for day, store, shopper, stars, fulfilment in self._rows:
            mine = store // S == town
            if not mine.any():
                continue
            frames.append(
                pd.DataFrame(
                    {
                        "day": np.full(int(mine.sum()), day, dtype=np.int32),
                        "store": names[store[mine] - town * S],
                        "shopper": shopper[mine] - town * shoppers,
                        "stars": stars[mine],
                        "fulfilment": np.array(FULFILMENTS, dtype=object)[fulfilment[mine]],
                    }
                )
            )
        if not frames:
            return pd.DataFrame(
                {
                    "day": np.zeros(0, np.int32),
                    "store": np.zeros(0, object),
                    "shopper": np.zeros(0, np.int64),
                    "stars": np.zeros(0, np.int8),
                    "fulfilment": np.zeros(0, object),
                }
            )
        return pd.concat(frames, ignore_index=True)
