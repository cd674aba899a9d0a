"""Beliefs, reviews and word of mouth: each rule's direction (docs/ODD.md §7.15-7.17)."""

import numpy as np
import pytest

from cxsim.rules import beliefs, word_of_mouth
from cxsim.rules.beliefs import OVERALL, RELIABILITY, SERVICE, BeliefCoefficients, K


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_a_signal_moves_the_mean_toward_it_and_shrinks_the_variance():
    mean, var = np.full((1, K), 0.5), np.full((1, K), 0.04)
    signal = np.full((1, K), np.nan)
    signal[0, SERVICE] = 0.9
    m2, v2 = beliefs.update(mean, var, signal, np.full((1, K), 0.01), np.zeros(K))
    assert m2[0, SERVICE] == pytest.approx(0.5 + 0.04 / 0.05 * 0.4, rel=1e-6)
    assert v2[0, SERVICE] == pytest.approx(0.04 * 0.01 / 0.05, rel=1e-6)
    others = np.arange(K) != SERVICE
    assert np.all(m2[0, others] == 0.5) and np.all(v2[0, others] == pytest.approx(0.04))


def test_a_noisier_source_moves_beliefs_less():
    mean, var, signal = np.full((2, K), 0.5), np.full((2, K), 0.04), np.full((2, K), 1.0)
    noise = np.array([[0.01] * K, [0.04] * K])  # own experience vs a less credible source
    m2, _ = beliefs.update(mean, var, signal, noise, np.zeros(K))
    assert m2[0, 0] > m2[1, 0] > 0.5


def test_beliefs_converge_to_the_truth_with_repeated_experience():
    c = beliefs.BeliefCoefficients()
    floor = beliefs.variance_floor(c, 0.25)
    mean, var = np.full((2000, K), 0.3, np.float32), np.full((2000, K), c.prior_sd**2, np.float32)
    g = rng(1)
    for _ in range(40):
        signal = np.clip(0.8 + c.own_sd * g.standard_normal((2000, K)), 0, 1)
        mean, var = beliefs.update(mean, var, signal, np.full((2000, K), c.own_sd**2), floor)
    assert abs(mean[:, OVERALL].mean() - 0.8) < 0.01
    assert np.all(var >= floor - 1e-9)


def test_the_variance_floor_keeps_one_experience_worth_the_expectation_rate():
    c = beliefs.BeliefCoefficients()
    f = beliefs.variance_floor(c, 0.25)
    gain = f / (f + beliefs.signal_sd(c) ** 2)
    others = np.arange(K) != RELIABILITY
    np.testing.assert_allclose(gain[others], 0.25)
    assert f[RELIABILITY] == pytest.approx(c.prior_sd**2)  # capped: never above the prior


def test_uncertainty_carries_a_risk_premium():
    ce = beliefs.certainty_equivalent(np.array([0.7, 0.7]), np.array([0.0, 0.05]), 2.0)
    assert ce[0] == pytest.approx(0.7) and ce[1] == pytest.approx(0.6)


def test_the_prior_is_the_category_norm():
    kw = {
        k: np.array([0.2, 0.8])
        for k in (
            "service",
            "personalization",
            "atmosphere",
            "reliability",
            "leniency",
            "delivered_return_ease",
            "after_sales",
        )
    }
    prior = beliefs.population_prior(
        experience_base=0.85,
        channel_consistency=np.array([1.0, 0.5]),
        walk_in=np.array([True, True]),
        delivery=np.array([False, True]),
        **kw,
    )
    assert prior[OVERALL] == 0.85 and prior[SERVICE] == pytest.approx(0.5)
    assert prior[RELIABILITY] == pytest.approx(0.8)  # only the store that delivers


