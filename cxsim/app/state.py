"""One browser session's state: Solara reactive variables and the actions on them (Step, Play, Reset...)."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Sequence
from typing import Literal

import solara

from cxsim.app.inputs import check_levers, check_preset
from cxsim.app.inspect import Selection, parse_selection
from cxsim.app.levers import Levers, default_preset, levers_from_scenario
from cxsim.app.session import Session, View
from cxsim.core.errors import InputError
from cxsim.model.scenario import load_scenario

MAX_REDRAWS_PER_SECOND = 4.0
"""While playing, the page is redrawn at most this often; faster speeds step several days per redraw."""
MIN_PAUSE_S = 0.05
"""The play loop always sleeps this long between redraws, so clicks are never starved."""
SPEED_RANGE = (1, 60)
"""Play speeds offered, in simulated days per second."""


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
        self.playing: solara.Reactive[bool] = solara.reactive(False)
        self.speed: solara.Reactive[int] = solara.reactive(10)
        self.classroom: solara.Reactive[bool] = solara.reactive(True)
        self.color_by: solara.Reactive[Literal["channel", "loyalty"]] = solara.reactive("channel")
        self.projector: solara.Reactive[bool] = solara.reactive(False)
        """Projector mode: the map and the main chart side by side on one 1280×720 screen."""
        self.selected: solara.Reactive[Selection | None] = solara.reactive(None)
        """What was clicked on the map (a shopper or a store), shown in the inspector."""
        self.render_context: contextlib.AbstractContextManager[object] | None = None
        """Set by ``Page``: changes made inside ``with self.batch()`` cause one render, not one per reader."""

    def batch(self) -> contextlib.AbstractContextManager[object]:
        """Batch reactive updates into a single render (reacton's render context is re-entrant)."""
        return self.render_context if self.render_context is not None else contextlib.nullcontext()

    # ----------------------------------------------------------------- actions
    def load(self, preset: object, levers: object) -> bool:
        """Build a new town; on bad input keep the old one and show the error.

        Every value may come from the browser: the preset must be a name of
        the library (never a path) and the levers within their sliders'
        bounds (:mod:`cxsim.app.inputs`); the scenario they make is then
        validated by the scenario schema (``load_scenario``, as ``cxsim run``).
        Nothing raises out of here: a bad value becomes the page's error message.
        """
        try:
            name = check_preset(preset, self.presets)
            chosen = None if levers is None else check_levers(levers)
            new = Session(name, chosen)
        except InputError as exc:
            self.error.set(exc.message)
            return False
        except (ValueError, OverflowError, MemoryError) as exc:  # a last guard: never raise to the page
            self.error.set(f"app: these levers cannot build a town ({type(exc).__name__}: {exc})")
            return False
        with self.batch():
            self.playing.set(False)
            self.error.set(None)
            self.selected.set(None)
            self.session.set(new)
            self.levers.set(new.levers)
            self.view.set(new.view())
        return True

    def choose_preset(self, name: object) -> None:
        """Load a preset (a library name, never a path) with its own levers, keeping the shoppers."""
        if not name:
            return
        try:
            preset = check_preset(name, self.presets)
            chosen = levers_from_scenario(load_scenario(preset), shoppers=self.levers.value.shoppers)
        except InputError as exc:
            self.error.set(exc.message)
            return
        self.load(preset, chosen)

    def select(self, text: str | None) -> None:
        """A click on the map, as the widget reports it (JSON from the browser, checked)."""
        self.selected.set(parse_selection(text))

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
