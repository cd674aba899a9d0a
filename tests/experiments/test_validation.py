"""`cxsim validate`: patterns as data, the metric language, pass rules, output and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxsim.cli.main import app
from cxsim.core.errors import InputError
from cxsim.core.stats import mean_ci
from cxsim.experiments.validation import band_distance, check_passes, resolve_scenarios
from cxsim.experiments.validation_language import (
    Call,
    ExprError,
    Observation,
    Ref,
    evaluate,
    parse_metric,
    window,
    window_mean,
)
from cxsim.experiments.validation_patterns import Check, load_patterns

SMALL = ["--reps", "2", "--workers", "1", "--set", "town.shoppers=1500", "--days", "120", "-q"]

PASSING = """
[[patterns]]
id = "T1"
name = "Some purchases are online"
scenario = "baseline"
source = "a test"
figure = "anything between 0 and 100%"
metric = "online_share"
band = [0.0, 1.0]
percent = true

[[patterns]]
id = "T2"
name = "A comparison that always holds"
scenario = "baseline"
source = "arithmetic"

  [[patterns.checks]]
  label = "one more than webrooming"
  metric = "webrooming_rate + 1 > webrooming_rate"

  [[patterns.checks]]
  label = "walk-in and online add up"
  metric = "share_walk_in + online_share"
  band = [0.999, 1.001]
"""

FAILING = """
[[patterns]]
id = "F1"
name = "An impossible online share"
scenario = "baseline"
source = "nowhere"
metric = "online_share"
band = [2.0, 3.0]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def wide_console():
    """A wide console, so that table cells are not wrapped in the captured output."""
    from cxsim.cli.main import console

    old = console._width
    console.width = 220
    yield
    console._width = old


def invoke(*args: str):
    return CliRunner().invoke(app, ["validate", *args])


# ------------------------------------------------------------------ the language


@pytest.mark.parametrize(
    "text",
    [
        "online_share",
        "wom_positive / wom_negative",
        "-(a - 2 * b) / 3",
        "a > b",
        "before_lockdown(online_share)",
        "after_lockdown(online_share, 365, 30) > ref(after_lockdown(online_share, 365, 30))",
        "days_mean(webrooming_rate, 10, 20) - 0.5",
    ],
)
def test_metric_language_accepts(text):
    parse_metric(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('true')", "unknown function"),
        ("online_share.real", "not allowed"),
        ("a ** 2", "not allowed"),
        ("a > b > c", "one '>' or '<'"),
        ("(a > b) + 1", "only once"),
        ("a >= b", "one '>' or '<'"),
        ("lambda: 1", "not allowed"),
        ("online_share[0]", "not allowed"),
        ("during_lockdown(online_shar)", "did you mean 'online_share'"),
        ("before_lockdown(online_share, -3)", "whole number"),
        ("days_mean(online_share, 5)", "needs first, last"),
        ("ref(ref(online_share))", "cannot be nested"),
        ("'text'", "not allowed"),
        ("a +", "not a valid expression"),
    ],
)
def test_metric_language_rejects(text, fragment):
    with pytest.raises(ExprError, match=None) as info:
        parse_metric(text)
    assert fragment in str(info.value)


def test_windows_around_the_lockdown():
    lockdown = (90, 90)  # days 90..179
    assert window(Call("before_lockdown", "online_share", (60,)), lockdown) == (30, 89)
    assert window(Call("before_lockdown", "online_share", (200,)), lockdown) == (1, 89)
    assert window(Call("during_lockdown", "online_share", ()), lockdown) == (90, 179)
    assert window(Call("after_lockdown", "online_share", (365, 30)), lockdown) == (545, 574)
    assert window(Call("days_mean", "online_share", (3, 7)), None) == (3, 7)


def test_window_mean_weights_shares_by_purchases():
    ts = pd.DataFrame(
        {"day": [1, 2, 3], "purchases": [100, 300, 0], "online_share": [0.1, 0.5, 0.9], "nps": [10, 20, 90]}
    )
    assert window_mean(ts, "online_share", 1, 3) == pytest.approx((10 + 150) / 400)
    assert window_mean(ts, "nps", 1, 3) == pytest.approx(40.0)
    assert math.isnan(window_mean(ts, "online_share", 3, 3))


