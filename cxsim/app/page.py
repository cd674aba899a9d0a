"""The cxsim app: an interactive town for classrooms and strategy workshops (Solara).

Run it with ``cxsim app`` (or ``solara run cxsim/app/page.py --production`` with
the offline environment of docs/dev/offline-app.md); docs/APP.md is the
user's guide and says why it is built the way it is.

How it is put together:

- Every browser session gets its own :class:`AppState` (reactive variables and
  the actions on them) and :class:`Session` (a :class:`~cxsim.model.cxmodel.CXModel` plus
  the history the charts need), created by the ``Page`` component with
  ``solara.use_memo``: nothing mutable lives at module level.
- After each step the session builds an immutable :class:`View` (plain
  lists and dicts); components render views only, never the live model, so
  Play can step the model in a background thread (``solara.use_thread``)
  while the page stays responsive.
- The map and the charts are drawn in the browser by Vega-Lite 5 (the
  vega, vega-lite and vega-embed bundles Solara already ships through its
  offline asset cache), through :class:`VegaView`, a small Vue widget that
  embeds a spec once and then streams new data into it
  (``view.change``): a redraw sends data, not pictures, and costs the
  server a few milliseconds.
- The words of the classroom panel come from :mod:`cxsim.app.classroom`.
"""

# ruff: noqa: N802 - Solara components are named like classes
from __future__ import annotations

import contextlib
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import ipyvuetify as v
import numpy as np
import reacton.core
import solara
import traitlets

from cxsim.app import classroom
from cxsim.core.errors import InputError
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import Scenario, load_scenario, scenario_names
from cxsim.rules.choice import DELIVERY, PICKUP, WALK_IN
from cxsim.rules.research import CHANNELS as RESEARCH_CHANNELS

CLASSROOM_SHOPPERS = 1000
"""Shoppers in the app's town unless the user asks for more: a step takes ~2 ms."""
MAX_DOTS = 2500
"""At most this many shoppers are drawn on the map (a fixed random sample beyond)."""
SHARE_WINDOW = 30
"""Days over which market share and the customer-journey flow are counted."""
CHANNEL_WINDOW = 7
"""Days of the rolling window of the channel-share chart (a small town is noisy day to day)."""
RATE_WINDOW = 14
"""Days of the rolling window of the showrooming/webrooming chart."""
MAX_REDRAWS_PER_SECOND = 4.0
"""While playing, the page is redrawn at most this often; faster speeds step several days per redraw."""
MIN_PAUSE_S = 0.05
"""The play loop always sleeps this long between redraws, so clicks are never starved."""
SPEED_RANGE = (1, 60)
"""Play speeds offered, in simulated days per second."""

CHANNEL_NAMES = ("walk-in", "home delivery", "pick-up in store")
CHANNEL_COLORS = ("#2e9e44", "#2f6fb3", "#f28e2b")
NO_DATA_COLOR = "#c9ced6"
STORE_COLORS = (
    "#d1495b",
    "#7b5ea7",
    "#8d6a4f",
    "#00a6a6",
    "#e377c2",
    "#b8b13a",
    "#5c6bc0",
    "#6d7a86",
    "#c05600",
    "#2a9d8f",
)
RATE_NAMES = ("showrooming", "competitive showrooming", "webrooming")
RATE_COLORS = ("#e4572e", "#f5a25d", "#6a3d9a")
RESEARCH_NAMES = ("habit, no research", "online research", "store visit")
JOURNEY_COLORS = {"showrooming": "#e4572e", "webrooming": "#6a3d9a", "other journeys": "#b9c6d8"}
KIND_SHAPES = {"physical": "square", "omnichannel": "diamond", "online": "triangle-up"}
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# solara 1.64 serves vega@5, vega-lite@5 and vega-embed@6 from its asset proxy:
# specs are written for Vega-Lite 5 by hand (Altair 6 would write v6 specs)
assert RESEARCH_CHANNELS == ("none", "online", "visit")

_session_ids = itertools.count(1)


# =============================================================================== levers


@dataclass(frozen=True)
class Levers:
    """The main levers of the town, as the sliders show them.

    Each lever moves a group of stores of the chosen preset; a lever left at
    the preset's value changes nothing (see :func:`lever_overrides`).
    """

    online_price_advantage: float = 0.10
    """How much cheaper online-only stores are than the reference price 1.0."""
    service: float = 0.70
    """Mean service quality of the stores with a shop floor (physical and omnichannel)."""
    personalization: float = 0.45
    """Mean personalization capability of the stores with a shop floor."""
    delivery_days: float = 2.0
    """Mean delivery time of the stores that deliver (online and omnichannel)."""
    bopis: bool = True
    """Buy online, pick up in store at the omnichannel stores."""
    shoppers: int = CLASSROOM_SHOPPERS
    seed: int = 42


LEVER_RANGES: dict[str, tuple[float, float, float]] = {
    "online_price_advantage": (-0.20, 0.50, 0.01),
    "service": (0.0, 1.0, 0.01),
    "personalization": (0.0, 1.0, 0.01),
    "delivery_days": (0.0, 10.0, 0.5),
    "shoppers": (200, 10_000, 100),
}


def _mean(values: Sequence[float], default: float) -> float:
    return float(np.mean(values)) if len(values) else default


def levers_from_scenario(
    spec: Scenario, shoppers: int = CLASSROOM_SHOPPERS, seed: int | None = None
) -> Levers:
    """The lever values a scenario implies (rounded as the sliders step)."""
    stores = list(spec.stores.values())
    online = [s.price for s in stores if s.kind == "online"]
    floor = [s for s in stores if s.kind != "online"]
    delivering = [s.delivery_days for s in stores if s.kind != "physical"]
    omni = [s.bopis for s in stores if s.kind == "omnichannel"]
    return Levers(
        online_price_advantage=round(1.0 - _mean(online, 0.9), 2),
        service=round(_mean([s.service_quality for s in floor], 0.7), 2),
        personalization=round(_mean([s.personalization for s in floor], 0.45), 2),
        delivery_days=round(_mean(delivering, 2.0) * 2) / 2,
        bopis=any(omni) if omni else False,
        shoppers=int(shoppers),
        seed=int(spec.seed if seed is None else seed),
    )


def levers_available(spec: Scenario) -> dict[str, bool]:
    """Which levers have stores to act on in this scenario."""
    kinds = {s.kind for s in spec.stores.values()}
    return {
        "online_price_advantage": "online" in kinds,
        "service": bool(kinds - {"online"}),
        "personalization": bool(kinds - {"online"}),
        "delivery_days": bool(kinds - {"physical"}),
        "bopis": "omnichannel" in kinds,
    }


def _num(x: float) -> str:
    return repr(round(float(x), 4))


def lever_overrides(spec: Scenario, base: Levers, chosen: Levers) -> list[str]:
    """``--set`` overrides that turn the preset ``spec`` (whose levers are ``base``) into ``chosen``.

    Levers shift a group of stores by the slider's change, keeping the
    differences between the stores of the group:

    - online price advantage: price of every ``online`` store, lowered by the change;
    - service and personalization: every store with a shop floor
      (``physical`` and ``omnichannel``), clipped to 0..1 (a service target
      set by the preset moves along);
    - delivery days: every store that delivers (``online``, ``omnichannel``);
    - pick-up in store: ``bopis`` of every ``omnichannel`` store;
    - shoppers: ``town.shoppers`` (always set; the seed goes to the model as ``rng``).
    """
    out = [f"town.shoppers={int(chosen.shoppers)}"]
    d_price = chosen.online_price_advantage - base.online_price_advantage
    d_service = chosen.service - base.service
    d_pers = chosen.personalization - base.personalization
    d_days = chosen.delivery_days - base.delivery_days
    for name, st in spec.stores.items():
        key = f"stores.{name}"
        if st.kind == "online" and abs(d_price) > 1e-9:
            out.append(f"{key}.price={_num(max(0.05, st.price - d_price))}")
        if st.kind != "online" and abs(d_service) > 1e-9:
            out.append(f"{key}.service_quality={_num(min(1.0, max(0.0, st.service_quality + d_service)))}")
            if st.target_service is not None:
                out.append(f"{key}.target_service={_num(min(1.0, max(0.0, st.target_service + d_service)))}")
        if st.kind != "online" and abs(d_pers) > 1e-9:
            out.append(f"{key}.personalization={_num(min(1.0, max(0.0, st.personalization + d_pers)))}")
        if st.kind != "physical" and abs(d_days) > 1e-9:
            out.append(f"{key}.delivery_days={_num(max(0.0, st.delivery_days + d_days))}")
        if st.kind == "omnichannel" and chosen.bopis != base.bopis:
            out.append(f"{key}.bopis={'true' if chosen.bopis else 'false'}")
    return out


