"""The app trusts no value from the browser (issue 11, item 7), and its words match the running town.

Component level: ``AppState`` actions are called with what a hostile page could
send; each bad value becomes the page's one-line error message, never an
exception out of the action, and the running town stays as it was.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from cxsim.app import inputs
from cxsim.app.levers import Levers
from cxsim.app.session import MIN_KPI_DAYS, Session
from cxsim.app.state import AppState
from cxsim.core.errors import InputError
from cxsim.model.scenario import scenario_names


@pytest.fixture(scope="module")
def state() -> AppState:
    return AppState(scenario_names())


BAD_LEVERS = [
    ("seed", -1, "seed"),
    ("seed", 2**63, "seed"),
    ("seed", "12", "seed"),
    ("seed", 1.5, "seed"),
    ("shoppers", 50_000_000, "shoppers"),
    ("shoppers", 10, "shoppers"),
    ("shoppers", 1000.5, "shoppers"),
    ("shoppers", float("nan"), "shoppers"),
    ("service", 1.5, "service"),
    ("service", float("inf"), "service"),
    ("personalization", -0.1, "personalization"),
    ("delivery_days", 99.0, "delivery_days"),
    ("online_price_advantage", "cheap", "online_price_advantage"),
    ("bopis", "yes", "bopis"),
]


@pytest.mark.parametrize(("name", "value", "key"), BAD_LEVERS)
def test_reset_with_a_bad_lever_shows_the_error_and_keeps_the_town(state, name, value, key):
    before = state.session.value
    state.levers.set(replace(before.levers, **{name: value}))
    state.reset()  # never raises
    assert state.session.value is before
    message = state.error.value
    assert message and message.startswith(f"app: {key}: expected"), message
    assert "\n" not in message
    state.levers.set(before.levers)
    state.reset()
    assert state.error.value is None


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "../cxsim/data/scenarios/baseline.toml", "baseline.toml", "no_such_preset", 42, None],
)
def test_presets_are_names_of_the_library_only(state, name):
    before = state.session.value
    state.choose_preset(name)
    assert state.session.value is before
    if name:
        assert state.error.value and state.error.value.startswith("app: preset: expected a scenario name")
    state.error.set(None)


def test_a_near_miss_preset_gets_a_hint(state):
    state.choose_preset("baselin")
    assert "did you mean 'baseline'?" in (state.error.value or "")
    state.error.set(None)


def test_load_validates_too(state):
    assert state.load("/tmp/x.toml", None) is False
    assert state.load("baseline", "not levers") is False
    assert state.load("baseline", Levers(shoppers=300, seed=2**63 - 1)) is True
    assert state.session.value.levers.seed == 2**63 - 1
    assert state.error.value is None


def test_the_bounds_are_the_sliders_and_the_cli_seed_range():
    assert inputs.check_seed(0) == 0 and inputs.check_seed(2**63 - 1) == 2**63 - 1
    assert inputs.check_shoppers(200) == 200 and inputs.check_shoppers(10_000.0) == 10_000
    with pytest.raises(InputError, match="from 200 to 10000"):
        inputs.check_shoppers(10_100)


def test_a_schema_refusal_is_shown_not_raised(state, monkeypatch):
    """Whatever the scenario schema refuses (here: a made-up override), the app shows its message."""
    import cxsim.app.session as session_module

    monkeypatch.setattr(session_module, "lever_overrides", lambda *a: ["town.shoppers=-5"])
    before = state.session.value
    state.reset()
    assert state.session.value is before
    assert "town.shoppers" in (state.error.value or "")
    monkeypatch.undo()
    state.error.set(None)


def test_selection_from_the_browser_is_parsed_defensively(state):
    for text in ["", "{", "[]", '{"kind": "admin", "key": 1}', '{"kind": "shopper", "key": true}']:
        state.select(text)
        assert state.selected.value is None
    state.select('{"kind": "shopper", "key": "3", "t": 1}')
    assert state.selected.value is not None and state.selected.value.key == "3"
    state.selected.set(None)


def test_the_story_says_the_running_number_of_shoppers():
    sess = Session("baseline", Levers(shoppers=1000))
    assert "10,000" not in sess.story.about
    assert "A town of 1,000 shoppers" in sess.story.about


def test_headline_rates_wait_for_data_and_name_their_window():
    from cxsim.app.components import format_value, window_words

    sess = Session("baseline", Levers(shoppers=300))
    v0 = sess.view()
    assert v0.kpis["online_share"] is None and v0.kpis["showrooming_rate"] is None
    assert format_value("online_share", v0.kpis["online_share"]) == "—"
    assert window_words(v0) == f"no data yet (from day {MIN_KPI_DAYS})"
    sess.step(MIN_KPI_DAYS)
    v = sess.view()
    assert v.kpis["online_share"] is not None
    assert v.kpi_window == MIN_KPI_DAYS
    assert window_words(v) == f"last {MIN_KPI_DAYS} days"
