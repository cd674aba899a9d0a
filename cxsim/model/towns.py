"""Towns stacked in shared arrays: which rows and stores belong to which town, and their draws.

The engine simulates B towns of one scenario at once (:mod:`cxsim.model.ensemble`):
their shoppers are stacked town by town (town ``b`` holds rows ``b n .. (b+1) n - 1``
of every shopper array, its acquaintances pointing into its own rows), and their stores
too (the stores' arrays hold ``B S`` entries, store ``s`` of town ``b`` at ``b S + s``).
A shopper's per-store columns stay the ``S`` columns of its own town's stores.

One day's Python and numpy calls then serve every town (the per-day overhead that a small
town does not amortize: docs/PERFORMANCE.md), while each town keeps what makes its run
its own: its random stream. Every draw is made per town, on the town's rows, from the
town's generator, in the order and sizes of the town's run alone (:class:`TownDraws`);
rows handed to a draw are in town order, as today's shoppers always are (ascending).
So a town's tables are identical whether it ran alone or in a batch of any size.

A single run is the batch of one (``B = 1``): then :meth:`Towns.draws` is the town's
generator itself and :meth:`Towns.rows` a broadcast, so it costs nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import numpy as np
from pydantic import BaseModel

C = TypeVar("C", bound=BaseModel)
type Size = int | tuple[int, ...]


class TownDraws:
    """Draws for rows of several towns: each town's rows from its own generator, in row order.

    A stand-in for :class:`numpy.random.Generator` with the methods the rules use
    (``random``, ``standard_normal``, ``gumbel``, ``geometric``). ``counts[b]`` rows
    of the draw belong to town ``b``, consecutively (the first axis of ``size``, or
    of ``p``); each town's part is drawn from its generator as its run alone would
    draw it (a town with no rows draws nothing and its stream does not move).
    """

    def __init__(self, generators: Sequence[np.random.Generator], counts: np.ndarray) -> None:
        self.generators = generators
        self.counts = counts.tolist()

    def _draw(
        self, draw: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray], size: Size
    ) -> np.ndarray:
        """``draw(generator, shape)`` for each town's rows, joined in town order (float64)."""
        shape = (size,) if isinstance(size, int | np.integer) else tuple(size)
        if not shape or shape[0] != sum(self.counts):
            raise ValueError(
                f"a draw of shape {shape} for {sum(self.counts)} rows of {len(self.counts)} towns"
            )
        parts = [draw(g, (k, *shape[1:])) for g, k in zip(self.generators, self.counts, strict=True) if k]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.empty(shape)

    def random(self, size: Size) -> np.ndarray:
        """Uniform [0, 1) draws, as :meth:`numpy.random.Generator.random`."""
        return self._draw(lambda g, s: g.random(s), size)

    def standard_normal(self, size: Size) -> np.ndarray:
        """Standard normal draws, as :meth:`numpy.random.Generator.standard_normal`."""
        return self._draw(lambda g, s: g.standard_normal(s), size)

    def gumbel(self, size: Size) -> np.ndarray:
        """Standard Gumbel draws, as :meth:`numpy.random.Generator.gumbel`."""
        return self._draw(lambda g, s: g.gumbel(size=s), size)

    def geometric(self, p: float | np.ndarray, size: int | None = None) -> np.ndarray:
        """Geometric draws, as :meth:`numpy.random.Generator.geometric` (``p`` per row, or with ``size``)."""
        if size is not None:
            return self._draw(lambda g, s: g.geometric(p, size=s), size).astype(np.int64, copy=False)
        probs = np.asarray(p)
        bounds = np.cumsum([0, *self.counts])
        parts = [
            g.geometric(probs[lo:hi])
            for g, lo, hi in zip(self.generators, bounds[:-1], bounds[1:], strict=True)
            if hi > lo
        ]
        return np.concatenate(parts) if parts else np.empty(probs.shape, dtype=np.int64)


class Towns:
    """The towns of the stacked arrays: ``B`` towns of ``n`` shoppers and ``S`` stores each.

    ``generators[b]`` is town ``b``'s random stream, ``models[b]`` its model. Rows are shopper indices into
    the stacked arrays; a row's town is ``row // n``.
    """

    def __init__(
        self,
        generators: Sequence[np.random.Generator],
        n: int,
        S: int,
        models: Sequence[Any],
        varied: dict[tuple[str, str], np.ndarray] | None = None,
    ) -> None:
        self.generators = list(generators)
        self.models = list(models)
        """Each town's model (:class:`~cxsim.model.cxmodel.CXModel`): its stores, books, log and tables."""
        self.varied = varied or {}
        """Behaviour coefficients whose value differs between the towns: ``(group, field)`` -> ``(B,)``."""
        self.B = len(self.generators)
        self.n = n
        self.S = S

    def of(self, rows: np.ndarray) -> np.ndarray | None:
        """The town of each row (ascending rows give ascending towns); ``None`` for a single town."""
        if self.B == 1:
            return None
        out: np.ndarray = rows // self.n
        return out

    def draws(self, town: np.ndarray | None) -> np.random.Generator:
        """The generator(s) for draws over rows of towns ``town`` (ascending, from :meth:`of`).

        A single town draws from its generator; a batch from a :class:`TownDraws`
        (the same methods), each town's rows from its own generator.
        """
        if town is None or self.B == 1:
            return self.generators[0]
        counts = np.bincount(town, minlength=self.B)
        return cast(np.random.Generator, TownDraws(self.generators, counts))

    def draws_for_rows(self, rows: np.ndarray) -> np.random.Generator:
        """:meth:`draws` for the towns of shopper ``rows`` (ascending)."""
        return self.draws(self.of(rows))

    def rows(self, x: np.ndarray, town: np.ndarray | None) -> np.ndarray:
        """A per-store array ``(B S,)`` as one row per shopper row, to broadcast against ``(rows, S)``.

        A single town's ``(S,)`` becomes ``(1, S)`` (a view that broadcasts); in a
        batch each row gets its town's ``S`` entries.
        """
        if town is None:
            return x[None, :]
        out: np.ndarray = x.reshape(self.B, self.S).take(town, axis=0)
        return out

    def flat(self, town: np.ndarray | None, store: np.ndarray) -> np.ndarray:
        """Index of each row's store among all towns' stores (``b S + s``; the store itself for one town)."""
        if town is None:
            return store
        out: np.ndarray = town * self.S + store
        return out

    def coefficients(self, group: C, name: str, town: np.ndarray | None) -> C:
        """The behaviour's coefficient group ``name`` (``group``) as rows of towns ``town`` see it.

        The group itself where the towns agree on it (always for one town); otherwise a copy
        whose fields that differ between the towns (:data:`cxsim.model.ensemble.PER_TOWN`) hold
        each row's town's value, ``(rows,)``, for the rule to use elementwise.
        """
        fields = {f: values for (g, f), values in self.varied.items() if g == name}
        if not fields or town is None:
            return group
        return group.model_copy(update={f: values.take(town) for f, values in fields.items()})

    def bounds(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """Where each town's rows start and end in ``rows`` (ascending shopper indices)."""
        if self.B == 1:
            return [(0, rows.shape[0])]
        edges = np.searchsorted(rows, np.arange(self.B + 1) * self.n).tolist()
        return list(itertools.pairwise(edges))
