"""The app without a browser: classroom words, levers, sessions, components (solara.render) and the CLI."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cxsim.app import classroom
from cxsim.model.log import LogEntry
from cxsim.model.scenario import load_scenario

solara = pytest.importorskip("solara")
v = pytest.importorskip("ipyvuetify")

from cxsim.app import chart_data, charts, levers, page, session  # noqa: E402
from cxsim.app import map as town_map  # noqa: E402
from cxsim.app import state as app_state  # noqa: E402
from cxsim.cli import app_cmd as app_cli  # noqa: E402

LOCKDOWN = """
extends = "baseline"
description = "A short lockdown early on, for the tests."
question = "Do shoppers come back after the lockdown?"
days = 60

[[events]]
type = "lockdown"
start = 3
days = 4
pickup = false
"""


@pytest.fixture
def presets(tmp_path, monkeypatch):
    """A scenarios folder, layered over the built-in library, with a small lockdown preset."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "short_lockdown.toml").write_text(LOCKDOWN)
    monkeypatch.setenv("CXSIM_SCENARIOS", str(folder))
    return folder


# --------------------------------------------------------------------- classroom


def test_story_of_baseline_names_its_stores_and_question():
    spec = load_scenario("baseline")
    story = classroom.scenario_story(spec)
    assert story.title == "Baseline"
    assert story.question.endswith("?")
    assert len(story.stores) == len(spec.stores)
    assert any(line.startswith("OnlineGiant: sells only online") for line in story.stores)
    assert any("pick-up in store" in line for line in story.stores if line.startswith("OmniMart"))
    assert story.calendar == []


def test_lockdown_begins_and_ends_in_plain_words(presets):
    spec = load_scenario("short_lockdown")
    lockdown = next(ev.model_dump(mode="json") for ev in spec.events if ev.type == "lockdown")
    start = classroom.happening(LogEntry(3, "event_start", None, lockdown), spec)
    assert (
        start.headline
        == "Day 3: lockdown — stores closed to walk-ins except essential ones (no pick-up either) for 4 days"
    )
    assert (start.kind, start.event) == ("event_start", "lockdown")
    end = classroom.happening(LogEntry(7, "event_end", None, lockdown), spec)
    assert end.text.startswith("lockdown ends — stores open to walk-ins again")
    assert classroom.calendar_lines(spec) == [
        "Days 3–6: lockdown — stores closed to walk-ins except essential ones (no pick-up either) for 4 days"
    ]


def test_closure_and_strategy_messages():
    spec = load_scenario("baseline")
    h = classroom.happening(LogEntry(212, "closure", "corner_shop", {"customers": 212}), spec)
    assert h.kind == "closure" and h.store == "Corner Shop" and h.customers == 212
    assert h.headline == (
        "Day 212: Corner Shop closed — it expected to run out of money: 212 customers looked for a new store"
    )
    cut_data = {"strategy": "price_match", "attribute": "price", "value": 0.95}
    cut = classroom.happening(LogEntry(30, "strategy", "chain", cut_data), spec)
    assert cut.kind == "strategy" and "0.95" in cut.text
    odd = classroom.happening(LogEntry(5, "strategy", None, {"text": "something new happened"}), spec)
    assert (odd.kind, odd.text) == ("other", "something new happened")


def test_day_summary():
    text = classroom.day_summary(
        12,
        {"purchases": 17, "walk_in": 12, "delivery": 4, "pickup": 1, "showroomed": 2, "webroomed": 1},
        ["lockdown"],
    )
    assert text == (
        "Day 12: 17 purchases — 12 walked into a shop, 4 ordered for delivery, 1 picked up in store; "
        "2 shoppers showroomed and 1 shopper webroomed (in force: lockdown)."
    )
    assert classroom.day_summary(0, {}).startswith("Day 0: the town is ready")


def test_questions_put_a_recent_closure_first():
    spec = load_scenario("baseline")
    closure = classroom.Happening(100, "x closed", "closure", store="Boutique", customers=40)
    qs = classroom.discussion_questions(spec, [closure], day=110)
    assert len(qs) == 2
    assert qs[0].startswith("Boutique has closed. Where will its 40 customers go")
    assert qs[1] == spec.question
    stale = classroom.discussion_questions(spec, [closure], day=300)
    assert stale[0] == spec.question


# ------------------------------------------------------------------------ levers


def test_preset_levers_change_nothing():
    spec = load_scenario("baseline")
    base = levers.levers_from_scenario(spec)
    assert base.online_price_advantage == pytest.approx(0.10)
    assert base.shoppers == levers.CLASSROOM_SHOPPERS and base.seed == spec.seed
    assert levers.lever_overrides(spec, base, base) == [f"town.shoppers={levers.CLASSROOM_SHOPPERS}"]
    assert levers.lever_notes(base, base) == []


