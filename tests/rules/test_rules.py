"""The behavioural rules, one by one, as pure functions on arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cxsim.model.behaviour import GROUPS, LEGACY_KEYS, Behaviour, canonical_path
from cxsim.rules import (
    accounts,
    choice,
    experience,
    fulfilment,
    loyalty,
    needs,
    personalization,
    research,
    social,
    word_of_mouth,
)
from cxsim.rules.town import place_homes
from tests.rules.choice_inputs import utilities

rng = np.random.default_rng


def test_gumbel_argmax_draws_logit_probabilities():
    u = np.array([[0.0, 1.0, -np.inf, 0.5]])
    draws = choice.gumbel_argmax(rng(1), np.repeat(u, 100_000, axis=0))
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, choice.logit_probabilities(u)[0], atol=0.006)
    assert freq[2] == 0.0


def _utilities(**changes):
    ones = choice.ChoiceCoefficients(**dict.fromkeys(choice.ChoiceCoefficients.model_fields, 1.0))
    return utilities(ones, **changes)


def test_utility_directions():
    base = _utilities()
    cheaper = np.ones((1, 2, 3))
    cheaper[0, 1, choice.DELIVERY] = 0.8
    assert _utilities(price_seen=cheaper)[1 * 3 + 1] > base[4]
    assert _utilities(loyalty=np.array([[1.0, 0.0]]))[0] > base[0]
    assert _utilities(dist_km=np.array([[8.0, 2.0]]))[0] < base[0]
    unseen = np.ones((1, 2, 3), bool)
    unseen[:, :, choice.DELIVERY] = False
    assert _utilities(inspected=unseen)[1] < base[1]
    visited = np.array([[True, False]])
    assert _utilities(visited=visited)[0] > base[0]
    assert _utilities(habit=np.ones(1))[1] > base[1]
    avail = np.ones((1, 2, 3), bool)
    avail[0, 0, :] = False
    assert np.all(np.isinf(_utilities(available=avail)[:3]))


def test_perceived_price_shrinks_unseen_differences():
    p = choice.perceived_price(np.array([0.8]), np.array([False]), 0.5)
    assert p[0] == pytest.approx(0.9)
    assert choice.perceived_price(np.array([0.8]), np.array([True]), 0.5)[0] == pytest.approx(0.8)


def test_research_channels_respond_to_savvy_touch_and_loyalty():
    kw = dict(
        savvy=np.array([0.1, 0.9]),
        recreational=np.zeros(2),
        habit=np.zeros(2),
        nearest_store_km=np.array([1.0, 1.0]),
        touch_feel=0.5,
        visit_allowed=True,
        c=research.ResearchCoefficients(
            none=0.0,
            habit=2.0,
            online=0.0,
            online_savvy=3.0,
            visit=0.0,
            visit_touch=1.0,
            visit_recreational=1.0,
            visit_km=0.3,
        ),
    )
    u = research.research_utilities(max_loyalty=np.array([0.0, 0.0]), **kw)
    assert u[1, research.ONLINE] > u[0, research.ONLINE]
    loyal = research.research_utilities(max_loyalty=np.array([1.0, 1.0]), **kw)
    assert np.all(loyal[:, research.NONE] > u[:, research.NONE])
    locked = research.research_utilities(max_loyalty=np.zeros(2), **{**kw, "visit_allowed": False})
    assert np.all(np.isinf(locked[:, research.VISIT]))


def test_inspection_lowers_misfit_and_returns():
    n = 200_000
    seen = fulfilment.misfit(rng(2), np.ones(n, bool), 0.6, 0.04, 0.3)
    unseen = fulfilment.misfit(rng(2), np.zeros(n, bool), 0.6, 0.04, 0.3)
    assert seen.mean() < unseen.mean() - 0.1
    ease = np.full(n, 0.5)
    r_seen = fulfilment.returned(rng(3), seen, 0.07, 0.7, ease, np.zeros(n, bool), 0.1)
    r_unseen = fulfilment.returned(rng(3), unseen, 0.07, 0.7, ease, np.zeros(n, bool), 0.1)
    assert r_seen.mean() < r_unseen.mean()


def test_cross_channel_returns_ease_delivered_returns():
    ease = fulfilment.return_ease(np.array([0.5, 0.5]), np.array([True, False]), np.array([True, True]))
    assert ease[0, choice.DELIVERY] > ease[1, choice.DELIVERY]
    assert ease[0, choice.WALK_IN] == ease[1, choice.WALK_IN]


def test_late_deliveries_follow_reliability():
    late = fulfilment.lateness_days(rng(4), np.full(100_000, 0.9))
    assert (late > 0).mean() == pytest.approx(0.1, abs=0.005)
    assert np.all(fulfilment.lateness_days(rng(4), np.ones(10)) == 0.0)


def test_crowding_pleases_recreational_up_to_a_point_and_annoys_task_shoppers():
    crowd = np.array([0.0, 0.6, 2.0])
    rec = experience.crowding_effect(crowd, np.ones(3, bool), 0.6)
    task = experience.crowding_effect(crowd, np.zeros(3, bool), 0.6)
    assert rec[1] > rec[0] and rec[1] > rec[2]
    assert task[0] > task[1] > task[2]


def test_service_noise_shrinks_with_consistency():
    q = np.full(50_000, 0.6)
    loose = experience.realized_service(rng(5), q, np.full_like(q, 0.2), 0.3)
    tight = experience.realized_service(rng(5), q, np.full_like(q, 0.9), 0.3)
    assert loose.std() > 3 * tight.std()


def test_satisfaction_is_expectation_disconfirmation():
    e = np.array([0.8, 0.8])
    exp_ = np.array([0.6, 0.9])
    d = experience.disconfirmation(e, exp_)
    s = experience.satisfaction(e, d, 0.8)
    assert s[0] > s[1]
    assert experience.adapt_expectation(exp_, e, 0.5)[0] == pytest.approx(0.7)


@given(
    arrays(np.float64, 20, elements=st.floats(0, 1)),
    st.floats(0.01, 0.5),
)
@settings(max_examples=50, deadline=None)
def test_negativity_bias_and_bounds(start, size):
    c = loyalty.LoyaltyCoefficients(gain=0.5, loss=1.2, repeat=0.0)
    up = loyalty.update_loyalty(start, np.full(20, size), c)
    down = loyalty.update_loyalty(start, np.full(20, -size), c)
    assert np.all((up >= 0) & (up <= 1) & (down >= 0) & (down <= 1))
    inner = (start - 1.2 * size > 0) & (start + 0.5 * size < 1)
    assert np.all((start - down)[inner] > (up - start)[inner])


def test_fading_and_avoidance():
    x = np.ones(3, dtype=np.float32)
    loyalty.fade(x, 0.1)
    np.testing.assert_allclose(x, 0.9)
    c = loyalty.LoyaltyCoefficients(avoid_threshold=-0.3)
    assert loyalty.starts_avoiding(np.array([-0.5, -0.1]), c).tolist() == [True, False]


def test_familiarity_grows_with_capability():
    f = np.zeros(2)
    grown = personalization.grow_familiarity(f, np.array([0.2, 0.8]), 0.5)
    assert grown[1] > grown[0] > 0
    assert personalization.perceived_personalization(np.array([0.5]), np.array([0.5]))[0] == 0.25


@given(arrays(np.int8, 30, elements=st.integers(0, 10)))
@settings(max_examples=50, deadline=None)
def test_nps_in_range(ltr):
    p, d = word_of_mouth.promoters_detractors(ltr)
    score = float(word_of_mouth.net_promoter_score(p.sum(), d.sum(), ltr.size))
    assert -100 <= score <= 100


def test_extreme_experiences_write_reviews():
    sat = np.repeat([0.05, 0.5, 0.97], 50_000)
    c = word_of_mouth.WordOfMouthCoefficients(review_base=0.02, review_extremity=0.35)
    writes = word_of_mouth.writes_review(rng(6), sat, c).reshape(3, -1).mean(axis=1)
    assert writes[0] > writes[1] and writes[2] > writes[1]


def test_needs_arrive_at_the_mean_rate():
    gaps = needs.draw_next_need(rng(8), 0, np.full(100_000, 30.0))
    assert gaps.mean() == pytest.approx(30, rel=0.03)
    slower = needs.draw_next_need(rng(8), 0, np.full(100_000, 30.0), need_factor=0.5)
    assert slower.mean() > 1.8 * gaps.mean()


def test_small_world_is_local_with_shortcuts():
    homes = place_homes(rng(10), 5000, 10.0, 0.5, 2.0)
    neigh = social.small_world(rng(11), homes, 10.0, 6, 0.1)
    assert neigh.shape == (5000, 6)
    assert not np.any(neigh == np.arange(5000)[:, None])
    d = np.linalg.norm(homes[neigh] - homes[:, None, :], axis=2)
    rand = np.linalg.norm(homes[rng(12).integers(0, 5000, 5000)] - homes, axis=1)
    assert np.median(d) < 0.3 * np.median(rand)


# ------------------------------------------------------------- rules moved out of the model


def test_habit_grows_toward_one_and_postponed_needs_return_a_week_later():
    c = loyalty.LoyaltyCoefficients(habit_gain=0.5)
    np.testing.assert_allclose(loyalty.gain_habit(np.array([0.0, 0.5]), c), [0.5, 0.75])
    assert needs.postponed_need_day(10) == 10 + needs.POSTPONE_DAYS == 17


def test_crowding_is_walk_ins_per_capacity():
    np.testing.assert_allclose(
        experience.crowding(np.array([0, 0, 1]), np.array([4.0, 2.0, 1.0])), [0.5, 0.5, 0]
    )


def test_accounts_book_revenue_and_costs_per_store():
    t = accounts.tally(
        store=np.array([0, 0, 1]),
        fulfilment=np.array([choice.WALK_IN, choice.DELIVERY, choice.PICKUP]),
        price=np.array([1.0, 0.9, 1.1]),
        returned=np.array([False, True, False]),
        after_sales=np.array([False, False, True]),
        ticket=100.0,
        n_stores=2,
    )
    np.testing.assert_allclose(t.revenue, [100.0, 110.0])
    np.testing.assert_allclose(t.shipped, [1.0, 0.5])
    assert t.walk_in.tolist() == [1, 0] and t.pickup.tolist() == [0, 1]
    costs = accounts.StoreCosts(
        margin=np.array([0.5, 0.5]),
        delivery_cost=np.array([10.0, 10.0]),
        return_cost=np.array([4.0, 4.0]),
        after_sales_cost=np.array([2.0, 2.0]),
        after_sales=np.array([0.5, 0.5]),
        fixed_cost=np.array([7.0, 7.0]),
        running=np.zeros(2),
        visits=np.zeros(2),
        relief=np.zeros(2),
        is_open=np.array([True, False]),
    )
    # store 0: one kept unit (50), one delivery (10), one return (4), fixed (7); store 1: 50 + 5 + 2
    np.testing.assert_allclose(accounts.daily_costs(t, 100.0, costs), [71.0, 57.0])


def test_every_old_flat_behaviour_key_has_a_place_in_a_group():
    b = Behaviour()
    # 0.2.0 removed review_rate, wom_weight, wom_negative_weight, research_reputation_weight (beliefs);
    # 0.3.0 removed price, travel_per_km, crowding, delivery_per_day, delivery_hassle, pickup_hassle,
    # no_purchase (price and time in money, the outside option; Behaviour.removed_keys names replacements)
    assert len(LEGACY_KEYS) == 52 and len(set(LEGACY_KEYS.values())) == 52
    for key, path in LEGACY_KEYS.items():
        group, name = path.split(".")
        assert group in GROUPS and name in type(getattr(b, group)).model_fields, key
    assert canonical_path("behaviour.research_visit") == "behaviour.research.visit"
    assert canonical_path("stores.giant.price") == "stores.giant.price"


def test_old_flat_keys_and_groups_validate_alike():
    old = Behaviour.model_validate({"research_visit": -0.3, "wom_reach": 5, "loyalty": 3.0})
    new = Behaviour.model_validate(
        {"research": {"visit": -0.3}, "word_of_mouth": {"reach": 5}, "choice": {"loyalty": 3.0}}
    )
    assert old == new and old.legacy("research_visit") == -0.3
    with pytest.raises(ValueError):
        Behaviour.model_validate({"research": {"vist": 1.0}})
    with pytest.raises(ValueError):
        Behaviour.model_validate({"word_of_mouth": {"review_base": 2.0}})
    with pytest.raises(ValueError):  # frozen: a rule cannot change its coefficients
        b = Behaviour()
        b.choice.money = 1.0  # type: ignore[misc]
