"""Invariants of every run: shares, ranges, accounting, and that each purchase counts once."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxsim import CXModel

scenario_params = st.fixed_dictionaries(
    {
        "giant_price": st.floats(0.6, 1.3),
        "service": st.floats(0.0, 1.0),
        "reliability": st.floats(0.0, 1.0),
        "lockdown": st.booleans(),
        "seed": st.integers(0, 2**31 - 1),
    }
)


def build(p) -> CXModel:
    overrides = [
        "town.shoppers=400",
        "warmup_days=20",
        f"stores.giant.price={p['giant_price']}",
        f"stores.chain.service_quality={p['service']}",
        f"stores.omni.delivery_reliability={p['reliability']}",
        "collect_purchases=true",
        "collect_reviews=true",
    ]
    if p["lockdown"]:
        overrides.append("events=[{type='lockdown', start=10, days=10}]")
    return CXModel("baseline", rng=p["seed"], days=40, overrides=overrides)


@given(scenario_params)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants_hold_for_any_scenario(p):
    m = build(p)
    cash = [s.cash for s in m.stores]
    profits = np.zeros(len(m.stores))
    while m.running:
        m.step()
        a = m.shoppers
        for arr in (a.loyalty, a.familiarity, a.reputation, a.expectation, a.habit, a.belief_mean):
            assert np.all((arr >= 0) & (arr <= 1))
        assert np.all(a.belief_var > 0) and np.all(
            a.belief_var <= m.spec.behaviour.beliefs.prior_sd**2 + 1e-7
        )
        profits += [s.profit for s in m.stores]
        for s in m.stores:
            assert s.revenue >= 0
    ts, stores, purchases = m.timeseries(), m.store_table(), m.purchases()
    bought = ts[ts.purchases > 0]
    np.testing.assert_allclose(bought[["share_walk_in", "share_delivery", "share_pickup"]].sum(axis=1), 1)
    np.testing.assert_allclose(bought["online_share"], bought["share_delivery"] + bought["share_pickup"])
    for col in ("showrooming_rate", "competitive_showrooming_rate", "webrooming_rate", "return_rate"):
        assert ts[col].between(0, 1).all()
    assert (ts["competitive_showrooming_rate"] <= ts["showrooming_rate"] + 1e-12).all()
    assert ts["nps"].dropna().between(-100, 100).all()
    assert stores["nps"].dropna().between(-100, 100).all()
    # every purchase is counted once in every table
    assert ts["purchases"].sum() == stores["purchases"].sum() == len(purchases)
    assert m.summary()["purchases"] == len(purchases)
    per_day = purchases.groupby("day").size()
    assert (ts.set_index("day")["purchases"][per_day.index] == per_day).all()
    # every review is a row of the reviews table, with 1-5 stars
    reviews = m.review_table()
    assert reviews is not None and len(reviews) == ts["reviews"].sum()
    assert reviews["stars"].between(1, 5).all()
    per_day_reviews = reviews.groupby("day").size()
    assert (ts.set_index("day")["reviews"][per_day_reviews.index] == per_day_reviews).all()
    # cash follows revenue minus costs
    for s, c0, pr in zip(m.stores, cash, profits, strict=True):
        assert abs(s.cash - (c0 + pr)) < 1e-6 * max(1.0, abs(s.cash))
    by_store = stores.groupby("store", sort=False)
    for name, g in by_store:
        g = g.sort_values("day")
        np.testing.assert_allclose(g["cash"].diff().iloc[1:], g["profit"].iloc[1:], rtol=1e-9, atol=1e-6)
        if not g["is_open"].iloc[-1]:
            assert g["purchases"][~g["is_open"].to_numpy()].sum() == 0, name
