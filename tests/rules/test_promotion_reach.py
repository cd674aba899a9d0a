"""Promotions: who a deal reaches grows with its depth and the shopper's deal-proneness (ODD, promotions)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from cxsim.model.behaviour import Behaviour
from cxsim.rules.promotions import PromotionCoefficients, reach_probability, reached

C = PromotionCoefficients()


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_reach_grows_with_the_depth_of_the_discount():
    w = np.ones(1)
    p = [float(reach_probability(d, 0.5, w, C)[0]) for d in (0.0, 0.1, 0.2, 0.3, 0.5)]
    assert p[0] == 0.0
    assert all(b > a for a, b in itertools.pairwise(p))
    assert p[-1] < 0.5  # never beyond the promotion's reach scale
    assert p[2] == pytest.approx(0.5 * (1 - np.exp(-1)))  # at depth δ₀, 63% of the scale


def test_reach_grows_with_the_weight_on_price():
    p = reach_probability(0.3, 0.5, np.array([0.5, 1.0, 2.0]), C)
    assert p[0] < p[1] < p[2] <= 0.5


def test_reach_scales_with_response_and_a_shallower_depth_coefficient_reaches_more():
    w = np.ones(1)
    assert reach_probability(0.2, 0.8, w, C)[0] == pytest.approx(2 * reach_probability(0.2, 0.4, w, C)[0])
    keen = PromotionCoefficients(depth=0.1)
    assert reach_probability(0.2, 0.5, w, keen)[0] > reach_probability(0.2, 0.5, w, C)[0]


def test_only_needs_due_within_the_window_are_reached():
    nxt = np.array([1, 0, 5, 20, 31, 100] * 2000, dtype=np.int32)
    got = reached(rng(1), nxt, 1, 30, 0.9, 1.0, np.full(nxt.size, 5.0), C)
    assert set(nxt[got].tolist()) == {5, 20, 31}
    assert np.all(np.diff(got) > 0)


def test_deeper_deals_and_bargain_hunters_are_reached_more_often():
    n = 200_000
    nxt = np.full(n, 10, dtype=np.int32)
    avg = np.ones(n)
    shallow = reached(rng(2), nxt, 1, 30, 0.1, 0.5, avg, C).size / n
    deep = reached(rng(2), nxt, 1, 30, 0.4, 0.5, avg, C).size / n
    hunters = reached(rng(2), nxt, 1, 30, 0.1, 0.5, np.full(n, 2.0), C).size / n
    assert deep > shallow + 0.1
    assert hunters > shallow + 0.05
    assert shallow == pytest.approx(float(reach_probability(0.1, 0.5, avg[:1], C)[0]), abs=0.005)


def test_no_discount_reaches_nobody_and_draws_nothing():
    g = rng(3)
    state = g.bit_generator.state
    assert reached(g, np.full(100, 5, dtype=np.int32), 1, 30, 0.0, 0.5, np.ones(100), C).size == 0
    assert g.bit_generator.state == state  # a 0% "promotion" leaves the run as without it


def test_the_coefficient_is_a_behaviour_group():
    b = Behaviour.model_validate({"promotions": {"depth": 0.3}})
    assert b.promotions.depth == 0.3
    with pytest.raises(ValidationError):
        Behaviour.model_validate({"promotions": {"depth": 0.0}})


def test_what_is_bought_early_is_held_until_the_need_s_day():
    from cxsim.rules.promotions import held_days

    assert held_days(np.array([10, 12, 40, 8]), 10).tolist() == [0, 2, 30, 0]