def test_ref_reads_the_reference_run_with_the_pattern_lockdown():

    ts = pd.DataFrame({"day": [1, 2, 3, 4], "purchases": [1, 1, 1, 1], "online_share": [0.1, 0.2, 0.3, 0.4]})
    other = ts.assign(online_share=[0.5, 0.6, 0.7, 0.8])
    ref_obs = Observation({}, other, None, 4)
    obs = Observation({}, ts, (2, 2), 4, reference=ref_obs)
    during = Call("during_lockdown", "online_share", ())
    assert evaluate(during, obs) == pytest.approx(0.25)
    assert evaluate(Ref(during), obs) == pytest.approx(0.65)


# ------------------------------------------------------------------ statistics and rules


def test_mean_ci_and_pass_rules():
    mean, lo, hi, sd, n = mean_ci([1.0, 2.0, 3.0, float("nan")])
    assert (mean, n) == (2.0, 3) and lo < 2.0 < hi and sd == pytest.approx(1.0)
    band = Check("x", "x", None, None, None, (0.1, 0.2), False)  # type: ignore[arg-type]
    comparison = Check("x", "a > b", None, ">", None, None, False)  # type: ignore[arg-type]
    assert check_passes(band, 0.15, math.nan) and not check_passes(band, 0.25, 0.2)
    assert check_passes(comparison, 0.1, 0.01) and not check_passes(comparison, 0.1, -0.01)
    assert band_distance(band, 0.15) == 0.0
    assert band_distance(band, 0.30) == pytest.approx(1.0)
    assert band_distance(comparison, -0.1, 0.2, 0.3) == pytest.approx(0.4)
    assert band_distance(comparison, 0.1, 0.3, 0.2) == 0.0


# ------------------------------------------------------------------ shipped patterns


def test_shipped_patterns_cover_calibration_md_and_fit_their_scenarios():
    patterns = load_patterns()
    assert [p.id for p in patterns] == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"]
    assert all(p.source and p.figure for p in patterns)
    plan = resolve_scenarios(patterns)  # names, lockdown windows and horizons are checked here
    assert plan.specs[plan.main["P6"]].name  # the pandemic scenario resolves
    assert "P6" in plan.reference
    assert (
        plan.reference["P8"] == plan.main["P1"]
    )  # the weekly deal's counterfactual shares the baseline runs
    assert plan.specs[plan.main["P8"]].name == "weekly_deal"  # a validation scenario beside patterns.toml
    assert len(plan.variants[plan.main["P7"]]) == 2 * len(plan.specs[plan.main["P7"]].stores) + 2
    assert plan.main["P10"] in plan.purchases and plan.main["P9"] == plan.main["P6"]


# ------------------------------------------------------------------ the command


def test_passing_patterns_exit_0_with_table_figures_and_files(tmp_path):
    patterns = write(tmp_path, "ok.toml", PASSING)
    out = tmp_path / "out"
    res = invoke("--patterns", str(patterns), "--only", "T1", "--only", "T2", "--out", str(out), *SMALL)
    assert res.exit_code == 0, res.output
    for text in (
        "T1",
        "T2",
        "a test",
        "arithmetic",
        "0.0% – 100.0%",
        "difference > 0",
        "pass",
        "all patterns pass",
    ):
        assert text in res.output
    table = pd.read_csv(out / "patterns.csv")
    assert list(table["pattern"]) == ["T1", "T2", "T2"]
    for col in ("value", "ci_low", "ci_high", "band_low", "band_high", "passed", "source", "figure", "reps"):
        assert col in table.columns
    assert table["passed"].all() and (table["reps"] == 2).all()
    assert table.loc[1, "value"] == pytest.approx(1.0) and table.loc[1, "ci_low"] == pytest.approx(1.0)
    reps = pd.read_parquet(out / "replications.parquet")
    assert len(reps) == 3 * 2 and set(reps["seed"]) == {42, 43}
    assert (out / "figures" / "T1.png").stat().st_size > 1000
    assert (out / "figures" / "T2.png").is_file()
    assert (out / "validation.json").is_file() and (out / "runs.parquet").is_file()


