"""The scenario library: every scenario loads, runs, and its headline claim holds.

Each claim test runs small towns (3,000 shoppers) with a few seeds and compares
with the baseline under common random numbers (the same seed), so that the
difference is the scenario's effect rather than chance. The claims are those
written at the top of each scenario file and in docs/SCENARIOS.md, as re-derived
at 0.4.0 from 10 replications at 10,000 shoppers; each threshold lies in the
direction of that full-size effect and is cleared with margin by the small towns.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxsim
from cxsim.model.library import builtin_dir
from cxsim.model.scenario import load_raw, load_scenario, scenario_names, validate

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = {
    "baseline",
    "price_war",
    "personal_touch",
    "service_culture",
    "go_omnichannel",
    "inconsistent_omnichannel",
    "pandemic",
    "singles_day",
    "delivery_crunch",
    "recession",
    "giant_enters",
}
SHOPPERS = 3000
SEEDS = (11, 12)


@functools.cache
def run(name: str, seed: int, days: int | None = None, shoppers: int = SHOPPERS) -> cxsim.RunResult:
    """One run of a library scenario (cached: baseline runs serve several claims)."""
    return cxsim.run(name, seed=seed, days=days, overrides=[f"town.shoppers={shoppers}"])


def window(ts: pd.DataFrame, first: int, last: int, col: str) -> float:
    """Purchase-weighted mean of a daily share over days first..last (inclusive)."""
    w = ts[(ts["day"] >= first) & (ts["day"] <= last)]
    if col == "purchases":
        return float(w["purchases"].mean())
    return float((w[col] * w["purchases"]).sum() / w["purchases"].sum())


def share(result: cxsim.RunResult, stores: str | tuple[str, ...], first: int = 1, last: int = 10**6) -> float:
    """Combined market share of ``stores`` over days first..last."""
    names = (stores,) if isinstance(stores, str) else stores
    st = result.stores[(result.stores["day"] >= first) & (result.stores["day"] <= last)]
    return float(st[st["store"].isin(names)]["purchases"].sum() / st["purchases"].sum())


def store_nps(result: cxsim.RunResult, store: str, first: int = 1, last: int = 10**6) -> float:
    """Mean of a store's 30-day NPS over days first..last."""
    st = result.stores
    sel = st[(st["store"] == store) & (st["day"] >= first) & (st["day"] <= last)]
    return float(sel["nps"].mean())


def cash(result: cxsim.RunResult, store: str) -> float:
    """A store's cash on the last day."""
    st = result.stores
    return float(st[(st["store"] == store) & (st["day"] == st["day"].max())]["cash"].iloc[0])


def paired(
    name: str, metric, seeds=SEEDS, days: int | None = None, reference: str = "baseline"
) -> np.ndarray:
    """``metric(scenario run) - metric(reference run)`` per seed (common random numbers)."""
    return np.array([metric(run(name, s, days)) - metric(run(reference, s, days)) for s in seeds])


# ----------------------------------------------------------------------------- the library


def test_library_has_every_scenario_of_the_issue() -> None:
    assert set(scenario_names()) >= LIBRARY


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_scenario_is_documented(name: str) -> None:
    raw, path = load_raw(name)
    assert path.parent == builtin_dir().resolve()
    assert raw.get("description") and raw.get("question"), "each scenario says what it is and asks"
    text = path.read_text()
    if name != "baseline":  # baseline.toml is calibrated and left alone: its claim is in the docs
        assert "# Headline claim" in text, "the claim is written at the top of the file"
        assert "# Figure:" in text
    if name != "baseline":
        assert raw.get("extends") == "baseline" or name in ("giant_enters", "inconsistent_omnichannel")
    doc = (ROOT / "docs" / "SCENARIOS.md").read_text()
    assert f"`{name}`" in doc


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_scenario_runs(name: str) -> None:
    days = min(load_scenario(name).days, 400)  # every event starts within 400 days
    result = cxsim.run(name, days=days, overrides=["town.shoppers=300", "warmup_days=10"])
    assert len(result.timeseries) == days
    assert result.summary["scenario"].iloc[0] == name, "a scenario names itself (not its parent)"
    assert result.summary["purchases"].iloc[0] > 0


