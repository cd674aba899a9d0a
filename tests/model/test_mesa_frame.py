"""Mesa is the frame: a mesa.Model, stores as agents, a DataCollector, a shopper view."""

from __future__ import annotations

import mesa
import pytest

from cxsim import CXModel
from cxsim.model.stores import Store


def test_model_is_a_mesa_model_with_store_agents():
    m = CXModel("baseline", rng=1, days=5, overrides=["town.shoppers=300"])
    assert isinstance(m, mesa.Model)
    stores = m.agents_by_type[Store]
    assert len(stores) == 5 and {s.name for s in stores} == set(m.store_names)
    assert isinstance(m.datacollector, mesa.DataCollector)
    m.run()
    assert m.day == 5 and not m.running and m.time == 5
    assert len(m.datacollector.get_model_vars_dataframe()) == 5


def test_no_agent_per_shopper_and_a_view_on_demand():
    m = CXModel("baseline", rng=1, days=10, overrides=["town.shoppers=500"])
    assert len(m.agents) == 5  # only the stores are Mesa agents
    m.run()
    buyer = int((m.shoppers.last_purchase > 0).nonzero()[0][0])
    view = m.shopper(buyer)
    d = view.as_dict()
    assert d["segment"] in m.segment_names and d["last_store"] in m.store_names
    assert set(d["loyalty"]) == set(m.store_names)
    m.shoppers.loyalty[buyer, 0] = 0.42
    assert view.loyalty[m.store_names[0]] == pytest.approx(0.42)  # a view, not a copy
    with pytest.raises(IndexError):
        m.shopper(10_000)


def test_collect_every_thins_the_tables_but_not_the_summary():
    every = CXModel("baseline", rng=2, days=30, overrides=["town.shoppers=500"])
    thin = CXModel("baseline", rng=2, days=30, overrides=["town.shoppers=500", "collect_every=7"])
    every.run()
    thin.run()
    assert thin.timeseries()["day"].tolist() == [7, 14, 21, 28, 30]
    assert every.summary() == thin.summary()


def test_batch_run_style_keyword_parameters():
    m = CXModel(scenario="baseline", rng=3, shoppers=200, days=3, stores__giant__price=0.7)
    assert m.spec.stores["giant"].price == 0.7 and m.shoppers.n == 200