def test_a_late_delivery_teaches_unreliability_and_is_anticipated():
    n = 2
    sig = beliefs.experience_signals(
        rng=rng(2),
        experience=np.array([0.8, 0.8]),
        service_met=np.array([0.6, 0.6]),
        personalization=np.array([0.5, 0.5]),
        atmosphere=np.array([0.5, 0.5]),
        in_store=np.zeros(n, bool),
        delivered=np.ones(n, bool),
        on_time=np.array([True, False]),
        returned=np.zeros(n, bool),
        ease=np.zeros(n),
        after_sales_needed=np.zeros(n, bool),
        after_sales=np.zeros(n),
        two_channels=np.zeros(n, bool),
        consistency=np.zeros(n),
        c=beliefs.BeliefCoefficients(),
    )
    assert sig[0, RELIABILITY] == 1.0 and sig[1, RELIABILITY] == 0.0
    assert np.isnan(sig[:, beliefs.RETURNS]).all() and np.isnan(sig[:, beliefs.ATMOSPHERE]).all()
    ce = np.full((1, 2, K), 0.7)
    ce[0, 1, RELIABILITY] = 0.3
    ce[0, 1, beliefs.AFTER_SALES] = 0.9
    x = beliefs.anticipated_experience(
        ce=ce,
        two_channels=np.zeros((1, 2, 3), bool),
        omni=np.array([True, True]),
        return_probability=np.full(3, 0.1),
        after_sales_need=0.1,
        atmosphere_weight=0.1,
        late_weight=0.06,
        return_weight=0.12,
        after_sales_weight=0.35,
        inconsistency_weight=0.25,
    )
    assert x[0, 1, 1] - x[0, 0, 1] < 0  # unreliable delivery expected to disappoint
    assert x[0, 1, 0] > x[0, 0, 0]  # better after-sales care expected to please


def test_stars_follow_the_likelihood_to_recommend():
    s = word_of_mouth.stars(np.arange(11))
    assert s.min() == 1 and s.max() == 5 and np.all(np.diff(s) >= 0)
    assert word_of_mouth.star_signal(np.array([1, 5])).tolist() == [0.0, 1.0]


def test_talk_is_an_asymmetric_u_in_satisfaction():
    c = word_of_mouth.WordOfMouthCoefficients()
    p, strength = word_of_mouth.talk_propensity(np.array([0.0, 0.5, c.neutral, 1.0]), c)
    assert p[2] == 0 and strength[2] == 0
    assert p[1] > 0 and p[3] > 0
    assert p[1] > p[3] and p[1] / p[3] < 10 / 3  # the dissatisfied talk more, but not ten to three


def test_stories_are_retold_for_several_hops_and_lose_credibility():
    n = 400
    neigh = (np.arange(n)[:, None] + np.arange(1, 4)[None, :]) % n
    c = word_of_mouth.WordOfMouthCoefficients(reach=3, retell=1.0, hops=3)
    hearers, story, hop = word_of_mouth.spread_word_of_mouth(rng(3), np.array([0]), np.array([1.0]), neigh, c)
    assert set(hop.tolist()) == {1, 2, 3} and np.all(story == 0)
    assert hearers[hop == 1].tolist() and set(hearers[hop == 1].tolist()) <= {1, 2, 3}
    one = word_of_mouth.WordOfMouthCoefficients(reach=3, hops=1)
    _, _, hop1 = word_of_mouth.spread_word_of_mouth(rng(3), np.array([0]), np.array([1.0]), neigh, one)
    assert set(hop1.tolist()) == {1}
    cred = word_of_mouth.message_credibility(np.array([1.0, 1.0, 0.5]), np.array([1, 2, 1]), c)
    assert cred[0] > cred[1] and cred[0] > cred[2]
    off = word_of_mouth.WordOfMouthCoefficients(reach=0)
    assert word_of_mouth.spread_word_of_mouth(rng(3), np.array([0]), np.array([1.0]), neigh, off)[0].size == 0


def test_initial_beliefs_in_blocks_are_the_one_draw_bit_for_bit() -> None:
    """Priors drawn block by block (bounded memory) equal one ``(n, S, K)`` draw, and leave the same state."""
    from cxsim.rules.arrays import BLOCK

    c = BeliefCoefficients()
    n, stores = BLOCK + 1_234, 3
    prior = np.linspace(0.2, 0.9, beliefs.K)
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    mean, var = beliefs.initial_beliefs(a, n, stores, prior, c)
    hunch = c.hunch_sd * b.standard_normal((n, stores, beliefs.K))
    one_draw = np.clip(prior[None, None, :] + hunch, 0.0, 1.0)
    assert mean.dtype == np.float32 and var.dtype == np.float32
    assert np.array_equal(mean, one_draw.astype(np.float32))
    assert a.random() == b.random()
