"""Mesa's SolaraViz on a CXModel in a real, offline Chromium: Step, then Reset (issue 15).

Mesa 3.5's Reset re-creates the model with ``scenario=<Mesa scenario>`` (see
cxsim.model.mesa_clients); it must build the same cxsim scenario, with a fresh seed.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def e2e_app_target() -> str:
    return "tests/e2e/cxmodel_viz_app.py"


def test_reset_builds_the_same_scenario_with_a_fresh_seed(app_page) -> None:
    page = app_page.page
    info = page.get_by_text(re.compile(r"^cx scenario "))
    info.wait_for(state="visible", timeout=60_000)
    assert info.inner_text().strip() == "cx scenario price_war, seed 5, shoppers 300, day 0"

    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"^cx scenario .*, day 1$")).wait_for(state="visible", timeout=30_000)

    page.get_by_role("button", name="Reset").click()
    after = page.get_by_text(re.compile(r"^cx scenario price_war, seed \d+, shoppers 300, day 0$"))
    after.wait_for(state="visible", timeout=30_000)
    seed = int(re.search(r"seed (\d+)", after.inner_text()).group(1))
    assert seed != 5, "Reset kept the old seed: Mesa's rng=None means a fresh one"
    assert page.get_by_text(re.compile("error", re.I)).count() == 0

    page.get_by_role("button", name="Step").click()  # the new model steps
    page.get_by_text(re.compile(r"^cx scenario .*, day 1$")).wait_for(state="visible", timeout=30_000)
    app_page.screenshot("e2e_solaraviz_reset.png")
    app_page.assert_clean()