def test_children_change_only_what_they_say() -> None:
    base = load_scenario("baseline").to_toml_dict()
    for name in ("price_war", "recession", "delivery_crunch", "singles_day"):
        child = load_scenario(name).to_toml_dict()
        for key in ("stores", "segments", "behaviour", "category", "town"):
            assert child[key] == base[key], f"{name} changes {key} only through its events"


# ----------------------------------------------------------------------------- claims


def test_baseline_claim() -> None:
    """Webroomers outnumber showroomers; online purchases come back more often (P2, P3, P5)."""
    s = run("baseline", SEEDS[0]).summary.iloc[0]
    # 0.4.0 is calibrated to P1 (12-20% of kept revenue online, docs/VALIDATION.md): 14.3% of
    # kept revenue and 16.6% of purchases at 10,000 shoppers; 14.2-14.7% and 16.5-17.0% at 3,000.
    assert 0.12 < s["online_revenue_share"] < 0.20
    assert 0.13 < s["online_share"] < 0.20
    assert s["webrooming_rate"] > s["showrooming_rate"]
    assert s["share_shoppers_webroomed"] > s["share_shoppers_showroomed"]
    assert s["return_rate_delivery"] > s["return_rate_walk_in"]


def test_price_war_claim() -> None:
    """The giant's cut wins it share, moves purchases online, and costs the independents share."""
    giant = paired("price_war", lambda r: share(r, "giant"))
    online = paired("price_war", lambda r: float(r.summary["online_share"].iloc[0]))
    indep = paired("price_war", lambda r: share(r, ("corner_shop", "boutique")))
    money = paired("price_war", lambda r: cash(r, "giant"))
    # 0.4.0, 10,000 shoppers, 10 reps: giant +3.5 pp, online +2.9 pp, independents -1.1 pp,
    # the giant's cash -37k (0.3.0: +7.6 pp, +7.1 pp; the price coefficient fell 0.125 -> 0.06)
    assert (giant > 0.02).all(), giant
    assert (online > 0.015).all(), online
    assert (indep < 0).all(), indep
    assert (money < 0).all(), money


def test_personal_touch_claim() -> None:
    """Personalization and after-sales care raise the independents' NPS and market share,
    and the extra sales pay back most of what the care costs within the first year."""
    indep = ("corner_shop", "boutique")
    for store in indep:
        nps = paired("personal_touch", lambda r, s=store: store_nps(r, s, 180))
        assert (nps > 2).all(), (store, nps)
    gain = paired("personal_touch", lambda r: share(r, indep, 180))
    assert (gain > 0.005).all(), gain

    def costs(r: cxsim.RunResult) -> float:
        return float(r.stores[r.stores["store"].isin(indep)]["costs"].sum())

    added = paired("personal_touch", costs)
    net = paired("personal_touch", lambda r: cash(r, "corner_shop") + cash(r, "boutique"))
    assert (added > 0).all(), added
    # At 0.4.0 the first-year net is small: -8k [-11, -4] for the two shops at 10,000 shoppers
    # against +100k of added costs (0.3.0: -9k against ~94k; 0.2.0: -117k). A small town's
    # added costs are noisy (seed 12: 18k, the others 31-32k), so "most of it" is checked on
    # the two seeds together, and no town may lose more than the care added to its costs.
    assert net.sum() > -0.5 * added.sum(), (net, added)
    assert (net > -added).all(), (net, added)