def lever_notes(base: Levers, chosen: Levers) -> list[str]:
    """Plain words for every lever moved away from the preset (shoppers excepted)."""
    notes = []
    for f in fields(Levers):
        if f.name == "shoppers":
            continue
        a, b = getattr(base, f.name), getattr(chosen, f.name)
        if a != b:
            notes.append(classroom.lever_note(f.name, a, b))
    return notes


def default_preset(names: Sequence[str]) -> str | None:
    """``baseline`` if there is one, else the first preset."""
    if "baseline" in names:
        return "baseline"
    return names[0] if names else None


# ============================================================================== session


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
    kpis: dict[str, Any]
    data: dict[str, list[dict[str, Any]]]
    """Datasets of the map and the charts, by name."""
    charts: dict[str, str]
    """The datasets each chart needs (:data:`CHART_DATA`), as JSON, by chart."""
    today: str
    happenings: list[classroom.Happening]
    questions: list[str]
    notes: list[str]
    story: classroom.ScenarioStory
    step_ms: float = 0.0


@dataclass
class _History:
    """What the charts need, day by day (the model keeps no per-day journey counts)."""

    days: list[int] = field(default_factory=list)
    channels: list[np.ndarray] = field(default_factory=list)  # (3,) walk-in, delivery, pick-up
    journeys: list[np.ndarray] = field(default_factory=list)  # (3 research, 3 fulfilment)
    journey_rates: list[np.ndarray] = field(default_factory=list)  # showroomed, competitive, webroomed
    store_purchases: list[np.ndarray] = field(default_factory=list)  # (S,)
    store_cash: list[np.ndarray] = field(default_factory=list)  # (S,)
    nps: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (S,) rolling NPS now


class Session:
    """One browser session's town: the model, its history and the narration.

    Thread-safe: :meth:`step` and :meth:`view` take the session's lock.

    Args:
        preset: a scenario name under ``scenarios/`` (or a path).
        levers: the levers to build the town with; ``None`` takes the preset's
            own (with :data:`CLASSROOM_SHOPPERS` shoppers).
    """

    def __init__(self, preset: str, levers: Levers | None = None) -> None:
        self.id = next(_session_ids)
        self.preset = preset
        self.preset_spec = load_scenario(preset)
        shoppers = CLASSROOM_SHOPPERS if levers is None else levers.shoppers
        self.base = levers_from_scenario(self.preset_spec, shoppers=shoppers)
        self.levers = self.base if levers is None else levers
        self.overrides = lever_overrides(self.preset_spec, self.base, self.levers)
        self.spec = load_scenario(preset, self.overrides)
        self.model = CXModel(self.spec, rng=self.levers.seed)
        self.lock = threading.RLock()
        self.history = _History()
        self.labels = [s.label for s in self.model.stores]
        self.colors = [STORE_COLORS[i % len(STORE_COLORS)] for i in range(len(self.labels))]
        self.story = classroom.scenario_story(self.spec)
        self.happenings: list[classroom.Happening] = []
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
        r = p.research.astype(np.int64)
        h.journeys.append(np.bincount(3 * r + f, minlength=9)[:9].reshape(3, 3).astype(np.int64))
        h.journey_rates.append(
            np.array(
                [int(p.showroomed.sum()), int(p.competitive_showroomed.sum()), int(p.webroomed.sum())],
                dtype=np.int64,
            )
        )
        h.store_purchases.append(np.bincount(p.store.astype(np.int64), minlength=S)[:S].astype(np.int64))
        h.store_cash.append(np.array([s.cash for s in m.stores], dtype=float))
        h.nps = m.nps.by_store()

    def _read_log(self) -> None:
        new = self.model.log[self._log_seen :]
        self._log_seen = len(self.model.log)
        self.happenings.extend(classroom.happenings(new, self.spec))

    # ------------------------------------------------------------------- views
    def view(self) -> View:
        """A snapshot of everything the page shows."""
        with self.lock:
            day = self.day
            data = {
                "dots": self._dots(),
                "stores": self._stores(),
                "frame": self._frame(),
                "events": event_rows(self.spec),
                "now": [{"day": day}],
                "channels": rolling_rows(
                    self.history.days, self.history.channels, CHANNEL_NAMES, CHANNEL_WINDOW
                ),
                "rates": rolling_rows(
                    self.history.days,
                    self.history.journey_rates,
                    RATE_NAMES,
                    RATE_WINDOW,
                    totals=self.history.channels,
                ),
                "cash": self._cash_rows(),
                "closures": self._closure_rows(),
                **journey_flow(self._journey_counts()),
            }
            today = self._today_counts()
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
                kpis=self._kpis(),
                data=data,
                charts=chart_json(data),
                today=classroom.day_summary(day, today, list(self.model.conditions.active) if day else []),
                happenings=list(self.happenings),
                questions=classroom.discussion_questions(
                    self.spec, self.happenings, day, lever_notes(self.base, self.levers)
                ),
                notes=lever_notes(self.base, self.levers),
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

    def _window_sum(self, series: list[np.ndarray], window: int = SHARE_WINDOW) -> np.ndarray | None:
        if not series:
            return None
        return np.sum(series[-window:], axis=0)

    def market_shares(self) -> np.ndarray:
        """Each store's share of purchases over the last :data:`SHARE_WINDOW` days.

        On day 0: the share of shoppers whose last purchase (in the warm-up)
        was at the store (one day of a small town is too few purchases).
        """
        S = len(self.model.stores)
        counts = self._window_sum(self.history.store_purchases) if self.day > 0 else None
        if counts is None:
            last = self.model.shoppers.last_store
            counts = np.bincount(last[last >= 0].astype(np.int64), minlength=S)[:S]
        total = counts.sum()
        return counts / total if total else np.zeros(S)

    def _journey_counts(self) -> np.ndarray:
        counts = self._window_sum(self.history.journeys)
        return np.zeros((3, 3), dtype=np.int64) if counts is None else counts

    def _kpis(self) -> dict[str, Any]:
        ch = self._window_sum(self.history.channels)
        jr = self._window_sum(self.history.journey_rates)
        n = int(ch.sum()) if ch is not None else 0
        online = float((ch[DELIVERY] + ch[PICKUP]) / n) if n else None
        return {
            "day": self.day,
            "purchases_today": int(self.history.channels[-1].sum()) if self.history.days else None,
            "online_share": online,
            "showrooming": float(jr[0] / n) if n and jr is not None else None,
            "webrooming": float(jr[2] / n) if n and jr is not None else None,
            "nps": _finite(self.model.nps.overall()) if self.history.days else None,
            "open_stores": sum(s.is_open for s in self.model.stores),
            "stores": len(self.model.stores),
        }

    def _dots(self) -> list[dict[str, Any]]:
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

    def _frame(self) -> list[dict[str, Any]]:
        size = float(self.spec.town.size_km)
        town = {"x": 0.0, "x2": size, "y": 0.0, "y2": size, "kind": "town", "fill": "#f3f6f9", "text": ""}
        if not self._online_stores():
            return [town]
        online = {
            "x": size + 0.6,
            "x2": size + 3.0,
            "y": 0.0,
            "y2": size,
            "kind": "online",
            "fill": "#eef0fb",
        }
        return [town, {**online, "text": "ONLINE", "cx": size + 1.8}]

    def _online_stores(self) -> list[int]:
        return [s.index for s in self.model.stores if s.kind == "online"]

    def _stores(self) -> list[dict[str, Any]]:
        m = self.model
        size = float(self.spec.town.size_km)
        shares = self.market_shares()
        online = self._online_stores()
        rows = []
        for s in m.stores:
            if s.kind == "online":
                k = online.index(s.index)
                x, y = size + 1.8, size * (1.0 - (k + 1) / (len(online) + 1))
            else:
                x, y = float(s.x), float(s.y)
            if s.is_open:
                status = "open"
            elif s.closed_on is not None:
                status = f"closed on day {s.closed_on}"
            else:
                status = "not open yet"
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
                    "color": self.colors[s.index] if s.is_open else "#9e9e9e",
                    "size": round(180 + 2600 * share, 1),
                    "open": bool(s.is_open),
                    "mark": "✕" if s.closed_on is not None else "",
                    "status": status,
                    "share": round(share, 4),
                    "share_text": f"{share:.0%}",
                    "nps": _finite(self.history.nps[s.index]),
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

    def _cash_rows(self) -> list[dict[str, Any]]:
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

    def _closure_rows(self) -> list[dict[str, Any]]:
        return [
            {"day": h.day, "store": h.store, "text": h.text}
            for h in self.happenings
            if h.kind == "closure" and h.store is not None
        ]


