"""The drift check of `cxsim validate`: yearly values and the drift statistic on synthetic towns."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app
from cxsim.core.stats import mean_ci
from cxsim.experiments.validation import validate_patterns
from cxsim.experiments.validation_drift import (
    TOLERANCES,
    YEAR_DAYS,
    Drift,
    drift_markdown,
    drift_passed,
    drift_table,
    format_change,
    largest_change,
    replication_years,
    year_of,
    yearly_values,
)
from cxsim.experiments.validation_patterns import load_patterns

STORES = ("corner", "giant")

Yearly = Callable[[int], float]


def synthetic_run(
    years: int,
    online: Yearly,
    nps: Yearly,
    wom: Yearly,
    giant: Yearly,
    purchases: int = 200,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run whose every day of year y has the given online share, NPS, WOM ratio and giant's share."""
    days = np.arange(1, years * YEAR_DAYS + 1)
    y = year_of(days)
    ts = pd.DataFrame(
        {
            "day": days,
            "purchases": purchases,
            "online_share": [online(int(k)) for k in y],
            "nps": [nps(int(k)) for k in y],
            "wom_positive": [round(10 * wom(int(k))) for k in y],
            "wom_negative": 10,
        }
    )
    g = np.array([round(purchases * giant(int(k))) for k in y])
    stores = pd.DataFrame(
        {
            "day": np.repeat(days, 2),
            "store": np.tile(STORES, len(days)),
            "purchases": np.column_stack([purchases - g, g]).ravel(),
        }
    )
    return ts, stores


def steady(value: float) -> Yearly:
    return lambda _y: value


def test_years_start_on_day_one():
    assert year_of(np.array([1, 365, 366, 730, 731])).tolist() == [1, 1, 2, 2, 3]


def test_yearly_values_weight_and_pool_as_documented():
    ts, stores = synthetic_run(2, lambda y: 0.1 * y, lambda y: 30.0 + y, lambda y: 2.0 * y, steady(0.25))
    ts.loc[ts["day"] == 1, ["purchases", "online_share"]] = [2000, 1.0]  # one busy, all-online day
    v = yearly_values(ts, stores, years=2).set_index(["metric", "store", "year"])["value"]
    busy = (2000 * 1.0 + 364 * 200 * 0.1) / (2000 + 364 * 200)  # weighted by the day's purchases
    assert v["online_share", "", 1] == pytest.approx(busy)
    assert v["online_share", "", 2] == pytest.approx(0.2)
    assert v["nps", "", 2] == pytest.approx(32.0)
    assert v["wom_ratio", "", 1] == pytest.approx(2.0)
    assert v["wom_ratio", "", 2] == pytest.approx(4.0)
    assert v["market_share", "giant", 1] == pytest.approx(0.25)
    assert v["market_share", "corner", 2] == pytest.approx(0.75)
    assert len(yearly_values(ts, stores, years=1)) == 5  # later years are ignored


def test_a_year_without_negative_word_of_mouth_has_no_ratio():
    ts, stores = synthetic_run(1, steady(0.1), steady(40.0), steady(3.0), steady(0.2))
    ts["wom_negative"] = 0
    v = yearly_values(ts, stores, 1).set_index("metric")["value"]
    assert math.isnan(v["wom_ratio"])


def _town(seeds: int, years: int, noise: float = 0.0, **drifts: Yearly) -> pd.DataFrame:
    """Yearly values of ``seeds`` runs: steady unless a metric is given, plus a little seed noise."""
    online, nps = drifts.get("online", steady(0.15)), drifts.get("nps", steady(45.0))
    runs = {}
    for s in range(seeds):
        e = noise * (s - (seeds - 1) / 2)
        runs[100 + s] = synthetic_run(
            years,
            lambda y, e=e: online(y) + e / 100,
            lambda y, e=e: nps(y) + e,
            drifts.get("wom", steady(4.0)),
            drifts.get("giant", steady(0.3)),
        )
    return replication_years(runs, years)


def test_a_spin_up_in_year_one_fails_and_a_steady_town_passes():
    years = 5
    yearly = _town(4, years, noise=0.3, online=lambda y: 0.20 if y == 1 else 0.15)
    table = drift_table(yearly, years).set_index(["metric", "store"])
    online = table.loc["online_share", ""]
    assert online["year"] == 1
    assert online["value"] == pytest.approx(0.05)
    assert online["year_1"] == pytest.approx(0.20) and online["year_5"] == pytest.approx(0.15)
    assert not online["passed"]
    for key in [("nps", ""), ("wom_ratio", ""), ("market_share", "corner"), ("market_share", "giant")]:
        assert table.loc[key, "passed"], key
        assert abs(table.loc[key, "value"]) < 1e-9
    assert not drift_passed(drift_table(yearly, years))
    assert drift_passed(drift_table(_town(4, years, noise=0.3), years))
    assert drift_passed(pd.DataFrame())  # no drift check run