@pytest.mark.slow
def test_service_culture_claim() -> None:
    """Training pays off slowly: service lags its target, and the gains grow in year two."""
    r = run("service_culture", SEEDS[0], 730)
    chain = r.stores[r.stores["store"] == "chain"].set_index("day")
    assert chain.loc[1, "service_quality"] == pytest.approx(0.55, abs=0.01)
    assert chain.loc[90, "service_quality"] < 0.65, "after three months, still well short of the target"
    assert chain.loc[730, "service_quality"] > 0.8
    y1 = paired("service_culture", lambda r: store_nps(r, "chain", 1, 365), days=730)
    y2 = paired("service_culture", lambda r: store_nps(r, "chain", 366, 730), days=730)
    assert (y1 > 0).all() and (y2 > y1).all(), (y1, y2)
    s1 = paired("service_culture", lambda r: share(r, "chain", 1, 365), days=730)
    s2 = paired("service_culture", lambda r: share(r, "chain", 366, 730), days=730)
    assert (s1 > 0).all() and (s2 > s1).all(), (s1, s2)

    def chain_cash(day: int):
        def at(r: cxsim.RunResult) -> float:
            st = r.stores
            return float(st[(st["store"] == "chain") & (st["day"] == day)]["cash"].iloc[0])

        return at

    # At 0.4.0, 10,000 shoppers: -19k at one year, +5k [+1, +8] at two (8 of 10 runs above
    # the baseline), year two's profit +24k [+22, +25] (0.3.0: -11k and +25k; 0.2.0: -58k at
    # two years). The narrow break-even at two years is within a small town's noise
    # (-2.5k and +0.7k for seeds 11 and 12), so the test checks that year two earns back.
    one = paired("service_culture", chain_cash(365), days=730)
    two = paired("service_culture", chain_cash(730), days=730)
    assert (one < 0).all(), ("year one: a cost", one)
    assert (two - one > 0).all(), ("year two: a profit", two - one)


def test_go_omnichannel_claim() -> None:
    """At 0.4.0 the chain's online channel takes most of what OmniMart, the incumbent
    omnichannel store, loses, but costs the chain money in its first year."""
    chain = paired("go_omnichannel", lambda r: share(r, "chain", 60))
    omni = paired("go_omnichannel", lambda r: share(r, "omni", 60))
    indep = paired("go_omnichannel", lambda r: share(r, ("corner_shop", "boutique"), 60))
    money = paired("go_omnichannel", lambda r: cash(r, "chain"))
    # 10,000 shoppers, 10 reps, days 60-365: chain +5.0 pp, OmniMart -5.6, independents +1.1
    # (0.3.0: chain +0.6, independents +3.3, when the independents gained most; 0.2.0: +3.0)
    assert (chain > 0.02).all(), chain
    assert (chain > indep + 0.01).all(), ("the chain, not the independents, gains most", chain, indep)
    assert (omni < -0.03).all(), omni
    assert (money < 0).all(), money  # -19k at 10,000 shoppers (0.3.0: -61k): the channel's costs
    others = {
        s: paired("go_omnichannel", lambda r, s=s: share(r, s, 60)).mean()
        for s in ("chain", "giant", "corner_shop", "boutique")
    }
    assert all(omni.mean() < v for v in others.values()), "the incumbent omnichannel store loses most"
    for s in SEEDS:
        st = run("go_omnichannel", s).stores
        assert st[st["store"] == "chain"]["pickup"].sum() > 0, "the chain's pick-ups appear"
    log = run("go_omnichannel", SEEDS[0]).log
    assert any(e.day == 30 and e.kind == "strategy" and e.data["strategy"] == "open_online" for e in log)


def test_inconsistent_omnichannel_claim() -> None:
    """Inconsistent channels buy volume but cost the chain its NPS and cash (vs go_omnichannel)."""

    def vs(metric):
        return paired("inconsistent_omnichannel", metric, reference="go_omnichannel")

    volume = vs(lambda r: share(r, "chain", 60))
    nps = vs(lambda r: store_nps(r, "chain", 60))
    money = vs(lambda r: cash(r, "chain"))
    # 0.4.0, 10,000 shoppers, 10 reps, days 60-365: share +5.2 pp, NPS -4.1; cash -17k
    assert (volume > 0.02).all(), volume
    assert (nps < -1.5).all(), nps
    assert (money < 0).all(), money


