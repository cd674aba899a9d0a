"""`cxsim compare`: replications with common random numbers, paired 95% CIs, tables on disk;
inline variants, the reference, switching between stores, numbers formatted per unit."""

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
from cxsim.core.errors import InputError
from cxsim.core.stats import mean_ci
from cxsim.experiments.compare import (
    Comparison,
    derive_seeds,
    format_diff,
    format_half,
    format_value,
    load_comparison,
    log_entries,
    run_comparison,
    significant,
    windowed_label,
)
from cxsim.experiments.compare_format import reps_warning
from cxsim.experiments.switching import SWITCHING_COLUMNS, switching_table
from cxsim.experiments.variants import parse_variant, pick_reference, resolve_variants
from cxsim.model.journeys import switch_counts
from cxsim.model.registry import metric

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


def test_format_diff_puts_units_on_every_bound() -> None:
    assert format_diff(0.061, 0.059, 0.063, "share") == "+6.1 pp [+5.9 pp, +6.3 pp]"
    assert format_diff(-3.0, -4.5, -1.5, "score") == "-3.0 [-4.5, -1.5]"
    assert format_diff(-67_000.0, -69_000.0, -65_000.0, "money") == "-67k [-69k, -65k]"
    assert format_diff(float("nan"), 0, 0, "share") == ""
    assert format_diff(-0.2, -0.4, 0.1, "count") == "0 [0, 0]", "no -0"


def test_one_precision_per_unit() -> None:
    assert format_value(12.3, "count") == "12" and format_value(12_345.6, "count") == "12,346"
    assert format_half(0.4, "count") == "±0", "counts are whole numbers, also below 100"
    assert format_value(0.219, "share") == "21.9%" and format_half(0.003, "share") == "±0.3"
    assert format_value(44.8, "score") == "+44.8" and format_value(-0.01, "score") == "0.0"
    assert format_value(140_400.0, "money") == "140k" and format_half(2_100.0, "money") == "±2k"
    assert format_value(0.7123, "ratio") == "0.712" and format_value(float("nan"), "share") == "–"


def test_few_replications_get_a_note() -> None:
    assert "Only 2 replications" in reps_warning(2) and "--reps 5" in reps_warning(4)
    assert reps_warning(5) == "" and reps_warning(10) == ""


@pytest.mark.parametrize(
    ("text", "name", "scenario", "overrides"),
    [
        ("baseline", "baseline", "baseline", ()),
        ("scenarios/mine.toml", "mine", "scenarios/mine.toml", ()),
        (
            "baseline+stores.giant.price=0.81",
            "baseline+giant.price=0.81",
            "baseline",
            ("stores.giant.price=0.81",),
        ),
        (
            "cheap_giant=baseline+stores.giant.price=0.81+town.shoppers=500",
            "cheap_giant",
            "baseline",
            ("stores.giant.price=0.81", "town.shoppers=500"),
        ),
        ("x=price_war+stores.giant.fixed_cost=1e+3", "x", "price_war", ("stores.giant.fixed_cost=1e+3",)),
    ],
)
def test_parse_variant(text: str, name: str, scenario: str, overrides: tuple[str, ...]) -> None:
    v = parse_variant(text)
    assert (v.name, v.scenario, v.overrides) == (name, scenario, overrides)


@pytest.mark.parametrize(
    "bad", ["=baseline+a.b=1", "na me=baseline", "x=+stores.giant.price=1", "baseline+a.b="]
)
def test_bad_variants_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError):
        parse_variant(bad)


def test_variant_names_must_differ_and_the_reference_must_be_one_of_them() -> None:
    with pytest.raises(InputError, match="twice"):
        resolve_variants(["baseline", "baseline"])
    assert [v.name for v in resolve_variants(["baseline"], ["b=baseline+town.shoppers=400"])] == [
        "baseline",
        "b",
    ]
    assert pick_reference(["a", "b"], None) == "a" and pick_reference(["a", "b"], "b") == "b"
    with pytest.raises(InputError, match="one of the compared names"):
        pick_reference(["a", "b"], "c")


