"""The stores' books (cxsim.rules.accounts): running costs of the experience, visits, relief, exit."""

from __future__ import annotations

import numpy as np

from cxsim.rules import accounts


def staffing(**kw: object) -> accounts.Staffing:
    base: dict[str, object] = {
        "wage": np.array([20.0, 20.0]),
        "service_hours": np.array([2.0, 2.0]),
        "service": np.array([0.5, 0.5]),
        "personalization_hours": np.array([0.5, 0.5]),
        "personalization": np.array([0.4, 0.4]),
        "after_sales_hours": np.array([0.5, 0.5]),
        "after_sales": np.array([0.6, 0.6]),
        "capacity_hours": np.array([0.02, 0.02]),
        "capacity": np.array([100.0, 100.0]),
        "floor": np.array([True, False]),
        "scale": 10.0,
    }
    base.update(kw)
    return accounts.Staffing(**base)  # type: ignore[arg-type]


def test_running_costs_are_staff_hours_times_wage_and_capacity_costs_only_on_a_floor():
    # 10 x (2*0.5 + 0.5*0.4 + 0.5*0.6) = 15 hours, + 0.02 * 100 = 2 hours on the shop floor
    np.testing.assert_allclose(accounts.running_costs(staffing()), [20.0 * 17.0, 20.0 * 15.0])


def test_better_service_and_higher_wages_cost_more_every_day():
    base = accounts.running_costs(staffing())
    better = accounts.running_costs(staffing(service=np.array([0.9, 0.9])))
    np.testing.assert_allclose(better - base, 20.0 * 10.0 * 2.0 * 0.4)
    dearer = accounts.running_costs(staffing(wage=np.array([30.0, 30.0])))
    assert (dearer > base).all()


def test_a_research_visit_costs_staff_time_in_proportion_to_service():
    cost = accounts.visit_costs(
        np.array([3, 3, 0]), np.full(3, 24.0), np.full(3, 10.0), np.array([1.0, 0.5, 1.0])
    )
    np.testing.assert_allclose(cost, [3 * 24.0 / 6, 3 * 24.0 / 12, 0.0])


def test_relief_lowers_the_standing_costs_of_shut_stores_only():
    t = accounts.tally(
        store=np.array([0, 1]),
        fulfilment=np.zeros(2, dtype=np.int8),
        price=np.ones(2),
        returned=np.zeros(2, dtype=bool),
        after_sales=np.zeros(2, dtype=bool),
        ticket=100.0,
        n_stores=2,
    )

    def costs(relief: list[float]) -> np.ndarray:
        c = accounts.StoreCosts(
            margin=np.full(2, 0.5),
            delivery_cost=np.zeros(2),
            return_cost=np.zeros(2),
            after_sales_cost=np.zeros(2),
            after_sales=np.zeros(2),
            fixed_cost=np.full(2, 30.0),
            running=np.full(2, 70.0),
            visits=np.array([5.0, 0.0]),
            relief=np.array(relief),
            is_open=np.ones(2, dtype=bool),
        )
        return accounts.daily_costs(t, 100.0, c)

    np.testing.assert_allclose(costs([0.0, 0.0]), [50 + 5 + 100, 50 + 100])
    np.testing.assert_allclose(costs([0.8, 0.0]), [50 + 5 + 20, 50 + 100])


def test_expected_profit_is_an_exponentially_weighted_mean():
    e = np.zeros(1)
    for _ in range(200):
        e = accounts.expected_profit(e, np.array([10.0]), np.array([20.0]))
    assert 9.99 < e[0] < 10.0
    np.testing.assert_allclose(
        accounts.expected_profit(np.array([0.0]), np.array([-20.0]), np.array([4.0])), -5.0
    )


def test_a_store_exits_on_expected_profit_not_on_the_first_negative_cash():
    cash = np.array([-500.0, 5_000.0, 5_000.0, -6_000.0])
    expected = np.array([10.0, -100.0, -10.0, 100.0])
    out = accounts.exits(cash, expected, horizon_days=np.full(4, 90.0), credit_limit=np.full(4, 5_000.0))
    # negative cash but expecting to earn it back: stays; losing fast: exits with cash in hand;
    # losing slowly: stays for now; beyond the credit line: exits whatever it expects
    assert out.tolist() == [False, True, False, True]
