"""Price in money: the ticket sets how price trades off against travel, waiting and hassle."""

from __future__ import annotations

import numpy as np
import pytest

from cxsim.model.behaviour import Behaviour
from cxsim.rules import choice
from tests.rules.choice_inputs import utilities


def _utilities(ticket: float, c: choice.ChoiceCoefficients | None = None, **changes):
    return utilities(c or choice.ChoiceCoefficients(), ticket=ticket, **changes)


def _extra_km_for_five_percent(ticket: float) -> float:
    """Kilometres of extra distance that a 5% cheaper store is worth, by bisection on utility."""
    cheaper = np.ones((1, 2, 3))
    cheaper[0, 1, :] = 0.95
    lo, hi = 0.0, 500.0
    for _ in range(60):
        mid = (lo + hi) / 2
        dist = np.array([[2.0, 2.0 + mid]])
        u = _utilities(ticket, price_seen=cheaper, dist_km=dist)
        lo, hi = (mid, hi) if u[3 + choice.WALK_IN] > u[choice.WALK_IN] else (lo, mid)
    return lo


def test_a_big_ticket_makes_shoppers_go_farther_for_a_lower_price():
    small, default, big = (_extra_km_for_five_percent(t) for t in (8.0, 80.0, 800.0))
    assert small < default < big
    assert big == pytest.approx(100 * small, rel=1e-6)  # price in money, travel in time: linear


def test_the_0_3_money_values_at_ticket_80_give_the_old_index_utilities():
    """At the default ticket 0.3.0's money values reproduce the 0.2 utilities (price 10 per index unit).

    0.4.0 recalibrated ``money`` (0.06) and ``delivery_minutes`` (30); the other minutes
    are still 0.3.0's conversions of the 0.2 utilities.
    """
    c = choice.ChoiceCoefficients(money=0.125, delivery_minutes=48.0)
    assert c.money * 80.0 == pytest.approx(10.0)
    per_minute = c.money * c.value_of_time / 60.0
    assert per_minute * c.delivery_minutes == pytest.approx(1.5)
    assert per_minute * c.pickup_minutes == pytest.approx(2.0)
    assert c.money * c.wait_per_day == pytest.approx(0.35)
    assert per_minute * c.crowding_minutes == pytest.approx(0.8, rel=0.05)
    assert per_minute * c.minutes_per_km == pytest.approx(0.30, rel=0.2)


def test_price_sensitivity_scales_money_paid_not_time():
    dear = np.full((1, 2, 3), 1.1)
    base = _utilities(80.0, price_seen=dear)
    tight = _utilities(80.0, price_seen=dear, price_sensitivity=1.5)
    assert tight[choice.WALK_IN] < base[choice.WALK_IN]
    far = _utilities(80.0, dist_km=np.array([[6.0, 2.0]]), price_sensitivity=1.5)
    near = _utilities(80.0, price_sensitivity=1.5)
    assert near[0] - far[0] == pytest.approx(
        _utilities(80.0)[0] - _utilities(80.0, dist_km=np.array([[6.0, 2.0]]))[0]
    )


def test_waiting_and_hassle_cost_more_for_a_time_valuing_shopper():
    slow = _utilities(80.0, delivery_days=np.array([6.0, 2.0]))
    assert slow[choice.DELIVERY] < _utilities(80.0)[choice.DELIVERY]
    c = choice.ChoiceCoefficients(value_of_time=30.0)
    assert _utilities(80.0, c=c)[choice.PICKUP] < _utilities(80.0)[choice.PICKUP]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("price", "money"),
        ("travel_per_km", "minutes_per_km"),
        ("crowding", "crowding_minutes"),
        ("delivery_per_day", "wait_per_day"),
        ("delivery_hassle", "delivery_minutes"),
        ("pickup_hassle", "pickup_minutes"),
        ("no_purchase", "outside"),
    ],
)
def test_removed_keys_name_their_replacement(old: str, new: str):
    assert new in choice.ChoiceCoefficients.removed_keys[old]
    assert new in Behaviour.removed_keys[old]
    with pytest.raises(ValueError):
        choice.ChoiceCoefficients.model_validate({old: 1.0})