TOWN = ["town.shoppers=400", "warmup_days=10"]


@pytest.fixture(scope="module")
def variants() -> Comparison:
    """baseline and an inline variant with a cheaper giant; the variant is the reference."""
    return run_comparison(
        ["baseline"],
        variants=["cheap=baseline+stores.giant.price=0.7"],
        reference="cheap",
        reps=2,
        days=40,
        seed=11,
        overrides=TOWN,
    )


def test_an_inline_variant_is_its_scenario_with_the_overrides(variants: Comparison) -> None:
    same = run_comparison(["baseline"], reps=2, days=40, seed=11, overrides=[*TOWN, "stores.giant.price=0.7"])
    ours = variants.replications[variants.replications["scenario"] == "cheap"].reset_index(drop=True)
    theirs = same.replications.assign(scenario="cheap")
    pd.testing.assert_frame_equal(ours, theirs)
    assert variants.meta["variants"]["cheap"] == {
        "scenario": "baseline",
        "overrides": ["stores.giant.price=0.7"],
    }
    assert variants.meta["overrides"] == TOWN and variants.meta["reference"] == "cheap"


def test_differences_are_against_the_reference(variants: Comparison) -> None:
    t = variants.table
    assert variants.reference == "cheap" and set(t["baseline"]) == {"cheap"}
    assert t[t["scenario"] == "cheap"]["diff"].isna().all()
    row = t[(t["metric"] == "market_share:giant") & (t["scenario"] == "baseline")].iloc[0]
    wide = variants.store_summary[variants.store_summary["store"] == "giant"].pivot(
        index="rep", columns="scenario", values="market_share"
    )
    assert row["diff"] == pytest.approx((wide["baseline"] - wide["cheap"]).mean())
    assert row["diff"] < 0, "the dearer giant (baseline) sells less than the cheap one"


def test_nps_labels_name_their_window(variants: Comparison) -> None:
    labels = set(variants.table["label"])
    assert "NPS (all stores, last 40 days)" in labels
    assert "NPS (last 40 days) · OnlineGiant" in labels
    assert windowed_label(metric("nps", "store_summary"), 365) == "NPS (last 365 days)"
    assert "trailing" in metric("nps", "store_summary").window, "the registry names the store NPS window"


def test_switching_counts_each_repeat_purchase_once(variants: Comparison) -> None:
    sw = variants.switching
    assert set(sw.columns) == set(SWITCHING_COLUMNS) and (sw["purchases"] >= 0).all()
    per_rep = sw.groupby(["scenario", "rep"])["purchases"].sum()
    bought = variants.replications.set_index(["scenario", "rep"])["purchases"]
    assert (per_rep <= bought.reindex(per_rep.index)).all(), "first purchases are not switching"
    assert (per_rep > 0.2 * bought.reindex(per_rep.index)).all(), "many purchases are by earlier buyers"
    flows = variants.switching_flows()
    assert {"switch", "repeat"} == set(flows["kind"])
    one = flows[(flows["scenario"] == "baseline") & (flows["kind"] == "switch")].iloc[0]
    values = sw[
        (sw["scenario"] == "baseline")
        & (sw["from_store"] == one["from_store"])
        & (sw["to_store"] == one["to_store"])
    ]["purchases"].to_numpy(float)
    mean, lo, _, _, n = mean_ci(values)
    assert (one["mean"], one["ci_low"], one["n"]) == (pytest.approx(mean), pytest.approx(lo), n)
    lost = flows[(flows["scenario"] == "baseline") & (flows["kind"] == "switch")]
    shares = lost.groupby("from_store")["share_of_lost"].sum()
    assert ((shares - 1).abs() < 1e-9).all(), "a store's lost customers went somewhere"