@pytest.mark.slow
def test_pandemic_claim() -> None:
    """P6: a lockdown moves purchases online; a little of the move stays."""
    seeds = (11, 12, 13)
    rows = []
    for s in seeds:
        r = run("pandemic", s, 730)
        ts = r.timeseries
        base = run("baseline", s, 730).timeseries
        lock = ts[ts["events"].str.contains("lockdown")]["day"]
        start, end = int(lock.min()), int(lock.max())
        assert (start, end) == (60, 149)
        during = r.stores[(r.stores["day"] >= start) & (r.stores["day"] <= end)]
        assert during[during["store"] == "boutique"]["purchases"].sum() == 0, "the Boutique sells nothing"
        assert during[during["store"] != "chain"]["walk_in"].sum() == 0, "only the essential chain's floor"
        assert during[during["store"] == "chain"]["walk_in"].sum() > 0
        rows.append(
            {
                "pre": window(ts, 1, start - 1, "online_share"),
                "during": window(ts, start, end, "online_share"),
                "year_after": window(ts, end + 366, end + 395, "online_share"),
                "after": window(ts, end + 1, 730, "online_share"),
                "baseline_after": window(base, end + 1, 730, "online_share"),
            }
        )
    df = pd.DataFrame(rows)
    # 0.4.0, 10,000 shoppers, 10 reps: 16.5% before, 61.9% during (MegaChain's floor stays open)
    assert (df["during"] > df["pre"] + 0.2).all(), "well above pre-lockdown"
    assert (df["year_after"] < df["during"]).all(), "below the lockdown peak a year later"
    # What stays is small: +0.6 pp [+0.6, +0.7] over the no-lockdown town after the reopening
    # (days 150-730, 10 of 10 runs), +0.9 pp [+0.5, +1.2] a year after (days 515-544, 9 of 10),
    # and above the pre-lockdown level then: +0.7 pp [+0.5, +1.0], 10 of 10 (0.3.0: -0.6 pp,
    # when the baseline's online share drifted down). A 30-day window is within one small
    # town's noise (seed 12: -0.1 pp), so both are checked on the mean of the three towns.
    lasting = df["after"] - df["baseline_after"]
    assert lasting.mean() > 0.002, lasting
    above = df["year_after"] - df["pre"]
    assert above.mean() > 0.002, above


def test_singles_day_claim() -> None:
    """A one-day online promotion: a spike that day, a dip after, more returns of that day's buys."""
    day = 315
    for s in SEEDS:
        ts = run("singles_day", s).timeseries.set_index("day")
        base = run("baseline", s).timeseries.set_index("day")
        assert ts.loc[day, "purchases"] > 3 * base.loc[day, "purchases"], "a sales spike that day"
        after = ts.loc[day + 1 : day + 30, "purchases"].mean()
        assert after < 0.95 * base.loc[day + 1 : day + 30, "purchases"].mean(), "a dip after"
        normal = window(ts.reset_index(), 1, day - 1, "return_rate")
        assert ts.loc[day, "return_rate"] > 1.3 * normal, "that day's purchases come back more"
        assert "promotion:giant" in ts.loc[day, "events"]


def test_delivery_crunch_claim() -> None:
    """A logistics crunch moves shoppers back to shops and sinks the giant's NPS while it lasts."""
    online = paired("delivery_crunch", lambda r: window(r.timeseries, 120, 179, "online_share"))
    assert (online < -0.03).all(), online  # 0.4.0, 10,000 shoppers: -5.1 pp [-5.5, -4.7]
    # The giant's 30-day NPS over days 150-179 (the 30 days wholly in the crunch) against its
    # mean over the baseline's year: -23 [-27, -19] at 10,000 shoppers (+8 vs +31). A small
    # town's 30-day NPS of the giant in the baseline on the same days is too noisy to pair
    # with (seed 12: +17 against +28 to +34 for other seeds), so the reference is the year.
    nps = np.array(
        [
            store_nps(run("delivery_crunch", s), "giant", 150, 179) - store_nps(run("baseline", s), "giant")
            for s in SEEDS
        ]
    )
    assert (nps < -8).all(), nps