def _finite(x: float) -> float | None:
    x = float(x)
    return round(x, 2) if math.isfinite(x) else None


# ======================================================================= chart data

CHART_DATA: dict[str, tuple[str, ...]] = {
    "map": ("frame", "dots", "stores"),
    "channels": ("channels", "events", "now"),
    "rates": ("rates", "events", "now"),
    "shares": ("stores",),
    "nps": ("stores",),
    "cash": ("cash", "closures", "events", "now"),
    "journeys": ("journey_links", "journey_nodes"),
}
"""The named datasets of each chart."""


def chart_json(data: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Each chart's datasets as compact JSON (NaN is not JSON: none is left in ``data``)."""
    return {
        chart: json.dumps({k: data[k] for k in names}, separators=(",", ":"), allow_nan=False)
        for chart, names in CHART_DATA.items()
    }


def event_rows(spec: Scenario) -> list[dict[str, Any]]:
    """The scenario's calendar as bands on a time axis."""
    labels = classroom.labels_of(spec)
    rows = []
    for ev in spec.events:
        start, end = classroom.event_span(ev)
        rows.append(
            {
                "start": start,
                "end": end,
                "short": classroom.event_short(ev, labels),
                "text": classroom.event_start_text(ev, labels),
            }
        )
    return rows


def rolling_rows(
    days: Sequence[int],
    counts: Sequence[np.ndarray],
    names: Sequence[str],
    window: int,
    totals: Sequence[np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """Rolling shares: for each day, ``sum(counts) / sum(totals)`` over the last ``window`` days.

    Without ``totals`` each count is divided by the sum of the counts (shares
    that add up to 1). Pooling counts over a window, rather than averaging
    daily shares, weighs each purchase equally. Days with no purchases in the
    window are left out.
    """
    if not days:
        return []
    c = np.cumsum(np.vstack([np.zeros(len(names)), np.asarray(counts, dtype=float)]), axis=0)
    if totals is None:
        t_all = c.sum(axis=1)
    else:
        t = np.asarray(totals, dtype=float).sum(axis=1)
        t_all = np.concatenate([[0.0], np.cumsum(t)])
    n = len(days)
    lo = np.maximum(np.arange(1, n + 1) - window, 0)
    hi = np.arange(1, n + 1)
    num = c[hi] - c[lo]
    den = t_all[hi] - t_all[lo]
    rows = []
    for k in range(n):
        if den[k] <= 0:
            continue
        row: dict[str, Any] = {"day": int(days[k])}
        for j, name in enumerate(names):
            row[name] = round(float(num[k, j] / den[k]), 4)
        rows.append(row)
    return rows


def journey_flow(counts: np.ndarray, points: int = 17, gap: float = 0.05) -> dict[str, list[dict[str, Any]]]:
    """A Sankey diagram of research channel -> fulfilment, as Vega-Lite data.

    ``counts[r, f]`` counts purchases by research channel (none, online
    research, store visit) and fulfilment (walk-in, delivery, pick-up).
    Returns ``journey_nodes`` (one rectangle per channel on each side) and
    ``journey_links`` (one row per flow: its top on the left ``a`` and on
    the right ``b``, its height ``h`` and ``points`` steps ``t`` from x=0 to
    x=1; the chart's transforms draw the band with a smooth step
    ``a + (b - a)(3t² - 2t³)``). Store visit -> delivery is showrooming,
    online research -> walk-in is webrooming.
    """
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    if total <= 0:
        return {"journey_nodes": nodes, "journey_links": links}
    scale = (1.0 - 2 * gap) / total
    left_tot, right_tot = counts.sum(axis=1), counts.sum(axis=0)

    def stack(tot: np.ndarray) -> np.ndarray:
        tops = np.zeros(3)
        y = 0.0
        for k in range(3):
            tops[k] = y
            y += tot[k] * scale + gap
        return tops

    left_top, right_top = stack(left_tot), stack(right_tot)
    for side, names, tops, tot in (
        ("research", RESEARCH_NAMES, left_top, left_tot),
        ("purchase", CHANNEL_NAMES, right_top, right_tot),
    ):
        for k, name in enumerate(names):
            h = tot[k] * scale
            nodes.append(
                {
                    "side": side,
                    "x": -0.04 if side == "research" else 1.0,
                    "x2": 0.0 if side == "research" else 1.04,
                    "y": round(float(tops[k]), 4),
                    "y2": round(float(tops[k] + h), 4),
                    "ym": round(float(tops[k] + h / 2), 4),
                    "label": f"{name} {tot[k] / total:.0%}",
                    "color": "#5f6b7a" if side == "research" else CHANNEL_COLORS[k],
                }
            )
    ts = np.round(np.linspace(0.0, 1.0, points), 4).tolist()
    left_off = left_top.copy()
    right_off = right_top.copy()
    for r in range(3):
        for f in range(3):
            n = counts[r, f]
            if n <= 0:
                continue
            h = n * scale
            a0, b0 = left_off[r], right_off[f]
            left_off[r] += h
            right_off[f] += h
            if r == 2 and f == DELIVERY:
                kind = "showrooming"
            elif r == 1 and f == WALK_IN:
                kind = "webrooming"
            else:
                kind = "other journeys"
            links.append(
                {
                    "link": f"{r}{f}",
                    "kind": kind,
                    "tip": f"{RESEARCH_NAMES[r]} → {CHANNEL_NAMES[f]}: {int(n):,} purchases "
                    f"({n / total:.0%})",
                    "a": round(float(a0), 4),
                    "b": round(float(b0), 4),
                    "h": round(float(h), 4),
                    "t": ts,
                }
            )
    return {"journey_nodes": nodes, "journey_links": links}


# ======================================================================== chart specs

_CONFIG = {
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#eceff3", "domainColor": "#9aa5b1"},
    "legend": {"labelFontSize": 11, "orient": "top", "title": None, "symbolSize": 90},
    "font": "Roboto, Helvetica, Arial, sans-serif",
}


def _vl(height: int, layers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": _CONFIG,
        "layer": layers,
        **extra,
    }


def _time_x(days: int, title: str | None = "day") -> dict[str, Any]:
    return {
        "field": "day",
        "type": "quantitative",
        "title": title,
        "scale": {"domain": [0, days], "nice": False, "zero": True},
    }


def _event_layers(days: int) -> list[dict[str, Any]]:
    """Shaded bands for the scenario's events, their names, and a rule at today."""
    x = {"field": "start", "type": "quantitative", "scale": {"domain": [0, days], "nice": False}}
    return [
        {
            "data": {"name": "events"},
            "mark": {"type": "rect", "color": "#8a94a6", "opacity": 0.16},
            "encoding": {"x": x, "x2": {"field": "end"}, "tooltip": [{"field": "text", "title": "event"}]},
        },
        {
            "data": {"name": "events"},
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "top",
                "dx": 3,
                "dy": 3,
                "fontSize": 10,
                "color": "#4a5462",
            },
            "encoding": {"x": x, "y": {"value": 0}, "text": {"field": "short"}},
        },
        {
            "data": {"name": "now"},
            "mark": {"type": "rule", "color": "#37474f", "strokeDash": [3, 3], "opacity": 0.6},
            "encoding": {"x": {"field": "day", "type": "quantitative"}},
        },
    ]


def _fold_order(names: Sequence[str], as_: str) -> list[dict[str, Any]]:
    return [
        {"fold": list(names), "as": ["series", as_]},
        {"calculate": f"indexof({json.dumps(list(names))}, datum.series)", "as": "order"},
    ]


def channel_spec(days: int) -> dict[str, Any]:
    """Shares of walk-in, delivery and pick-up over time (rolling window), events shaded."""
    return _vl(
        190,
        [
            {
                "data": {"name": "channels"},
                "transform": _fold_order(CHANNEL_NAMES, "share"),
                "mark": {"type": "area", "opacity": 0.88, "interpolate": "monotone"},
                "encoding": {
                    "x": _time_x(days),
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "stack": "zero",
                        "title": f"share of purchases ({CHANNEL_WINDOW}-day)",
                        "axis": {"format": "%", "tickCount": 5},
                        "scale": {"domain": [0, 1]},
                    },
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        "scale": {"domain": list(CHANNEL_NAMES), "range": list(CHANNEL_COLORS)},
                    },
                    "order": {"field": "order"},
                    "tooltip": [
                        {"field": "day", "type": "quantitative"},
                        {"field": "series", "title": "channel"},
                        {"field": "share", "type": "quantitative", "format": ".0%"},
                    ],
                },
            },
            *_event_layers(days),
        ],
    )