def test_what_one_store_loses_another_wins(variants: Comparison) -> None:
    bal = variants.switching_balance()
    assert len(bal) == 2 * 5 and (bal["lost"] >= 0).all() and (bal["won"] >= 0).all()
    totals = bal.groupby("scenario")[["lost", "won", "net"]].sum()
    assert (totals["lost"] - totals["won"]).abs().max() < 1e-9 and totals["net"].abs().max() < 1e-9
    assert (bal["net"] - (bal["won"] - bal["lost"])).abs().max() < 1e-9
    assert (bal["net_ci_low"] <= bal["net"]).all()


def test_switch_counts_and_their_table() -> None:
    previous = np.array([-1, 0, 1, 2, 0], dtype=np.int16)  # shoppers' previous stores (-1: none yet)
    shopper, store = np.array([0, 1, 2, 4]), np.array([2, 0, 2, 0])  # first purchase, a->a, b->c, a->a
    counts = switch_counts(previous[shopper], store, 3)
    t = switching_table(["a", "b", "c"], counts, scenario="s", rep=0)
    t = t.set_index(["from_store", "to_store"])["purchases"]
    assert t[("a", "a")] == 2 and t[("b", "c")] == 1 and t.sum() == 3 and len(t) == 9


def test_window_flows_count_what_a_day_by_day_observer_counts() -> None:
    """The model's journey and switching counts over the summary window (what compare reports, also
    for towns run in an ensemble) equal those counted by stepping the model and watching each day."""
    from cxsim.model.cxmodel import CXModel
    from cxsim.model.journeys import CELLS, journey_codes
    from cxsim.model.scenario import load_scenario

    spec = load_scenario("baseline", ["town.shoppers=600", "warmup_days=40"], days=120, seed=4)
    model = CXModel(spec)
    first = spec.days - spec.summary_window_days
    journeys = np.zeros((len(model.stores), CELLS), dtype=np.int64)
    switches = np.zeros((len(model.stores), len(model.stores)), dtype=np.int64)
    while model.running:
        previous = model.shoppers.last_store.copy()  # each shopper's store before the day
        model.step()
        p = model.today
        if model.day > first and len(p):
            cells = journey_codes(p.research, p.fulfilment, p.returned, p.ltr, p.churned)
            np.add.at(journeys, (p.store.astype(np.int64), cells), 1)
            prev = previous[p.shopper].astype(np.int64)
            repeat = prev >= 0  # first purchases are not switching
            np.add.at(switches, (prev[repeat], p.store.astype(np.int64)[repeat]), 1)
    assert journeys.sum() > 0 and switches.sum() > 0
    assert np.array_equal(model.flows.journeys, journeys)
    assert np.array_equal(model.flows.switches, switches)


def test_the_log_keeps_its_types(variants: Comparison, tmp_path: Path) -> None:
    log = pd.DataFrame(
        [{"day": 3, "kind": "closure", "store": "corner_shop", "data": '{"customers": 4}', "message": "x"}]
    )
    (entry,) = log_entries(log)
    assert (entry.kind, entry.store, entry.data) == ("closure", "corner_shop", {"customers": 4})
    old = log_entries(pd.DataFrame([{"day": 2, "message": "Corner Shop closed: 4 customers look"}]))
    assert old[0].kind == "closure"
    variants.save(tmp_path / "v")
    again = load_comparison(tmp_path / "v")
    assert again.reference == "cheap"
    pd.testing.assert_frame_equal(again.switching, variants.switching, check_dtype=False)
    assert (tmp_path / "v" / "switching_flows.csv").is_file()
    assert (tmp_path / "v" / "switching_balance.csv").is_file()
    assert (tmp_path / "v" / "store_journeys.parquet").is_file()
    j = again.store_journeys
    total = j.groupby(["scenario", "rep"])["purchases"].sum()
    pd.testing.assert_series_equal(total, again.journeys.groupby(["scenario", "rep"])["purchases"].sum())
