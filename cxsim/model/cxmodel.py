"""The cxsim model: a Mesa model of shoppers choosing between retailers, one day per step.

The model holds the town's state and runs the day: ``step()`` goes through
the phases of the schedule in :mod:`cxsim.model.phases` (calendar, needs,
research, choice, fulfilment, experience and evaluation, sharing, stores,
collection). The behavioural rules live in :mod:`cxsim.rules` as plain
functions on numpy arrays, with their coefficients in the scenario's
``behaviour`` groups (:mod:`cxsim.model.behaviour`). Shopper state is a
structure of arrays (:class:`~cxsim.model.shoppers.ShopperArrays`); stores are
Mesa agents.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import mesa
import numpy as np
import pandas as pd

from cxsim.core.memory import keep_freed_memory
from cxsim.model import events, phases
from cxsim.model.collector import DayCollector
from cxsim.model.journeys import WindowFlows
from cxsim.model.log import LogEntry
from cxsim.model.mesa_clients import UNSET, from_mesa_scenario, mesa_scenario, model_seed
from cxsim.model.metrics import (
    STORE_COLUMNS,
    STORE_DAY_COLUMNS,
    TIMESERIES_COLUMNS,
    DayPurchases,
    RollingNPS,
    empty_purchases,
    kept_revenue,
    revenue_share,
    store_summary,
    summary_row,
)
from cxsim.model.reviews import ReviewBoard
from cxsim.model.scenario import Scenario, load_scenario
from cxsim.model.shoppers import Shopper, ShopperArrays, create_shoppers
from cxsim.model.stores import Store, StoreArrays, StoreCache
from cxsim.model.towns import Towns
from cxsim.rules.arrays import row_max_mean_and_column_means
from cxsim.rules.beliefs import population_prior
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.fulfilment import return_ease
from cxsim.rules.word_of_mouth import promoters_detractors

_STORE_DAY = attrgetter(*STORE_DAY_COLUMNS[1:])
"""A store's values of the columns :func:`~cxsim.model.metrics.store_summary` reads, after ``day``."""

BIG_TOWN = 1_000_000
"""From this many shoppers a model asks glibc to keep freed blocks for reuse (:mod:`cxsim.core.memory`)."""


def _overrides_from_params(params: dict[str, Any]) -> list[str]:
    """Keyword parameters (as Mesa's ``batch_run`` passes them) as ``--set`` overrides.

    ``stores__giant__price=0.85`` means ``stores.giant.price=0.85``; the short
    names ``shoppers`` and ``size_km`` address the town.
    """
    out = []
    for key, value in params.items():
        path = key.replace("__", ".")
        if key in ("shoppers", "size_km"):
            path = f"town.{key}"
        text = str(value).lower() if isinstance(value, bool) else repr(value)
        if isinstance(value, str):
            text = '"' + value.replace('"', '\\"') + '"'
        out.append(f"{path}={text}")
    return out