def rates_spec(days: int) -> dict[str, Any]:
    """Showrooming, competitive showrooming and webrooming rates over time."""
    return _vl(
        190,
        [
            {
                "data": {"name": "rates"},
                "transform": _fold_order(RATE_NAMES, "rate"),
                "mark": {"type": "line", "interpolate": "monotone", "strokeWidth": 2},
                "encoding": {
                    "x": _time_x(days),
                    "y": {
                        "field": "rate",
                        "type": "quantitative",
                        "title": f"share of purchases ({RATE_WINDOW}-day)",
                        "axis": {"format": "%", "tickCount": 5},
                        "scale": {"domain": {"unionWith": [0, 0.1]}},
                    },
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        "scale": {"domain": list(RATE_NAMES), "range": list(RATE_COLORS)},
                    },
                    "tooltip": [
                        {"field": "day", "type": "quantitative"},
                        {"field": "series", "title": "journey"},
                        {"field": "rate", "type": "quantitative", "format": ".1%"},
                    ],
                },
            },
            *_event_layers(days),
        ],
    )


def cash_spec(days: int, labels: Sequence[str], colors: Sequence[str]) -> dict[str, Any]:
    """Each store's cash over time (symmetric log scale: a store closes when it goes below 0)."""
    color = {
        "field": "store",
        "type": "nominal",
        "scale": {"domain": list(labels), "range": list(colors)},
    }
    return _vl(
        190,
        [
            {
                "data": {"name": "cash"},
                "transform": [
                    {"fold": [f"s{i}" for i in range(len(labels))], "as": ["key", "cash"]},
                    {
                        "calculate": f"{json.dumps(list(labels))}[toNumber(substring(datum.key, 1))]",
                        "as": "store",
                    },
                ],
                "mark": {"type": "line", "strokeWidth": 2},
                "encoding": {
                    "x": _time_x(days),
                    "y": {
                        "field": "cash",
                        "type": "quantitative",
                        "title": "cash (log scale)",
                        "scale": {"type": "symlog", "constant": 1000, "zero": True, "nice": False},
                        "axis": {
                            "values": [0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
                            "labelExpr": "datum.value == 0 ? '0' : format(datum.value, '~s')",
                        },
                    },
                    "color": color,
                    "tooltip": [
                        {"field": "day", "type": "quantitative"},
                        {"field": "store"},
                        {"field": "cash", "type": "quantitative", "format": ",.0f"},
                    ],
                },
            },
            {
                "data": {"name": "closures"},
                "mark": {"type": "rule", "color": "#b71c1c", "strokeDash": [4, 3]},
                "encoding": {
                    "x": {"field": "day", "type": "quantitative"},
                    "tooltip": [{"field": "text", "title": "closure"}],
                },
            },
            *_event_layers(days),
        ],
    )


def _store_axis(labels: Sequence[str]) -> dict[str, Any]:
    """Stores on the y axis, in the scenario's order, all of them (a bar may be missing)."""
    return {
        "field": "store",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(labels)},
        "sort": None,
    }


def share_spec(height: int, labels: Sequence[str]) -> dict[str, Any]:
    """Market share by store over the last :data:`SHARE_WINDOW` days (bars)."""
    y = _store_axis(labels)
    return _vl(
        height,
        [
            {
                "data": {"name": "stores"},
                "mark": {"type": "bar", "cornerRadiusEnd": 2, "height": {"band": 0.7}},
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "share",
                        "type": "quantitative",
                        "title": f"market share ({SHARE_WINDOW} days)",
                        "axis": {"format": "%", "tickCount": 4},
                        "scale": {"domainMin": 0},
                    },
                    "color": {"field": "color", "type": "nominal", "scale": None},
                    "tooltip": [
                        {"field": "store"},
                        {"field": "share", "type": "quantitative", "format": ".1%", "title": "market share"},
                        {"field": "status"},
                    ],
                },
            },
            {
                "data": {"name": "stores"},
                "mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 10, "color": "#37474f"},
                "encoding": {
                    "y": y,
                    "x": {"field": "share", "type": "quantitative"},
                    "text": {"field": "share_text"},
                },
            },
        ],
    )


def nps_spec(height: int, labels: Sequence[str]) -> dict[str, Any]:
    """Net Promoter Score by store (rolling, as the model keeps it); no bar where nobody answered."""
    y = _store_axis(labels)
    return _vl(
        height,
        [
            {
                "data": {"name": "stores"},
                "transform": [{"filter": "datum.nps != null"}],
                "mark": {"type": "bar", "cornerRadiusEnd": 2, "height": {"band": 0.7}},
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "nps",
                        "type": "quantitative",
                        "title": "NPS (last 30 days)",
                        "scale": {"domain": [-100, 100]},
                        "axis": {"tickCount": 5},
                    },
                    "color": {"field": "color", "type": "nominal", "scale": None},
                    "tooltip": [
                        {"field": "store"},
                        {"field": "nps", "type": "quantitative", "format": "+.0f"},
                    ],
                },
            },
            {
                "data": {"values": [{"zero": 0}]},
                "mark": {"type": "rule", "color": "#607080"},
                "encoding": {"x": {"field": "zero", "type": "quantitative"}},
            },
        ],
    )