def test_levers_become_overrides_the_model_accepts():
    spec = load_scenario("baseline")
    base = levers.levers_from_scenario(spec)
    chosen = levers.Levers(
        online_price_advantage=0.25,
        service=base.service + 0.2,
        personalization=base.personalization,
        delivery_days=base.delivery_days + 1.0,
        bopis=False,
        shoppers=500,
        seed=7,
    )
    overrides = levers.lever_overrides(spec, base, chosen)
    assert "stores.giant.price=0.75" in overrides
    assert "stores.omni.bopis=false" in overrides
    resolved = load_scenario("baseline", overrides)
    stores = resolved.stores
    assert stores["giant"].price == pytest.approx(0.75)
    # shifted together, clipped at 1, the gaps between shops kept where there is room
    assert stores["chain"].service_quality == pytest.approx(spec.stores["chain"].service_quality + 0.2)
    assert stores["boutique"].service_quality == 1.0
    assert stores["giant"].service_quality == spec.stores["giant"].service_quality
    assert stores["giant"].delivery_days == pytest.approx(3.0)
    assert stores["omni"].delivery_days == pytest.approx(3.0)
    assert not stores["omni"].bopis
    assert resolved.town.shoppers == 500
    notes = levers.lever_notes(base, chosen)
    assert any("25% cheaper" in n for n in notes) and any("seed 7" in n for n in notes)


# ---------------------------------------------------------------- chart data


def test_rolling_rows_pool_counts_over_the_window():
    days = [1, 2, 3]
    counts = [np.array([1, 1, 0]), np.array([3, 0, 0]), np.array([0, 0, 0])]
    rows = chart_data.rolling_rows(days, counts, ("a", "b", "c"), window=2)
    assert rows[0] == {"day": 1, "a": 0.5, "b": 0.5, "c": 0.0}
    assert rows[1] == {"day": 2, "a": 0.8, "b": 0.2, "c": 0.0}
    assert rows[2] == {"day": 3, "a": 1.0, "b": 0.0, "c": 0.0}  # day 3 had no purchase: window 2-3
    totals = [np.array([2, 0, 0]), np.array([4, 0, 0]), np.array([0, 0, 0])]
    rates = chart_data.rolling_rows(days, [np.array([1, 0, 0])] * 3, ("x", "y", "z"), window=1, totals=totals)
    assert [r["day"] for r in rates] == [1, 2]  # day 3: nothing bought in its window
    assert rates[0]["x"] == 0.5 and rates[1]["x"] == 0.25


def test_journey_flow_is_a_consistent_sankey():
    counts = np.array([[50, 5, 0], [10, 20, 5], [8, 12, 0]])
    flow = chart_data.journey_flow(counts, points=5)
    nodes, links = flow["journey_nodes"], flow["journey_links"]
    assert len(nodes) == 6
    for side in ("research", "purchase"):
        heights = sum(n["y2"] - n["y"] for n in nodes if n["side"] == side)
        assert heights == pytest.approx(0.9, abs=1e-3)  # 1 - 2 gaps
    kinds = {row["kind"] for row in links}
    assert kinds == {"showrooming", "webrooming", "other journeys"}
    (show,) = [row for row in links if row["kind"] == "showrooming"]
    assert len(show["t"]) == 5 and "12 purchases" in show["tip"]
    assert sum(row["h"] for row in links) == pytest.approx(0.9, abs=1e-3)
    assert chart_data.journey_flow(np.zeros((3, 3))) == {"journey_nodes": [], "journey_links": []}


# ---------------------------------------------------------------------- session


def test_session_steps_and_views(presets):
    sess = session.Session("short_lockdown")
    v0 = sess.view()
    assert v0.day == 0 and v0.days == 60 and v0.running
    assert v0.shoppers == levers.CLASSROOM_SHOPPERS
    # day 0 is the end of the warm-up: the charts start with data
    assert v0.data["channels"] and v0.data["cash"] and v0.data["journey_links"]
    assert sess.step(5) == 5
    v5 = sess.view()
    assert v5.day == 5 and [r["day"] for r in v5.data["channels"]][-1] == 5
    assert v5.happenings[0].headline.startswith("Day 3: lockdown — stores closed to walk-ins")
    assert v5.questions[0].startswith("Shops are closed to walk-ins")
    assert "in force: lockdown" in v5.today
    assert v5.data["events"] == [
        {
            "start": 3,
            "end": 5,  # cut at today: time axes span the days simulated so far
            "short": "lockdown",
            "text": (
                "lockdown — stores closed to walk-ins except essential ones (no pick-up either) for 4 days"
            ),
        }
    ]
    assert len(v5.data["dots"][0]["i"]) == levers.CLASSROOM_SHOPPERS  # one row of columns
    assert {s["store"] for s in v5.data["stores"]} == {
        "Corner Shop",
        "Boutique",
        "MegaChain",
        "OmniMart",
        "OnlineGiant",
    }
    assert sum(s["share"] for s in v5.data["stores"]) == pytest.approx(1.0, abs=1e-3)
    for name, text in v5.charts.items():
        assert set(json.loads(text)) == set(chart_data.CHART_DATA[name])  # strict JSON: no NaN
    assert sess.step(100) == 55 and not sess.view().running


