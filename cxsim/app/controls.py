"""The sidebar's components: preset picker, Step/Play/Reset, speed, levers and the run's status."""

# ruff: noqa: N802 - Solara components are named like classes
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import solara

from cxsim.app.levers import LEVER_RANGES, levers_available
from cxsim.app.state import SPEED_RANGE, AppState

LeverValue = float | int | bool
"""What a lever's slider, switch or field sets."""


@solara.component
def LeverControls(state: AppState) -> None:
    """Sliders and switches of the main levers (applied on Reset)."""
    levers, sess, playing = state.levers.value, state.session.value, state.playing.value
    available = levers_available(sess.preset_spec) if sess is not None else dict.fromkeys(LEVER_RANGES, True)

    def setter(name: str) -> Callable[[LeverValue | None], None]:
        def set_value(value: LeverValue | None) -> None:
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