def journey_spec() -> dict[str, Any]:
    """The customer-journey flow: research channel -> how the purchase was fulfilled."""
    x_scale = {"domain": [-0.62, 1.62], "nice": False, "zero": False}
    y_scale = {"domain": [0, 1], "reverse": True, "nice": False}
    hide = {"axis": None}
    return _vl(
        210,
        [
            {
                "data": {"name": "journey_links"},
                "transform": [
                    {"flatten": ["t"]},
                    {
                        "calculate": "datum.a + (datum.b - datum.a) * datum.t * datum.t * (3 - 2 * datum.t)",
                        "as": "y",
                    },
                    {"calculate": "datum.y + datum.h", "as": "y2"},
                ],
                "mark": {"type": "area", "opacity": 0.7, "interpolate": "linear"},
                "encoding": {
                    "x": {"field": "t", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "y2": {"field": "y2"},
                    "detail": {"field": "link"},
                    "color": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": {"domain": list(JOURNEY_COLORS), "range": list(JOURNEY_COLORS.values())},
                    },
                    "tooltip": [{"field": "tip", "title": "journey"}, {"field": "kind", "title": "type"}],
                },
            },
            {
                "data": {"name": "journey_nodes"},
                "mark": {"type": "rect"},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "x2": {"field": "x2"},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "y2": {"field": "y2"},
                    "color": {"field": "color", "type": "nominal", "scale": None},
                    "tooltip": [{"field": "label", "title": "channel"}],
                },
            },
            *(
                {
                    "data": {"name": "journey_nodes"},
                    "transform": [
                        {"filter": f"datum.side == '{side}'"},
                        {"calculate": expr, "as": "lx"},
                    ],
                    "mark": {
                        "type": "text",
                        "fontSize": 11,
                        "color": "#263238",
                        "baseline": "middle",
                        "align": align,
                    },
                    "encoding": {
                        "x": {"field": "lx", "type": "quantitative", "scale": x_scale, **hide},
                        "y": {"field": "ym", "type": "quantitative", "scale": y_scale, **hide},
                        "text": {"field": "label"},
                    },
                }
                for side, expr, align in (
                    ("research", "datum.x - 0.02", "right"),
                    ("purchase", "datum.x2 + 0.02", "left"),
                )
            ),
        ],
    )


def map_spec(
    size_km: float,
    labels: Sequence[str],
    colors: Sequence[str],
    segments: Sequence[str],
    color_by: str,
    height: int = 440,
    online: bool = True,
) -> dict[str, Any]:
    """The town map: shoppers' homes as dots, stores by kind and market share, online stores to the right."""
    S = len(labels)
    width_km = size_km + (3.3 if online else 0.3)
    x_scale = {"domain": [-0.3, width_km], "nice": False, "zero": False}
    y_scale = {"domain": [-0.3, size_km + 0.3], "nice": False, "zero": False}
    hide = {"axis": None}
    channel_names = json.dumps(["no purchase yet", *CHANNEL_NAMES])
    store_names = json.dumps([*labels, "no favourite yet"])
    segment_names = json.dumps([classroom.pretty_name(g).lower() for g in segments])
    if color_by == "loyalty":
        color = {
            "field": "loyal",
            "type": "nominal",
            "title": "loyal to",
            "scale": {"domain": [*labels, "no favourite yet"], "range": [*colors, NO_DATA_COLOR]},
            "legend": {"orient": "bottom", "title": "most loyal to", "columns": 4},
        }
    else:
        color = {
            "field": "channel",
            "type": "nominal",
            "scale": {
                "domain": [*CHANNEL_NAMES, "no purchase yet"],
                "range": [*CHANNEL_COLORS, NO_DATA_COLOR],
            },
            "legend": {"orient": "bottom", "title": "last purchase"},
        }
    dot_transforms = [
        {"flatten": ["i", "x", "y", "g", "r", "f", "s", "d", "l", "lv"]},
        {"calculate": f"{channel_names}[datum.f + 1]", "as": "channel"},
        {"calculate": f"{store_names}[datum.l < 0 ? {S} : datum.l]", "as": "loyal"},
        {"calculate": f"{segment_names}[datum.g]", "as": "segment"},
        {"calculate": "'Shopper ' + datum.i", "as": "who"},
        {
            "calculate": "datum.f < 0 ? 'nothing yet' : datum.channel + ' at ' + "
            f"{store_names}[datum.s] + (datum.d > 0 ? ', day ' + datum.d : ', before day 1')",
            "as": "last purchase",
        },
        {
            "calculate": "datum.l < 0 ? 'nobody yet' : datum.loyal + ' (' + format(datum.lv, '.2f') + ')'",
            "as": "most loyal to",
        },
        {"calculate": "datum.r ? 'shops for pleasure' : 'task-oriented'", "as": "style"},
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {**_CONFIG, "legend": {**_CONFIG["legend"], "orient": "bottom"}},
        "layer": [
            {
                "data": {"name": "frame"},
                "mark": {"type": "rect", "cornerRadius": 6},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "x2": {"field": "x2"},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "y2": {"field": "y2"},
                    "fill": {"field": "fill", "type": "nominal", "scale": None},
                },
            },
            {
                "data": {"name": "frame"},
                "transform": [{"filter": "datum.kind == 'online'"}],
                "mark": {"type": "text", "fontSize": 11, "fontWeight": "bold", "color": "#7986cb", "dy": 12},
                "encoding": {
                    "x": {"field": "cx", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y2", "type": "quantitative", "scale": y_scale, **hide},
                    "text": {"field": "text"},
                },
            },
            {
                "data": {"name": "dots"},
                "transform": dot_transforms,
                "mark": {"type": "circle", "size": 16, "opacity": 0.8},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "color": color,
                    "tooltip": [
                        {"field": "who", "title": "shopper"},
                        {"field": "segment"},
                        {"field": "style"},
                        {"field": "last purchase"},
                        {"field": "most loyal to"},
                    ],
                },
            },
            {
                "data": {"name": "stores"},
                "mark": {
                    "type": "point",
                    "filled": True,
                    "stroke": "#263238",
                    "strokeWidth": 1.5,
                    "opacity": 1,
                },
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "shape": {"field": "shape", "type": "nominal", "scale": None},
                    "size": {"field": "size", "type": "quantitative", "scale": None},
                    "fill": {"field": "color", "type": "nominal", "scale": None},
                    "tooltip": [
                        {"field": "store"},
                        {"field": "kind"},
                        {"field": "status"},
                        {"field": "channels"},
                        {"field": "share", "type": "quantitative", "format": ".1%", "title": "market share"},
                        {"field": "nps", "type": "quantitative", "format": "+.0f", "title": "NPS"},
                        {"field": "price", "type": "quantitative", "format": ".2f", "title": "price index"},
                        {"field": "service", "type": "quantitative", "format": ".2f", "title": "service"},
                        {"field": "personalization", "type": "quantitative", "format": ".2f"},
                        {"field": "cash", "type": "quantitative", "format": ",.0f"},
                    ],
                },
            },
            {
                "data": {"name": "stores"},
                "mark": {"type": "text", "fontSize": 20, "fontWeight": "bold", "color": "#b71c1c"},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "text": {"field": "mark"},
                },
            },
            {
                "data": {"name": "stores"},
                "mark": {
                    "type": "text",
                    "fontSize": 11,
                    "fontWeight": "bold",
                    "baseline": "top",
                    "dy": 14,
                    "color": "#263238",
                    "stroke": "#ffffff",
                    "strokeWidth": 3,
                    "strokeOpacity": 0.85,
                },
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "text": {"field": "name"},
                },
            },
            {
                "data": {"name": "stores"},
                "mark": {"type": "text", "fontSize": 11, "fontWeight": "bold", "baseline": "top", "dy": 14},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "scale": x_scale, **hide},
                    "y": {"field": "y", "type": "quantitative", "scale": y_scale, **hide},
                    "text": {"field": "name"},
                    "color": {"value": "#263238"},
                },
            },
        ],
    }


# ========================================================================== the widget

