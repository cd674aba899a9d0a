"""Fulfilment rules: the dispatch queue of a store with limited delivery capacity, and the re-opened need."""

from __future__ import annotations

import numpy as np
import pytest

from cxsim.rules import fulfilment
from cxsim.rules.fulfilment import FulfilmentCoefficients


def test_orders_within_capacity_wait_for_nothing():
    wait, left = fulfilment.dispatch_queue(np.zeros(2), np.array([0, 0, 1, 0]), np.array([3.0, np.inf]))
    assert np.all(wait == 0.0)
    assert np.all(left == 0.0)


def test_orders_beyond_capacity_queue_first_come_first_served():
    # store 0 dispatches 2 a day and has 3 orders waiting: today's 4 orders wait 1, 2, 2, 3 days
    wait, left = fulfilment.dispatch_queue(
        np.array([3.0, 0.0]), np.array([0, 1, 0, 0, 0]), np.array([2.0, 1.0])
    )
    assert wait.tolist() == [1.0, 0.0, 2.0, 2.0, 3.0]
    assert left.tolist() == [5.0, 0.0]


def test_the_backlog_drains_on_days_without_orders():
    _, left = fulfilment.dispatch_queue(
        np.array([5.0, 0.5]), np.zeros(0, dtype=np.int64), np.array([2.0, 1.0])
    )
    assert left.tolist() == [3.0, 0.0]


def test_lower_capacity_means_longer_waits():
    store = np.zeros(50, dtype=np.int64)
    low, _ = fulfilment.dispatch_queue(np.zeros(1), store, np.array([10.0]))
    high, _ = fulfilment.dispatch_queue(np.zeros(1), store, np.array([25.0]))
    assert low.mean() > high.mean() > 0.0


def test_a_disruption_is_not_lateness_only_unreliability_is():
    rng = np.random.default_rng(3)
    assert np.all(fulfilment.lateness_days(rng, np.ones(1_000)) == 0.0)
    late = fulfilment.lateness_days(rng, np.full(100_000, 0.6))
    assert (late > 0).mean() == pytest.approx(0.4, abs=0.01)


def test_a_returned_purchase_is_bought_again_within_days():
    c = FulfilmentCoefficients(rebuy_days=7.0)
    day = fulfilment.rebuy_day(np.random.default_rng(1), 100, 100_000, c)
    assert day.min() >= 101
    assert (day - 100).mean() == pytest.approx(7.0, rel=0.03)
    sooner = fulfilment.rebuy_day(
        np.random.default_rng(1), 100, 100_000, FulfilmentCoefficients(rebuy_days=2.0)
    )
    assert sooner.mean() < day.mean()
