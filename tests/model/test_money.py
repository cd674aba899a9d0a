"""The stores' money: revenue shares, costs of the experience, the books and exit (docs/ODD.md §7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim import CXModel
from cxsim.core.errors import ScenarioError
from cxsim.model.metrics import empty_purchases, kept_revenue, revenue_share
from cxsim.model.scenario import load_scenario
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
    run = small_run(*same_price, "stores.omni.online_price_gap=0.0", days=60, shoppers=2000)
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


STORES = ("corner_shop", "boutique", "chain", "omni", "giant")
NO_VISIT_COSTS = tuple(f"stores.{s}.visit_minutes=0" for s in STORES)


def model(*overrides: str, days: int = 30, shoppers: int = 1000, seed: int = 3, **kw) -> CXModel:
    m = CXModel(
        "baseline",
        days=days,
        overrides=[f"town.shoppers={shoppers}", "warmup_days=20", f"seed={seed}", *overrides],
        **kw,
    )
    m.run()
    return m


def variable_costs(m: CXModel) -> pd.DataFrame:
    """Each store's costs of the day that follow its purchases, recomputed from the purchases table."""
    p, spec = m.purchases(), m.spec
    assert p is not None and len(p)
    ticket = spec.category.ticket
    s = pd.DataFrame([st.model_dump() for st in spec.stores.values()], index=list(spec.stores))
    at = s.loc[p.store.to_numpy()].reset_index(drop=True)
    p = p.reset_index(drop=True)
    kept = ~p.returned.to_numpy()
    shipped = (p.fulfilment == "delivery") + 0.5 * (p.fulfilment == "pickup")
    cost = (
        kept * ticket * (1 - at.margin)
        + shipped * at.delivery_cost
        + p.returned * at.return_cost
        + p.after_sales * at.after_sales_cost * (0.5 + at.after_sales)
    )
    frame = pd.DataFrame({"store": p.store, "day": p.day, "cost": cost, "revenue": kept * ticket * p.price})
    return frame.groupby(["store", "day"])[["cost", "revenue"]].sum()


def standing_costs(m: CXModel) -> pd.Series:
    """Each store's costs of the day less those that follow its purchases (no visit costs in these runs)."""
    st = m.store_table().set_index(["store", "day"])
    variable = variable_costs(m).reindex(st.index, fill_value=0.0)
    return st["costs"] - variable["cost"]


def test_cash_follows_revenue_minus_all_costs():
    """Every cost, recomputed from the purchases and the stores' attributes, adds up to the books."""
    m = model(*NO_VISIT_COSTS, "collect_purchases=true")
    st = m.store_table().set_index(["store", "day"])
    variable = variable_costs(m).reindex(st.index, fill_value=0.0)
    np.testing.assert_allclose(st["revenue"], variable["revenue"], rtol=1e-9)
    scale = m.spec.town.shoppers / 1000
    for name, s in m.spec.stores.items():
        floor = s.kind != "online"
        running = s.wage * (
            scale * (s.service_hours * s.service_quality + s.personalization_hours * s.personalization)
            + scale * s.after_sales_hours * s.after_sales
            + (s.capacity_hours * s.capacity * scale if floor else 0.0)
        )
        np.testing.assert_allclose(standing_costs(m).loc[name], s.fixed_cost * scale + running, rtol=1e-9)
        rows = st.loc[name]
        cash_end = s.cash * scale + (rows["revenue"] - rows["costs"]).sum()
        np.testing.assert_allclose(rows["cash"].iloc[-1], cash_end, rtol=1e-9)


def test_raising_service_by_a_set_event_raises_that_stores_costs_from_that_day():
    raise_service = "events=[{type='set', store='chain', start=10, attribute='service_quality', value=0.95}]"
    base = model(*NO_VISIT_COSTS, "collect_purchases=true")
    better = model(*NO_VISIT_COSTS, "collect_purchases=true", raise_service)
    b, r = (standing_costs(x).loc["chain"] for x in (base, better))
    s = base.spec.stores["chain"]
    extra = s.wage * s.service_hours * (0.95 - s.service_quality) * base.spec.town.shoppers / 1000
    np.testing.assert_allclose(r.loc[:9], b.loc[:9])  # the same costs until the event
    np.testing.assert_allclose(r.loc[10:] - b.loc[10:], extra)  # and more every day from it
    assert extra > 0