def test_a_failing_pattern_exits_1_and_still_writes(tmp_path):
    patterns = write(tmp_path, "both.toml", PASSING + FAILING)
    out = tmp_path / "out"
    res = invoke("--patterns", str(patterns), "--only", "T1", "--only", "F1", "--out", str(out), *SMALL)
    assert res.exit_code == 1, res.output
    assert "FAIL" in res.output and "1 pattern(s) fail" in res.output
    table = pd.read_csv(out / "patterns.csv").set_index("pattern")
    assert bool(table.loc["T1", "passed"]) and not bool(table.loc["F1", "passed"])


def test_a_documented_finding_is_reported_and_does_not_fail(tmp_path):
    finding = FAILING.replace("band = [2.0, 3.0]", 'band = [2.0, 3.0]\nfinding = "shares stop at 100%"')
    patterns = write(tmp_path, "finding.toml", PASSING + finding)
    out = tmp_path / "out"
    res = invoke("--patterns", str(patterns), "--only", "T1", "--only", "F1", "--out", str(out), *SMALL)
    assert res.exit_code == 0, res.output
    assert "finding F1" in res.output and "shares stop at 100%" in res.output
    assert "1 check(s) a documented finding" in res.output and "FAIL" not in res.output
    table = pd.read_csv(out / "patterns.csv").set_index("pattern")
    assert not bool(table.loc["F1", "passed"]) and table.loc["F1", "status"] == "finding"
    assert table.loc["T1", "status"] == "pass"
    assert json.loads((out / "validation.json").read_text())["all_passed"] is True
    # a finding on a check that passes is no excuse: it shows as a pass
    inside = finding.replace("band = [2.0, 3.0]", "band = [0.0, 1.0]")
    res = invoke(
        "--patterns",
        str(write(tmp_path, "in.toml", inside)),
        "--only",
        "F1",
        "--out",
        str(out),
        "--overwrite",
        *SMALL,
    )
    assert res.exit_code == 0 and "all patterns pass" in res.output, res.output


def test_researcher_pattern_is_added_and_shipped_one_replaced(tmp_path):
    extra = write(
        tmp_path,
        "mine.toml",
        FAILING.replace('id = "F1"', 'id = "P4"').replace("[2.0, 3.0]", "[0.0, 1.0]")
        + """
[[patterns]]
id = "R1"
name = "A researcher's pattern"
scenario = "baseline"
source = "my survey"
metric = "webrooming_rate"
band = [0.0, 0.5]
""",
    )
    patterns = load_patterns([extra])
    ids = [p.id for p in patterns]
    assert ids == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "R1"]
    p4 = next(p for p in patterns if p.id == "P4")
    assert p4.checks[0].band == (0.0, 1.0) and p4.source == "nowhere"
    res = invoke(
        "--patterns", str(extra), "--only", "R1", "--only", "P4", "--out", str(tmp_path / "o"), *SMALL
    )
    assert res.exit_code == 0, res.output
    assert "R1" in res.output and "my survey" in res.output and "nowhere" in res.output


def test_a_pandemic_like_scenario_with_a_reference_run(tmp_path):
    write(
        tmp_path,
        "lock.toml",
        'extends = "baseline"\nname = "lock"\n[[events]]\ntype = "lockdown"\nstart = 40\ndays = 30\n',
    )
    patterns = write(
        tmp_path,
        "p6.toml",
        """
[[patterns]]
id = "L1"
name = "A lockdown moves sales online"
scenario = "lock.toml"
reference = "baseline"
source = "a test"

  [[patterns.checks]]
  label = "during > before"
  metric = "during_lockdown(online_share) > before_lockdown(online_share, 30)"
  percent = true

  [[patterns.checks]]
  label = "during > same days without lockdown"
  metric = "during_lockdown(online_share) - ref(during_lockdown(online_share))"
  band = [0.05, 1.0]
  percent = true

  [[patterns.checks]]
  label = "after, measured"
  metric = "after_lockdown(online_share, 30, 20)"
  band = [0.0, 1.0]
""",
    )
    out = tmp_path / "out"
    res = invoke("--patterns", str(patterns), "--only", "L1", "--out", str(out), *SMALL)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "patterns.csv")
    assert table.loc[0, "value"] > 0.3  # walk-in is closed: nearly every purchase is online
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(set(runs["run"])) == ["baseline@120", "lock"]