def test_a_trend_is_measured_from_the_last_year_with_its_interval():
    years = 5
    yearly = _town(3, years, noise=1.0, nps=lambda y: 36.0 + 3.0 * y, wom=lambda y: 3.0 + 0.1 * y)
    table = drift_table(yearly, years).set_index(["metric", "store"])
    nps = table.loc["nps", ""]
    assert nps["year"] == 1 and nps["value"] == pytest.approx(-12.0)  # 39 - 51
    assert not nps["passed"] and nps["tolerance"] == TOLERANCES["nps"]
    wide = yearly[yearly["metric"] == "nps"].pivot(index="seed", columns="year", values="value")
    _, lo, hi, _, n = mean_ci((wide[1] - wide[5]).to_numpy())
    assert (nps["ci_low"], nps["ci_high"], nps["reps"]) == (pytest.approx(lo), pytest.approx(hi), n)
    wom = table.loc["wom_ratio", ""]
    assert wom["value"] == pytest.approx(-0.4) and wom["passed"]  # within ±0.5


def test_the_store_share_check_is_per_store_and_keeps_the_sign():
    years = 3
    yearly = _town(3, years, giant=lambda y: 0.30 + 0.02 * (years - y))  # the giant loses share
    table = drift_table(yearly, years, labels={"giant": "OnlineGiant", "corner": "Corner Shop"})
    shares = table[table["metric"] == "market_share"].set_index("store")
    assert list(shares.index) == ["giant", "corner"]  # the order of the labels (the scenario's)
    assert shares.loc["giant", "value"] == pytest.approx(0.04)
    assert shares.loc["corner", "value"] == pytest.approx(-0.04)
    assert shares.loc["giant", "label"] == "market share: OnlineGiant"
    assert not shares["passed"].any()
    assert format_change(shares.loc["giant"]).startswith("+4.0 pp [")
    text = drift_markdown(table, "what was run")
    assert "## Drift check (steady state)" in text and "what was run" in text
    assert "| market share: OnlineGiant | 34.0% | 32.0% | 30.0% | +4.0 pp" in text
    assert "**FAIL**" in text and "± 2.0 pp" in text and "± 5.0 |" in text


def test_largest_change_needs_the_last_year_and_another():
    one = pd.DataFrame({1: [1.0, 2.0]}, index=[1, 2])
    assert math.isnan(largest_change(one, 1)["value"])
    assert math.isnan(largest_change(one, 5)["value"])
    two = pd.DataFrame({1: [1.0, 3.0], 2: [2.0, 2.0], 3: [0.0, 0.0]}, index=[1, 2])
    best = largest_change(two, 3)
    assert best["year"] == 1 and best["value"] == pytest.approx(2.0) and best["reps"] == 2
    short = drift_table(_town(2, 1), years=2)  # the last year was never run: nothing measured
    assert not short["passed"].any()


def test_drift_runs_resolve_the_scenario_over_the_years():
    d = Drift(years=3, reps=4)
    spec = d.resolve(["town.shoppers=300", "collect_every=7"])
    assert (d.days, spec.days, spec.collect_every, spec.town.shoppers) == (1095, 1095, 1, 300)
    assert d.seeds(spec) == [spec.seed + i for i in range(4)]
    assert d.key == "drift:baseline@1095"
    info = d.info(spec, pd.DataFrame())
    assert info["passed"] and info["warmup_days"] == spec.warmup_days and "years 1-3" in info["about"]


PASSING = """
[[patterns]]
id = "T1"
name = "Some purchases are online"
scenario = "baseline"
source = "a test"
figure = "anything"
metric = "online_share"
band = [0.0, 1.0]
"""


def test_a_failing_drift_check_fails_validate(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PASSING)
    patterns = load_patterns([path], ["T1"])
    zero = dict.fromkeys(TOLERANCES, 0.0)
    result = validate_patterns(
        patterns, 2, overrides=["town.shoppers=300"], days=30, workers=1, drift=Drift(2, 2, tolerances=zero)
    )
    assert bool(result.table["passed"].all()) and not result.passed
    assert not result.info["all_passed"] and not result.info["drift"]["passed"]
    assert result.info["runs"] == 4 and set(result.drift_years["seed"]) == {42, 43}
    result.write(tmp_path / "out")
    assert "## Drift check (steady state)" in (tmp_path / "out" / "patterns.md").read_text()
    assert (tmp_path / "out" / "drift_years.parquet").is_file()


@pytest.mark.slow
def test_validate_reports_the_drift_check(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PASSING)
    small = ["--patterns", str(path), "--only", "T1", "--reps", "2", "--workers", "1"]
    small += ["--set", "town.shoppers=300", "--days", "30", "-q"]
    runner = CliRunner()
    quick = runner.invoke(app, ["validate", *small, "--out", str(tmp_path / "quick")])
    assert quick.exit_code == 0, quick.output
    assert not (tmp_path / "quick" / "drift.csv").exists()  # --only: no drift check unless asked
    out = tmp_path / "drift"
    drift = ["--drift", "--drift-years", "2", "--drift-reps", "2"]
    res = runner.invoke(app, ["validate", *small, *drift, "--out", str(out)])
    info = json.loads((out / "validation.json").read_text())
    assert res.exit_code == (0 if info["drift"]["passed"] else 1), res.output
    assert "drift check (steady state)" in res.output
    table = pd.read_csv(out / "drift.csv")
    assert len(table) == 3 + 5 and set(table["year"].dropna()) <= {1.0}
    assert info["drift"]["days"] == 730 and info["drift"]["seeds"] == [42, 43]
