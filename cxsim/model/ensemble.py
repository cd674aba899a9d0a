"""The ensemble engine: many replications of one scenario simulated at once, in shared arrays.

Researchers run the same town many times (replications for confidence intervals,
validation, calibration). A small town's day is a few hundred small numpy calls whose
cost does not depend on its size (docs/PERFORMANCE.md); an :class:`Ensemble` stacks B
towns along the shopper axis (:mod:`cxsim.model.towns`) so that one day's calls serve
them all, and runs the same phases (:func:`cxsim.model.phases.simulate_day`) as a
single run, which is the batch of one.

Each town is a :class:`~cxsim.model.cxmodel.CXModel` with its own seed, random stream,
stores (Mesa agents), books, log and data collector; its shopper arrays become views of
the stacked ones. A town's tables (timeseries, stores, purchases, reviews, summary) are
**identical** to those of its run alone, whatever the batch size
(``tests/model/test_ensemble.py`` checks every table).

The towns of an ensemble share their day: the same shoppers' number, behaviour, category,
calendar and horizon. They may differ in their seed, their stores' attributes and the few
behaviour coefficients of :data:`PER_TOWN` (:func:`batchable` says which runs can share one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from cxsim.model import events, phases
from cxsim.model.cxmodel import CXModel
from cxsim.model.metrics import DayPurchases, RollingNPS, empty_purchases
from cxsim.model.reviews import ReviewBoard
from cxsim.model.scenario import Scenario, load_scenario
from cxsim.model.shoppers import ShopperArrays
from cxsim.model.stores import Store, StoreCache
from cxsim.model.towns import Towns

PER_TOWN = (
    ("word_of_mouth", "negative"),
    ("word_of_mouth", "credibility"),
    ("beliefs", "review_credibility"),
)
"""Behaviour coefficients whose value may differ between the towns of an ensemble.

Each is used elementwise, on rows of one purchase, message or reader, where
:meth:`cxsim.model.towns.Towns.coefficients` gives each row its town's value (the
same arithmetic as with the town's own number). Other coefficients are the towns'
shared day (whether a shopper shops, how far a story travels...).
"""


def _shared(spec: Scenario) -> Scenario:
    """What towns sharing an ensemble must agree on.

    The scenario without its seed, its store attributes and its :data:`PER_TOWN` coefficients.
    """
    behaviour = spec.behaviour
    for group, field in PER_TOWN:
        part = getattr(behaviour, group).model_copy(update={field: 0.0})
        behaviour = behaviour.model_copy(update={group: part})
    return spec.model_copy(update={"seed": 0, "stores": {}, "behaviour": behaviour})


def batchable(a: Scenario, b: Scenario) -> bool:
    """Whether the towns of two scenarios can share an ensemble.

    They may differ in their seed, in their stores' attributes (prices, service,
    costs...: each town's stores are its own agents) and in the :data:`PER_TOWN`
    coefficients; not in their stores' names and kinds, nor in anything else
    (shoppers, other behaviour, category, calendar, horizon, outputs), which the
    towns' day shares.
    """
    kinds_a = [(name, s.kind) for name, s in a.stores.items()]
    kinds_b = [(name, s.kind) for name, s in b.stores.items()]
    return kinds_a == kinds_b and _shared(a) == _shared(b)


class Ensemble:
    """Towns of one scenario (replications, or design points :func:`batchable` allows) simulated together.

    Args:
        specs: one resolved scenario per town (its seed, overrides and horizon applied:
            :func:`~cxsim.model.scenario.load_scenario`), each town as ``CXModel(spec)``
            would set it up; they must be :func:`batchable` with the first.

    ``run()`` simulates the remaining days; ``models`` holds each town's model, whose
    tables are those of ``CXModel(spec).run()``. :meth:`replications` makes the towns of
    one scenario with several seeds.
    """

    def __init__(self, specs: Sequence[Scenario]) -> None:
        if not specs:
            raise ValueError("an ensemble needs at least one town")
        self.models = [CXModel(spec, warm_up=False) for spec in specs]
        first = self.models[0]
        for other in self.models[1:]:
            if not batchable(first.spec, other.spec):
                raise ValueError(
                    "the towns of an ensemble may differ in their seed, store attributes and "
                    "per-town coefficients only"
                )
        self.spec = first.spec
        self.store_names = first.store_names
        n, S, B = self.spec.town.shoppers, len(first.stores), len(self.models)
        varied = {}
        for group, field in PER_TOWN:
            values = np.array([getattr(getattr(m.spec.behaviour, group), field) for m in self.models])
            if (values != values[0]).any():
                varied[(group, field)] = values
        self.towns = Towns([m.rng for m in self.models], n, S, self.models, varied)
        self.stores: list[Store] = []
        for b, m in enumerate(self.models):
            for s in m.stores:
                s.town, s.flat = b, b * S + s.index
                self.stores.append(s)
        self.store_cache = StoreCache()
        ties = [m.shoppers.acquaintances for m in self.models]  # each town's own numbering
        self.shoppers = _stack([m.shoppers for m in self.models], n)
        c = self.spec.behaviour
        self.reviews = ReviewBoard(B * S, c.beliefs.reviews_recent, bool(self.spec.collect_reviews))
        self.nps = RollingNPS(B * S, c.word_of_mouth.nps_window_days)
        for b, m in enumerate(self.models):
            rows = slice(b * n, (b + 1) * n)
            views = {f.name: getattr(self.shoppers, f.name)[rows] for f in fields(ShopperArrays)}
            m.shoppers = ShopperArrays(**{**views, "acquaintances": ties[b]})  # views of the stacked rows
            m.town_index, m.reviews, m.nps = b, self.reviews, self.nps.stores(b * S, (b + 1) * S)
        self.crowding = np.zeros(B * S)
        self.conditions = events.DayConditions()
        self.today: DayPurchases = empty_purchases()
        self.day = 0
        for warm_day in range(1 - self.spec.warmup_days, 1):
            phases.simulate_day(self, warm_day, warm=True)

    @classmethod
    def replications(
        cls,
        scenario: Scenario | str,
        seeds: Sequence[int],
        *,
        days: int | None = None,
        overrides: list[str] | tuple[str, ...] = (),
    ) -> Ensemble:
        """The towns of ``scenario`` with ``overrides`` and horizon ``days``, one per seed."""
        return cls([load_scenario(scenario, overrides, days=days, seed=int(seed)) for seed in seeds])

    @property
    def running(self) -> bool:
        """Whether some town has days left (they all end on the scenario's last day)."""
        return any(m.running for m in self.models)

    def step(self) -> None:
        """Simulate one day of every town."""
        self.day += 1
        for m in self.models:  # each town's Mesa clock, as its own step() would advance it
            m.steps, m.time, m.day = self.day, float(self.day), self.day
        phases.simulate_day(self, self.day)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run the remaining days of the scenario in every town."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.day)


def _stack(parts: list[ShopperArrays], n: int) -> ShopperArrays:
    """The towns' shopper arrays stacked town by town; acquaintances point into their own town's rows."""
    out: dict[str, Any] = {}
    for f in fields(ShopperArrays):
        arrays = [getattr(p, f.name) for p in parts]
        if f.name == "acquaintances":
            arrays = [a + np.asarray(b * n, dtype=a.dtype) for b, a in enumerate(arrays)]
        out[f.name] = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    return ShopperArrays(**out)
