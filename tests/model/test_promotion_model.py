"""Promotions belong to a store (docs/ODD.md, promotions): paired runs of a small town.

A deeper discount pulls more demand to the promoting store and less to the
others; the days after a promotion show a dip; a shopper the promotion reaches
buys there or waits for its need's day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.conftest import small_run

SEEDS = (1, 2)
START, AFTER = 40, 30
DAYS = START + AFTER


def promo(discount: float, store: str = "chain", response: float = 0.5) -> str:
    return (
        f"events=[{{type='promotion', store='{store}', start={START}, days=1, discount={discount},"
        f" pull_forward_days={AFTER}, response={response}}}]"
    )


def purchases(runs: list, first: int, last: int) -> pd.Series:
    """Purchases by store over days first..last, summed over the runs."""
    st = pd.concat([r.stores for r in runs])
    return st[(st.day >= first) & (st.day <= last)].groupby("store")["purchases"].sum()


def runs(*overrides: str) -> list:
    return [small_run(*overrides, days=DAYS, shoppers=2000, seed=s) for s in SEEDS]


def test_a_deeper_discount_pulls_more_demand_to_the_promoting_store_and_less_to_the_others():
    shallow, deep = runs(promo(0.10)), runs(promo(0.40))
    day_s, day_d = purchases(shallow, START, START), purchases(deep, START, START)
    assert day_d["chain"] > 1.3 * day_s["chain"]
    # the others sell less on the day (switching) and over the weeks after (needs bought early)
    rivals = [s for s in day_s.index if s != "chain"]
    over_s, over_d = purchases(shallow, START, DAYS), purchases(deep, START, DAYS)
    assert day_d[rivals].sum() < day_s[rivals].sum()
    assert over_d[rivals].sum() < over_s[rivals].sum()
    assert over_d["chain"] > over_s["chain"]


def test_the_pulled_forward_demand_goes_to_the_promoting_store():
    none, deep = runs(), runs(promo(0.40, response=0.8))
    gain = purchases(deep, START, START) - purchases(none, START, START)
    assert gain["chain"] > 0
    # nobody else gains from the promotion's day: the reached shoppers buy at the chain or wait
    others = gain.drop("chain")
    assert others.max() <= 0.1 * gain["chain"]


def test_a_post_promotion_dip_follows():
    none, deep = runs(), runs(promo(0.40, response=0.8))
    total_none = purchases(none, START + 1, DAYS).sum()
    total_deep = purchases(deep, START + 1, DAYS).sum()
    assert total_deep < total_none
    # before the promotion the paired runs are the same town
    assert purchases(deep, 1, START - 1).sum() == purchases(none, 1, START - 1).sum()


def test_a_promotion_of_a_closed_store_reaches_nobody():
    closed = "stores.chain.open=false"
    none, deep = runs(closed), runs(closed, promo(0.40, response=0.8))
    a = np.array([r.timeseries["purchases"].to_numpy() for r in none])
    b = np.array([r.timeseries["purchases"].to_numpy() for r in deep])
    assert np.array_equal(a, b)


def test_a_shopper_who_bought_early_needs_again_only_after_its_need_s_day():
    import cxsim
    from cxsim.model.scenario import load_scenario

    spec = load_scenario("baseline", ["town.shoppers=2000", promo(0.40, response=0.8)], days=DAYS, seed=1)
    m = cxsim.CXModel(spec)
    while m.day < START - 1:
        m.step()
    due = m.shoppers.next_need.copy()
    m.step()
    a = m.shoppers
    early = np.flatnonzero((a.last_purchase == START) & (due > START) & (a.return_store < 0))
    assert early.size > 50  # the promotion's early buyers
    assert (a.last_store[early] == m.store_names.index("chain")).all()
    assert (a.next_need[early] > due[early]).all()
