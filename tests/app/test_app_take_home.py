"""Take it home: the CSV tables, the saved scenario (it reproduces the app's run), the commands."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from cxsim.app import export
from cxsim.app.inspect import parse_selection, shopper_card, store_card
from cxsim.app.levers import Levers, levers_from_scenario
from cxsim.app.session import Session
from cxsim.experiments.results import load_result
from cxsim.model.scenario import load_scenario

DAYS = 15


def _session() -> Session:
    base = levers_from_scenario(load_scenario("baseline"), shoppers=300)
    levers = replace(base, online_price_advantage=base.online_price_advantage + 0.1, bopis=False, seed=7)
    sess = Session("baseline", levers)
    sess.step(DAYS)
    return sess


def test_saved_scenario_runs_on_the_cli_and_reproduces_the_apps_tables(tmp_path: Path):
    sess = _session()
    text = export.session_scenario_toml(sess)
    data = tomllib.loads(text)
    assert data["extends"] == "baseline" and data["seed"] == 7 and data["town"]["shoppers"] == 300
    assert data["stores"]["giant"]["price"] < 0.9
    toml = tmp_path / export.scenario_file_name("baseline")
    toml.write_text(text)
    with zipfile.ZipFile(io.BytesIO(export.tables_zip(sess))) as z:
        names = set(z.namelist())
        assert {"timeseries.csv", "stores.csv", "purchases.csv", toml.name} <= names
        app_ts = pd.read_csv(z.open("timeseries.csv"))
        app_st = pd.read_csv(z.open("stores.csv"))
        app_pu = pd.read_csv(z.open("purchases.csv"))
    assert app_ts["day"].max() == DAYS
    out = tmp_path / "run"
    cli = Path(sys.executable).with_name("cxsim")
    done = subprocess.run(
        [str(cli), "run", str(toml), "--days", str(DAYS), "--purchases", "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    res = load_result(out)
    cli_ts = res.timeseries[res.timeseries["day"] <= DAYS].reset_index(drop=True)
    cli_st = res.stores[res.stores["day"] <= DAYS].reset_index(drop=True)
    # through CSV: the same numbers (CSV keeps 17 significant digits of a float)
    pd.testing.assert_frame_equal(app_ts, pd.read_csv(io.StringIO(cli_ts.to_csv(index=False))))
    pd.testing.assert_frame_equal(app_st, pd.read_csv(io.StringIO(cli_st.to_csv(index=False))))
    assert res.purchases is not None
    pd.testing.assert_frame_equal(app_pu, pd.read_csv(io.StringIO(res.purchases.to_csv(index=False))))


def test_the_run_command_is_the_same_run():
    sess = _session()
    cmd = export.run_command(sess.preset, sess.overrides, sess.levers.seed)
    assert cmd.startswith("cxsim run baseline --set town.shoppers=300 ")
    assert "--set stores.omni.bopis=false" in cmd and cmd.endswith("--seed 7")
    assert export.compare_command(sess.preset, sess.overrides) == (
        "cxsim compare baseline baseline-levers.toml --reps 10 --set town.shoppers=300"
    )


def test_overrides_become_tables():
    assert export.overrides_table(["a.b=1", "a.c=true", "d=0.5"]) == {"a": {"b": 1, "c": True}, "d": 0.5}


def test_click_to_inspect_a_shopper_and_a_store():
    sess = _session()
    buyer = int(sess.history.purchases[-1][1].shopper[0])
    card = shopper_card(sess, str(buyer))
    assert card is not None and card["purchases"], card
    first = card["purchases"][0]
    assert first["day"] == DAYS and first["research"] and first["fulfilment"]
    assert {"store", "loyalty", "expectation"} <= set(card["columns"])
    assert len(card["per_store"]) == len(sess.labels)
    assert shopper_card(sess, "-1") is None and shopper_card(sess, "99999") is None
    assert shopper_card(sess, "x") is None
    panel = store_card(sess, "OnlineGiant")
    assert panel is not None
    facts = dict(panel["facts"])
    assert facts["kind"] == "online" and "of 5" in facts["public rating"]
    assert store_card(sess, "<script>") is None
    assert parse_selection('{"kind": "store", "key": "OnlineGiant"}').kind == "store"


def test_default_levers_save_a_runnable_scenario(tmp_path: Path):
    sess = Session("baseline", Levers(shoppers=300))
    path = tmp_path / "s.toml"
    path.write_text(export.session_scenario_toml(sess))
    spec = load_scenario(path)
    assert spec.town.shoppers == 300 and spec.seed == sess.levers.seed


def test_belief_table_reads_per_store_attribute_beliefs():
    from cxsim.app.inspect import belief_table

    info = {
        "loyalty": {"a": 0.1},
        "beliefs": {
            "a": {"overall": (0.7, 0.1), "service": (0.5, 0.2)},
            "b": {"overall": (0.6, 0.3), "service": 0.4},
        },
    }
    cols, rows = belief_table(info, {"a": "Shop A", "b": "Shop B"})
    assert cols == ["store", "overall", "service"]
    assert rows[0] == {"store": "Shop A", "overall": "0.70 ± 0.10", "service": "0.50 ± 0.20"}
    assert rows[1]["service"] == "0.40"
    assert belief_table({"loyalty": {"a": 0.1}}, {}) == ([], [])


def test_the_instructor_guide_shows_the_file_the_app_saves():
    """docs/guides/giant_enters-levers.toml: the giant_enters preset with in-store service +0.10."""
    from cxsim.app.state import AppState

    state = AppState(["giant_enters"])
    state.levers.set(replace(state.levers.value, service=round(state.levers.value.service + 0.1, 2)))
    state.reset()
    assert state.error.value is None
    guide = Path(__file__).resolve().parents[2] / "docs" / "guides" / "giant_enters-levers.toml"
    assert export.session_scenario_toml(state.session.value) == guide.read_text()