HEAD = "[[patterns]]\nid = 'X'\nname = 'x'\nsource = 's'\n"
BASE = HEAD + "scenario = 'baseline'\n"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (BASE + "metric = 'online_share'\nbnd = [0, 1]\n", "did you mean 'band'"),
        (BASE + "metric = 'online_share'\n", "a band [low, high]"),
        (BASE + "metric = 'a > b'\nband = [0, 1]\n", "no band for a comparison"),
        (BASE + "metric = \"__import__('os').system('echo hi')\"\nband = [0, 1]\n", "unknown function"),
        (BASE + "metric = 'onlin_share'\nband = [0, 1]\n", "did you mean 'online_share'"),
        (BASE + "metric = 'online_share'\nband = [1, 0]\n", "low <= high"),
        (BASE + "metric = 'during_lockdown(online_share)'\nband = [0, 1]\n", "lockdown event"),
        (BASE + "metric = 'ref(online_share)'\nband = [0, 1]\n", "reference"),
        (
            HEAD + "scenario = 'pandemic'\nmetric = 'after_lockdown(online_share, 365, 30)'\nband = [0, 1]\n",
            "long enough",
        ),
        (HEAD + "scenario = 'baselin'\nmetric = 'online_share'\nband = [0, 1]\n", "did you mean 'baseline'"),
        (
            BASE.replace("source = 's'\n", "") + "metric = 'online_share'\nband = [0, 1]\n",
            "patterns.0.source: expected a value",
        ),
        ("patterns = 3\n", "patterns"),
        ("[[patterns]\n", "valid TOML"),
    ],
)
def test_bad_patterns_file_exits_2_with_one_clear_line(tmp_path, text, fragment):
    bad = write(tmp_path, "bad.toml", text)
    out = tmp_path / "out"
    only = ["--only", "X"] if "id = 'X'" in text else []
    res = invoke("--patterns", str(bad), *only, "--out", str(out), *SMALL)
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and str(bad) in res.output
    assert fragment in res.output.replace("\n", " ")
    assert not out.exists()