VEGA_TEMPLATE = r"""
<template>
  <div class="cx-vega" :data-chart="name" style="width: 100%">
    <div ref="plot" class="cx-vega-plot" style="width: 100%"></div>
  </div>
</template>
<script>
module.exports = {
  mounted() {
    this.queue = this.loadVega().then(() => this.embed());
  },
  destroyed() {
    if (this.observer) { this.observer.disconnect(); this.observer = null; }
    if (this.view) { this.view.finalize(); this.view = null; }
  },
  watch: {
    spec() { this.queue = this.queue.then(() => this.embed()); },
    datasets() {
      // coalesce: while an update waits its turn, newer data need no extra update of their own
      if (this.updatePending) { return; }
      this.updatePending = true;
      this.queue = this.queue.then(() => { this.updatePending = false; return this.update(); });
    },
  },
  methods: {
    async embed() {
      if (this.view) { this.view.finalize(); this.view = null; }
      const spec = JSON.parse(this.spec || '{}');
      spec.datasets = Object.assign({}, spec.datasets || {}, JSON.parse(this.datasets || '{}'));
      const vegaEmbed = await this.need('vega-embed');
      const result = await vegaEmbed(this.$refs.plot, spec, {
        actions: false, renderer: this.renderer || 'svg', tooltip: {theme: 'light'}
      });
      this.view = result.view;
      this.$el.__cxsimView = result.view;  // for tests: scales and scenegraph of the view
      if (!this.observer && window.ResizeObserver) {
        this.observer = new ResizeObserver(() => { if (this.view) { this.view.resize().runAsync(); } });
        this.observer.observe(this.$refs.plot);
      }
      this.rendered();
    },
    async update() {
      if (!this.view) { return this.embed(); }
      const vega = await this.need('vega');
      const data = JSON.parse(this.datasets || '{}');
      for (const name of Object.keys(data)) {
        this.view.change(name, vega.changeset().remove(vega.truthy).insert(data[name]));
      }
      await this.view.runAsync();
      this.rendered();
    },
    rendered() {
      const n = Number(this.$el.getAttribute('data-renders') || 0) + 1;
      this.$el.setAttribute('data-renders', String(n));
    },
    need(name) {
      return new Promise((resolve, reject) => require([name], resolve, reject));
    },
    async loadVega() {
      if (!window.requirejs) {
        await new Promise((resolve, reject) => {
          const script = document.createElement('script');
          script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
          script.onload = resolve;
          script.onerror = reject;
          document.head.appendChild(script);
        });
      }
      const cdn = this.getCdn();
      require.config({ map: { '*': {
        'vega': `${cdn}/vega@5/build/vega.min.js`,
        'vega-lite': `${cdn}/vega-lite@5/build/vega-lite.min.js`,
        'vega-embed': `${cdn}/vega-embed@6/build/vega-embed.min.js`,
      } } });
      await this.need('vega-embed');
    },
    getCdn() {
      if (window.solara && window.solara.cdn) { return window.solara.cdn; }
      return './_solara/cdn';
    },
  },
};
</script>
<style id="cxsim-vega-style">
.cx-vega .vega-embed { width: 100%; }
.cx-vega .vega-embed summary { display: none; }
#vg-tooltip-element { font-family: Roboto, Helvetica, Arial, sans-serif; font-size: 12px; }
</style>
"""


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite view in the browser: the spec is embedded once, new data streams in.

    Offline: vega, vega-lite and vega-embed come from Solara's asset proxy
    (``/_solara/cdn``), which the project fills at install time
    (``scripts/setup_app_assets.sh``).
    """

    template = traitlets.Unicode(VEGA_TEMPLATE).tag(sync=True)
    spec = traitlets.Unicode("{}").tag(sync=True)
    """The Vega-Lite spec, as JSON."""
    datasets = traitlets.Unicode("{}").tag(sync=True)
    """``{name: rows}`` of the spec's named datasets, as JSON.

    JSON strings rather than dicts: reacton walks dict and list props
    looking for elements, which costs ~100 ms for a few thousand rows.
    """
    name = traitlets.Unicode("").tag(sync=True)
    renderer = traitlets.Unicode("svg").tag(sync=True)
    """``svg`` (crisp, inspectable) or ``canvas`` (faster for the map's thousand dots)."""


@solara.component
def VegaChart(name: str, spec: str, datasets: str, renderer: str = "svg") -> None:
    """A :class:`VegaView` element; ``spec`` and ``datasets`` are JSON (see :data:`CHART_DATA`).

    ``name`` marks it in the page: ``div.cx-vega[data-chart=name]``.
    """
    VegaView.element(name=name, spec=spec, datasets=datasets, renderer=renderer)


# ========================================================================== components


class AppState:
    """One browser session's state: reactive variables and the actions on them.

    Created once per session by ``Page`` (``solara.use_memo``), so two
    sessions never share a model. Components receive this object (stable
    across renders) and read the variables they show: Solara re-renders a
    component only when a variable it read changes.
    """

    def __init__(self, presets: Sequence[str]) -> None:
        self.presets = list(presets)
        self.error: solara.Reactive[str | None] = solara.reactive(None)
        first = default_preset(self.presets)
        sess = None
        if first is not None:
            try:
                sess = Session(first)
            except InputError as exc:
                self.error.set(exc.message)
        self.session: solara.Reactive[Session | None] = solara.reactive(sess)
        self.view: solara.Reactive[View | None] = solara.reactive(sess.view() if sess else None)
        self.levers: solara.Reactive[Levers] = solara.reactive(sess.levers if sess else Levers())
        self.playing = solara.reactive(False)
        self.speed = solara.reactive(10)
        self.classroom = solara.reactive(True)
        self.color_by = solara.reactive("channel")
        self.render_context: Any = None
        """Set by ``Page``: changes made inside ``with self.batch()`` cause one render, not one per reader."""

    def batch(self) -> contextlib.AbstractContextManager[Any]:
        """Batch reactive updates into a single render (reacton's render context is re-entrant)."""
        return self.render_context if self.render_context is not None else contextlib.nullcontext()

    # ----------------------------------------------------------------- actions
    def load(self, preset: str, levers: Levers | None) -> bool:
        """Build a new town; on bad input keep the old one and show the error."""
        try:
            new = Session(preset, levers)
        except InputError as exc:
            self.error.set(exc.message)
            return False
        with self.batch():
            self.playing.set(False)
            self.error.set(None)
            self.session.set(new)
            self.levers.set(new.levers)
            self.view.set(new.view())
        return True

    def choose_preset(self, name: str | None) -> None:
        """Load a preset with its own levers (keeping the number of shoppers)."""
        if not name:
            return
        try:
            chosen = levers_from_scenario(load_scenario(name), shoppers=self.levers.value.shoppers)
        except InputError as exc:
            self.error.set(exc.message)
            return
        self.load(name, chosen)

    def reset(self) -> None:
        """Rebuild the town of the current preset with the levers as they are now."""
        sess = self.session.value
        if sess is not None:
            self.load(sess.preset, self.levers.value)

    def step(self) -> None:
        """Simulate one day (ignored while playing)."""
        sess = self.session.value
        if sess is not None and not self.playing.value:
            sess.step(1)
            new = sess.view()
            with self.batch():
                self.view.set(new)

    def toggle_play(self) -> None:
        """Play or pause.

        Pausing takes the session's lock, so the play loop cannot step after
        it, and shows the town exactly as the pause found it.
        """
        sess = self.session.value
        if not self.playing.value or sess is None:
            self.playing.set(not self.playing.value)
            return
        with sess.lock, self.batch():
            self.playing.set(False)
            self.view.set(sess.view())

    def play_loop(self, cancel: threading.Event) -> None:
        """Step the model in the background while playing; redraw at most a few times a second.

        Runs in a thread (``solara.use_thread``), so the page keeps answering
        clicks: a redraw sends data to the browser and returns, and the loop
        always sleeps at least :data:`MIN_PAUSE_S` between redraws. Stepping
        and the decision to step happen under the session's lock (see
        :meth:`toggle_play`); the redraw happens outside it.
        """
        sess = self.session.value
        if not self.playing.value or sess is None:
            return
        while not cancel.is_set():
            t0 = time.perf_counter()
            per_second = max(1, int(self.speed.value))
            batch = max(1, math.ceil(per_second / MAX_REDRAWS_PER_SECOND))
            with sess.lock:
                if cancel.is_set() or not self.playing.value or not sess.running:
                    break
                sess.step(batch)
                new = sess.view()
            with self.batch():
                if not self.playing.value or cancel.is_set():
                    return
                self.view.set(new)
            spent = time.perf_counter() - t0
            cancel.wait(max(MIN_PAUSE_S, batch / per_second - spent))
        if not cancel.is_set() and self.playing.value and not sess.running:
            with self.batch():
                self.playing.set(False)


@solara.component
def Kpi(label: str, value: str, hint: str = "") -> None:
    """One headline number."""
    with solara.v.Sheet(
        elevation=1,
        rounded=True,
        class_="cx-kpi px-3 py-2",
        style_="min-width: 96px; flex: 1 1 0",
    ):
        solara.v.Html(tag="div", children=[label], class_="caption text--secondary")
        solara.v.Html(
            tag="div", children=[value], class_="text-h6 font-weight-medium", style_="line-height: 1.3"
        )
        if hint:
            solara.v.Html(
                tag="div", children=[hint], class_="caption text--secondary", style_="line-height: 1.2"
            )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


@solara.component
def KpiRow(view: View) -> None:
    """Headline numbers of the town today."""
    k = view.kpis
    nps = k["nps"]
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["cx-kpis"]):
        Kpi("Day", f"{view.day} / {view.days}", "simulated days")
        Kpi(
            "Purchases today",
            "–" if k["purchases_today"] is None else f"{k['purchases_today']:,}",
            f"{view.shoppers:,} shoppers",
        )
        Kpi("Online share", _pct(k["online_share"]), f"last {SHARE_WINDOW} days")
        Kpi("Showrooming", _pct(k["showrooming"]), "visit, then delivery")
        Kpi("Webrooming", _pct(k["webrooming"]), "research online, buy in a shop")
        Kpi("NPS", "–" if nps is None else f"{nps:+.0f}", "whole town")
        Kpi("Open stores", f"{k['open_stores']} of {k['stores']}")