def test_big_towns_draw_a_sample_of_dots(presets):
    chosen = levers.levers_from_scenario(load_scenario("baseline"), shoppers=session.MAX_DOTS + 500)
    sess = session.Session("baseline", chosen)
    (dots,) = sess.view().data["dots"]
    assert len(dots["x"]) == session.MAX_DOTS
    assert len(set(dots["i"])) == session.MAX_DOTS


def test_specs_are_vega_lite_5_json(presets):
    (served,) = {
        re.match(r"vega-lite@(\d+)/", p).group(1) for p in app_cli.REQUIRED_ASSETS if "vega-lite@" in p
    }
    sess = session.Session("short_lockdown")
    specs = {**charts.chart_specs(sess), "map": town_map.town_map_spec(sess, "loyalty")}
    for text in specs.values():
        spec = json.loads(text)
        # Altair writes the Vega-Lite major that the offline assets serve (vega-lite@5)
        assert re.search(r"/vega-lite/v(\d+)[.\d]*\.json$", spec["$schema"]).group(1) == served
        names = {layer["data"]["name"] for layer in spec["layer"] if "name" in layer.get("data", {})}
        assert names  # every chart reads named datasets that the session streams
    loyal = json.loads(specs["map"])
    dots = next(layer for layer in loyal["layer"] if layer["data"].get("name") == "dots")
    assert dots["encoding"]["color"]["field"] == "loyal"


def test_session_charts_and_map_do_not_import_solara():
    pure = ["levers", "palette", "chart_data", "session", "charts", "map"]
    code = (
        "import sys\n"
        + "".join(f"import cxsim.app.{m}\n" for m in pure)
        + "print(sorted(m for m in ('solara', 'reacton', 'ipywidgets', 'ipyvuetify') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_headline_numbers_use_the_registry_units_and_labels():
    from cxsim.app import components

    assert components.format_value("online_share", 0.123) == "12%"
    assert components.format_value("nps", 21.4) == "+21"
    assert components.format_value("purchases", 1234) == "1,234"
    assert components.format_value("nps", None) == "—"
    assert components.kpi_label("showrooming_rate") == "Showrooming"
    assert components.kpi_label("open_stores") == "Open stores"


# -------------------------------------------------------------------- components


def _render(presets_dir: Path):
    return solara.render(solara.AppLayout(children=[page.Page()]), handle_error=False)


def _text(rc, css_class: str) -> str:
    return rc.find(v.Html, class_=css_class).widget.children[0]


def _click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def test_page_steps_the_day(presets):
    _box, rc = _render(presets)
    assert _text(rc, "body-2 cx-day") == "Day 0 of 365"  # baseline, the default preset
    _click(rc, "Step")
    _click(rc, "Step")
    assert _text(rc, "body-2 cx-day") == "Day 2 of 365"
    kpis = [w.children[0] for w in rc.find(v.Html, class_="text-h6 font-weight-medium").widgets]
    assert kpis[0] == "2 / 365"
    rc.close()


def test_moving_a_lever_then_reset_rebuilds_the_town(presets):
    _box, rc = _render(presets)
    _click(rc, "Step")
    slider = rc.find(v.Slider, label="Online price advantage: 10%").widget
    slider.v_model = 0.3
    assert rc.find(v.Alert, children=["Levers changed: press Reset to rebuild the town with them."]).widgets
    _click(rc, "Reset")
    assert _text(rc, "body-2 cx-day") == "Day 0 of 365"
    applied = [w.children[0] for w in rc.find(v.Html, class_="caption cx-applied").widgets]
    assert applied == ["• online stores 30% cheaper than the reference price (preset: 10%)"]
    assert not rc.find(
        v.Alert, children=["Levers changed: press Reset to rebuild the town with them."]
    ).widgets
    rc.close()


def test_choosing_a_preset_loads_it(presets):
    _box, rc = _render(presets)
    select = rc.find(v.Select, label="Preset").widget
    assert {"baseline", "short_lockdown"} <= set(select.items)
    select.v_model = "short_lockdown"
    assert _text(rc, "body-2 cx-day") == "Day 0 of 60"
    assert _text(rc, "body-2 mb-1 cx-about") == "A short lockdown early on, for the tests."
    assert "short_lockdown · 1,000 shoppers · seed 42" in _text(rc, "caption text--secondary cx-status")
    rc.close()


def test_two_pages_do_not_share_a_town(presets):
    _box1, rc1 = _render(presets)
    _box2, rc2 = _render(presets)
    _click(rc1, "Step")
    _click(rc1, "Step")
    assert _text(rc1, "body-2 cx-day") == "Day 2 of 365"
    assert _text(rc2, "body-2 cx-day") == "Day 0 of 365"
    rc1.close()
    rc2.close()


def test_play_loop_steps_in_the_background_and_stops_on_cancel(presets):
    state = app_state.AppState(["short_lockdown"])
    state.speed.set(40)
    state.playing.set(True)
    cancel = threading.Event()
    worker = threading.Thread(target=state.play_loop, args=(cancel,))
    worker.start()
    time.sleep(0.8)
    cancel.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert state.view.value.day >= 5
    stopped_at = state.session.value.day
    time.sleep(0.3)
    assert state.session.value.day == stopped_at


def test_play_loop_stops_at_the_horizon(presets):
    state = app_state.AppState(["short_lockdown"])
    state.speed.set(60)
    state.playing.set(True)
    state.play_loop(threading.Event())
    assert state.view.value.day == 60 and not state.view.value.running
    assert state.playing.value is False


def test_bad_preset_shows_an_error_and_keeps_the_town(presets):
    (presets / "broken.toml").write_text('extends = "baseline"\n[town]\nshoppers = "many"\n')
    state = app_state.AppState(["baseline", "broken"])
    before = state.session.value
    state.choose_preset("broken")
    assert state.session.value is before
    assert "town.shoppers" in state.error.value


# --------------------------------------------------------------------------- CLI


def test_app_command_needs_the_offline_assets(tmp_path, monkeypatch):
    from cxsim.cli.main import app

    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(app, ["app", "--port", "8"])
    assert result.exit_code == 2
    assert "setup_app_assets.sh" in result.output


def test_app_command_refuses_a_busy_port(monkeypatch):
    from cxsim.cli.main import app

    monkeypatch.setattr(app_cli, "missing_assets", lambda cache: [])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["app", "--port", str(port)])
    assert result.exit_code == 2
    assert "a free port" in result.output


