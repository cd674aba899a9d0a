"""One browser session's town: the model, the history the charts need, and immutable views of it.

No Solara here: a :class:`Session` steps a :class:`~cxsim.model.cxmodel.CXModel`
and records what the charts draw; :meth:`Session.view` returns a :class:`View`
of plain lists and dicts, which the page renders while the model steps on in
a background thread.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from cxsim.analysis import narration
from cxsim.app import classroom
from cxsim.app.chart_data import Rows, chart_json, event_rows, journey_flow, rolling_rows
from cxsim.app.levers import CLASSROOM_SHOPPERS, Levers, lever_notes, lever_overrides, levers_from_scenario
from cxsim.app.palette import (
    CHANNEL_NAMES,
    CLOSED_COLOR,
    KIND_SHAPES,
    RATE_NAMES,
    STORE_COLORS,
)
from cxsim.model.cxmodel import CXModel
from cxsim.model.journeys import pair_counts
from cxsim.model.metrics import DayPurchases
from cxsim.model.scenario import load_scenario
from cxsim.model.stores import Store
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN

MAX_DOTS = 2500
"""At most this many shoppers are drawn on the map (a fixed random sample beyond)."""
SHARE_WINDOW = 30
"""Days over which market share, the headline rates and the customer-journey flow are counted."""
CHANNEL_WINDOW = 7
"""Days of the rolling window of the channel-share chart (a small town is noisy day to day)."""
RATE_WINDOW = 14
"""Days of the rolling window of the showrooming/webrooming chart."""
MIN_KPI_DAYS = 7
"""The headline rates show "—" (no data yet) until this many days are simulated: the warm-up's
last day (day 0) is not data, and a few days of a small town are too few purchases to guess from."""
TIME_AXIS_MIN_DAYS = 7
"""Time axes span the days simulated so far, at least this many."""

ONLINE_STRIP_KM = 5.0
"""Width of the map's ONLINE strip right of the town, in km of the map (room for a store's 16 px name)."""

_session_ids = itertools.count(1)


@dataclass(frozen=True, eq=False)
class View:
    """Everything the page shows after a step, as plain data (no live model)."""

    session_id: int
    preset: str
    title: str
    day: int
    days: int
    running: bool
    shoppers: int
    seed: int
    levers: Levers
    base: Levers
    kpis: dict[str, float | None]
    """Headline numbers by metric name (see :meth:`Session.kpis`); ``None`` where there is no data."""
    kpi_window: int
    """Days the headline rates pool, ``min(day, SHARE_WINDOW)`` (no rates below :data:`MIN_KPI_DAYS`)."""
    data: dict[str, Rows]
    """Datasets of the map and the charts, by name."""
    charts: dict[str, str]
    """The datasets each chart needs (:data:`~cxsim.app.chart_data.CHART_DATA`), as JSON, by chart."""
    today: str
    happenings: list[narration.Happening]
    questions: list[str]
    notes: list[str]
    story: classroom.ScenarioStory
    step_ms: float = 0.0


@dataclass
class History:
    """What the charts need, day by day (the model keeps no per-day journey counts)."""

    days: list[int] = field(default_factory=list)
    channels: list[np.ndarray] = field(default_factory=list)
    """Purchases by fulfilment channel, ``(3,)``: walk-in, delivery, pick-up."""
    journeys: list[np.ndarray] = field(default_factory=list)
    """Purchases by research channel and fulfilment, ``(3, 3)``."""
    journey_rates: list[np.ndarray] = field(default_factory=list)
    """Showroomed, competitively showroomed and webroomed purchases, ``(3,)``."""
    store_purchases: list[np.ndarray] = field(default_factory=list)
    """Purchases by store, ``(S,)``."""
    store_cash: list[np.ndarray] = field(default_factory=list)
    """Cash by store, ``(S,)``."""
    nps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Each store's rolling NPS now, ``(S,)``."""
    purchases: list[tuple[int, DayPurchases]] = field(default_factory=list)
    """Each simulated day's purchases (not the warm-up's), for the journeys and the CSV download."""

    def window_sum(self, series: list[np.ndarray], window: int = SHARE_WINDOW) -> np.ndarray | None:
        """The sum of the last ``window`` days of ``series`` (``None`` before any day)."""
        if not series:
            return None
        return np.sum(series[-window:], axis=0)


