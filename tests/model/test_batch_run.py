"""The model under Mesa's own ``batch_run``, for users who already have Mesa scripts."""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Iterator

import mesa
import pandas as pd
import pytest

import cxsim
from cxsim import CXModel

PARAMETERS = {
    "scenario": "baseline",
    "shoppers": 500,
    "days": 30,
    "stores__giant__price": [0.8, 0.9],
}


@pytest.fixture(autouse=True)
def keep_start_method() -> Iterator[None]:
    """batch_run sets the global start method to spawn; put it back for the other tests."""
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def batch(**kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated arguments, no warnings from the model
        rows = mesa.batch_run(
            CXModel,
            parameters=PARAMETERS,
            rng=[1, 2],
            max_steps=30,
            data_collection_period=-1,
            display_progress=False,
            **kwargs,  # type: ignore[arg-type]
        )
    return pd.DataFrame(rows)


def test_batch_run_with_the_usual_parameters() -> None:
    df = batch(number_processes=1)
    # 2 prices x 2 seeds; one row per store (agent-type reporters) at the last step
    assert sorted(df["RunId"].unique()) == [0, 1, 2, 3]
    assert len(df) == 4 * 5
    assert set(df["store"]) == {"corner_shop", "boutique", "chain", "omni", "giant"}
    assert (df["Step"] == 30).all() and (df["day"] == 30).all()
    assert {"online_share", "showrooming_rate", "nps", "market_share", "rng"} <= set(df.columns)
    giant = df[df["store"] == "giant"].set_index(["rng", "stores__giant__price"])
    assert set(giant["price"].round(6)) == {0.8, 0.9}  # the swept value reached the store


def test_batch_run_matches_cxsim_run() -> None:
    """batch_run's rng is the scenario seed: the same run as `cxsim.run` with that seed."""
    df = batch(number_processes=1)
    row = df[(df["rng"] == 2) & (df["stores__giant__price"] == 0.9)].iloc[0]
    direct = cxsim.run(
        "baseline", days=30, seed=2, overrides=["town.shoppers=500", "stores.giant.price=0.9"]
    ).timeseries.iloc[-1]
    for col in ("online_share", "showrooming_rate", "webrooming_rate", "mean_satisfaction", "open_stores"):
        assert row[col] == direct[col]


def test_columns_at_both_levels_hold_the_store_value() -> None:
    """Mesa merges model and agent reporters into one row: where names clash, the store's wins.

    (purchases, nps, mean_loyalty and revenue exist for the town and for each store;
    docs/SWEEPS.md tells batch_run users to read the town's values with cxsim sweep.)
    """
    from cxsim.model.metrics import STORE_COLUMNS, TIMESERIES_COLUMNS

    both = (set(TIMESERIES_COLUMNS) & set(STORE_COLUMNS)) - {"day"}
    assert both == {"purchases", "nps", "mean_loyalty", "revenue"}
    df = batch(number_processes=1)
    run = df[df["RunId"] == 0]
    assert run["purchases"].nunique() > 1  # one value per store, not the town's


@pytest.mark.slow
def test_batch_run_in_parallel_processes_gives_the_same_rows() -> None:
    serial = batch(number_processes=1).sort_values(["RunId", "AgentID"]).reset_index(drop=True)
    parallel = batch(number_processes=2).sort_values(["RunId", "AgentID"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(serial, parallel)
