"""The stores' money: revenue shares, costs of the experience, the books and exit (docs/ODD.md §7)."""

from __future__ import annotations

import numpy as np

from cxsim import CXModel
from cxsim.model.metrics import empty_purchases, kept_revenue, revenue_share
from cxsim.rules.choice import DELIVERY, WALK_IN
from tests.conftest import small_run


def test_revenue_share_sums_to_one_over_stores_with_sales():
    run = small_run(days=40, shoppers=1500)
    st = run.stores
    days = st[st.revenue > 0].groupby("day")["revenue_share"].sum()
    assert len(days) == 40
    np.testing.assert_allclose(days.to_numpy(), 1.0)
    assert (st.loc[st.revenue == 0, "revenue_share"] == 0).all()


def test_online_revenue_share_counts_kept_revenue_only():
    p = empty_purchases()
    p.price = np.ones(4)
    p.fulfilment = np.array([WALK_IN, WALK_IN, DELIVERY, DELIVERY])
    p.returned = np.array([False, False, True, False])
    kept, online = kept_revenue(p, ticket=80.0)
    assert (kept, online) == (240.0, 80.0)
    assert revenue_share(online, kept) == 1 / 3  # half the purchases, a third of the kept revenue


def test_online_revenue_share_below_online_share_when_online_returns_are_higher():
    # one price everywhere, so that only returns separate revenue from purchases
    same_price = [f"stores.{s}.price=1.0" for s in ("corner_shop", "boutique", "chain", "omni", "giant")]
    run = small_run(*same_price, "stores.omni.channel_consistency=1.0", days=60, shoppers=2000)
    s = run.summary.iloc[0]
    assert s["return_rate_delivery"] > s["return_rate_walk_in"]
    assert s["online_revenue_share"] < s["online_share"]
    # at one price, revenue shares are shares of kept purchases
    kept = {c: s[f"share_{c}"] * (1 - s[f"return_rate_{c}"]) for c in ("walk_in", "delivery", "pickup")}
    expected = (kept["delivery"] + kept["pickup"]) / sum(kept.values())
    assert abs(s["online_revenue_share"] - expected) < 1e-9


def test_store_costs_are_revenue_minus_profit():
    m = CXModel("baseline", days=10, overrides=["town.shoppers=1000", "warmup_days=5"])
    m.run()
    st = m.store_table()
    np.testing.assert_allclose(st["revenue"] - st["costs"], st["profit"], rtol=1e-12, atol=1e-9)