def test_recession_claim() -> None:
    """A recession: fewer purchases, the cheapest seller gains, the dear independents' cash suffers."""
    purchases = paired("recession", lambda r: float(r.summary["purchases"].iloc[0]))
    giant = paired("recession", lambda r: share(r, "giant", 60, 330))
    money = paired("recession", lambda r: cash(r, "corner_shop") + cash(r, "boutique"))
    # 0.4.0, 10,000 shoppers, 10 reps: purchases -1,504 [-1,770, -1,238] (-2.1%), the giant
    # +1.0 pp [+0.9, +1.0] over days 60-329, the two shops' cash -20k and -24k. A small town's
    # giant gain is uneven (seeds 11-14: +1.7, +0.3, +1.1, +1.0 pp), hence also the mean.
    assert (purchases < 0).all(), purchases
    assert (giant > 0).all() and giant.mean() > 0.004, giant
    assert (money < 0).all(), money


@pytest.mark.slow
def test_giant_enters_claim() -> None:
    """The giant takes a share of a town of small shops, at the shops' expense; the weakest is at risk."""
    for s in SEEDS:
        r = run("giant_enters", s)
        assert window(r.timeseries, 1, 59, "online_share") < 0.01, "no online shopping before"
        # 0.4.0: 9.7% in year two at 10,000 shoppers (0.3.0: 13.4%; 0.2.0: 9.0%)
        assert share(r, "giant", 366, 730) > 0.06, "a large share in the second year"
        # the counterfactual: the same town, the same seed, without the giant
        data, _ = load_raw("giant_enters")
        data.update(events=[], seed=s)
        data["town"] = {**data.get("town", {}), "shoppers": SHOPPERS}
        quiet = cxsim.run(validate(data, "giant_enters without the giant"))
        # 0.4.0, 10,000 shoppers, 10 reps, days 60-730: Corner Shop -2.2 pp, Boutique -1.8,
        # Sound & Vision -2.1, Home & Co -2.9; cash at two years -75k, -68k, -67k, -50k
        for store in ("corner_shop", "boutique", "hifi", "home_store"):
            lost = share(r, store, 60) - share(quiet, store, 60)
            assert lost < -0.01, (store, lost)
            assert cash(r, store) - cash(quiet, store) < -5_000, store
        # costed for a 3% margin before the giant (0.4.0): without it no shop closes; with it
        # Home & Co, the weakest, closes in its second year (6 of 10 runs at 10,000 shoppers,
        # days 559-674; here both seeds, days 672 and 690) and no other shop does
        assert not [e for e in quiet.log if e.kind == "closure"], "every shop lives without the giant"
        closed = [(e.day, e.store) for e in r.log if e.kind == "closure"]
        assert [c[1] for c in closed] == ["home_store"] and closed[0][0] > 365, closed


# ----------------------------------------------------------------------------- layering


@pytest.fixture
def fresh_library(monkeypatch, tmp_path):
    """No user folders and no notes yet; the current folder is an empty temporary one."""
    from cxsim.model import library

    monkeypatch.delenv(library.ENV, raising=False)
    monkeypatch.setattr(library, "_cli_folders", [])
    monkeypatch.setattr(library, "_noted", set())
    monkeypatch.chdir(tmp_path)
    return library


CHEAPER_WAR = """
name = "cheaper_war"
description = "The price war, with the giant cheaper still."
question = "What if the giant cuts deeper?"
extends = "price_war"
[stores.giant]
price = 0.8
"""


