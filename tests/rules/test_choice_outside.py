"""The outside option (not buying in town now) and needs that lapse."""

from __future__ import annotations

import numpy as np
import pytest

from cxsim.rules import choice, needs

rng = np.random.default_rng


def test_tight_budgets_raise_the_outside_option():
    c = choice.ChoiceCoefficients()
    calm = choice.outside_utility(c, 3)
    slump = choice.outside_utility(c, 3, budget=0.3)
    assert np.all(slump > calm)
    assert slump[0] - calm[0] == pytest.approx(0.3 * c.outside_budget)


def test_waiting_for_a_promoted_need_saves_holding_costs():
    c = choice.ChoiceCoefficients()
    u = choice.outside_utility(c, 3, ticket=80.0, early_days=np.array([0, 5, 10]))
    assert u[0] < u[1] < u[2]
    big = choice.outside_utility(c, 3, ticket=800.0, early_days=np.array([0, 5, 10]))
    assert big[2] - big[0] == pytest.approx(10 * (u[2] - u[0]))


def test_outside_share_rises_when_budgets_tighten():
    """Under the nested logit the outside option takes more occasions in a recession."""
    c = choice.ChoiceCoefficients()
    nest = np.array([0, 0, 1, 3])
    lambdas = c.nest_lambdas()
    from cxsim.rules import nesting

    def outside_share(budget: float) -> float:
        u = np.array([[0.5, 0.2, 0.4, 0.0]])
        u[0, -1] = choice.outside_utility(c, 1, budget=budget)[0]
        return float(nesting.nested_logit_probabilities(u, nest, lambdas)[0, -1])

    assert outside_share(0.3) > outside_share(0.0) > 0.0


def test_needs_lapse_with_the_given_probability():
    gone = needs.lapses(rng(2), 100_000, 0.3)
    assert gone.mean() == pytest.approx(0.3, abs=0.005)
    assert not needs.lapses(rng(2), 100, 0.0).any()
    assert needs.lapses(rng(2), 100, 1.0).all()
    assert needs.postponed_need_day(10) == 10 + needs.POSTPONE_DAYS
