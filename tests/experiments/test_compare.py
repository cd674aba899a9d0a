"""`cxsim compare`: replications with common random numbers, paired 95% CIs, tables on disk."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from cxsim.analysis.figures import FIGURES
from cxsim.cli.main import app
from cxsim.core.stats import mean_ci
from cxsim.experiments.compare import (
    Comparison,
    derive_seeds,
    format_diff,
    load_comparison,
    run_comparison,
    significant,
)

runner = CliRunner()
TINY = [
    "--reps",
    "3",
    "--days",
    "40",
    "--set",
    "town.shoppers=600",
    "--set",
    "warmup_days=10",
    "--seed",
    "7",
    "-q",
]


def test_mean_ci_is_the_t_interval() -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    mean, lo, hi, sd, n = mean_ci(x)
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2.0
    assert (mean, n) == (3.5, 4)
    assert lo == pytest.approx(3.5 - half) and hi == pytest.approx(3.5 + half)
    assert sd == pytest.approx(x.std(ddof=1))
    assert math.isnan(mean_ci([5.0])[1]), "no interval from one value"
    assert mean_ci([1.0, float("nan"), 3.0])[4] == 2, "NaN (e.g. NPS of a closed store) is left out"


def test_seeds_derive_from_the_root() -> None:
    a = derive_seeds(7, 5)
    assert a == derive_seeds(7, 5) and len(set(a)) == 5
    assert a[:3] == derive_seeds(7, 3), "more replications extend, never reshuffle, the seeds"
    assert derive_seeds(8, 5) != a
    assert all(0 <= s < 2**31 for s in a)


@pytest.mark.slow
def test_compare_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", "baseline", "price_war", *TINY, "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for words in (
        "baseline vs price_war",
        "3 replications",
        "online share",
        "Δ",
        "market share · OnlineGiant",
    ):
        assert words in res.output, words
    for name in ("comparison.csv", "comparison.parquet", "replications.parquet", "timeseries.parquet"):
        assert (out / name).is_file(), name
    for name in (
        "stores.parquet",
        "store_summary.parquet",
        "journeys.parquet",
        "compare.json",
        "report.html",
    ):
        assert (out / name).is_file(), name
    assert sorted(p.stem for p in (out / "figures").glob("*.png")) == sorted(FIGURES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temp folder left"

    meta = json.loads((out / "compare.json").read_text())
    assert meta["root_seed"] == 7 and meta["seeds"] == derive_seeds(7, 3)
    assert meta["common_random_numbers"] is True and meta["reps"] == 3
    assert meta["resolved"]["price_war"]["events"][0]["attribute"] == "price"

    reps = pd.read_parquet(out / "replications.parquet")
    assert len(reps) == 6
    seeds = reps.pivot(index="rep", columns="scenario", values="seed")
    assert (seeds["baseline"] == seeds["price_war"]).all(), "replication r of every scenario: one seed"
    assert list(seeds["baseline"]) == meta["seeds"]

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert {"scenario", "rep"} <= set(ts.columns) and len(ts) == 2 * 3 * 40
    assert len(pd.read_parquet(out / "stores.parquet")) == 2 * 3 * 40 * 5

    table = pd.read_csv(out / "comparison.csv")
    pd.testing.assert_frame_equal(
        table, pd.read_parquet(out / "comparison.parquet"), check_dtype=False, check_exact=False
    )
    row = table[(table["metric"] == "online_share") & (table["scenario"] == "price_war")].iloc[0]
    wide = reps.pivot(index="rep", columns="scenario", values="online_share")
    d = wide["price_war"] - wide["baseline"]
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3)
    assert row["diff"] == pytest.approx(d.mean())
    assert row["diff_ci_low"] == pytest.approx(d.mean() - half), "the paired-difference interval"
    assert row["mean"] == pytest.approx(wide["price_war"].mean())
    base = table[(table["metric"] == "online_share") & (table["scenario"] == "baseline")].iloc[0]
    assert math.isnan(base["diff"])

    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(FIGURES)
    assert "price_war" in html and "Key findings" in html


def test_rerun_into_the_same_folder_rewrites_it(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ["compare", "baseline", "recession", *TINY, "--days", "70", "--workers", "1", "--out", str(out)]
    assert runner.invoke(app, [*args, "--no-figures"]).exit_code == 0
    first = json.loads((out / "compare.json").read_text())["seeds"]
    res = runner.invoke(app, [*args, "--no-figures", "--seed", "8"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "compare.json").read_text())["seeds"] == derive_seeds(8, 3) != first
    assert not (out / "report.html").exists() and not (out / "figures").exists()


def test_results_do_not_depend_on_the_number_of_workers() -> None:
    kw = {"reps": 2, "days": 25, "seed": 3, "overrides": ["town.shoppers=400", "warmup_days=10"]}
    one = run_comparison(["baseline", "price_war"], workers=1, **kw)
    two = run_comparison(["baseline", "price_war"], workers=2, **kw)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    pd.testing.assert_frame_equal(one.timeseries, two.timeseries)
    pd.testing.assert_frame_equal(one.table, two.table)


def test_crn_makes_identical_scenarios_identical() -> None:
    """price_war without its events is the baseline town: with common seeds nothing differs."""
    comp = run_comparison(
        ["baseline", "price_war"], reps=2, days=20, overrides=["town.shoppers=300", "events=[]"]
    )
    diffs = comp.table[comp.table["scenario"] == "price_war"]
    assert (diffs["diff"].abs() < 1e-12).all()
    assert not diffs.apply(significant, axis=1).any()


def test_scenarios_with_different_stores(tmp_path: Path) -> None:
    comp = run_comparison(
        ["baseline", "giant_enters"], reps=2, days=70, overrides=["town.shoppers=400", "warmup_days=10"]
    )
    stores = set(comp.table["store"].dropna())
    assert {"chain", "omni", "hifi", "home_store", "giant"} <= stores
    hifi = comp.table[comp.table["metric"] == "market_share:hifi"]
    assert list(hifi["scenario"]) == ["giant_enters"] and hifi["diff"].isna().all()
    comp.save(tmp_path / "mixed")
    again = load_comparison(tmp_path / "mixed")
    assert isinstance(again, Comparison)
    pd.testing.assert_frame_equal(again.table, comp.table)
    assert again.scenarios == ["baseline", "giant_enters"]


def test_format_diff() -> None:
    assert format_diff(0.061, 0.059, 0.063, "share") == "+6.1 pp [+5.9, +6.3]"
    assert format_diff(-3.0, -4.5, -1.5, "score") == "-3.0 [-4.5, -1.5]"
    assert format_diff(float("nan"), 0, 0, "share") == ""