def test_user_scenario_extends_a_builtin_and_both_are_listed(fresh_library, tmp_path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "cheaper_war.toml").write_text(CHEAPER_WAR)
    entries = fresh_library.library()
    assert entries["cheaper_war"].source.origin == "./scenarios"
    assert entries["price_war"].source.origin == "built-in"
    assert set(scenario_names()) >= LIBRARY | {"cheaper_war"}
    spec = load_scenario("cheaper_war")
    war = load_scenario("price_war")
    assert spec.stores["giant"].price == 0.8
    assert spec.events == war.events, "the events come from the built-in price_war"
    assert spec.name == "cheaper_war"


def test_user_file_wins_a_name_clash_with_a_note(fresh_library, tmp_path, capsys) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "price_war.toml").write_text('extends = "baseline"\ndescription = "mine"\nquestion = "?"\n')
    fresh_library.use_folders([folder])  # what --scenarios DIR does
    entry = fresh_library.library()["price_war"]
    assert entry.source.origin == "--scenarios" and [s.origin for s in entry.replaces] == ["built-in"]
    raw, path = load_raw("price_war")
    assert path == (folder / "price_war.toml").resolve() and raw["description"] == "mine"
    load_raw("price_war")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, "one note, once"
    assert "price_war" in err[0] and "replaces the built-in" in err[0]


def test_environment_variable_folders_are_layered(fresh_library, tmp_path, monkeypatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "mine.toml").write_text('extends = "baseline"\ndays = 10\n')
    (second / "mine.toml").write_text('extends = "baseline"\ndays = 20\n')
    (second / "other.toml").write_text('extends = "recession"\n')
    monkeypatch.setenv(fresh_library.ENV, f"{first}{os.pathsep}{second}")
    assert load_scenario("mine").days == 20, "a later folder of the variable wins"
    assert load_scenario("other").events == load_scenario("recession").events
    assert {"mine", "other", "baseline"} <= set(scenario_names())


def test_missing_parent_names_the_file_and_the_key(fresh_library, tmp_path) -> None:
    path = tmp_path / "orphan.toml"
    path.write_text('extends = "price_wr"\n')
    with pytest.raises(cxsim.InputError) as info:
        load_scenario(path)
    err = info.value
    assert (err.source, err.key, err.found) == (str(path.resolve()), "extends", "price_wr")
    assert "did you mean 'price_war'?" in err.message


def test_old_repository_paths_resolve_to_the_package(fresh_library) -> None:
    _raw, path = load_raw("scenarios/price_war.toml")
    assert path == (builtin_dir() / "price_war.toml").resolve()


def test_scenarios_folder_must_exist(fresh_library, tmp_path) -> None:
    with pytest.raises(cxsim.InputError, match="--scenarios"):
        fresh_library.use_folders([tmp_path / "nope"])


def test_command_line_lists_and_uses_a_scenarios_folder(fresh_library, tmp_path) -> None:
    from typer.testing import CliRunner

    from cxsim.cli.main import app

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "cheaper_war.toml").write_text(CHEAPER_WAR)
    (folder / "recession.toml").write_text('extends = "baseline"\ndescription = "my recession"\n')
    runner = CliRunner()
    listing = runner.invoke(app, ["scenarios", "--scenarios", str(folder)])
    assert listing.exit_code == 0, listing.output
    text = " ".join(listing.output.split())
    assert "cheaper_war" in text and "price_war" in text and "built-in" in text
    assert "--scenarios" in text and "replaces built-in" in text
    shown = runner.invoke(app, ["show", "cheaper_war", "--scenarios", str(folder), "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"price": 0.8' in shown.output
    clash = runner.invoke(app, ["show", "recession", "--scenarios", str(folder)])
    assert clash.exit_code == 0 and "my recession" in clash.stdout
    assert len(clash.stderr.strip().splitlines()) == 1 and "replaces the built-in" in clash.stderr
    missing = runner.invoke(app, ["show", "cheaper_war"])  # the folder is not remembered
    assert missing.exit_code == 2 and "cheaper_war" in missing.stderr