def test_a_research_visit_costs_the_visited_store():
    free, dear = model(*NO_VISIT_COSTS), model(*NO_VISIT_COSTS, "stores.corner_shop.visit_minutes=30")
    f, d = (x.store_table().set_index(["store", "day"])["costs"] for x in (free, dear))
    extra = (d - f).groupby("store").sum()
    assert extra["corner_shop"] > 0
    assert (extra.drop("corner_shop") == 0).all()
    s = free.spec.stores["corner_shop"]
    per_visit = s.wage * 0.5 * s.service_quality
    assert extra["corner_shop"] / per_visit == pytest.approx(round(extra["corner_shop"] / per_visit))


def test_a_lockdowns_relief_lowers_the_fixed_costs_of_shut_stores():
    def lockdown(relief: float) -> str:
        return f"events=[{{type='lockdown', start=5, days=10, fixed_cost_relief={relief}}}]"

    none, most = model(lockdown(0.0), days=20), model(lockdown(0.8), days=20)
    n, k = (x.store_table().set_index(["store", "day"]) for x in (none, most))
    saved = (n["costs"] - k["costs"]).unstack("store")
    assert (saved.loc[:4] == 0).all().all() and (saved.loc[15:] == 0).all().all()
    assert (saved.loc[5:14, "giant"] == 0).all()  # no shop floor to shut
    for name in ("corner_shop", "boutique", "chain", "omni"):
        standing = none.stores[none.store_names.index(name)].standing_cost
        np.testing.assert_allclose(saved.loc[5:14, name], 0.8 * standing)


def test_a_store_with_negative_cash_but_profits_ahead_stays_open():
    # a corner shop without rent to pay earns well, but starts the year overdrawn
    m = model("stores.corner_shop.cash=-1000", "stores.corner_shop.fixed_cost=0", "warmup_days=90", days=60)
    st = m.store_table().query("store == 'corner_shop'")
    assert st["cash"].iloc[0] < 0  # before 0.3.0 it closed on day 1
    assert m.stores[0].is_open and m.stores[0].expected_profit > 0


def test_a_store_making_losses_exits_before_its_cash_runs_out():
    m = model("stores.corner_shop.fixed_cost=400", days=60)
    closure = [e for e in m.log if e.kind == "closure"]
    assert [e.store for e in closure] == ["corner_shop"]
    st = m.store_table().query("store == 'corner_shop'").set_index("day")
    assert st.loc[closure[0].day, "cash"] > 0
    assert m.stores[0].expected_profit < 0


def test_strategy_cost_is_refused_naming_its_replacement():
    with pytest.raises(ScenarioError, match="service_hours"):
        load_scenario("baseline", ["stores.chain.strategy_cost=4"])


def test_the_online_price_gap_sets_the_online_price_and_channel_consistency_does_not():
    m = CXModel("baseline", days=1, overrides=["town.shoppers=300", "warmup_days=0"])
    omni = m.stores[m.store_names.index("omni")]
    assert omni.online_price == pytest.approx(omni.price * (1 - omni.online_price_gap))
    omni.channel_consistency = 0.2
    assert omni.online_price == pytest.approx(omni.price * (1 - omni.online_price_gap))
    omni.online_price_gap = 0.1
    assert omni.online_price == pytest.approx(omni.price * 0.9)


def test_a_set_event_on_strategy_cost_is_refused_naming_its_replacement():
    event = "events=[{type='set', store='chain', start=5, attribute='strategy_cost', value=8.0}]"
    with pytest.raises(ScenarioError, match="online_channel_cost"):
        load_scenario("baseline", [event])