@solara.component
def TownMap(state: AppState) -> None:
    """The map card with its colour toggle."""
    view, sess = state.view.value, state.session.value
    color_by = state.color_by.value
    spec = solara.use_memo(
        lambda: town_map_spec(sess, color_by) if sess is not None else "{}",
        [sess.id if sess is not None else 0, color_by],
    )
    if view is None or sess is None:
        return
    with solara.Card(classes=["cx-map-card"], margin=0):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.v.Html(tag="div", children=["Town map"], class_="text-h6")
            solara.v.Spacer()
            solara.v.Html(tag="span", children=["Colour shoppers by"], class_="caption mr-2")
            with solara.ToggleButtonsSingle(value=state.color_by, dense=True):
                solara.Button("last channel", value="channel", text=True, classes=["cx-color-channel"])
                solara.Button("loyalty", value="loyalty", text=True, classes=["cx-color-loyalty"])
        VegaChart("map", spec, view.charts["map"], renderer="canvas")
        solara.v.Html(
            tag="div",
            class_="caption text--secondary",
            children=[
                "Squares: shops · diamonds: omnichannel stores · triangles: online stores (right). "
                f"Marker size: market share over the last {SHARE_WINDOW} days; ✕: closed. "
                "Hover over a dot or a store to see who it is."
                + (f" {MAX_DOTS:,} of {view.shoppers:,} shoppers drawn." if view.shoppers > MAX_DOTS else "")
            ],
        )


@solara.component
def ChartCard(title: str, subtitle: str, children: list[Any] = []) -> None:  # noqa: B006 - solara's convention
    """A titled card for one chart."""
    header = [
        solara.v.Html(tag="div", children=[title], class_="text-subtitle-1 font-weight-medium"),
        solara.v.Html(tag="div", children=[subtitle], class_="caption text--secondary mb-1"),
    ]
    solara.Card(margin=0, classes=["cx-chart-card"], style={"height": "100%"}, children=[*header, *children])


@solara.component
def Charts(state: AppState) -> None:
    """The chart cards."""
    view, sess = state.view.value, state.session.value
    specs = solara.use_memo(
        lambda: chart_specs(sess) if sess is not None else {}, [sess.id if sess is not None else 0]
    )
    if view is None or sess is None:
        return
    c = view.charts
    with solara.ColumnsResponsive(default=12, large=[6, 6], xlarge=[4, 4, 4]):
        with ChartCard("Channel shares over time", "How purchases are fulfilled; shaded: events"):
            VegaChart("channels", specs["channels"], c["channels"])
        with ChartCard(
            "Showrooming and webrooming",
            "Showrooming: see it in a shop, buy it online. Webrooming: research online, buy in a shop.",
        ):
            VegaChart("rates", specs["rates"], c["rates"])
        with (
            ChartCard("Market share and NPS by store", f"Purchases over the last {SHARE_WINDOW} days"),
            solara.Columns([1, 1], gutters_dense=True),
        ):
            VegaChart("shares", specs["shares"], c["shares"])
            VegaChart("nps", specs["nps"], c["nps"])
        with ChartCard("Store cash", "A store closes when its cash runs out; dashed red: a closure"):
            VegaChart("cash", specs["cash"], c["cash"])
        with ChartCard(
            "Customer journeys",
            f"Last {SHARE_WINDOW} days: how shoppers researched (left) and how they bought (right)",
        ):
            if not view.data["journey_links"]:
                solara.v.Html(tag="div", children=["No purchases yet: press Step or Play."], class_="caption")
            VegaChart("journeys", specs["journeys"], c["journeys"])
        with ChartCard("What happened", "Events, closures and the stores' strategy moves"):
            EventLog(view.happenings, view.day, limit=12)


@solara.component
def EventLog(items: list[classroom.Happening], day: int, limit: int = 6) -> None:
    """The latest happenings, newest first."""
    latest = list(reversed(items))[:limit]
    if not latest:
        solara.v.Html(tag="div", children=["Nothing special yet."], class_="caption text--secondary")
        return
    with solara.v.Html(tag="ul", class_="cx-happenings", style_="padding-left: 18px; margin: 0"):
        for h in latest:
            fresh = day - h.day <= 7
            solara.v.Html(
                tag="li",
                children=[h.headline],
                class_="body-2" + (" font-weight-bold" if fresh else ""),
                style_="color: #b71c1c" if h.kind == "closure" else "",
            )


@solara.component
def StoryBlock(story: classroom.ScenarioStory) -> None:
    """What the scenario is about (changes only with the preset)."""
    solara.v.Html(tag="div", children=[f"Classroom — {story.title}"], class_="text-h6")
    solara.v.Html(tag="p", children=[story.about], class_="body-2 mb-1 cx-about")
    solara.v.Html(
        tag="p",
        class_="body-2 mb-2",
        children=[solara.v.Html(tag="b", children=["The question: "]), story.question],
    )
    if story.calendar:
        solara.v.Html(tag="div", children=["On the calendar"], class_="subtitle-2")
        with solara.v.Html(tag="ul", class_="body-2 cx-calendar", style_="padding-left: 18px"):
            for line in story.calendar:
                solara.v.Html(tag="li", children=[line])
    with (
        solara.Details("The stores of this town"),
        solara.v.Html(tag="ul", class_="body-2", style_="padding-left: 18px"),
    ):
        for line in story.stores:
            solara.v.Html(tag="li", children=[line])


