"""The cxsim app in a real, offline Chromium (Playwright): load, step, levers, presets, sessions, play.

Needs ``scripts/setup_app_assets.sh .venv`` and ``scripts/setup_chromium.sh``
(see docs/dev/offline-app.md). The server runs ``cxsim/app/page.py`` with a
scenarios folder made for these tests, layered over the built-in library:
``e2e_lockdown`` (a lockdown from day 2), so that the tests do not depend on
which presets exist today.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.e2e

E2E_PRESET = """
extends = "baseline"
name = "e2e_lockdown"
description = "A lockdown from day 2, to watch the classroom panel react."
question = "What do shoppers do when the shops close their doors?"
days = 120

[[events]]
type = "lockdown"
start = 2
days = 20
pickup = true
"""
CHARTS = ("channels", "rates", "shares", "nps", "cash", "journeys")


@pytest.fixture(scope="module")
def e2e_app_target() -> str:
    return "cxsim/app/page.py"


@pytest.fixture(scope="module")
def e2e_server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "e2e_lockdown.toml").write_text(E2E_PRESET)
    return {"CXSIM_SCENARIOS": str(folder)}


@pytest.fixture
def app(app_page):
    """The app page once the map and every chart are drawn."""
    wait_drawn(app_page.page)
    return app_page


def wait_drawn(page) -> None:
    page.locator(".cx-vega[data-chart=map] canvas").first.wait_for(state="visible", timeout=60_000)
    for name in CHARTS:
        page.locator(f".cx-vega[data-chart={name}] svg").first.wait_for(state="attached", timeout=30_000)
    page.get_by_text(re.compile(r"^Day \d+ of \d+$")).first.wait_for()


def day_of(page) -> int:
    text = page.locator(".cx-day").inner_text()
    return int(re.match(r"Day (\d+) of", text).group(1))


def renders(page, chart: str) -> int:
    return int(page.locator(f".cx-vega[data-chart={chart}]").get_attribute("data-renders") or 0)


def wait_renders(page, chart: str, more_than: int, timeout: float = 15_000) -> None:
    page.wait_for_function(
        "([name, n]) => Number(document.querySelector(`.cx-vega[data-chart=${name}]`)"
        ".getAttribute('data-renders') || 0) > n",
        arg=[chart, more_than],
        timeout=timeout,
    )


def hover_store(page, label: str) -> str:
    """Move the mouse onto a store's marker on the map (a canvas) and return the tooltip's text."""
    point = page.evaluate(
        """(label) => {
            const el = document.querySelector('.cx-vega[data-chart=map]');
            const view = el.__cxsimView;
            const store = view.data('stores').find(d => d.store === label);
            const box = el.querySelector('canvas').getBoundingClientRect();
            const [ox, oy] = view.origin();
            const pad = view.padding();
            return [
                box.left + ox + pad.left + view.scale('x')(store.x),
                box.top + oy + pad.top + view.scale('y')(store.y),
            ];
        }""",
        label,
    )
    page.mouse.move(point[0] - 40, point[1] - 40)
    page.mouse.move(point[0], point[1], steps=4)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5_000)
    page.wait_for_function(
        "(label) => document.querySelector('#vg-tooltip-element').innerText.includes(label)", arg=label
    )
    return tooltip.inner_text()


def test_page_loads_offline_with_map_charts_and_classroom(app):
    page = app.page
    assert day_of(page) == 0
    page.get_by_text("Classroom — Baseline").wait_for()
    assert page.locator(".cx-questions li").count() >= 1
    for label in ("Step", "Play", "Reset"):
        assert page.get_by_role("button", name=label, exact=True).is_visible()
    for name in CHARTS:  # every chart drew marks (day 0 is the end of the warm-up)
        assert page.locator(f".cx-vega[data-chart={name}] svg [role=graphics-symbol]").count() > 0
    # hover tells who a store is
    text = hover_store(page, "OnlineGiant")
    assert "online" in text and "price index" in text
    page.mouse.move(5, 5)
    page.set_viewport_size({"width": 1440, "height": 1700})  # the whole page in the screenshot
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)
    shot = app.screenshot("e2e_app.png")
    assert shot.stat().st_size > 50_000
    app.assert_clean()
    vega_warnings = [w for w in app.console_warnings if w.startswith("WARN")]
    assert vega_warnings == [], "Vega-Lite warned about a spec"
    assert app.non_local_requests() == [], "the page asked for something off this server"
    assert any("/_solara/cdn/vega-lite@5/" in u for u in app.requests)


def test_step_advances_the_day_and_the_charts_change(app):
    page = app.page
    before = {name: page.locator(f".cx-vega[data-chart={name}]").inner_html() for name in CHARTS}
    counts = {name: renders(page, name) for name in (*CHARTS, "map")}
    latency = page.evaluate(
        """async () => {
            const el = document.querySelector('.cx-vega[data-chart=journeys]');
            const n = Number(el.getAttribute('data-renders') || 0);
            const t0 = performance.now();
            document.querySelector('.cx-step').click();
            await new Promise(resolve => {
                const obs = new MutationObserver(() => {
                    if (Number(el.getAttribute('data-renders') || 0) > n) { obs.disconnect(); resolve(); }
                });
                obs.observe(el, {attributes: true});
            });
            return performance.now() - t0;
        }"""
    )
    page.get_by_text("Day 1 of 365").first.wait_for()
    for name in (*CHARTS, "map"):
        wait_renders(page, name, counts[name])
    changed = [n for n in CHARTS if page.locator(f".cx-vega[data-chart={n}]").inner_html() != before[n]]
    assert "channels" in changed and "cash" in changed, changed
    assert page.locator(".cx-today").inner_text().startswith("Day 1: ")
    # one step plus the redraw of a 1,000-shopper town: well under a second
    (ARTIFACTS_DIR / "e2e_app_step_ms.json").write_text(json.dumps({"step_and_redraw_ms": round(latency)}))
    assert latency < 1500, f"one step and redraw took {latency:.0f} ms"
    app.assert_clean()


def test_slider_then_reset_rebuilds_the_town_with_the_new_value(app):
    page = app.page
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Day 1 of 365").first.wait_for()
    slider = page.locator(".v-input", has_text="Online price advantage").locator("[role=slider]")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    page.get_by_text("Online price advantage: 15%").wait_for()
    page.locator(".cx-pending").wait_for(state="visible")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text("Day 0 of 365").first.wait_for()
    page.locator(".cx-pending").wait_for(state="detached")
    applied = page.locator(".cx-applied").inner_text()
    assert "online stores 15% cheaper than the reference price (preset: 10%)" in applied
    page.locator(".cx-notes").wait_for()  # the classroom panel says what was changed
    # the rebuilt model has the new price: the map's tooltip of the online giant says 0.85
    wait_renders(page, "map", 0)
    assert "0.85" in hover_store(page, "OnlineGiant")
    app.assert_clean()


def test_choosing_a_preset_loads_it(app):
    page = app.page
    page.locator(".cx-preset").click()
    page.get_by_role("option", name="e2e_lockdown").click()
    page.get_by_text("Classroom — E2e lockdown").wait_for()
    page.get_by_text("A lockdown from day 2, to watch the classroom panel react.").wait_for()
    page.get_by_text("Day 0 of 120").first.wait_for()
    assert "e2e_lockdown" in page.locator(".cx-status").inner_text()
    for expected in ("Day 1 of 120", "Day 2 of 120"):
        page.get_by_role("button", name="Step", exact=True).click()
        page.get_by_text(expected).first.wait_for()
    headline = page.locator(".cx-headline")
    headline.wait_for()
    assert headline.inner_text().strip().startswith("Day 2: lockdown — stores closed to walk-ins")
    assert "Which stores can still serve their customers" in page.locator(".cx-questions").inner_text()
    # the lockdown is marked on the time axis
    band = page.locator(".cx-vega[data-chart=channels] svg").get_by_text("lockdown")
    assert band.count() >= 1
    app.assert_clean()


def test_two_browser_sessions_do_not_share_a_model(browser, open_app):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        pages = []
        for ctx in contexts:
            rec = open_app(ctx.new_page())
            wait_drawn(rec.page)
            pages.append((rec.page, rec))
        (first, rec1), (second, rec2) = pages
        for expected in ("Day 1 of 365", "Day 2 of 365", "Day 3 of 365"):
            first.get_by_role("button", name="Step", exact=True).click()
            first.get_by_text(expected).first.wait_for()
        second.wait_for_timeout(500)
        assert day_of(first) == 3
        assert day_of(second) == 0
        second.get_by_role("button", name="Step", exact=True).click()
        second.get_by_text("Day 1 of 365").first.wait_for()
        assert day_of(first) == 3
        rec1.assert_clean()
        rec2.assert_clean()
    finally:
        for ctx in contexts:
            ctx.close()


def test_play_runs_in_the_background_and_the_page_stays_responsive(app):
    page = app.page
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.wait_for_function("() => /Day ([3-9]|\\d\\d+) of/.test(document.querySelector('.cx-day').innerText)")
    # while playing, the page still answers clicks at once
    t0 = time.perf_counter()
    page.locator(".cx-color-loyalty").click()
    page.locator(".cx-color-loyalty.v-item--active").wait_for(timeout=5_000)
    answered = time.perf_counter() - t0
    page.wait_for_function(  # the map is redrawn with shoppers coloured by the store they are loyal to
        "() => document.querySelector('.cx-vega[data-chart=map]').__cxsimView"
        ".scale('color').domain().includes('no favourite yet')",
        timeout=20_000,
    )
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    stopped = day_of(page)
    page.wait_for_timeout(1_000)
    assert day_of(page) == stopped
    assert stopped >= 3
    assert answered < 3.0
    app.assert_clean()
