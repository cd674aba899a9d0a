"""Smoke test of the e2e harness: a toy SolaraViz app in a real, offline Chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def e2e_app_target() -> str:
    return "tests/e2e/toy_app.py"


def test_toy_app_loads_offline_and_steps(app_page):
    page = app_page.page

    # the app is mounted: title, controls, the altair space (vega canvas/svg)
    # and the matplotlib plot (an <img> widget) are visible
    page.get_by_text("Toy walkers").first.wait_for(state="visible")
    step = page.get_by_role("button", name="Step")
    step.wait_for(state="visible")
    page.locator(".vega-embed").first.wait_for(state="visible")
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(state="visible")
    page.locator("img.widget-image").first.wait_for(state="visible")

    time_text = page.get_by_text(re.compile(r"^Time: "))
    assert time_text.inner_text().strip() in {"Time: 0", "Time: 0.0"}

    step.click()
    page.get_by_text(re.compile(r"^Time: 1(\.0)?$")).wait_for(state="visible", timeout=15_000)

    page.wait_for_load_state("networkidle")
    app_page.screenshot("e2e_toy_app.png")

    app_page.assert_clean()
    assert app_page.non_local_requests() == [], "the page asked for something off this server"
    # every CDN asset came from the local proxy cache
    assert any("/_solara/cdn/@widgetti/solara-vuetify-app@" in u for u in app_page.requests)
    assert any("/_solara/cdn/vega@5/" in u for u in app_page.requests)