@solara.component
def ClassroomPanel(state: AppState) -> None:
    """Plain words: what the scenario is about, what just happened, what to discuss."""
    view = state.view.value
    if view is None:
        return
    with solara.Card(margin=0, classes=["cx-classroom"], style={"height": "100%"}):
        StoryBlock(view.story)
        if view.notes:
            solara.v.Html(
                tag="p",
                class_="body-2 mb-1 cx-notes",
                children=["You changed: " + "; ".join(view.notes) + "."],
            )
        solara.v.Html(tag="div", children=["What just happened"], class_="subtitle-2 mt-2")
        solara.v.Html(tag="p", children=[view.today], class_="body-2 mb-1 cx-today")
        recent = [h for h in view.happenings if view.day - h.day <= 7]
        if recent:
            solara.Info(recent[-1].headline, dense=True, classes=["cx-headline"])
        EventLog(view.happenings, view.day, limit=4)
        solara.v.Html(tag="div", children=["To discuss"], class_="subtitle-2 mt-2")
        with solara.v.Html(tag="ol", class_="body-2 cx-questions", style_="padding-left: 18px"):
            for q in view.questions:
                solara.v.Html(tag="li", children=[q])


@solara.component
def LeverControls(state: AppState) -> None:
    """Sliders and switches of the main levers (applied on Reset)."""
    levers, sess, playing = state.levers.value, state.session.value, state.playing.value
    available = levers_available(sess.preset_spec) if sess is not None else dict.fromkeys(LEVER_RANGES, True)

    def setter(name: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            if value is not None:
                state.levers.set(replace(state.levers.value, **{name: value}))

        return set_value

    def slider(name: str, label: str) -> None:
        lo, hi, st = LEVER_RANGES[name]
        solara.SliderFloat(
            label,
            value=getattr(levers, name),
            min=lo,
            max=hi,
            step=st,
            on_value=setter(name),
            disabled=playing or not available.get(name, True),
        )

    slider("online_price_advantage", f"Online price advantage: {levers.online_price_advantage:.0%}")
    slider("service", f"In-store service quality: {levers.service:.2f}")
    slider("personalization", f"Personalization: {levers.personalization:.2f}")
    slider("delivery_days", f"Delivery days: {levers.delivery_days:g}")
    solara.Switch(
        label="Pick-up in store (omnichannel)",
        value=levers.bopis,
        on_value=setter("bopis"),
        disabled=playing or not available.get("bopis", True),
    )
    lo, hi, st = LEVER_RANGES["shoppers"]
    solara.SliderInt(
        f"Shoppers: {levers.shoppers:,}",
        value=levers.shoppers,
        min=int(lo),
        max=int(hi),
        step=int(st),
        on_value=setter("shoppers"),
        disabled=playing,
    )
    solara.InputInt("Seed", value=levers.seed, on_value=setter("seed"), disabled=playing, dense=True)
    if sess is not None and levers != sess.levers:
        solara.Warning(
            "Levers changed: press Reset to rebuild the town with them.",
            dense=True,
            classes=["cx-pending"],
        )


@solara.component
def RunStatus(state: AppState) -> None:
    """Day, preset, shoppers and the levers the running town was built with."""
    view = state.view.value
    if view is None:
        return
    status = f"Day {view.day} of {view.days}"
    if not view.running:
        status += " — the scenario has ended; Reset to start again"
    solara.v.Html(tag="div", children=[status], class_="body-2 cx-day")
    solara.v.Html(
        tag="div",
        class_="caption text--secondary cx-status",
        children=[
            f"{view.preset} · {view.shoppers:,} shoppers · seed {view.seed}"
            + (f" · {view.step_ms:.1f} ms per day" if view.step_ms else "")
        ],
    )
    for note in view.notes:
        solara.v.Html(tag="div", children=[f"• {note}"], class_="caption cx-applied")


@solara.component
def RunButtons(state: AppState) -> None:
    """Step, Play/Pause, Reset."""
    playing = state.playing.value
    view = state.view.value
    running = view is not None and view.running
    with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
        solara.Button(
            "Step",
            on_click=state.step,
            color="primary",
            disabled=playing or not running,
            classes=["cx-step"],
        )
        solara.Button(
            "Pause" if playing else "Play",
            on_click=state.toggle_play,
            color="primary",
            outlined=playing,
            disabled=not running and not playing,
            classes=["cx-play"],
        )
        solara.Button("Reset", on_click=state.reset, color="primary", outlined=True, classes=["cx-reset"])


@solara.component
def Controls(state: AppState) -> None:
    """The sidebar: preset, run controls, speed, levers, classroom mode."""
    sess = state.session.value
    with solara.Card("Scenario", margin=0, classes=["cx-controls"]):
        solara.Select(
            "Preset",
            values=state.presets,
            value=sess.preset if sess is not None else None,
            on_value=state.choose_preset,
            disabled=state.playing.value,
            classes=["cx-preset"],
        )
        RunButtons(state)
        solara.SliderInt(
            f"Speed: {state.speed.value} days per second",
            value=state.speed.value,
            min=SPEED_RANGE[0],
            max=SPEED_RANGE[1],
            on_value=state.speed.set,
        )
        RunStatus(state)
    with solara.Card("Levers", margin=0, classes=["cx-levers"]):
        LeverControls(state)
    solara.Switch(label="Classroom mode", value=state.classroom, classes=["cx-classroom-mode"])


@solara.component
def AppBarDay(state: AppState) -> None:
    """Scenario and day in the app bar."""
    view = state.view.value
    if view is not None:
        solara.v.Html(
            tag="div",
            class_="cx-appbar-day text-subtitle-1",
            children=[f"{view.title} · day {view.day} of {view.days}"],
        )


@solara.component
def Main(state: AppState) -> None:
    """KPIs, map, classroom panel and charts."""
    if state.error.value:
        solara.Error(state.error.value, classes=["cx-error"])
    if state.session.value is None:
        solara.Warning(
            "No scenario found: put scenario files (*.toml) under scenarios/ or set CXSIM_SCENARIOS."
        )
        return
    classroom_mode = state.classroom.value
    with solara.Column(style={"padding": "4px 8px", "gap": "12px"}, classes=["cx-main"]):
        KpiRow(state.view.value)
        with solara.ColumnsResponsive(default=12, large=[7, 5] if classroom_mode else [12]):
            TownMap(state)
            if classroom_mode:
                ClassroomPanel(state)
        Charts(state)


@solara.component
def Page() -> None:
    """The app: one town per browser session."""
    state = solara.use_memo(lambda: AppState(scenario_names()), [])
    state.render_context = reacton.core.get_render_context(required=False)
    sess = state.session.value
    solara.use_thread(
        state.play_loop,
        dependencies=[state.playing.value, sess.id if sess is not None else 0],
        intrusive_cancel=False,
    )
    solara.Title("cxsim — a town of shoppers")
    with solara.AppBar():
        solara.AppBarTitle("cxsim — a town of shoppers")
        solara.v.Spacer()
        AppBarDay(state)
    with solara.Sidebar():
        Controls(state)
    Main(state)


def chart_specs(sess: Session) -> dict[str, str]:
    """The Vega-Lite specs of a session's charts, as JSON."""
    days = int(sess.spec.days)
    bars = 26 * len(sess.labels) + 40
    specs = {
        "channels": channel_spec(days),
        "rates": rates_spec(days),
        "cash": cash_spec(days, sess.labels, sess.colors),
        "shares": share_spec(bars, sess.labels),
        "nps": nps_spec(bars, sess.labels),
        "journeys": journey_spec(),
    }
    return {k: json.dumps(v) for k, v in specs.items()}


def town_map_spec(sess: Session, color_by: str) -> str:
    """The Vega-Lite spec of a session's map, as JSON."""
    return json.dumps(
        map_spec(
            float(sess.spec.town.size_km),
            sess.labels,
            sess.colors,
            sess.model.segment_names,
            color_by,
            online=any(s.kind == "online" for s in sess.model.stores),
        )
    )
