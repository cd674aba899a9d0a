"""Category demand responds: the outside option, lapsing needs, category expansion, promotions.

Small towns, paired seeds (the same seed with and without the change).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import cxsim
from cxsim.model import phases
from tests.conftest import small_run

choice_phase = importlib.import_module("cxsim.model.phases.choice")
SEEDS = (1, 2)
PRICES = {"corner_shop": 1.08, "boutique": 1.12, "chain": 1.0, "omni": 0.98, "giant": 0.9}


def outside_share(*overrides: str, shoppers: int = 2000, days: int = 60, seed: int = 1) -> float:
    """Share of occasions (shoppers with a need, after warm-up) that take the outside option.

    ``python -c "from tests.model.test_choice_demand import outside_share; print(outside_share())"``
    """
    seen = {"occasions": 0, "outside": 0}
    original = choice_phase._outside

    def counting(m, d, out):
        if not d.warm:
            seen["occasions"] += out.size
            seen["outside"] += int(out.sum())
        original(m, d, out)

    choice_phase._outside = counting
    try:
        small_run(*overrides, days=days, shoppers=shoppers, seed=seed)
    finally:
        choice_phase._outside = original
    return seen["outside"] / seen["occasions"]


def _purchases(*overrides: str, days: int = 60) -> float:
    return float(
        np.sum(
            [
                small_run(*overrides, days=days, shoppers=2000, seed=s).summary.iloc[0]["purchases"]
                for s in SEEDS
            ]
        )
    )


def _store_purchases(store: str, *overrides: str, days: int = 60) -> float:
    total = 0.0
    for s in SEEDS:
        st = small_run(*overrides, days=days, shoppers=2000, seed=s).stores
        total += float(st.loc[st.store == store, "purchases"].sum())
    return total


def test_outside_option_takes_a_few_percent_and_more_in_a_recession():
    calm = outside_share()
    slump = outside_share("events=[{type='recession', start=1, days=60, severity=0.3}]")
    assert 0.02 < calm < 0.12
    assert slump > calm + 0.03


def test_a_general_price_cut_expands_the_category_less_than_one_store_gains():
    """All stores 10% cheaper: total purchases rise (category expansion), by a smaller share than
    the chain's own purchases rise when it alone cuts its price by 10% (own-price > category elasticity)."""
    base_total = _purchases()
    all_cut = _purchases(*(f"stores.{s}.price={p * 0.9:.4f}" for s, p in PRICES.items()))
    chain_base = _store_purchases("chain")
    chain_cut = _store_purchases("chain", f"stores.chain.price={PRICES['chain'] * 0.9:.4f}")
    category_gain = all_cut / base_total - 1.0
    own_gain = chain_cut / chain_base - 1.0
    assert category_gain > 0.005
    assert own_gain > category_gain


def test_a_big_ticket_sends_shoppers_to_the_cheapest_seller():
    """At ticket 800 the 10%-cheaper online giant is worth the wait; at ticket 8 it is not."""
    small = _store_purchases("giant", "category.ticket=8") / _purchases("category.ticket=8")
    big = _store_purchases("giant", "category.ticket=800") / _purchases("category.ticket=800")
    assert big > small + 0.05


def test_lapsing_needs_reduce_purchases():
    kept = _purchases("behaviour.choice.lapse=0.0")
    lapsing = _purchases("behaviour.choice.lapse=1.0")
    assert lapsing < kept


def test_reached_shoppers_buy_only_at_the_promoting_store_or_wait(monkeypatch: pytest.MonkeyPatch):
    seen = {"reached_buyers": 0, "elsewhere": 0, "waited": 0, "still_flagged": 0}
    original = phases.choice

    def checking(m, d):
        reached_before = d.who[d.impulse >= 0]
        original(m, d)
        mine = d.impulse >= 0
        seen["reached_buyers"] += int(mine.sum())
        seen["elsewhere"] += int((d.store[mine] != d.impulse[mine]).sum())
        waited = np.setdiff1d(reached_before, d.who)
        seen["waited"] += waited.size
        seen["still_flagged"] += int((m.shoppers.impulse[waited] >= 0).sum())
        assert np.all(m.shoppers.next_need[waited] > d.day)

    monkeypatch.setattr(phases, "choice", checking)
    promo = "events=[{type='promotion', store='chain', start=20, days=10, discount=0.2, response=0.8}]"
    cxsim.run("baseline", days=40, seed=3, overrides=["town.shoppers=2000", promo])
    assert seen["reached_buyers"] > 20
    assert seen["elsewhere"] == 0
    assert seen["waited"] > 0 and seen["still_flagged"] == 0
