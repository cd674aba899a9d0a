"""Events and fulfilment (docs/ODD.md §7): essential and curbside stores in a lockdown, delivery
capacity, a disruption's extra days counted once, returns that re-open the need."""

from __future__ import annotations

import pandas as pd

from cxsim import CXModel
from cxsim.model.scenario import load_scenario
from cxsim.rules.beliefs import RELIABILITY
from tests.conftest import small_run

LOCKDOWN = "events=[{type='lockdown', start=20, days=40, pickup=true}]"


def lockdown_days(stores: pd.DataFrame) -> pd.DataFrame:
    return stores.query("20 <= day < 60").groupby("store")[["walk_in", "pickup", "delivery"]].sum()


def test_essential_stores_sell_walk_in_through_a_lockdown_and_others_do_not():
    r = small_run(LOCKDOWN, "stores.chain.essential=true", days=60, shoppers=2000, seed=3)
    during = lockdown_days(r.stores)
    assert during.loc["chain", "walk_in"] > 0
    assert during.loc[["corner_shop", "boutique", "omni"], "walk_in"].sum() == 0


def test_curbside_stores_hand_over_pickups_during_a_lockdown():
    r = small_run(LOCKDOWN, "stores.corner_shop.curbside=true", days=60, shoppers=2000, seed=3)
    during = lockdown_days(r.stores)
    assert during.loc["corner_shop", "pickup"] > 0  # a shop without click-and-collect, at the kerb
    assert during.loc[["boutique", "omni"], "pickup"].sum() == 0  # closed floors hand over nothing
    banned = small_run(
        "events=[{type='lockdown', start=20, days=40, pickup=false}]",
        "stores.corner_shop.curbside=true",
        days=60,
        shoppers=2000,
        seed=3,
    )
    assert lockdown_days(banned.stores).loc["corner_shop", "pickup"] == 0
    before = r.stores.query("day < 20").groupby("store")["pickup"].sum()
    assert before["corner_shop"] == 0 and before["omni"] > 0  # curbside is a lockdown service


def _giant(capacity: str | None) -> tuple[pd.DataFrame, float]:
    overrides = ["town.shoppers=2000", "collect_purchases=true"]
    if capacity is not None:
        overrides.append(f"stores.giant.delivery_capacity={capacity}")
    m = CXModel(load_scenario("baseline", overrides, days=90, seed=4))
    m.run()
    giant = m.store_names.index("giant")
    p = m.purchases()
    assert p is not None
    return p[(p.store == "giant") & (p.fulfilment == "delivery")], float(
        m.shoppers.belief_mean[:, giant, RELIABILITY].mean()
    )


def test_delivery_capacity_below_demand_makes_deliveries_late_and_lowers_the_reliability_belief():
    free, free_belief = _giant(None)
    tight, tight_belief = _giant("0.3")
    assert (tight.late_days > 0).mean() > (free.late_days > 0).mean() + 0.2
    assert tight.late_days.mean() > 2 * free.late_days.mean()
    assert tight_belief < free_belief - 0.02


def test_a_disruptions_extra_days_are_not_lateness():
    r = small_run(
        "events=[{type='delivery_disruption', start=10, days=40, extra_days=5, reliability_factor=1.0}]",
        "stores.giant.delivery_reliability=1.0",
        "stores.omni.delivery_reliability=1.0",
        days=50,
        shoppers=2000,
        seed=2,
        purchases=True,
    )
    delivered = r.purchases.query("fulfilment == 'delivery' and 10 <= day < 50")
    assert len(delivered) > 20
    assert (delivered.late_days == 0).all()


def test_returns_re_open_the_need():
    def purchases(rate: float) -> int:
        runs = [
            small_run(f"category.base_return_rate={rate}", days=90, shoppers=2000, seed=s) for s in (1, 2)
        ]
        return int(sum(r.summary.iloc[0]["purchases"] for r in runs))

    assert purchases(0.30) > 1.05 * purchases(0.02)


def _next_visit(p: pd.DataFrame) -> pd.DataFrame:
    """Each purchase with the research visit of the same shopper's next purchase."""
    p = p.sort_values(["shopper", "day"]).reset_index(drop=True)
    nxt = p.groupby("shopper").shift(-1)
    p["next_visited"] = nxt["visited"]
    return p[nxt["day"].notna()]


def test_a_return_over_the_counter_brings_the_shopper_back_into_that_store():
    r = small_run("category.base_return_rate=0.3", days=90, shoppers=2000, seed=6, purchases=True)
    p = _next_visit(r.purchases)
    walk = p[p.fulfilment == "walk_in"]
    back = walk[walk.returned]
    kept = walk[~walk.returned]
    assert (back.next_visited == back.store).mean() > 0.8
    assert (back.next_visited == back.store).mean() > 2 * (kept.next_visited == kept.store).mean()


def test_cross_channel_returns_bring_online_buyers_into_the_store():
    def visits_after_delivered_returns(cross: str) -> float:
        r = small_run(
            "category.base_return_rate=0.3",
            f"stores.omni.cross_channel_returns={cross}",
            days=90,
            shoppers=2000,
            seed=6,
            purchases=True,
        )
        p = _next_visit(r.purchases)
        back = p[(p.store == "omni") & (p.fulfilment == "delivery") & p.returned]
        return float((back.next_visited == "omni").mean())

    assert visits_after_delivered_returns("true") > visits_after_delivered_returns("false") + 0.3