def test_unknown_only_id_and_missing_file_exit_2(tmp_path):
    res = invoke("--only", "P99", "--out", str(tmp_path / "o"), *SMALL)
    assert res.exit_code == 2 and "P99" in res.output
    res = invoke("--patterns", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o"), *SMALL)
    assert res.exit_code == 2 and "nope.toml" in res.output


def test_python_api_matches_the_command(tmp_path):
    from cxsim.experiments.validation import validate_patterns

    patterns = load_patterns([write(tmp_path, "ok.toml", PASSING)], ["T1"])
    result = validate_patterns(patterns, 2, overrides=["town.shoppers=1500"], days=120, workers=1)
    assert result.passed and len(result.table) == 1
    assert 0.0 < result.table.loc[0, "value"] < 1.0
    assert np.isfinite(result.table.loc[0, "ci_low"])
    with pytest.raises(InputError):
        load_patterns([tmp_path / "missing.toml"])


# ------------------------------------------------------------------ measures: elasticities


def test_arc_elasticity_recovers_a_known_elasticity():
    from cxsim.experiments.validation_measures import arc_elasticity

    step = 0.03
    for e in (-0.5, -2.62, -6.0):  # constant-elasticity demand q = 1000 p^e around p = 1
        q_up, q_down = 1000 * (1 + step) ** e, 1000 * (1 - step) ** e
        # an arc is not a point: it is off by about (e step)^2 / 3 relative (1.1% at e = -6)
        assert float(arc_elasticity(q_up, q_down, step)) == pytest.approx(e, rel=(e * step) ** 2 / 3 + 1e-3)
    # linear demand q = 100 - 40 p: the arc elasticity is exactly -40 p / q at the midpoint
    p_up, p_down = 1.03, 0.97
    assert float(arc_elasticity(100 - 40 * p_up, 100 - 40 * p_down, 0.03)) == pytest.approx(-40 / 60)
    assert np.isnan(arc_elasticity(0, 0, 0.03))
    np.testing.assert_allclose(arc_elasticity(np.array([90, 1]), np.array([110, 1]), 0.05), [-2.0, 0.0])


def test_elasticities_of_a_replication_and_their_table():
    from cxsim.experiments.validation_measures import CATEGORY, elasticities, elasticity_table, variant_key

    step = 0.03

    def runs(own, category):
        """Purchases per store of each price variant for known own and category elasticities."""
        base = {"a": 3000.0, "b": 1000.0}  # (elasticities within the arc's (e step)^2 / 3 of the point's)
        out = {}
        for s in [*base, CATEGORY]:
            for up in (True, False):
                f = 1 + step if up else 1 - step
                if s == CATEGORY:
                    out[variant_key(s, up)] = {k: v * f**category for k, v in base.items()}
                else:
                    out[variant_key(s, up)] = {k: (v * f ** own[k] if k == s else v) for k, v in base.items()}
        return base, out

    base, variants = runs({"a": -2.0, "b": -4.0}, -0.5)
    e = elasticities(base, variants, step)
    assert e.own["a"] == pytest.approx(-2.0, rel=5e-3) and e.own["b"] == pytest.approx(-4.0, rel=5e-3)
    assert e.category == pytest.approx(-0.5, rel=5e-3)
    m = e.measures()
    assert m["own_price_elasticity_mean"] == pytest.approx((3000 * -2.0 + 1000 * -4.0) / 4000, rel=5e-3)
    assert m["own_price_elasticity_min"] == pytest.approx(-4.0, rel=5e-3)
    assert m["own_price_elasticity_max"] == pytest.approx(-2.0, rel=5e-3)
    second = elasticities(*runs({"a": -3.0, "b": -4.0}, -0.7), step)
    table = elasticity_table([e, second], "town", step).set_index("store")
    assert table.loc["a", "elasticity"] == pytest.approx(-2.5, rel=5e-3)
    assert table.loc["a", "ci_low"] < -2.5 < table.loc["a", "ci_high"] and table.loc["a", "reps"] == 2
    assert table.loc["category (all stores)", "elasticity"] == pytest.approx(-0.6, rel=5e-3)
    assert table.loc["category (all stores)", "purchases"] == 4000
    from cxsim.experiments.validation_measures import band_verdict, mark_store_band, store_band

    patterns = pd.DataFrame(
        {
            "metric": ["own_price_elasticity_min", "x"],
            "kind": ["band", "band"],
            "band_low": [-3.0, 0],
            "band_high": [-1.0, 1],
        }
    )
    assert store_band(patterns) == (-3.0, -1.0) and store_band(patterns.iloc[1:]) is None
    marked = mark_store_band(table.reset_index(), (-3.0, -1.0)).set_index("store")
    assert marked.loc["a", "in_band"] is True and marked.loc["b", "in_band"] is False  # -2.5 in, -4 out
    assert marked.loc["category (all stores)", "in_band"] is None
    assert [band_verdict(r) for _, r in marked.iterrows()] == ["yes", "no", "—"]


def test_price_variants_change_one_store_or_all():
    from cxsim.experiments.validation_measures import price_variants
    from cxsim.model.scenario import load_scenario

    spec = load_scenario("baseline")
    variants = price_variants(spec, 0.05)
    assert len(variants) == 2 * len(spec.stores) + 2
    names = list(spec.stores)
    up = variants[f"price:{names[0]}:up"].stores
    assert up[names[0]].price == pytest.approx(spec.stores[names[0]].price * 1.05)
    assert all(up[n].price == spec.stores[n].price for n in names[1:])
    down = variants["price:*:down"].stores
    assert all(down[n].price == pytest.approx(spec.stores[n].price * 0.95) for n in names)
    assert spec.stores[names[0]].price == load_scenario("baseline").stores[names[0]].price  # not mutated


# ------------------------------------------------------------------ measures: promotion, double jeopardy


def test_promotion_decomposition_of_a_known_bump():
    from cxsim.experiments.validation_measures import PromotionWindow, promotion_decomposition

    days = pd.Index(range(1, 21), name="day")
    reference = pd.DataFrame({"promo": 10.0, "r1": 20.0, "r2": 30.0}, index=days)
    promo = reference.copy()
    promo.loc[10, "promo"] += 110  # the bump on day 10, of which 10 come back (100 kept) ...
    promo.loc[10, "r1"] -= 20  # ... 30 of it from rivals
    promo.loc[10, "r2"] -= 10
    promo.loc[11:15, "r2"] -= 4  # a dip of 20 purchases over the 5 days after

    def long(wide, returned_on_day_10=0.0):
        out = wide.rename_axis(columns="store").stack().rename("purchases").reset_index()
        out["returns"] = np.where((out["day"] == 10) & (out["store"] == "promo"), returned_on_day_10, 0.0)
        return out

    out = promotion_decomposition(long(promo, 10.0), long(reference), PromotionWindow("promo", 10, 1, 5))
    assert out["promotion_extra"] == 100  # kept purchases, net of returns
    assert out["promotion_switching_share"] == pytest.approx(0.30)
    assert out["promotion_acceleration_share"] == pytest.approx(0.20)
    assert out["promotion_expansion_share"] == pytest.approx(0.50)
    assert out["promotion_post_dip"] == pytest.approx(20 / (5 * 60))
    flat = promotion_decomposition(long(reference), long(reference), PromotionWindow("promo", 10, 1, 5))
    assert np.isnan(flat["promotion_switching_share"]) and flat["promotion_post_dip"] == 0


def test_double_jeopardy_on_known_buyers():
    from cxsim.experiments.validation_measures import double_jeopardy, purchase_measures, rank_correlation

    rows = [("big", s) for s in range(10) for _ in range(3)]  # 10 buyers x 3 purchases
    rows += [("mid", s) for s in range(4) for _ in range(2)]  # 4 buyers x 2
    rows += [("small", s) for s in range(2) for _ in range(2)]  # 2 buyers x 2
    purchases = pd.DataFrame(rows, columns=["store", "shopper"]).assign(day=50)
    early = pd.DataFrame({"store": ["small"] * 50, "shopper": range(50), "day": 1})  # before the window
    out = purchase_measures(pd.concat([purchases, early]), shoppers=20, last_day=60, window_days=30)
    assert out["dj_rank_penetration"] == pytest.approx(1.0)
    assert out["dj_rank_frequency"] == pytest.approx(rank_correlation([30, 8, 4], [3, 2, 2]))
    assert out["dj_penetration_ratio"] == pytest.approx((10 / 20) / (2 / 20))
    assert out["dj_frequency_ratio"] == pytest.approx(1.5)
    assert rank_correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(rank_correlation([1, 2, 3], [1, 1, 1]))
    one = pd.DataFrame(
        {"buyers": [3], "penetration": [0.1], "purchases_per_buyer": [2.0], "market_share": [1.0]}
    )
    assert all(np.isnan(v) for v in double_jeopardy(one).values())


def test_measures_are_names_of_the_pattern_language():
    obs = Observation({"wom_ratio": 3.0}, pd.DataFrame(), None, 1, measures={"dj_rank_penetration": 0.5})
    left, _, right = parse_metric("dj_rank_penetration * wom_ratio > own_price_elasticity_mean")
    assert evaluate(left, obs) == pytest.approx(1.5)
    assert np.isnan(evaluate(right, obs))  # not measured in this run


def test_who_talks_follows_the_word_of_mouth_propensities():
    """With no positive word of mouth, promoters hardly talk; detractors still do (P4's counts)."""
    from cxsim.experiments.results import run
    from cxsim.model.scenario import load_scenario

    base = ["town.shoppers=400", "days=60", "warmup_days=10"]
    s = run(load_scenario("baseline", [*base, "behaviour.word_of_mouth.positive=0"])).summary.iloc[0]
    assert s["talk_share_promoters"] < 0.02 < s["talk_share_detractors"] <= 1
    s = run(load_scenario("baseline", [*base, "behaviour.word_of_mouth.negative=0"])).summary.iloc[0]
    assert s["talk_share_detractors"] < s["talk_share_promoters"]


# ------------------------------------------------------------------ the new patterns end to end

NEW_PATTERNS = """
[[patterns]]
id = "E7"
name = "price elasticities"
scenario = "baseline"
source = "a test"
  [[patterns.checks]]
  metric = "own_price_elasticity_mean"
  band = [-100, 0]
  [[patterns.checks]]
  metric = "category_price_elasticity + 100 > 0"

[[patterns]]
id = "E8"
name = "a promotion's decomposition"
scenario = "promo.toml"
reference = "baseline"
source = "a test"
  [[patterns.checks]]
  metric = "promotion_switching_share"
  band = [-10, 10]
  [[patterns.checks]]
  metric = "promotion_acceleration_share + promotion_expansion_share + promotion_switching_share"
  band = [0.999, 1.001]

[[patterns]]
id = "E10"
name = "double jeopardy"
scenario = "baseline"
source = "a test"
metric = "dj_penetration_ratio"
band = [1, 1000]
"""

PROMO = """extends = "baseline"
name = "promo"
[[events]]
type = "promotion"
start = 40
days = 2
store = "giant"
discount = 0.3
"""


@pytest.mark.slow
def test_new_patterns_end_to_end_with_elasticity_table(tmp_path):
    write(tmp_path, "promo.toml", PROMO)
    patterns = write(tmp_path, "new.toml", NEW_PATTERNS)
    out = tmp_path / "out"
    small = ["--reps", "2", "--workers", "1", "--set", "town.shoppers=300", "--days", "80", "-q"]
    res = invoke(
        "--patterns",
        str(patterns),
        *[a for i in ("E7", "E8", "E10") for a in ("--only", i)],
        "--out",
        str(out),
        *small,
    )
    assert res.exit_code == 0, res.output
    assert "price elasticities of purchases" in res.output and "category (all stores)" in res.output
    el = pd.read_csv(out / "elasticities.csv")
    assert len(el) == 6 and set(el["kind"]) == {"own", "category"} and (el["reps"] == 2).all()
    assert "price elasticity of purchases" in (out / "patterns.md").read_text()
    assert (out / "figures" / "elasticities.png").stat().st_size > 1000
    info = json.loads((out / "validation.json").read_text())
    assert [r["store"] for r in info["elasticities"]] == list(el["store"])
    measures = pd.read_parquet(out / "measures.parquet")
    assert {"own_price_elasticity_mean", "dj_rank_penetration", "promotion_switching_share"} <= set(measures)
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["run"] == "baseline#price:giant:up").sum() == 2
    res = invoke(
        "--patterns", str(patterns), "--only", "E7", "--no-elasticities", "--out", str(tmp_path / "o"), *small
    )
    assert res.exit_code == 2 and not (tmp_path / "o").exists()


