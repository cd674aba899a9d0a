"""CXModel under Mesa's own clients: batch_run's fresh seeds and SolaraViz's Reset (issue 15)."""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Iterator

import mesa
import pandas as pd
import pytest
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization.solara_viz import _build_model_init_kwargs

from cxsim import CXModel
from cxsim.model.mesa_clients import CXScenario

SMALL = {"shoppers": 300, "days": 5, "warmup_days": 5}


@pytest.fixture(autouse=True)
def keep_start_method() -> Iterator[None]:
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def test_rng_not_given_is_the_scenario_seed_and_none_is_fresh_and_recorded() -> None:
    fixed = CXModel("baseline", **SMALL)
    assert fixed.spec.seed == CXModel("baseline", **SMALL).spec.seed  # reproducible, as cxsim run
    a, b = CXModel("baseline", rng=None, **SMALL), CXModel("baseline", rng=None, **SMALL)
    assert a.spec.seed != b.spec.seed  # Mesa's meaning of None: fresh entropy
    for m in (a, b):
        m.run()
    assert a.summary()["seed"] == a.spec.seed
    again = CXModel("baseline", rng=a.spec.seed, **SMALL)
    again.run()
    # the recorded seed repeats the run (exactly; a NaN, e.g. wom_ratio without negative word
    # of mouth in a tiny town, must be NaN in both)
    pd.testing.assert_frame_equal(
        pd.DataFrame([again.summary()]), pd.DataFrame([a.summary()]), check_exact=True
    )


def test_batch_run_iterations_gives_distinct_replications() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa deprecates iterations= for rng=[None] * n
        rows = mesa.batch_run(
            CXModel,
            parameters={"scenario": "baseline", **SMALL},
            iterations=2,
            max_steps=5,
            data_collection_period=-1,
            number_processes=1,
            display_progress=False,
        )
    df = pd.DataFrame(rows)
    runs = df.groupby("RunId")
    assert runs.ngroups == 2
    market = df.pivot_table(index="store", columns="RunId", values="purchases")
    assert not market[0].equals(market[1]), "two replications gave the same run"


def test_a_mesa_scenario_is_accepted() -> None:
    m = CXModel(scenario=MesaScenario(rng=7, shoppers=300, days=3), warmup_days=5)
    assert m.spec.seed == 7 and m.shoppers.n == 300 and m.spec.name == "baseline"
    assert isinstance(m.scenario, CXScenario) and m.scenario.rng == 7


def test_solaraviz_reset_rebuilds_the_same_scenario_with_a_fresh_seed() -> None:
    """What SolaraViz's Reset does (Mesa 3.5 ModelController.do_reset), minus the browser."""
    model = CXModel("price_war", rng=3, shoppers=300, days=5, warmup_days=5)
    for params in ({}, {"shoppers": 400}, {"shoppers": 400, "rng": 11}):
        kwargs = _build_model_init_kwargs(
            model, params, add_scenario_when_empty=True, require_model_accepts_scenario=True
        )
        new = type(model)(**kwargs)
        assert new.spec.name == "price_war" and new.spec.days == 5
        assert new.shoppers.n == params.get("shoppers", 300)
        assert new.spec.seed == params.get("rng", new.spec.seed) and new.spec.seed != 3
        new.step()
        assert new.day == 1
