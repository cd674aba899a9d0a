"""The nested logit by store format: exact sampling, the closed form, plain logit at lambda = 1."""

from __future__ import annotations

import numpy as np
import pytest

from cxsim.rules import choice, nesting

rng = np.random.default_rng

# two physical alternatives, one online, one omnichannel (unavailable), the outside option
NEST = np.array([0, 0, 1, 2, 3])
U = np.array([[0.5, 0.2, 0.8, -np.inf, -0.5]])


def test_sampling_frequencies_match_the_closed_form():
    lambdas = np.array([0.4, 0.6, 0.5, 1.0])
    draws = nesting.nested_logit_draw(rng(3), np.repeat(U, 200_000, axis=0), NEST, lambdas)
    freq = np.bincount(draws, minlength=5) / draws.size
    p = nesting.nested_logit_probabilities(U, NEST, lambdas)[0]
    np.testing.assert_allclose(freq, p, atol=0.005)
    assert p.sum() == pytest.approx(1.0) and freq[3] == 0.0 and p[3] == 0.0


def test_lambda_one_is_plain_logit():
    ones = np.ones(4)
    np.testing.assert_allclose(
        nesting.nested_logit_probabilities(U, NEST, ones), choice.logit_probabilities(U), rtol=1e-12
    )
    draws = nesting.nested_logit_draw(rng(4), np.repeat(U, 200_000, axis=0), NEST, ones)
    freq = np.bincount(draws, minlength=5) / draws.size
    np.testing.assert_allclose(freq, choice.logit_probabilities(U)[0], atol=0.005)


def test_an_empty_nest_is_never_chosen():
    u = np.array([[-np.inf, -np.inf, 0.3, -np.inf, 0.0]] * 50_000)
    draws = nesting.nested_logit_draw(rng(5), u, NEST, np.array([0.3, 0.5, 0.5, 1.0]))
    assert set(np.unique(draws)) == {2, 4}
    assert np.isfinite(nesting.nested_logit_probabilities(u[:1], NEST, np.full(4, 0.5))).all()


def test_a_clone_gains_less_in_a_tight_nest():
    """An exact copy of an alternative takes share mostly from its own nest (no IIA)."""
    nest = np.array([0, 1, 3])
    nest_clone = np.array([0, 1, 1, 3])
    u = np.array([[0.5, -1.0, -1.0]])  # the online alternative has about 15% of the choices
    u_clone = np.array([[0.5, -1.0, -1.0, -1.0]])

    def gain(lam: float) -> float:
        lambdas = np.array([1.0, lam, 1.0, 1.0])
        before = nesting.nested_logit_probabilities(u, nest, lambdas)[0, 1]
        after = nesting.nested_logit_probabilities(u_clone, nest_clone, lambdas)[0, 1:3].sum()
        return float(after - before)

    assert gain(choice.ChoiceCoefficients().nest_online) < gain(1.0) / 3
    assert 0.0 < gain(0.3) < gain(0.7) < gain(1.0)


def test_alternative_nests_follow_the_store_kinds():
    nests = choice.alternative_nests(np.array([0, 1, 2]))
    assert nests.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, choice.OUTSIDE_NEST]
    assert choice.ChoiceCoefficients().nest_lambdas()[choice.OUTSIDE_NEST] == 1.0
    with pytest.raises(ValueError):
        choice.ChoiceCoefficients(nest_online=0.0)
    with pytest.raises(ValueError):
        choice.ChoiceCoefficients(nest_online=1.2)