def test_promotion_measures_need_a_promotion_and_a_reference(tmp_path):
    bad = write(tmp_path, "bad.toml", BASE + "metric = 'promotion_switching_share'\nband = [0, 1]\n")
    res = invoke("--patterns", str(bad), "--only", "X", "--out", str(tmp_path / "o"), *SMALL)
    assert res.exit_code == 2 and "promotion event" in res.output.replace("\n", " ")
    assert not (tmp_path / "o").exists()


def test_lockdown_demand_and_double_jeopardy_end_to_end(tmp_path):
    """P9- and P10-like checks on a tiny town: purchases kept in the worker, lockdown windows."""
    write(
        tmp_path,
        "lock.toml",
        'extends = "baseline"\nname = "lock"\n[[events]]\ntype = "lockdown"\nstart = 40\ndays = 20\n',
    )
    patterns = write(
        tmp_path,
        "p.toml",
        """
[[patterns]]
id = "D9"
name = "lockdown demand"
scenario = "lock.toml"
source = "a test"
  [[patterns.checks]]
  metric = "1 - during_lockdown(purchases) / before_lockdown(purchases, 28)"
  band = [-1, 1]
  [[patterns.checks]]
  metric = "1.000001 > during_lockdown(online_share)"

[[patterns]]
id = "D10"
name = "double jeopardy"
scenario = "baseline"
source = "a test"
  [[patterns.checks]]
  metric = "dj_penetration_ratio"
  band = [1, 1000]
  [[patterns.checks]]
  metric = "dj_rank_penetration + 2 > 0"
""",
    )
    out = tmp_path / "out"
    small = ["--reps", "2", "--workers", "1", "--set", "town.shoppers=200", "--set", "warmup_days=20"]
    res = invoke(
        "--patterns",
        str(patterns),
        "--only",
        "D9",
        "--only",
        "D10",
        "--out",
        str(out),
        *small,
        "--days",
        "60",
        "-q",
    )
    assert res.exit_code == 0, res.output
    measures = pd.read_parquet(out / "measures.parquet")
    assert (
        list(measures["scenario"]) == ["baseline", "baseline"]
        and (measures["dj_penetration_ratio"] >= 1).all()
    )
    assert not (out / "elasticities.csv").exists()  # no elasticity pattern, no price runs
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and not runs["run"].str.contains("#").any()