class CXModel(mesa.Model):  # type: ignore[misc]  # mesa ships no type information
    """Shoppers, stores and the calendar of one town; ``step()`` simulates one day.

    Args:
        scenario: a :class:`~cxsim.model.scenario.Scenario`, or a scenario name or path
            (or a Mesa scenario, as SolaraViz's Reset passes: :mod:`cxsim.model.mesa_clients`).
        rng: seed or numpy Generator (Mesa convention); not given: the scenario's seed;
            ``None``: a fresh seed (Mesa's meaning), recorded in ``spec.seed``.
        days: overrides the scenario's horizon.
        overrides: ``PATH=VALUE`` strings, as ``cxsim run --set``.
        warm_up: ``False``: the town is set up but not spun up (an
            :class:`~cxsim.model.ensemble.Ensemble` spins up its towns together).
        **params: further overrides as keywords (``stores__giant__price=0.85``),
            so that Mesa's ``batch_run`` can sweep any parameter.
    """

    def __init__(
        self,
        scenario: Scenario | str | Any = "baseline",
        *,
        rng: int | np.random.Generator | Any | None = UNSET,
        days: int | None = None,
        overrides: list[str] | tuple[str, ...] = (),
        warm_up: bool = True,
        **params: Any,
    ) -> None:
        scenario, rng, mesa_params = from_mesa_scenario(scenario, rng)
        params = {**mesa_params, **params}
        spec = load_scenario(scenario, [*overrides, *_overrides_from_params(params)], days=days)
        seed = model_seed(spec.seed, rng)
        if isinstance(seed, int | np.integer):
            spec = spec.model_copy(update={"seed": int(seed)})
        super().__init__(rng=seed)
        if spec.town.shoppers >= BIG_TOWN:  # its day's temporaries are reused, not mapped afresh
            keep_freed_memory()
        self.spec = spec
        self.scenario = mesa_scenario(spec)
        self.day = 0
        self.store_names = spec.store_names()
        self.segment_names = list(spec.segments)
        self.log: list[LogEntry] = []
        self._init_stores()
        xy = np.array([[s.x, s.y] for s in self.stores])
        self.shoppers: ShopperArrays = create_shoppers(self.rng, spec, xy, self._prior())
        self.towns = Towns([self.rng], spec.town.shoppers, len(self.stores), [self])
        """The towns of the arrays: this one alone (a batch of one; :mod:`cxsim.model.towns`)."""
        self.town_index = 0
        """This town's place in its batch of towns (0 alone)."""
        self.reviews = ReviewBoard(
            len(self.stores), spec.behaviour.beliefs.reviews_recent, bool(spec.collect_reviews)
        )
        self.crowding = np.zeros(len(self.stores))
        self.nps = RollingNPS(len(self.stores), spec.behaviour.word_of_mouth.nps_window_days)
        self.conditions = events.DayConditions()
        self.today: DayPurchases = empty_purchases()
        self._daily: list[dict[str, float]] = []
        self._max_loyalty = float("nan")  # mean over shoppers of their highest loyalty, set daily
        self._purchase_frames: list[pd.DataFrame] = []
        self.flows = WindowFlows(len(self.stores), spec.days - spec.summary_window_days)
        """Journeys and switching over the summary window (what ``cxsim compare`` reports)."""
        self._window_store_days: list[tuple[Any, ...]] = []  # every day of the summary window, by store
        self.datacollector = DayCollector(
            TIMESERIES_COLUMNS, Store, tuple(c for c in STORE_COLUMNS if c != "day")
        )
        self.running = True
        if warm_up:
            for warm_day in range(1 - spec.warmup_days, 1):
                self.simulate_day(warm_day, warm=True)

    # ------------------------------------------------------------------ set-up
    def _init_stores(self) -> None:
        scale = self.spec.town.shoppers / 1000.0
        self.stores: list[Store] = [
            Store(self, name, st, i, scale) for i, (name, st) in enumerate(self.spec.stores.items())
        ]
        self.store_cache = StoreCache()
        """The stores' attributes as arrays, gathered once per change (:class:`StoreCache`)."""

    def _prior(self) -> np.ndarray:
        """The population prior of the beliefs: the category's norm over the town's stores."""
        st = StoreArrays.from_stores(self.stores)
        return population_prior(
            experience_base=self.spec.behaviour.experience.base,
            service=st.service,
            personalization=st.personalization,
            atmosphere=st.atmosphere,
            reliability=st.reliability,
            leniency=st.leniency,
            delivered_return_ease=return_ease(st.leniency, st.cross_channel, st.walk_in)[:, DELIVERY],
            after_sales=st.after_sales,
            channel_consistency=st.channel_consistency,
            walk_in=st.walk_in,
            delivery=st.delivery,
        )

    def shopper(self, index: int) -> Shopper:
        """Inspect one shopper (a view onto its row of the arrays)."""
        return Shopper(self, index)

    @property
    def store_labels(self) -> dict[str, str]:
        """Display label of each store by name."""
        return {s.name: s.label for s in self.stores}

    # ------------------------------------------------------------------- the day
    def step(self) -> None:
        """Simulate one day (the data collector records it every ``collect_every`` days and on the last)."""
        self.day = int(self.steps)
        self.simulate_day(self.day)

    def simulate_day(self, day: int, warm: bool = False) -> None:
        """The day's phases, in the order of the schedule, over one day state.

        A warm-up day (``warm``) has no calendar and books and records nothing.
        """
        phases.simulate_day(self, day, warm)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run the remaining days of the scenario."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.day)

    # -------------------------------------------------------------- recording
    def record_day(self, day: int, p: DayPurchases, counts: dict[str, int]) -> None:
        """Keep the day's totals, its purchases (if collected) and its metrics for the data collector.

        Counts by fulfilment come from one ``bincount`` each, and today's shares
        and rates from those counts (the same numbers as :func:`~cxsim.model.metrics.channel_shares`
        and :func:`~cxsim.model.metrics.journey_rates`, with fewer passes over the purchases).
        """
        n, f = len(p), p.fulfilment
        by_channel = np.bincount(f, minlength=3).tolist() if n else [0, 0, 0]
        returned = np.bincount(f[p.returned], minlength=3).tolist() if n else [0, 0, 0]
        kept, online = kept_revenue(p, self.spec.category.ticket)
        sum_satisfaction = float(p.satisfaction.sum())
        promoter, detractor = promoters_detractors(p.ltr)
        daily: dict[str, float] = {
            "day": day,
            "purchases": n,
            "n_walk_in": by_channel[WALK_IN],
            "n_delivery": by_channel[DELIVERY],
            "n_pickup": by_channel[PICKUP],
            "n_showroomed": int(np.count_nonzero(p.showroomed)),
            "n_competitive_showroomed": int(np.count_nonzero(p.competitive_showroomed)),
            "n_webroomed": int(np.count_nonzero(p.webroomed)),
            "n_returned": sum(returned),
            "returned_walk_in": returned[WALK_IN],
            "returned_delivery": returned[DELIVERY],
            "returned_pickup": returned[PICKUP],
            "sum_satisfaction": sum_satisfaction,
            "promoters": int(np.count_nonzero(promoter)),
            "detractors": int(np.count_nonzero(detractor)),
            "revenue": float(sum(s.revenue for s in self.stores)),
            "revenue_kept": kept,
            "revenue_online": online,
            **counts,
        }
        self._daily.append(daily)
        self.flows.add(day, p)
        if day > self.flows.first_day:  # the stores' day for store_summary, collected or not
            self._window_store_days.extend((day, *_STORE_DAY(s)) for s in self.stores)
        if self.spec.collect_purchases and n:
            self._purchase_frames.append(p.frame(day, self.store_names))
        # both loyalty statistics in one pass over every shopper's row (docs/PERFORMANCE.md)
        self._max_loyalty, by_store = row_max_mean_and_column_means(self.shoppers.loyalty)
        for s in self.stores:
            s.mean_loyalty = float(by_store[s.index])
        self.metrics = self._day_metrics(daily, counts)

    def _day_metrics(self, daily: dict[str, float], counts: dict[str, int]) -> dict[str, Any]:
        """Today's row of the timeseries, from today's totals (shares as ``channel_shares`` has them)."""
        n = int(daily["purchases"])

        def share(count: float) -> float:
            return float(count) / n if n else 0.0

        delivery, pickup = share(daily["n_delivery"]), share(daily["n_pickup"])
        return {
            "day": daily["day"],
            "purchases": n,
            "share_walk_in": share(daily["n_walk_in"]),
            "share_delivery": delivery,
            "share_pickup": pickup,
            "online_share": delivery + pickup,
            "online_revenue_share": revenue_share(daily["revenue_online"], daily["revenue_kept"]),
            "showrooming_rate": share(daily["n_showroomed"]),
            "competitive_showrooming_rate": share(daily["n_competitive_showroomed"]),
            "webrooming_rate": share(daily["n_webroomed"]),
            "return_rate": share(daily["n_returned"]),
            "mean_satisfaction": daily["sum_satisfaction"] / n if n else float("nan"),
            "mean_loyalty": self._max_loyalty,
            "nps": self.nps.overall(),
            "open_stores": sum(s.is_open for s in self.stores),
            "revenue": daily["revenue"],
            "events": ",".join(self.conditions.active),
            **counts,
        }

    # ----------------------------------------------------------------- tables
    def timeseries(self) -> pd.DataFrame:
        """One row per collected day; columns from the metric registry (docs/ODD.md 4.11)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df[list(TIMESERIES_COLUMNS)]

    def store_table(self) -> pd.DataFrame:
        """One row per store per collected day; columns from the metric registry (docs/ODD.md 4.11)."""
        df = self.datacollector.get_agenttype_vars_dataframe(Store).reset_index()
        df = df.rename(columns={"Step": "day"}).drop(columns=["AgentID"])
        df["day"] = df["day"].astype(np.int32)
        return df[list(STORE_COLUMNS)]

    def store_summary(self) -> pd.DataFrame:
        """Each store over the summary window (registry table ``store_summary``), from every day of it.

        :func:`~cxsim.model.metrics.store_summary` of the stores' rows of each day of
        the window, which the model keeps as it records them: the same table as from
        the ``stores`` table when every day is collected, and whole when
        ``collect_every`` is more than 1.
        """
        days = pd.DataFrame(self._window_store_days, columns=list(STORE_DAY_COLUMNS))
        return store_summary(days, self.spec.summary_window_days)

    def purchases(self) -> pd.DataFrame | None:
        """One row per purchase, if the scenario collects purchases."""
        if not self.spec.collect_purchases:
            return None
        if not self._purchase_frames:
            return empty_purchases().frame(0, self.store_names).iloc[0:0]
        return pd.concat(self._purchase_frames, ignore_index=True)

    def review_table(self) -> pd.DataFrame | None:
        """One row per review of the recorded days (``day, store, shopper, stars, fulfilment``), if kept."""
        return self.reviews.table(self.store_names, self.town_index, self.spec.town.shoppers)

    def summary(self) -> dict[str, Any]:
        """Headline metrics over the run's last ``summary_window_days`` days."""
        a = self.shoppers
        window = self.spec.summary_window_days
        start = max(self.day - window, 0)
        active = a.last_purchase > start
        buyers = max(int(active.sum()), 1)
        stats = {
            "share_shoppers_showroomed": float((a.last_showroomed > start).sum() / buyers),
            "share_shoppers_webroomed": float((a.last_webroomed > start).sum() / buyers),
            "stores_closed": sum(not s.is_open and s.closed_on is not None for s in self.stores),
            "shoppers": a.n,
        }
        row = summary_row(self.timeseries(), pd.DataFrame(self._daily), stats, window)
        return {"scenario": self.spec.name, "seed": self.spec.seed, **row}
