"""Same scenario and seed give identical tables; different seeds give different ones."""

from __future__ import annotations

import pandas as pd

from tests.conftest import small_run

EVENTS = (
    "events=[{type='lockdown', start=20, days=15},"
    " {type='promotion', store='giant', start=50, days=3, discount=0.3}]"
)


def test_same_seed_identical_tables():
    a = small_run(EVENTS, days=70, shoppers=1500, seed=3, purchases=True)
    b = small_run(EVENTS, days=70, shoppers=1500, seed=3, purchases=True)
    for name in ("timeseries", "stores", "summary", "purchases"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_different_seeds_differ():
    a = small_run(days=40, shoppers=1500, seed=3)
    b = small_run(days=40, shoppers=1500, seed=4)
    assert not a.timeseries.equals(b.timeseries)


def test_seed_in_scenario_is_used_and_recorded():
    a = small_run(days=20, shoppers=500, seed=11)
    assert a.summary.iloc[0]["seed"] == 11 and a.provenance["seed"] == 11