def test_shipped_new_patterns_on_synthetic_runs_with_known_answers():
    """P1, P4, P7-P10 as shipped, evaluated on made-up runs whose answers are known."""
    shipped = {p.id: p for p in load_patterns()}

    def values(pid, obs):
        return [c.value(obs)[0] for c in shipped[pid].checks]

    summary = {
        "online_revenue_share": 0.15,
        "wom_ratio": 3.0,
        "talk_share_detractors": 0.3,
        "talk_share_promoters": 0.2,
    }
    assert values("P1", Observation(summary, pd.DataFrame(), None, 365)) == [0.15]
    assert values("P4", Observation(summary, pd.DataFrame(), None, 365)) == pytest.approx([3.0, 1.5])
    measures = {
        "own_price_elasticity_mean": -2.5,
        "own_price_elasticity_min": -4.0,
        "own_price_elasticity_max": -1.5,
        "promotion_switching_share": 0.33,
        "promotion_post_dip": 0.05,
        "dj_rank_penetration": 0.9,
        "dj_rank_frequency": 0.7,
        "dj_penetration_ratio": 5.0,
        "dj_frequency_ratio": 1.4,
    }
    obs = Observation({}, pd.DataFrame(), None, 365, measures=measures)
    assert values("P7", obs) == [-2.5, -4.0, -1.5]
    assert values("P8", obs) == pytest.approx([0.33, 0.05])
    assert values("P10", obs) == pytest.approx([0.9, 0.7, 3.6])
    # P9: 100 purchases a day (10% delivered) before a lockdown on days 41-60,
    # 80 a day (25% delivered, 60% online) in it
    days = np.arange(1, 61)
    during = days >= 41
    ts = pd.DataFrame(
        {
            "day": days,
            "purchases": np.where(during, 80, 100),
            "share_delivery": np.where(during, 0.25, 0.10),
            "online_share": np.where(during, 0.60, 0.15),
        }
    )
    lock = Observation({}, ts, (41, 20), 60)
    fall, delivery, below = values("P9", lock)
    assert fall == pytest.approx(0.20) and delivery == pytest.approx(20 - 10) and below == pytest.approx(0.40)