def test_app_command_layers_its_scenarios_folder_over_the_library(tmp_path, monkeypatch):
    from cxsim.cli.main import app

    seen = {}
    monkeypatch.setattr(app_cli, "missing_assets", lambda cache: [])
    monkeypatch.setattr(app_cli, "check_port", lambda host, port: None)
    monkeypatch.setattr(app_cli, "run_server", lambda cmd, env: seen.update(env) or 0)
    monkeypatch.setenv("CXSIM_SCENARIOS", "/earlier")
    result = CliRunner().invoke(app, ["app", "--scenarios", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen["CXSIM_SCENARIOS"].split(os.pathsep) == ["/earlier", str(tmp_path.resolve())]


def test_server_environment_and_command_stay_offline():
    env = app_cli.server_env({"PATH": "/bin"}, cache=Path("/cache"))
    assert env["SOLARA_ASSETS_PROXY"] == "True"
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == "/cache"
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    cmd = app_cli.solara_command(app_cli.DEFAULT_HOST, app_cli.DEFAULT_PORT)
    assert cmd[1:4] == ["-m", "solara", "run"] and Path(cmd[4]).name == "page.py"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--production" in cmd and "--no-open" in cmd


ENTRY_AND_CLOSURE = """
extends = "baseline"
description = "The giant enters on day 3; the corner shop has no cash left."
days = 30

[stores.corner_shop]
cash = 0.0
fixed_cost = 500.0

[stores.giant]
open = false

[[events]]
type = "store_entry"
store = "giant"
start = 3
"""


def test_map_marks_stores_not_open_yet_and_closed(presets):
    (presets / "entry_closure.toml").write_text(ENTRY_AND_CLOSURE)
    sess = session.Session("entry_closure")
    stores = {row["store"]: row for row in sess.view().data["stores"]}
    assert (stores["OnlineGiant"]["status"], stores["OnlineGiant"]["mark"]) == ("not open yet", "")
    sess.step(4)
    view = sess.view()
    stores = {row["store"]: row for row in view.data["stores"]}
    assert stores["OnlineGiant"]["status"] == "open"
    assert stores["Corner Shop"]["status"].startswith("closed on day ")
    assert stores["Corner Shop"]["mark"] == "✕" and stores["Corner Shop"]["color"] == "#9e9e9e"
    kinds = [h.kind for h in view.happenings]
    assert "closure" in kinds and "entry" in kinds
    assert view.data["closures"][0]["store"] == "Corner Shop"
    assert view.questions[0].startswith(("Corner Shop has closed", "OnlineGiant has just opened"))
