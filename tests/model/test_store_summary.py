"""Each store over the summary window comes from every day of it, whatever ``collect_every`` is.

The ``stores`` table holds the collected days only (every ``collect_every`` days and the
last), so sums over its rows miss the other days; the model keeps the stores' every day
of the window for :meth:`CXModel.store_summary`, which ``cxsim run``, its report and
``cxsim compare`` show.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxsim.experiments.results import load_result, run
from cxsim.model.cxmodel import CXModel
from cxsim.model.metrics import store_summary
from cxsim.model.scenario import load_scenario

TOWN = ["town.shoppers=400", "warmup_days=20", "summary_window_days=30"]


def _model(collect_every: int) -> CXModel:
    spec = load_scenario("baseline", [*TOWN, f"collect_every={collect_every}"], days=61, seed=5)
    model = CXModel(spec)
    model.run()
    return model


@pytest.fixture(scope="module")
def daily() -> CXModel:
    return _model(1)


def test_collected_every_day_it_is_the_stores_tables_summary(daily: CXModel) -> None:
    from_table = store_summary(daily.store_table(), 30)
    pd.testing.assert_frame_equal(daily.store_summary(), from_table, check_exact=True)


def test_collected_weekly_it_still_counts_every_day(daily: CXModel) -> None:
    weekly = _model(7)
    assert weekly.store_table()["day"].nunique() < 61  # the table has the collected days only
    pd.testing.assert_frame_equal(weekly.store_summary(), daily.store_summary(), check_exact=True)
    # the collected days alone would give a fraction of the window's costs
    sampled = store_summary(weekly.store_table(), 30).set_index("store")["costs"]
    whole = weekly.store_summary().set_index("store")["costs"]
    assert (sampled < 0.5 * whole).all()


def test_a_run_saves_it_and_an_older_folder_falls_back(tmp_path: Path) -> None:
    result = run("baseline", days=40, seed=3, overrides=[*TOWN, "collect_every=4"])
    result.save(tmp_path / "run")
    loaded = load_result(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.store_summary, result.store_summary, check_exact=True)
    (tmp_path / "run" / "store_summary.parquet").unlink()  # as cxsim 0.4.0 wrote a run
    older = load_result(tmp_path / "run")
    window = int(result.summary.iloc[0]["window_days"])
    pd.testing.assert_frame_equal(older.store_summary, store_summary(result.stores, window))