def store_status(store: Store) -> str:
    """A store's state in words: open, closed on day D, or not open yet."""
    if store.is_open:
        return "open"
    if store.closed_on is not None:
        return f"closed on day {store.closed_on}"
    return "not open yet"


def finite(x: float) -> float | None:
    """``x`` rounded to 2 decimals, or ``None`` if it is not finite (JSON has no NaN)."""
    x = float(x)
    return round(x, 2) if math.isfinite(x) else None


class Session:
    """One browser session's town: the model, its history and the narration.

    Headlines come from the model's typed log through :mod:`cxsim.analysis.narration`;
    the scenario's story, the day's summary and the questions from
    :mod:`cxsim.app.classroom`.

    Thread-safe: :meth:`step` and :meth:`view` take the session's lock.

    Args:
        preset: a scenario name of the scenario library (or a path).
        levers: the levers to build the town with; ``None`` takes the preset's
            own (with :data:`~cxsim.app.levers.CLASSROOM_SHOPPERS` shoppers).
    """

    def __init__(self, preset: str, levers: Levers | None = None) -> None:
        self.id = next(_session_ids)
        self.preset = preset
        self.preset_spec = load_scenario(preset)
        shoppers = CLASSROOM_SHOPPERS if levers is None else levers.shoppers
        self.base = levers_from_scenario(self.preset_spec, shoppers=shoppers)
        self.levers = self.base if levers is None else levers
        self.overrides = lever_overrides(self.preset_spec, self.base, self.levers)
        self.spec = load_scenario(
            preset, self.overrides, seed=self.levers.seed
        )  # the schema checks the seed too
        self.model = CXModel(self.spec, rng=self.levers.seed)
        self.lock = threading.RLock()
        self.history = History()
        self.labels = [s.label for s in self.model.stores]
        self.label_by_name = classroom.labels_of(self.spec)
        """Display label of each store, by name (how narration names stores)."""
        self.colors = [STORE_COLORS[i % len(STORE_COLORS)] for i in range(len(self.labels))]
        self.story = classroom.scenario_story(self.spec)
        self.happenings: list[narration.Happening] = []
        self._log_seen = 0
        n = self.model.shoppers.n
        if n > MAX_DOTS:
            pick = np.random.default_rng(0).choice(n, size=MAX_DOTS, replace=False)
            self.dots = np.sort(pick)
        else:
            self.dots = np.arange(n)
        self.last_step_ms = 0.0
        self._record()  # day 0: the last day of the warm-up, so that every chart starts with data

    # ---------------------------------------------------------------- stepping
    @property
    def day(self) -> int:
        """The last simulated day (0 before the first step)."""
        return int(self.model.day)

    @property
    def running(self) -> bool:
        """False once the scenario's horizon is reached."""
        return bool(self.model.running)

    @property
    def has_online_stores(self) -> bool:
        """Whether the town has online-only stores (the map then has an ONLINE strip)."""
        return any(s.kind == "online" for s in self.model.stores)

    def step(self, days: int = 1) -> int:
        """Simulate up to ``days`` days; returns how many were simulated."""
        done = 0
        with self.lock:
            t0 = time.perf_counter()
            for _ in range(days):
                if not self.model.running:
                    break
                self.model.step()
                self._record()
                done += 1
            self._read_log()
            if done:
                self.last_step_ms = 1000.0 * (time.perf_counter() - t0) / done
        return done

    def _record(self) -> None:
        m, p, h = self.model, self.model.today, self.history
        S = len(m.stores)
        h.days.append(int(m.day))
        f = p.fulfilment.astype(np.int64)
        h.channels.append(np.bincount(f, minlength=3)[:3].astype(np.int64))
        h.journeys.append(pair_counts(p.research, p.fulfilment))
        h.journey_rates.append(
            np.array(
                [int(p.showroomed.sum()), int(p.competitive_showroomed.sum()), int(p.webroomed.sum())],
                dtype=np.int64,
            )
        )
        h.store_purchases.append(np.bincount(p.store.astype(np.int64), minlength=S)[:S].astype(np.int64))
        h.store_cash.append(np.array([s.cash for s in m.stores], dtype=float))
        h.nps = m.nps.by_store()
        if m.day > 0:
            h.purchases.append((int(m.day), p))

    def _read_log(self) -> None:
        """Turn the model's new typed log entries into headlines (never parsing text)."""
        new = self.model.log[self._log_seen :]
        self._log_seen = len(self.model.log)
        self.happenings.extend(narration.happenings(new, self.label_by_name))

    # ------------------------------------------------------------------- views
    def view(self) -> View:
        """A snapshot of everything the page shows."""
        with self.lock:
            day = self.day
            h = self.history
            data = {
                "dots": self._dots(),
                "stores": self._stores(),
                "frame": self._frame(),
                "events": event_rows(self.spec, until=day),
                "now": [{"day": day}],
                "channels": rolling_rows(h.days, h.channels, CHANNEL_NAMES, CHANNEL_WINDOW),
                "rates": rolling_rows(h.days, h.journey_rates, RATE_NAMES, RATE_WINDOW, totals=h.channels),
                "cash": self._cash_rows(),
                "closures": self._closure_rows(),
                **journey_flow(self._journey_counts()),
            }
            notes = lever_notes(self.base, self.levers)
            active = list(self.model.conditions.active) if day else []
            return View(
                session_id=self.id,
                preset=self.preset,
                title=self.story.title,
                day=day,
                days=int(self.spec.days),
                running=self.running,
                shoppers=int(self.model.shoppers.n),
                seed=int(self.levers.seed),
                levers=self.levers,
                base=self.base,
                kpis=self.kpis(),
                kpi_window=min(day, SHARE_WINDOW),
                data=data,
                charts=chart_json(data),
                today=classroom.day_summary(day, self._today_counts(), active),
                happenings=list(self.happenings),
                questions=classroom.discussion_questions(self.spec, self.happenings, day, notes),
                notes=notes,
                story=self.story,
                step_ms=self.last_step_ms,
            )

    def _today_counts(self) -> dict[str, int]:
        if not self.history.days:
            return {}
        ch, jr = self.history.channels[-1], self.history.journey_rates[-1]
        return {
            "purchases": int(ch.sum()),
            "walk_in": int(ch[WALK_IN]),
            "delivery": int(ch[DELIVERY]),
            "pickup": int(ch[PICKUP]),
            "showroomed": int(jr[0]),
            "webroomed": int(jr[2]),
        }

    def market_shares(self) -> np.ndarray:
        """Each store's share of purchases over the last :data:`SHARE_WINDOW` days.

        On day 0: the share of shoppers whose last purchase (in the warm-up)
        was at the store (one day of a small town is too few purchases).
        """
        S = len(self.model.stores)
        counts = self.history.window_sum(self.history.store_purchases) if self.day > 0 else None
        if counts is None:
            last = self.model.shoppers.last_store
            counts = np.bincount(last[last >= 0].astype(np.int64), minlength=S)[:S]
        total = counts.sum()
        return counts / total if total else np.zeros(S)

    def _journey_counts(self) -> np.ndarray:
        counts = self.history.window_sum(self.history.journeys)
        return np.zeros((3, 3), dtype=np.int64) if counts is None else counts

    def kpis(self) -> dict[str, float | None]:
        """Headline numbers, keyed by the metric registry's names (timeseries table).

        ``online_share``, ``showrooming_rate`` and ``webrooming_rate`` pool the
        simulated days of the last :data:`SHARE_WINDOW` (the warm-up's last day,
        day 0, is not counted), and are ``None`` before :data:`MIN_KPI_DAYS` days
        (the page shows "—": no data yet); ``nps`` is the model's rolling NPS;
        ``purchases`` is today's count. ``stores`` is the number of stores.
        """
        h = self.history
        window = min(self.day, SHARE_WINDOW)
        enough = self.day >= MIN_KPI_DAYS
        ch = h.window_sum(h.channels, window) if enough else None
        jr = h.window_sum(h.journey_rates, window) if enough else None
        n = int(ch.sum()) if ch is not None else 0
        return {
            "day": self.day,
            "purchases": int(h.channels[-1].sum()) if h.days else None,
            "online_share": float((ch[DELIVERY] + ch[PICKUP]) / n) if ch is not None and n else None,
            "showrooming_rate": float(jr[0] / n) if n and jr is not None else None,
            "webrooming_rate": float(jr[2] / n) if n and jr is not None else None,
            "nps": finite(self.model.nps.overall()) if h.days else None,
            "open_stores": sum(s.is_open for s in self.model.stores),
            "stores": len(self.model.stores),
        }

    def _dots(self) -> Rows:
        """The drawn shoppers as one row of columns (home, segment, last purchase, loyalty)."""
        a = self.model.shoppers
        idx = self.dots
        home = a.home[idx]
        loyalty = a.loyalty[idx]
        best = loyalty.argmax(axis=1)
        best_value = loyalty[np.arange(idx.size), best]
        loyal = np.where(best_value >= 0.05, best, -1)
        # one row of columns (the map's spec flattens it): a tenth of the work of 1,000 dicts
        return [
            {
                "i": idx.tolist(),
                "x": np.round(home[:, 0].astype(float), 3).tolist(),
                "y": np.round(home[:, 1].astype(float), 3).tolist(),
                "g": a.segment[idx].astype(int).tolist(),
                "r": a.recreational[idx].astype(int).tolist(),
                "f": a.last_fulfilment[idx].astype(int).tolist(),
                "s": a.last_store[idx].astype(int).tolist(),
                "d": a.last_purchase[idx].astype(int).tolist(),
                "l": loyal.astype(int).tolist(),
                "lv": np.round(best_value.astype(float), 2).tolist(),
            }
        ]

    def _frame(self) -> Rows:
        size = float(self.spec.town.size_km)
        town = {"x": 0.0, "x2": size, "y": 0.0, "y2": size, "kind": "town", "fill": "#f3f6f9", "text": ""}
        if not self._online_stores():
            return [town]
        online = {
            "x": size + 0.6,
            "x2": size + 0.6 + ONLINE_STRIP_KM,
            "y": 0.0,
            "y2": size,
            "kind": "online",
            "fill": "#eef0fb",
        }
        return [town, {**online, "text": "ONLINE", "cx": size + 0.6 + ONLINE_STRIP_KM / 2}]

    def _online_stores(self) -> list[int]:
        return [s.index for s in self.model.stores if s.kind == "online"]

    def _stores(self) -> Rows:
        m = self.model
        size = float(self.spec.town.size_km)
        shares = self.market_shares()
        online = self._online_stores()
        rows = []
        for s in m.stores:
            if s.kind == "online":
                k = online.index(s.index)
                x, y = size + 0.6 + ONLINE_STRIP_KM / 2, size * (1.0 - (k + 1) / (len(online) + 1))
            else:
                x, y = float(s.x), float(s.y)
            status = store_status(s)
            share = float(shares[s.index])
            channels = ["walk-in"] if s.has_walk_in else []
            if s.has_delivery:
                channels.append("delivery")
            if s.has_pickup:
                channels.append("pick-up in store")
            rows.append(
                {
                    "store": s.label,
                    "kind": s.kind,
                    "x": round(x, 3),
                    "y": round(y, 3),
                    "shape": KIND_SHAPES.get(s.kind, "circle"),
                    "color": self.colors[s.index] if s.is_open else CLOSED_COLOR,
                    "size": round(180 + 2600 * share, 1),
                    "open": bool(s.is_open),
                    "mark": "✕" if s.closed_on is not None else "",
                    "status": status,
                    "share": round(share, 4),
                    "share_text": f"{share:.0%}",
                    "nps": finite(self.history.nps[s.index]),
                    "price": round(float(s.price), 3),
                    "service": round(float(s.service_quality), 3),
                    "personalization": round(float(s.personalization), 3),
                    "cash": round(float(s.cash)),
                    "channels": ", ".join(channels),
                    "order": s.index,
                    "name": f"{s.label} {share:.0%}" if s.is_open else f"{s.label} ({status})",
                }
            )
        return rows

    def _cash_rows(self) -> Rows:
        """One row per day (at most ~400 days drawn, the last one always): ``day, s0, s1...``."""
        h = self.history
        if not h.days:
            return []
        step = max(1, len(h.days) // 400)
        keep = list(range(0, len(h.days), step))
        if keep[-1] != len(h.days) - 1:
            keep.append(len(h.days) - 1)
        cash = np.round(np.asarray(h.store_cash)[keep]).astype(int).tolist()
        keys = [f"s{i}" for i in range(len(self.labels))]
        return [
            {"day": h.days[k], **dict(zip(keys, row, strict=True))} for k, row in zip(keep, cash, strict=True)
        ]

    def _closure_rows(self) -> Rows:
        return [
            {"day": h.day, "store": h.store, "text": h.text}
            for h in self.happenings
            if h.kind == "closure" and h.store is not None
        ]
