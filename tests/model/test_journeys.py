"""The one journey classification (cxsim.model.journeys) agrees with the model's own flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

import cxsim
from cxsim.model import journeys as jr
from cxsim.model.cxmodel import CXModel
from cxsim.model.scenario import load_scenario


def test_outcomes_in_order_of_precedence() -> None:
    returned = np.array([False, False, True, True, False])
    recommend = np.array([9, 5, 9, 3, 10])
    avoids = np.array([False, False, False, True, True])
    assert jr.outcome_codes(returned, recommend).tolist() == [0, 1, 2, 2, 0]
    assert [jr.OUTCOMES[c] for c in jr.outcome_codes(returned, recommend, avoids)] == [
        "satisfied",
        "disappointed",
        "returned",
        "avoids store",
        "avoids store",
    ]
    assert jr.journey_kind(2, 1) == "showrooming" and jr.journey_kind(1, 0) == "webrooming"
    assert jr.journey_kind(0, 0) == "other journeys"


def test_classification_matches_the_models_flags_and_counts_every_purchase() -> None:
    model = CXModel(load_scenario("baseline", ["town.shoppers=400", "warmup_days=5"], days=15))
    total = np.zeros(jr.CELLS, dtype=np.int64)
    n = 0
    while model.running:
        model.step()
        p = model.today
        assert np.array_equal(jr.showroomed(p.research, p.fulfilment), p.showroomed)
        assert np.array_equal(
            jr.competitive_showroomed(p.research, p.fulfilment, p.visited, p.store), p.competitive_showroomed
        )
        assert np.array_equal(jr.webroomed(p.research, p.fulfilment), p.webroomed)
        total += jr.journey_counts(p)
        n += len(p)
        assert jr.pair_counts(p.research, p.fulfilment).sum() == len(p)
    table = jr.journey_table(total)
    assert len(table) == 36 and table["purchases"].sum() == n > 0
    assert set(table["outcome"]) == set(jr.OUTCOMES)


def test_purchases_table_gives_the_same_cells_without_avoidance() -> None:
    result = cxsim.run("baseline", days=15, overrides=["town.shoppers=400", "warmup_days=5"], purchases=True)
    p = result.purchases
    assert p is not None and len(p)
    table = jr.purchases_journeys(p)
    assert table["purchases"].sum() == len(p)
    assert table.loc[table["outcome"] == "avoids store", "purchases"].sum() == 0
    show = table[(table["research"] == "visit") & (table["fulfilment"] == "delivery")]["purchases"].sum()
    assert show == int(pd.Series(p["showroomed"]).sum())
